"""The monthly sales report, computed for a scope (the consultants a user may report on, and
optionally one campus) and a month in the school's time zone.

Definitions (the same on every page and export):
- A **new lead** is a live customer entered in the month, counted for the consultant who owns it
  now; leads still in the public pool count only in the whole school's report.
- A **signing** is an ownership event of kind "sign" in the month, counted for the consultant who
  owned the customer then (so a customer transferred before signing counts for the new owner).
- **Leads taken on** by a consultant are customers entered, claimed, allocated or transferred to
  them in the month.
- **Conversion** follows a month's leads (new leads for a source, leads taken on for a
  consultant): the share of them signed by now. Unlike "signed this month ÷ leads" it never
  passes 100%, and a month's figure rises as its leads sign later.
- **Revenue** is confirmed payments by the date paid: deposits, tuition and other payments add,
  refunds subtract; class transfers move money already counted and are left out. It is counted
  for the consultant who enrolled the customer, and for the class's campus.
- The **funnel** follows the month's new leads to where they are today.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)

from accounts.models import Department, User
from crm.models import Campus, ClassList, Customer, DictItem, FollowUpDay, OwnershipEvent
from crm.selectors import OWNER_CODENAME
from enrollment.models import Enrollment, Payment
from rbac.models import Role
from rbac.selectors import data_scope_for, users_holding
from reports.models import Target
from reports.periods import Month

ZERO = Decimal("0")
TAKEN_ON = (
    OwnershipEvent.Kind.CREATE,
    OwnershipEvent.Kind.CLAIM,
    OwnershipEvent.Kind.ALLOCATE,
    OwnershipEvent.Kind.TRANSFER,
)
# Payments that count as "paid" in the funnel (a refund or a class transfer is not paying).
PAID_KINDS = (Payment.Kind.DEPOSIT, Payment.Kind.TUITION, Payment.Kind.OTHER)
MONEY = DecimalField(max_digits=14, decimal_places=2)
# The signed amount of a confirmed payment: refunds subtract, class transfers are left out.
NET_AMOUNT = Case(
    When(kind=Payment.Kind.REFUND, then=-F("amount")),
    When(kind=Payment.Kind.TRANSFER, then=Value(ZERO)),
    default=F("amount"),
    output_field=MONEY,
)


# --- Scope ---------------------------------------------------------------------------------------
def consultants_reported_by(user) -> QuerySet[User]:
    """The consultants whose figures `user` may see: everyone (scope "all"), the department's
    (scope "department"), or only themselves."""
    consultants = users_holding(OWNER_CODENAME)
    scope = data_scope_for(user)
    if scope == Role.DataScope.ALL:
        return consultants
    if scope == Role.DataScope.DEPARTMENT and user.department_id:
        return consultants.filter(Q(department_id=user.department_id) | Q(pk=user.pk))
    return consultants.filter(pk=user.pk)


def reports_whole_school(user) -> bool:
    return data_scope_for(user) == Role.DataScope.ALL


@dataclass(frozen=True)
class Scope:
    """Whose figures: these consultants' (or, for the whole school, everyone's: the public pool
    and consultants who have left included), optionally only the money and enrollments of one
    campus's classes."""

    consultant_ids: frozenset[int]
    whole_school: bool = False
    campus: Campus | None = None

    def leads(self) -> Q:
        """Customers: the scope's consultants' (the whole school: every customer, the pool and
        those of consultants who have left included)."""
        return Q() if self.whole_school else Q(consultant_id__in=self.consultant_ids)

    def signings(self) -> Q:
        return Q() if self.whole_school else Q(to_user_id__in=self.consultant_ids)

    def enrollments(self, prefix: str = "") -> Q:
        q = Q() if self.whole_school else Q(**{f"{prefix}consultant_id__in": self.consultant_ids})
        if self.campus is not None:
            q &= Q(**{f"{prefix}class_list__campus": self.campus})
        return q


def consultants_for_report(user) -> list[User]:
    """The consultants `user` may report on, with their departments, by username (one query: the
    filter's choices, the scope and the consultants table all read this list)."""
    return list(consultants_reported_by(user).select_related("department").order_by("username"))


