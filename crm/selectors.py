from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from accounts.models import User
from accounts.services import site_gettext
from common.filters import today_bounds
from crm.models import (
    Campus,
    ClassList,
    Course,
    Customer,
    CustomerImport,
    DictItem,
    FollowUp,
    OwnershipEvent,
    PoolPolicy,
)
from crm.normalize import format_phone, mask_middle, mask_phone
from rbac.models import Role
from rbac.selectors import data_scope_for, users_holding

# The permission that makes a user a consultant: one who may own customers.
OWNER_CODENAME = "crm.customer_mine"


def campuses_for_list() -> QuerySet[Campus]:
    return Campus.objects.annotate(class_count=Count("classes")).order_by("name")


def courses_for_list() -> QuerySet[Course]:
    return Course.objects.annotate(class_count=Count("classes")).order_by("name")


def classes_for_list() -> QuerySet[ClassList]:
    """Classes with course, campus and adviser joined and teachers prefetched (two queries a page)."""
    return ClassList.objects.select_related("course", "campus", "adviser").prefetch_related(
        Prefetch("teachers", queryset=User.objects.order_by("username"))
    )


def classes_taught_by(user) -> QuerySet[ClassList]:
    """Classes the user teaches or advises (the object hook "teaches this class" asks this too)."""
    return ClassList.objects.filter(Q(teachers=user) | Q(adviser=user)).distinct()


def teaches_class(user, class_id) -> bool:
    """Whether the user teaches or advises the class (the permission hook and the classroom ask)."""
    return classes_taught_by(user).filter(pk=class_id).exists()


def class_cards_for_teacher(user) -> QuerySet[ClassList]:
    """The active classes on a teacher's home page, newest first, course and campus joined."""
    return (
        classes_taught_by(user)
        .filter(is_active=True)
        .select_related("course", "campus")
        .order_by("-start_date")
    )


def dict_items_for_list() -> QuerySet[DictItem]:
    return DictItem.objects.order_by("kind", "order", "id")


# --- Customers --------------------------------------------------------------------------------
def _scope_filter(user, prefix: str = "") -> Q | None:
    """The customers a user's data scope reaches, besides the public pool (None: all of them).
    `prefix` names the customer from a related model, e.g. "customer__"."""
    scope = data_scope_for(user)
    if scope == Role.DataScope.ALL:
        return None
    if scope == Role.DataScope.DEPARTMENT and user.department_id:
        return Q(**{f"{prefix}consultant__department_id": user.department_id}) | Q(
            **{f"{prefix}consultant": user}
        )
    return Q(**{f"{prefix}consultant": user})


def visible_customer_filter(user, prefix: str = "") -> Q:
    """`customers_visible_to` as a condition on a related model's customer (`prefix`, e.g.
    "customer__"): a join the database filters as it goes, where `customer__in` a subquery of
    every visible customer made it collect hundreds of thousands of ids first."""
    live = Q(**{f"{prefix}is_deleted": False})
    scope = _scope_filter(user, prefix)
    if scope is None:
        return live
    return live & (scope | Q(**{f"{prefix}consultant__isnull": True}))


def customers_visible_to(user) -> QuerySet[Customer]:
    """Every live customer `user` may see: the public pool plus what the data scope reaches
    (own customers; the department's; or all). Lists, detail, search, export and batch actions
    all start here, so a customer outside it is a 404 everywhere."""
    return Customer.objects.filter(visible_customer_filter(user))


def customers_in_pool() -> QuerySet[Customer]:
    """The public pool: every scope includes it, so it needs no scope filter (whose OR would
    keep the database from using the pool's own index)."""
    return Customer.objects.in_pool()


def left_pool_recently(pk: int, *, within: timedelta = timedelta(hours=1)) -> bool:
    """Whether the customer left the public pool (claimed, allocated, assigned) lately."""
    return OwnershipEvent.objects.filter(
        customer_id=pk,
        from_user__isnull=True,
        kind__in=(OwnershipEvent.Kind.CLAIM, OwnershipEvent.Kind.ALLOCATE, OwnershipEvent.Kind.TRANSFER),
        at__gte=timezone.now() - within,
    ).exists()


