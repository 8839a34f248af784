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

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When

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
# The signed amount of a confirmed payment: refunds subtract, class transfers are left out.
NET_AMOUNT = Case(
    When(kind=Payment.Kind.REFUND, then=-F("amount")),
    When(kind=Payment.Kind.TRANSFER, then=Value(ZERO)),
    default=F("amount"),
    output_field=DecimalField(max_digits=14, decimal_places=2),
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


def teams_for(consultants: QuerySet[User]) -> QuerySet[Department]:
    return Department.objects.filter(pk__in=consultants.values("department_id")).order_by("name")


# --- Sections ------------------------------------------------------------------------------------
def confirmed_payments(scope: Scope) -> QuerySet[Payment]:
    return Payment.objects.filter(scope.enrollments("enrollment__"), status=Payment.Status.CONFIRMED)


def _revenue_by(scope: Scope, month: Month, key: str) -> dict:
    """The month's net confirmed revenue per `key` (a path from the payment, e.g. the
    enrollment's consultant): one grouped query."""
    return dict(
        confirmed_payments(scope)
        .filter(_in(month, "paid_at", dates=True))
        .values_list(key)
        .annotate(total=Sum(NET_AMOUNT))
        .values_list(key, "total")
    )


def _in(month: Month, field_name: str, *, dates: bool = False) -> Q:
    if dates:
        return Q(**{f"{field_name}__gte": month.first_day, f"{field_name}__lt": month.next_first_day})
    return Q(**{f"{field_name}__gte": month.start, f"{field_name}__lt": month.end})


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


def source_analysis(scope: Scope, month: Month) -> list[SourceRow]:
    """Per customer source: new leads, signings, conversion and revenue (three grouped queries)."""
    leads = (
        Customer.objects.live()
        .filter(scope.leads(), _in(month, "created_at"))
        .values("source_id")
        .annotate(count=Count("pk"), signed=Count("pk", filter=Q(status=Customer.Status.SIGNED)))
    )
    signed = (
        OwnershipEvent.objects.filter(
            scope.signings(), _in(month, "at"), kind=OwnershipEvent.Kind.SIGN, customer__is_deleted=False
        )
        .values("customer__source_id")
        .annotate(count=Count("pk"))
    )
    revenue = _revenue_by(scope, month, "enrollment__customer__source_id")
    rows: dict[int, SourceRow] = {}
    labels = dict(DictItem.objects.filter(kind=DictItem.Kind.SOURCE).values_list("pk", "label"))

    def row(source_id: int) -> SourceRow:
        return rows.setdefault(source_id, SourceRow(labels.get(source_id, "—")))

    for item in leads:
        row(item["source_id"]).leads = item["count"]
        row(item["source_id"]).leads_signed = item["signed"]
    for item in signed:
        row(item["customer__source_id"]).signed = item["count"]
    for source_id, total in revenue.items():
        row(source_id).revenue = total or ZERO
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


def _count_by(queryset, key: str) -> dict[int, int]:
    return dict(queryset.values_list(key).annotate(count=Count("pk")).values_list(key, "count"))


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


def conversion_analysis(scope: Scope, month: Month, consultants: list[User]) -> list[ConsultantRow]:
    """Per consultant: leads taken on, follow-ups, enrollment links, signings, conversion, average
    days from claim to signing, revenue and this month's targets (seven queries, any team size)."""
    ids = scope.consultant_ids
    rows = {user.pk: ConsultantRow(user) for user in consultants}
    taken = {
        user_id: (count, signed)
        for user_id, count, signed in OwnershipEvent.objects.filter(
            _in(month, "at"), kind__in=TAKEN_ON, to_user_id__in=ids, customer__is_deleted=False
        )
        .values_list("to_user_id")
        .annotate(
            count=Count("customer", distinct=True),
            signed=Count("customer", distinct=True, filter=Q(customer__status=Customer.Status.SIGNED)),
        )
        .values_list("to_user_id", "count", "signed")
    }
    follow_ups = dict(
        FollowUpDay.objects.filter(_in(month, "day", dates=True), consultant_id__in=ids)
        .values_list("consultant_id")
        .annotate(total=Sum("count"))
        .values_list("consultant_id", "total")
    )
    links = _count_by(
        Enrollment.objects.filter(scope.enrollments(), _in(month, "created_at")), "consultant_id"
    )
    new_leads = _count_by(
        Customer.objects.live().filter(_in(month, "created_at"), consultant_id__in=ids), "consultant_id"
    )
    revenue = _revenue_by(scope, month, "enrollment__consultant_id")
    signings = (
        OwnershipEvent.objects.filter(
            _in(month, "at"), kind=OwnershipEvent.Kind.SIGN, to_user_id__in=ids, customer__is_deleted=False
        )
        .annotate(claimed_at=_claimed_before_signing())
        .values_list("to_user_id", "at", "claimed_at")
    )
    for user_id, row in rows.items():
        row.taken_on, row.taken_on_signed = taken.get(user_id, (0, 0))
        row.follow_ups = follow_ups.get(user_id, 0)
        row.links = links.get(user_id, 0)
        row.new_leads = new_leads.get(user_id, 0)
        row.revenue = revenue.get(user_id) or ZERO
    for user_id, signed_at, claimed_at in signings:
        row = rows.get(user_id)
        if row is None:
            continue
        row.signed += 1
        if claimed_at is not None:
            row.days_to_sign.append((signed_at - claimed_at).total_seconds() / 86400)
    for target in Target.objects.filter(month=month.first_day, consultant_id__in=ids):
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


def class_enrollment(scope: Scope, month: Month) -> list[ClassRow]:
    """Per class (active, or with money this month): approved enrollments against capacity,
    the waitlist (enrolled while full and not approved yet) and this month's revenue. Three
    grouped queries: a subquery per class read the month's payments once for every class."""
    revenue = _revenue_by(scope, month, "enrollment__class_list_id")
    classes = ClassList.objects.filter(Q(is_active=True) | Q(pk__in=list(revenue))).select_related(
        "course", "campus"
    )
    if scope.campus is not None:
        classes = classes.filter(campus=scope.campus)
    classes = list(classes.order_by("-start_date", "course__name", "semester"))
    counts = {
        class_id: (approved, waiting)
        for class_id, approved, waiting in Enrollment.objects.filter(class_list__in=[c.pk for c in classes])
        .values_list("class_list_id")
        .annotate(
            approved=Count("pk", filter=Q(status=Enrollment.Status.APPROVED)),
            waiting=Count("pk", filter=Q(waitlisted=True) & ~Q(status=Enrollment.Status.APPROVED)),
        )
        .values_list("class_list_id", "approved", "waiting")
    }
    return [ClassRow(item, *counts.get(item.pk, (0, 0)), revenue.get(item.pk) or ZERO) for item in classes]


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


def sales_amount(scope: Scope, month: Month) -> SalesSummary:
    """Net confirmed revenue of the month, the month before, the same month a year ago and the
    12 months to this one: one query summing per day paid (at most 396 rows, read in the order
    of the payments' date index), added up into months here."""
    months = month.recent(12)
    first = month.shift(-12)
    by_day = (
        confirmed_payments(scope)
        .filter(paid_at__gte=first.first_day, paid_at__lt=month.next_first_day)
        .order_by()
        .values_list("paid_at")
        .annotate(total=Sum(NET_AMOUNT))
    )
    totals: dict[Month, Decimal] = defaultdict(lambda: ZERO)
    for day, total in by_day:
        totals[Month(day.year, day.month)] += total or ZERO
    return SalesSummary(
        month=totals[month],
        previous_month=totals[month.shift(-1)],
        year_ago=totals[first],
        trend=[(item, totals[item]) for item in months],
    )


@dataclass
class FunnelStep:
    label: str
    count: int
    drop: float | None  # share lost since the step before


FUNNEL_STEPS = ("leads", "followed_up", "link_sent", "submitted", "approved", "paid")


def funnel(scope: Scope, month: Month) -> dict[str, int]:
    """The month's new leads and how many of them reached each step since (two queries). With a
    campus, the enrollment steps count only enrollments into that campus's classes.

    The enrollment steps are counted from the enrollments of the month's leads rather than with
    a subquery per lead: at a million customers that is one index range of the leads and a join,
    where a subquery per lead and step made SQLite probe the enrollments four times a lead."""
    leads = (
        Customer.objects.live()
        .filter(scope.leads(), _in(month, "created_at"))
        .aggregate(
            leads=Count("pk"),
            # The follow-up service stamps the customer, so "followed up" needs no join.
            followed_up=Count("pk", filter=Q(last_follow_up_at__isnull=False)),
        )
    )
    enrollments = Enrollment.objects.filter(
        customer__is_deleted=False,
        customer__created_at__gte=month.start,
        customer__created_at__lt=month.end,
    )
    if not scope.whole_school:
        enrollments = enrollments.filter(customer__consultant_id__in=scope.consultant_ids)
    if scope.campus is not None:
        enrollments = enrollments.filter(class_list__campus=scope.campus)
    steps = enrollments.aggregate(
        link_sent=Count("customer", distinct=True),
        submitted=Count("customer", distinct=True, filter=Q(submitted_at__isnull=False)),
        approved=Count("customer", distinct=True, filter=Q(status=Enrollment.Status.APPROVED)),
        paid=Count(
            "customer",
            distinct=True,
            filter=Q(payments__status=Payment.Status.CONFIRMED, payments__kind__in=PAID_KINDS),
        ),
    )
    return {**leads, **steps}


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