def teams_of(consultants: list[User]) -> list[Department]:
    """The departments of `consultants` (read with them), by name."""
    teams = {user.department_id: user.department for user in consultants if user.department_id}
    return sorted(teams.values(), key=lambda team: (team.name, team.pk))


# --- The month's figures -----------------------------------------------------------------------
# Every grouped count and sum of the report is one SELECT of a single UNION ALL: each SELECT keeps
# its own index plan, and the database is asked once instead of once a figure. A row is a Figure:
# the part it belongs to, its group (a consultant, a source, a class or a day) and up to four
# counts and a sum of money; columns a part does not use are NULL.
FIGURE_COLUMNS = ("part", "key", "sub_key", "day", "n1", "n2", "n3", "n4", "amount")
_COLUMN_FIELDS = {
    "key": IntegerField(),
    "sub_key": IntegerField(),
    "day": DateField(),
    "n1": IntegerField(),
    "n2": IntegerField(),
    "n3": IntegerField(),
    "n4": IntegerField(),
    "amount": MONEY,
}


class Figure(NamedTuple):
    part: str
    key: int | None
    sub_key: int | None
    day: datetime.date | None
    n1: int | None
    n2: int | None
    n3: int | None
    n4: int | None
    amount: Decimal | None


def _in(month: Month, field_name: str, *, dates: bool = False) -> Q:
    if dates:
        return Q(**{f"{field_name}__gte": month.first_day, f"{field_name}__lt": month.next_first_day})
    return Q(**{f"{field_name}__gte": month.start, f"{field_name}__lt": month.end})


class _Null(Value):
    """A NULL of the column's type: PostgreSQL resolves a column that is an untyped NULL in every
    SELECT so far as text, which no later number or date matches. A constant, so never grouped by."""

    def __init__(self, column: str):
        super().__init__(None, output_field=_COLUMN_FIELDS[column])

    def as_sql(self, compiler, connection):
        return f"CAST(NULL AS {self.output_field.cast_db_type(connection)})", []


def _part(name: str, queryset: QuerySet, group: dict[str, str], **figures) -> QuerySet:
    """One SELECT of the union: `queryset` grouped by `group` (column -> field path; none for one
    total row) with `figures` (column -> aggregate), every other column NULL."""
    grouping = {column: F(path) for column, path in group.items()} or {"key": _Null("key")}
    nulls = {
        column: _Null(column) for column in _COLUMN_FIELDS if column not in grouping and column not in figures
    }
    return (
        queryset.order_by()
        .values(**grouping)
        .annotate(**figures)
        .annotate(part=Value(name), **nulls)
        .values_list(*FIGURE_COLUMNS)
    )


def confirmed_payments(scope: Scope) -> QuerySet[Payment]:
    return Payment.objects.filter(scope.enrollments("enrollment__"), status=Payment.Status.CONFIRMED)


def _revenue_by(name: str, key: str) -> Callable[[Scope, Month], QuerySet]:
    """The part `name`: the month's net confirmed revenue per `key` (a path from the payment,
    e.g. the enrollment's consultant)."""

    def part(scope: Scope, month: Month) -> QuerySet:
        payments = confirmed_payments(scope).filter(_in(month, "paid_at", dates=True))
        return _part(name, payments, {"key": key}, amount=Sum(NET_AMOUNT))

    return part


def _leads(scope: Scope, month: Month) -> QuerySet:
    """The scope's live customers entered in the month, per owner (key) and source (sub_key): how
    many (n1), how many are signed by now (n2), how many were ever followed up (n3)."""
    customers = Customer.objects.live().filter(scope.leads(), _in(month, "created_at"))
    return _part(
        "leads",
        customers,
        {"key": "consultant_id", "sub_key": "source_id"},
        n1=Count("pk"),
        n2=Count("pk", filter=Q(status=Customer.Status.SIGNED)),
        # The follow-up service stamps the customer, so "followed up" needs no join.
        n3=Count("pk", filter=Q(last_follow_up_at__isnull=False)),
    )