# The three customer lists by name (pages and their exports), each from the user's scope.
CUSTOMER_LISTS = {
    "pool": lambda user: customers_in_pool(),
    "mine": lambda user: customers_visible_to(user).filter(consultant=user),
    "all": lambda user: customers_visible_to(user),
}


def customers_deleted_visible_to(user) -> QuerySet[Customer]:
    """The recycle bin: deleted customers within the user's data scope (pool leads deleted by a
    manager belong to those who see everything)."""
    customers = Customer.objects.filter(is_deleted=True)
    scope = _scope_filter(user)
    return customers if scope is None else customers.filter(scope)


def customers_owned_in_scope(user) -> QuerySet[Customer]:
    """Customers that have an owner within the user's scope: those the user may release, follow
    up and (with the right) transfer."""
    return customers_visible_to(user).filter(consultant__isnull=False)


def customers_for_list(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """One query a page: source, gender and consultant joined."""
    return queryset.select_related("source", "gender", "consultant")


# What a row of the customer lists and the recycle bin shows (templates/crm/customer_list.html,
# customer_trash.html): reading only these columns halves the cost of building a page's rows.
LIST_ROW_FIELDS = (
    "name",
    "phone",
    "qq",
    "wechat",
    "email",
    "consulted_on",
    "status",
    "consultant",
    "last_follow_up_at",
    "next_follow_up_at",
    "deleted_at",
    "gender__label",
    "source__label",
    *(f"consultant__{field}" for field in User.NAME_FIELDS),
)


def customer_rows_for_list(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """`customers_for_list` reading only the columns a list row shows."""
    return customers_for_list(queryset).only(*LIST_ROW_FIELDS)


def customer_for_detail(user, pk: int) -> Customer:
    """The customer with everything the detail page shows joined (404 outside the scope)."""
    queryset = customers_visible_to(user).select_related(
        "source", "gender", "consultant", "education", "experience", "work_status", "referrer", "created_by"
    )
    return get_object_or_404(queryset, pk=pk)


def consultants_for(user) -> QuerySet[User]:
    """The consultants `user` may hand customers to: within the department for a department
    scope, everyone for an all scope."""
    consultants = users_holding(OWNER_CODENAME).select_related("department").order_by("username")
    scope = data_scope_for(user)
    if scope == Role.DataScope.ALL:
        return consultants
    if scope == Role.DataScope.DEPARTMENT and user.department_id:
        return consultants.filter(department_id=user.department_id)
    return consultants.filter(pk=user.pk)


def find_duplicate(*, phone: str = "", qq: str = "", exclude_pk: int | None = None) -> Customer | None:
    """The live customer already holding this normalised phone or QQ, with its owner joined."""
    keys = Q()
    if phone:
        keys |= Q(phone=phone)
    if qq:
        keys |= Q(qq=qq)
    if not keys:
        return None
    matches = Customer.objects.live().filter(keys).select_related("consultant")
    if exclude_pk is not None:
        matches = matches.exclude(pk=exclude_pk)
    return matches.first()


@dataclass(frozen=True)
class Contacts:
    """A customer's contact details as one viewer may see them."""

    phone: str
    qq: str
    wechat: str
    email: str
    masked: bool


def contacts_for(customer: Customer, *, full: bool) -> Contacts:
    if full:
        return Contacts(format_phone(customer.phone), customer.qq, customer.wechat, customer.email, False)
    return Contacts(
        mask_phone(customer.phone),
        mask_middle(customer.qq),
        mask_middle(customer.wechat),
        mask_middle(customer.email.partition("@")[0]) + ("@…" if customer.email else ""),
        True,
    )


def shows_full_contacts(user, customer: Customer, *, may_see_all: bool) -> bool:
    """Owners see their customers' contact details; so do roles allowed to see every customer's
    in their scope (`may_see_all`). Everyone else, pool customers included, sees them masked."""
    return may_see_all or (customer.consultant_id is not None and customer.consultant_id == user.pk)


def export_contact_counts(customers: QuerySet[Customer], user, *, may_see_all: bool) -> tuple[int, int]:
    """How many customers an export of `customers` (sliced to its limit) holds, and how many of
    them with full contact details (`shows_full_contacts`): one query."""
    counts = customers.aggregate(rows=Count("pk"), own=Count("pk", filter=Q(consultant=user)))
    return counts["rows"], counts["rows"] if may_see_all else counts["own"]


def attach_contacts(customers, user, *, may_see_all: bool) -> None:
    """Give each customer of a page its `contacts` as this user may see them."""
    for customer in customers:
        customer.contacts = contacts_for(
            customer, full=shows_full_contacts(user, customer, may_see_all=may_see_all)
        )


def follow_ups_for(customer: Customer) -> QuerySet[FollowUp]:
    return customer.follow_ups.select_related("consultant", "channel", "intent")


def ownership_events_for(customer: Customer) -> QuerySet[OwnershipEvent]:
    return customer.ownership_events.select_related("from_user", "to_user", "by")


def customers_editable_by(user) -> QuerySet[Customer]:
    """Customers `user` may edit and delete: their own (and the department's or everyone's, by
    scope); pool customers only for those whose scope reaches beyond their own."""
    if data_scope_for(user) == Role.DataScope.OWN:
        return customers_visible_to(user).filter(consultant=user)
    return customers_visible_to(user)


def editable_customer_filter(user, prefix: str = "") -> Q:
    """`customers_editable_by` as a condition on a related model's customer (`prefix`, e.g.
    "customer__"), joined rather than a subquery (see `visible_customer_filter`)."""
    if data_scope_for(user) == Role.DataScope.OWN:
        return Q(**{f"{prefix}is_deleted": False, f"{prefix}consultant": user})
    return visible_customer_filter(user, prefix)


def is_editable_by(user, customer: Customer) -> bool:
    """`customers_editable_by` for a customer already read through `customers_visible_to`,
    without another query."""
    return data_scope_for(user) != Role.DataScope.OWN or customer.consultant_id == user.pk


# --- The customer's timeline ------------------------------------------------------------------
TIMELINE_LIMIT = 100
# Ownership and follow-up dates have their own entries; the change list shows the rest.
UNTRACKED_FIELDS = {
    "consultant",
    "claimed_at",
    "last_follow_up_at",
    "next_follow_up_at",
    "name_pinyin",
    "name_initials",
    "created_by",
    "created_at",
    "deleted_at",
}
CONTACT_FIELDS = {"phone", "qq", "wechat", "email"}


@dataclass
class TimelineItem:
    kind: str  # "follow_up", "ownership" or "change"
    at: object
    who: object
    record: object = None
    changes: list = None


def _change_value(field, value, labels: dict[int, str], *, full_contacts: bool) -> str:
    if value in (None, ""):
        return "—"
    if field.name in CONTACT_FIELDS:
        value = format_phone(value) if field.name == "phone" and full_contacts else value
        if not full_contacts:
            value = mask_phone(value) if field.name == "phone" else mask_middle(str(value))
        return str(value)
    if field.is_relation:
        return labels.get(value, f"#{value}") if field.related_model is DictItem else f"#{value}"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    return str(value)


def _history_changes(customer: Customer, *, full_contacts: bool) -> list[TimelineItem]:
    records = list(
        customer.history.select_related("history_user").order_by("-history_date")[: TIMELINE_LIMIT + 1]
    )
    pairs = list(pairwise(records))
    diffs = []
    dict_ids = set()
    for new, old in pairs:
        changed = [change for change in new.diff_against(old).changes if change.field not in UNTRACKED_FIELDS]
        if changed:
            diffs.append((new, changed))
            for change in changed:
                field = Customer._meta.get_field(change.field)
                if field.is_relation and field.related_model is DictItem:
                    dict_ids.update(v for v in (change.old, change.new) if v)
    labels = dict(DictItem.objects.filter(pk__in=dict_ids).values_list("pk", "label"))
    items = []
    for record, changed in diffs:
        rows = []
        for change in changed:
            field = Customer._meta.get_field(change.field)
            rows.append(
                (
                    field.verbose_name,
                    _change_value(field, change.old, labels, full_contacts=full_contacts),
                    _change_value(field, change.new, labels, full_contacts=full_contacts),
                )
            )
        items.append(TimelineItem("change", record.history_date, record.history_user, changes=rows))
    return items


def customer_timeline(customer: Customer, *, full_contacts: bool) -> list[TimelineItem]:
    """Follow-ups, ownership events and field changes, newest first (the latest of each kind)."""
    items = [
        TimelineItem("follow_up", f.at, f.consultant, record=f)
        for f in follow_ups_for(customer)[:TIMELINE_LIMIT]
    ]
    items += [
        TimelineItem("ownership", e.at, e.by, record=e)
        for e in ownership_events_for(customer)[:TIMELINE_LIMIT]
    ]
    items += _history_changes(customer, full_contacts=full_contacts)
    items.sort(key=lambda item: item.at, reverse=True)
    return items


def customers_due_for(user, *, limit: int = 10) -> dict[str, list[Customer]]:
    """A consultant's day: follow-ups due today and overdue ones (home page)."""
    start, end = today_bounds()
    mine = Customer.objects.live().filter(consultant=user).select_related("source")
    return {
        "due_today": list(
            mine.filter(next_follow_up_at__gte=start, next_follow_up_at__lt=end).order_by(
                "next_follow_up_at"
            )[:limit]
        ),
        "overdue": list(mine.filter(next_follow_up_at__lt=start).order_by("next_follow_up_at")[:limit]),
    }


def pool_return_rules(
    policy: PoolPolicy, now: datetime, *, ahead: timedelta = timedelta(0)
) -> list[tuple[Q, str]]:
    """(condition, reason) for each rule that returns an owned customer to the pool; `ahead`
    moves the deadlines forward (for warnings). The nightly sweep and the home page share them."""
    follow_cutoff = now - timedelta(days=policy.days_without_follow_up) + ahead
    sign_cutoff = now - timedelta(days=policy.days_without_signing) + ahead
    no_follow_up = Q(claimed_at__lt=follow_cutoff) & (
        Q(last_follow_up_at__isnull=True) | Q(last_follow_up_at__lt=follow_cutoff)
    )
    return [
        (
            no_follow_up,
            site_gettext(gettext_noop("No follow-up for %(days)s days"), days=policy.days_without_follow_up),
        ),
        (
            Q(claimed_at__lt=sign_cutoff),
            site_gettext(
                gettext_noop("Not signed %(days)s days after the claim"), days=policy.days_without_signing
            ),
        ),
    ]


def returning_soon_of(user) -> QuerySet[Customer]:
    """The consultant's unsigned customers that the sweep will return to the pool within the
    policy's warning days."""
    policy = PoolPolicy.current()
    soon = Q()
    for condition, _reason in pool_return_rules(
        policy, timezone.now(), ahead=timedelta(days=policy.warning_days or 0)
    ):
        soon |= condition
    return Customer.objects.live().filter(soon, consultant=user, status=Customer.Status.UNSIGNED)


def customers_returning_soon(user, *, limit: int = 10) -> tuple[int, list[Customer]]:
    """How many customers `returning_soon_of` the user, and the first `limit` by claim date."""
    mine = returning_soon_of(user)
    return mine.count(), list(mine.select_related("source").order_by("claimed_at")[:limit])


def pool_ages(now: datetime) -> dict:
    """The public pool's size and how long its customers have waited since they were entered:
    under 7 days ("fresh"), 7 to 30 ("aging"), older ("old"), and the oldest entry time."""
    pool = customers_in_pool().aggregate(
        total=Count("pk"),
        fresh=Count("pk", filter=Q(created_at__gte=now - timedelta(days=7))),
        aging=Count(
            "pk", filter=Q(created_at__lt=now - timedelta(days=7), created_at__gte=now - timedelta(days=30))
        ),
        oldest=Min("created_at"),
    )
    pool["old"] = pool["total"] - pool["fresh"] - pool["aging"]
    return pool


def customer_imports_of(user: User) -> QuerySet[CustomerImport]:
    """A user's own imports: the uploaded file and its problems are theirs alone."""
    return CustomerImport.objects.filter(created_by=user)


def customer_import_list_url(customer_import: CustomerImport) -> tuple[str, str] | None:
    """(list URL name, list kind) where the customers of an import can be seen, by where they went."""
    return {
        CustomerImport.Owner.ME: ("crm:customer-mine", "mine"),
        CustomerImport.Owner.POOL: ("crm:customer-pool", "pool"),
        CustomerImport.Owner.ALLOCATE: ("crm:customer-list", "all"),
    }.get(customer_import.owner)
