import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, User
from common.filters import AllYesNoSelect, SearchFilterSet, active_filter
from rbac.models import Role


class DepartmentFilter(SearchFilterSet):
    search_fields = ("name", "code")
    is_active = active_filter()
    o = django_filters.OrderingFilter(
        fields=(("name", "name"), ("code", "code"), ("member_count", "members"))
    )

    class Meta:
        model = Department
        fields = ["q", "is_active"]


class UserFilter(SearchFilterSet):
    search_fields = ("username", "display_name", "email", "phone")
    department = django_filters.ModelChoiceFilter(queryset=Department.objects.all(), label=_("Department"))
    role = django_filters.ModelChoiceFilter(field_name="roles", queryset=Role.objects.all(), label=_("Role"))
    is_active = active_filter()
    awaiting_approval = django_filters.BooleanFilter(label=_("Awaiting approval"), widget=AllYesNoSelect)
    o = django_filters.OrderingFilter(
        fields=(
            ("username", "username"),
            ("display_name", "display_name"),
            ("department__name", "department"),
            ("date_joined", "date_joined"),
            ("last_login", "last_login"),
        )
    )

    class Meta:
        model = User
        fields = ["q", "department", "role", "is_active", "awaiting_approval"]


class RoleFilter(SearchFilterSet):
    search_fields = ("name", "slug", "description")
    o = django_filters.OrderingFilter(
        fields=(("name", "name"), ("user_count", "users"), ("permission_count", "permissions"))
    )

    class Meta:
        model = Role
        fields = ["q"]