def _new_leads(scope: Scope, month: Month) -> QuerySet:
    """The live customers entered in the month per consultant of the scope (n1): "leads" without
    the sources, for the consultants' table on its own (a home page)."""
    customers = Customer.objects.live().filter(
        _in(month, "created_at"), consultant_id__in=scope.consultant_ids
    )
    return _part("new_leads", customers, {"key": "consultant_id"}, n1=Count("pk"))


def _taken_on(scope: Scope, month: Month) -> QuerySet:
    """Per consultant: the live customers taken on in the month (n1), and how many of them are
    signed by now (n2)."""
    events = OwnershipEvent.objects.filter(
        _in(month, "at"), kind__in=TAKEN_ON, to_user_id__in=scope.consultant_ids, customer__is_deleted=False
    )
    return _part(
        "taken_on",
        events,
        {"key": "to_user_id"},
        n1=Count("customer", distinct=True),
        n2=Count("customer", distinct=True, filter=Q(customer__status=Customer.Status.SIGNED)),
    )


def _follow_ups(scope: Scope, month: Month) -> QuerySet:
    days = FollowUpDay.objects.filter(_in(month, "day", dates=True), consultant_id__in=scope.consultant_ids)
    return _part("follow_ups", days, {"key": "consultant_id"}, n1=Sum("count"))


def _links(scope: Scope, month: Month) -> QuerySet:
    """Enrollment links made in the month, per consultant (n1)."""
    enrollments = Enrollment.objects.live().filter(scope.enrollments(), _in(month, "created_at"))
    return _part("links", enrollments, {"key": "consultant_id"}, n1=Count("pk"))


def _revenue_by_day(scope: Scope, month: Month) -> QuerySet:
    """Net confirmed revenue per day paid over the 13 months to this one (at most 396 rows, read in
    the order of the payments' date index), added up into months by sales_amount."""
    payments = Payment.objects.filter(
        status=Payment.Status.CONFIRMED,
        paid_at__gte=month.shift(-12).first_day,
        paid_at__lt=month.next_first_day,
    )
    if within := scope.enrollments():
        # An IN over the scope's enrollments rather than a join: SQLite reads their ids once from
        # an index instead of an enrollment row for each of 13 months of payments.
        payments = payments.filter(enrollment__in=Enrollment.objects.filter(within).values("pk"))
    return _part("revenue_by_day", payments, {"day": "paid_at"}, amount=Sum(NET_AMOUNT))


def _funnel_enrollments(scope: Scope, month: Month) -> QuerySet:
    """How many of the month's new leads have a link (n1), a submitted form (n2), an approved
    enrollment (n3) and a confirmed payment of their own (n4). With a campus, only enrollments
    into that campus's classes count.

    Counted from the enrollments of the month's leads rather than with a subquery per lead: at a
    million customers that is one index range of the leads and a join, where a subquery per lead
    and step made SQLite probe the enrollments four times a lead."""
    enrollments = Enrollment.objects.live().filter(
        customer__is_deleted=False,
        customer__created_at__gte=month.start,
        customer__created_at__lt=month.end,
    )
    if not scope.whole_school:
        enrollments = enrollments.filter(customer__consultant_id__in=scope.consultant_ids)
    if scope.campus is not None:
        enrollments = enrollments.filter(class_list__campus=scope.campus)
    return _part(
        "funnel",
        enrollments,
        {},
        n1=Count("customer", distinct=True),
        n2=Count("customer", distinct=True, filter=Q(submitted_at__isnull=False)),
        n3=Count("customer", distinct=True, filter=Q(status=Enrollment.Status.APPROVED)),
        n4=Count(
            "customer",
            distinct=True,
            filter=Q(payments__status=Payment.Status.CONFIRMED, payments__kind__in=PAID_KINDS),
        ),
    )


PARTS: dict[str, Callable[[Scope, Month], QuerySet]] = {
    "leads": _leads,
    "new_leads": _new_leads,
    "taken_on": _taken_on,
    "follow_ups": _follow_ups,
    "links": _links,
    "revenue_by_consultant": _revenue_by("revenue_by_consultant", "enrollment__consultant_id"),
    "revenue_by_source": _revenue_by("revenue_by_source", "enrollment__customer__source_id"),
    "revenue_by_class": _revenue_by("revenue_by_class", "enrollment__class_list_id"),
    "revenue_by_day": _revenue_by_day,
    "funnel": _funnel_enrollments,
}
# The whole report's parts: "leads" (per owner and source) gives the consultants' new leads too.
REPORT_PARTS = tuple(name for name in PARTS if name != "new_leads")
# The parts each section reads when it is asked on its own.
SOURCE_PARTS = ("leads", "revenue_by_source")
CONSULTANT_PARTS = ("new_leads", "taken_on", "follow_ups", "links", "revenue_by_consultant")
CLASS_PARTS = ("revenue_by_class",)
SALES_PARTS = ("revenue_by_day",)
FUNNEL_PARTS = ("leads", "funnel")


class Signing(NamedTuple):
    consultant_id: int
    source_id: int | None
    at: datetime.datetime
    claimed_at: datetime.datetime | None


def _claimed_before_signing() -> Subquery:
    """For a signing event: when its consultant last took the customer on before it (a later
    transfer does not rewrite a past month's figure). One index probe per signing."""
    return Subquery(
        OwnershipEvent.objects.filter(
            customer=OuterRef("customer"),
            to_user=OuterRef("to_user"),
            kind__in=TAKEN_ON,
            at__lte=OuterRef("at"),
        )
        .order_by("-at")
        .values("at")[:1]
    )


class MonthData:
    """What the report's sections are computed from, for one scope and month, each read once when
    a section first needs it: the `parts` of the month's figures (one UNION ALL query), the
    month's signings (one query) and the source labels (one query). The whole report shares one;
    a section asked on its own reads only its parts."""

    def __init__(self, scope: Scope, month: Month, parts: Iterable[str] = REPORT_PARTS):
        self.scope, self.month, self.parts = scope, month, tuple(parts)

    def query(self) -> QuerySet:
        """The UNION ALL of the parts (rows of FIGURE_COLUMNS)."""
        queries = [PARTS[name](self.scope, self.month) for name in self.parts]
        return queries[0].union(*queries[1:], all=True)

    @cached_property
    def _figures(self) -> dict[str, list[Figure]]:
        figures: dict[str, list[Figure]] = {name: [] for name in self.parts}
        for row in self.query():
            figure = Figure._make(row)
            figures[figure.part].append(figure)
        return figures

    def part(self, name: str) -> list[Figure]:
        """The rows of the part `name` (a KeyError names a part this MonthData was not asked for)."""
        return self._figures[name]

    @cached_property
    def signings(self) -> list[Signing]:
        """The month's signings in the scope, with the customer's source and when the signing
        consultant took the customer on."""
        events = (
            OwnershipEvent.objects.filter(
                self.scope.signings(),
                _in(self.month, "at"),
                kind=OwnershipEvent.Kind.SIGN,
                customer__is_deleted=False,
            )
            .annotate(claimed_at=_claimed_before_signing())
            .order_by()
            .values_list("to_user_id", "customer__source_id", "at", "claimed_at")
        )
        return [Signing._make(row) for row in events]

    @cached_property
    def source_labels(self) -> dict[int, str]:
        return dict(DictItem.objects.filter(kind=DictItem.Kind.SOURCE).values_list("pk", "label"))


# --- Sections ------------------------------------------------------------------------------------
# Each takes the report's MonthData, or reads what it needs itself when asked alone.
@dataclass
class SourceRow:
    source: str
    leads: int = 0
    leads_signed: int = 0  # of this month's new leads, signed by now
    signed: int = 0  # signings in the month
    revenue: Decimal = ZERO

    @property
    def conversion(self) -> float | None:
        return self.leads_signed / self.leads if self.leads else None


def source_analysis(scope: Scope, month: Month, data: MonthData | None = None) -> list[SourceRow]:
    """Per customer source: new leads, signings, conversion and revenue."""
    if data is None:
        data = MonthData(scope, month, SOURCE_PARTS)
    rows: dict[int | None, SourceRow] = {}
    labels = data.source_labels

    def row(source_id: int | None) -> SourceRow:
        return rows.setdefault(source_id, SourceRow(labels.get(source_id, "—")))

    for figure in data.part("leads"):
        item = row(figure.sub_key)
        item.leads += figure.n1
        item.leads_signed += figure.n2
    for signing in data.signings:
        row(signing.source_id).signed += 1
    for figure in data.part("revenue_by_source"):
        row(figure.key).revenue = figure.amount or ZERO
    return sorted(rows.values(), key=lambda r: (-r.leads, -r.signed, r.source))


@dataclass
class ConsultantRow:
    consultant: User
    taken_on: int = 0
    taken_on_signed: int = 0  # of the leads taken on this month, signed by now
    follow_ups: int = 0
    links: int = 0
    signed: int = 0
    revenue: Decimal = ZERO
    new_leads: int = 0
    days_to_sign: list[float] = field(default_factory=list)
    target: Target | None = None

    @property
    def conversion(self) -> float | None:
        return self.taken_on_signed / self.taken_on if self.taken_on else None

    @property
    def average_days_to_sign(self) -> float | None:
        return sum(self.days_to_sign) / len(self.days_to_sign) if self.days_to_sign else None

    def progress(self, name: str) -> float | None:
        """Share of this month's target reached for `new_leads`, `signings` or `revenue`."""
        goal = getattr(self.target, name, None) if self.target else None
        actual = {"new_leads": self.new_leads, "signings": self.signed, "revenue": self.revenue}[name]
        return float(actual) / float(goal) if goal else None


def conversion_analysis(
    scope: Scope, month: Month, consultants: list[User], data: MonthData | None = None
) -> list[ConsultantRow]:
    """Per consultant: leads taken on, follow-ups, enrollment links, signings, conversion, average
    days from claim to signing, revenue and this month's targets (asked alone: three queries, any
    team size)."""
    if data is None:
        data = MonthData(scope, month, CONSULTANT_PARTS)
    rows = {user.pk: ConsultantRow(user) for user in consultants}

    def of(part: str) -> Iterator[tuple[ConsultantRow, Figure]]:
        for figure in data.part(part):
            if figure.key in rows:
                yield rows[figure.key], figure

    for row, figure in of("taken_on"):
        row.taken_on, row.taken_on_signed = figure.n1, figure.n2
    for row, figure in of("follow_ups"):
        row.follow_ups = figure.n1
    for row, figure in of("links"):
        row.links = figure.n1
    for row, figure in of("leads" if "leads" in data.parts else "new_leads"):
        row.new_leads += figure.n1
    for row, figure in of("revenue_by_consultant"):
        row.revenue = figure.amount or ZERO
    for signing in data.signings:
        row = rows.get(signing.consultant_id)
        if row is None:
            continue
        row.signed += 1
        if signing.claimed_at is not None:
            row.days_to_sign.append((signing.at - signing.claimed_at).total_seconds() / 86400)
    for target in Target.objects.filter(month=month.first_day, consultant_id__in=scope.consultant_ids):
        if target.consultant_id in rows:
            rows[target.consultant_id].target = target
    return sorted(rows.values(), key=lambda r: (-r.signed, -float(r.revenue), r.consultant.username))


@dataclass
class ClassRow:
    class_list: ClassList
    approved: int
    waitlist: int
    revenue: Decimal

    @property
    def fill(self) -> float:
        return self.approved / self.class_list.capacity if self.class_list.capacity else 0.0


def class_enrollment(scope: Scope, month: Month, data: MonthData | None = None) -> list[ClassRow]:
    """Per class (active, or with money this month): approved enrollments against capacity,
    the waitlist (enrolled while full and not approved yet) and this month's revenue. The classes
    and their counts are one grouped query (a subquery per class would read the month's payments
    once for every class)."""
    if data is None:
        data = MonthData(scope, month, CLASS_PARTS)
    revenue = {figure.key: figure.amount or ZERO for figure in data.part("revenue_by_class")}
    classes = ClassList.objects.filter(Q(is_active=True) | Q(pk__in=list(revenue)))
    if scope.campus is not None:
        classes = classes.filter(campus=scope.campus)
    classes = (
        classes.select_related("course", "campus")
        .annotate(
            approved=Count("enrollments", filter=Q(enrollments__status=Enrollment.Status.APPROVED)),
            waiting=Count(
                "enrollments",
                filter=Q(enrollments__waitlisted=True, enrollments__is_deleted=False)
                & ~Q(enrollments__status=Enrollment.Status.APPROVED),
            ),
        )
        .order_by("-start_date", "course__name", "semester")
    )
    return [ClassRow(item, item.approved, item.waiting, revenue.get(item.pk, ZERO)) for item in classes]


@dataclass
class SalesSummary:
    month: Decimal
    previous_month: Decimal
    year_ago: Decimal
    trend: list[tuple[Month, Decimal]]

    @staticmethod
    def _change(now: Decimal, before: Decimal) -> float | None:
        return float((now - before) / before) if before else None

    @property
    def month_on_month(self) -> float | None:
        return self._change(self.month, self.previous_month)

    @property
    def year_on_year(self) -> float | None:
        return self._change(self.month, self.year_ago)


def sales_amount(scope: Scope, month: Month, data: MonthData | None = None) -> SalesSummary:
    """Net confirmed revenue of the month, the month before, the same month a year ago and the
    12 months to this one, added up into months from the sums per day paid."""
    if data is None:
        data = MonthData(scope, month, SALES_PARTS)
    totals: dict[Month, Decimal] = defaultdict(lambda: ZERO)
    for figure in data.part("revenue_by_day"):
        totals[Month(figure.day.year, figure.day.month)] += figure.amount or ZERO
    first = month.shift(-12)
    return SalesSummary(
        month=totals[month],
        previous_month=totals[month.shift(-1)],
        year_ago=totals[first],
        trend=[(item, totals[item]) for item in month.recent(12)],
    )


@dataclass
class FunnelStep:
    label: str
    count: int
    drop: float | None  # share lost since the step before


FUNNEL_STEPS = ("leads", "followed_up", "link_sent", "submitted", "approved", "paid")


def funnel(scope: Scope, month: Month, data: MonthData | None = None) -> dict[str, int]:
    """The month's new leads and how many of them reached each step since. With a campus, the
    enrollment steps count only enrollments into that campus's classes."""
    if data is None:
        data = MonthData(scope, month, FUNNEL_PARTS)
    leads = data.part("leads")
    # One row of totals; none when the scope has no consultant to count for.
    (reached,) = data.part("funnel") or [Figure("funnel", None, None, None, 0, 0, 0, 0, None)]
    return {
        "leads": sum(figure.n1 for figure in leads),
        "followed_up": sum(figure.n3 for figure in leads),
        "link_sent": reached.n1,
        "submitted": reached.n2,
        "approved": reached.n3,
        "paid": reached.n4,
    }


def funnel_steps(counts: dict[str, int], labels: dict[str, str]) -> list[FunnelStep]:
    steps, previous = [], None
    for key in FUNNEL_STEPS:
        count = counts[key]
        drop = (previous - count) / previous if previous else None
        steps.append(FunnelStep(labels[key], count, drop))
        previous = count
    return steps


def signings_count(scope: Scope, month: Month) -> int:
    return OwnershipEvent.objects.filter(
        scope.signings(), _in(month, "at"), kind=OwnershipEvent.Kind.SIGN, customer__is_deleted=False
    ).count()


def targets_for(month: Month, consultants: list[User]) -> dict[int, Target]:
    return {
        target.consultant_id: target
        for target in Target.objects.filter(
            month=month.first_day, consultant__in=[user.pk for user in consultants]
        )
    }


def by_consultant_totals(rows: list[ConsultantRow]) -> dict[str, object]:
    totals: dict[str, object] = defaultdict(int)
    for row in rows:
        for name in ("taken_on", "follow_ups", "links", "signed", "new_leads"):
            totals[name] += getattr(row, name)
        totals["revenue"] = totals.get("revenue", ZERO) + row.revenue
    return dict(totals)
