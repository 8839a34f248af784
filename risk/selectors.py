"""Reads of the at-risk warnings, computed from the records each time and scoped to the user.

Students: a (student, class) pair is in a user's scope when the user teaches or advises the
class, or when the student's customer is owned within the user's customer data scope (a manager:
the team's customers); a user whose data scope is "all" (administrators) reaches every student.
Students who dropped out, graduated or are
suspended, and inactive classes, give no warnings.

Customers: the owned customers of `crm.selectors.customers_visible_to` (a consultant's own, a
manager's team's).

Each kind is one query whatever the number of rows: the streaks are found by the database with a
window function (a running count of "good" records from the newest lesson backwards; the rows
still at zero are the current streak), which SQLite and PostgreSQL both run. Names and the
tickets already opened are read in three more queries for all rows at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from classroom.models import Attendance, Score, StudyRecord
from crm.models import ClassList, Customer, FollowUp, PoolPolicy
from crm.selectors import classes_taught_by, customers_visible_to, pool_return_rules
from enrollment.models import Enrollment, Payment, Student
from enrollment.selectors import student_scope_filter
from rbac.models import Role
from rbac.selectors import data_scope_for
from risk.models import CustomerRisk, RiskPolicy, RiskTicket, StudentRisk

BAD_ATTENDANCE = (Attendance.ABSENT, Attendance.LATE)
MONEY = DecimalField(max_digits=12, decimal_places=2)


@dataclass
class StudentWarning:
    kind: str
    student_id: int
    class_id: int
    occurrence: int  # see RiskTicket: the streak's first lesson number, or the enrollment id
    since: date
    facts: str
    student_name: str = ""
    customer_id: int | None = None
    class_label: str = ""
    adviser_id: int | None = None
    ticket_id: int | None = None
    urls: dict = field(default_factory=dict)

    @property
    def kind_label(self) -> str:
        return StudentRisk(self.kind).label


@dataclass
class CustomerWarning:
    kind: str
    customer: Customer
    since: datetime | None
    facts: str

    @property
    def kind_label(self) -> str:
        return CustomerRisk(self.kind).label


# --- Students ------------------------------------------------------------------------------------
def _records(user, class_id: int | None, student_id: int | None) -> QuerySet[StudyRecord]:
    """Study records of current students in their current, active classes, within the scope."""
    records = StudyRecord.objects.filter(
        student_scope_filter(user, class_field="lesson__class_list", customer="student__customer__"),
        student__status=Student.Status.STUDYING,
        student__classes=F("lesson__class_list"),
        lesson__class_list__is_active=True,
    )
    if class_id is not None:
        records = records.filter(lesson__class_list=class_id)
    if student_id is not None:
        records = records.filter(student=student_id)
    return records


def _trailing_streaks(records: QuerySet[StudyRecord], good: Q, *fields: str) -> dict[tuple, list[dict]]:
    """The current streak of each (student, class): its records that no `good` record follows,
    oldest first. One query; only the streaks' rows leave the database."""
    goods_after = Window(
        Sum(Case(When(good, then=Value(1)), default=Value(0), output_field=IntegerField())),
        partition_by=[F("student_id"), F("lesson__class_list_id")],
        order_by=F("lesson__number").desc(),
    )
    rows = (
        records.annotate(goods_after=goods_after)
        .filter(goods_after=0)
        .values("student_id", "lesson__class_list_id", "lesson__number", "lesson__date", *fields)
        .order_by("student_id", "lesson__class_list_id", "lesson__number")
    )
    streaks: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        streaks[row["student_id"], row["lesson__class_list_id"]].append(row)
    return streaks


def _absences(records, policy: RiskPolicy) -> list[StudentWarning]:
    rolled = records.exclude(attendance="")
    streaks = _trailing_streaks(rolled, ~Q(attendance__in=BAD_ATTENDANCE), "attendance")
    labels = dict(Attendance.choices)
    return [
        StudentWarning(
            kind=StudentRisk.ABSENCE,
            student_id=student_id,
            class_id=class_id,
            occurrence=rows[0]["lesson__number"],
            since=rows[0]["lesson__date"],
            facts=", ".join(
                _("%(attendance)s on day %(number)s")
                % {"attendance": labels[row["attendance"]], "number": row["lesson__number"]}
                for row in rows
            ),
        )
        for (student_id, class_id), rows in streaks.items()
        if len(rows) >= policy.absence_streak
    ]


def _missed_homework(records, policy: RiskPolicy, now: datetime) -> list[StudentWarning]:
    """Lessons with homework whose deadline passed (without a deadline: whose day is over); a
    record without anything handed in (`homework_submitted_at` empty) breaks no streak."""
    due = records.exclude(lesson__homework_title="").filter(
        Q(lesson__homework_deadline__lt=now)
        | Q(lesson__homework_deadline__isnull=True, lesson__date__lt=timezone.localdate(now))
    )
    streaks = _trailing_streaks(due, Q(homework_submitted_at__isnull=False), "lesson__homework_title")
    return [
        StudentWarning(
            kind=StudentRisk.HOMEWORK,
            student_id=student_id,
            class_id=class_id,
            occurrence=rows[0]["lesson__number"],
            since=rows[0]["lesson__date"],
            facts=_("no homework handed in for day %(numbers)s")
            % {"numbers": ", ".join(str(row["lesson__number"]) for row in rows)},
        )
        for (student_id, class_id), rows in streaks.items()
        if len(rows) >= policy.homework_streak
    ]


def _falling_grades(records, policy: RiskPolicy) -> list[StudentWarning]:
    """A record is a fall when its score is lower than the student's previous graded score in the
    class; the current run of falls of `falling_scores - 1` or more is a warning."""
    graded = records.filter(score__isnull=False).exclude(score=Score.NOT_APPLICABLE)
    previous = Subquery(
        StudyRecord.objects.filter(
            student=OuterRef("student"),
            lesson__class_list=OuterRef("lesson__class_list"),
            lesson__number__lt=OuterRef("lesson__number"),
            score__isnull=False,
        )
        .exclude(score=Score.NOT_APPLICABLE)
        .order_by("-lesson__number")
        .values("score")[:1]
    )
    graded = graded.annotate(previous=previous)
    streaks = _trailing_streaks(
        graded, ~Q(score__lt=F("previous")) | Q(previous__isnull=True), "score", "previous"
    )
    labels = dict(Score.choices)
    warnings = []
    for (student_id, class_id), rows in streaks.items():
        if len(rows) + 1 < policy.falling_scores:
            continue
        scores = [rows[0]["previous"], *(row["score"] for row in rows)]
        warnings.append(
            StudentWarning(
                kind=StudentRisk.GRADES,
                student_id=student_id,
                class_id=class_id,
                occurrence=rows[0]["lesson__number"],
                since=rows[0]["lesson__date"],
                facts=_("scores %(scores)s, falling since day %(number)s")
                % {
                    "scores": " → ".join(str(labels.get(score, score)) for score in scores),
                    "number": rows[0]["lesson__number"],
                },
            )
        )
    return warnings


def _overdue_payments(user, policy: RiskPolicy, today: date, class_id, student_id) -> list[StudentWarning]:
    """Approved enrollments of current students whose confirmed payments, less confirmed refunds,
    stay below the enrollment's price `payment_grace_days` after the class started."""
    confirmed = Q(payments__status=Payment.Status.CONFIRMED)
    refund = Q(payments__kind=Payment.Kind.REFUND)
    zero = Value(Decimal("0"), output_field=MONEY)
    enrollments = Enrollment.objects.live().filter(
        student_scope_filter(user, class_field="class_list", customer="customer__"),
        status=Enrollment.Status.APPROVED,
        class_list__is_active=True,
        class_list__start_date__lte=today - timedelta(days=policy.payment_grace_days),
        customer__student__status=Student.Status.STUDYING,
        customer__student__classes=F("class_list"),
    )
    if class_id is not None:
        enrollments = enrollments.filter(class_list=class_id)
    if student_id is not None:
        enrollments = enrollments.filter(customer__student=student_id)
    rows = (
        enrollments.annotate(
            paid=Coalesce(Sum("payments__amount", filter=confirmed & ~refund), zero)
            - Coalesce(Sum("payments__amount", filter=confirmed & refund), zero),
            pending=Coalesce(
                Sum("payments__amount", filter=Q(payments__status=Payment.Status.PENDING)), zero
            ),
        )
        .filter(paid__lt=F("price"))
        .values("pk", "customer__student", "class_list", "class_list__start_date", "price", "paid", "pending")
    )
    warnings = []
    for row in rows:
        due = row["class_list__start_date"] + timedelta(days=policy.payment_grace_days)
        facts = _("¥%(paid)s of ¥%(price)s paid, due on %(due)s") % {
            "paid": f"{row['paid']:.2f}",
            "price": f"{row['price']:.2f}",
            "due": due.isoformat(),
        }
        if row["pending"]:
            facts += _("; ¥%(pending)s waiting for finance") % {"pending": f"{row['pending']:.2f}"}
        warnings.append(
            StudentWarning(
                kind=StudentRisk.PAYMENT,
                student_id=row["customer__student"],
                class_id=row["class_list"],
                occurrence=row["pk"],
                since=due,
                facts=facts,
            )
        )
    return warnings


def student_warnings(
    user,
    *,
    kind: str | None = None,
    class_id: int | None = None,
    student_id: int | None = None,
    now: datetime | None = None,
) -> list[StudentWarning]:
    """The current student warnings `user` reaches (None: all of them), oldest first, with the
    student's name, the class, its adviser and the ticket a warning opened already. A bounded
    number of queries: one per kind asked for, one for the policy and three for the details."""
    now = now or timezone.now()
    policy = RiskPolicy.current()
    records = _records(user, class_id, student_id)
    warnings: list[StudentWarning] = []
    if kind in (None, StudentRisk.ABSENCE):
        warnings += _absences(records, policy)
    if kind in (None, StudentRisk.HOMEWORK):
        warnings += _missed_homework(records, policy, now)
    if kind in (None, StudentRisk.GRADES):
        warnings += _falling_grades(records, policy)
    if kind in (None, StudentRisk.PAYMENT):
        warnings += _overdue_payments(user, policy, timezone.localdate(now), class_id, student_id)
    if warnings:
        _attach_details(warnings)
    return sorted(warnings, key=lambda w: (w.since, w.student_name, w.kind, w.class_id))


def student_warning(
    user, *, student_id: int, kind: str, class_list: int, occurrence: int
) -> StudentWarning | None:
    """The one current warning a ticket button names, if it still holds (None otherwise)."""
    for warning in student_warnings(user, kind=kind, class_id=class_list, student_id=student_id):
        if warning.occurrence == occurrence:
            return warning
    return None


def _attach_details(warnings: list[StudentWarning]) -> None:
    students = {
        pk: (name, customer_id)
        for pk, name, customer_id in Student.objects.filter(
            pk__in={w.student_id for w in warnings}
        ).values_list("pk", "customer__name", "customer_id")
    }
    classes = {
        c.pk: c
        for c in ClassList.objects.filter(pk__in={w.class_id for w in warnings}).select_related(
            "course", "campus"
        )
    }
    tickets = {
        (t.kind, t.student_id, t.class_list_id, t.occurrence): t.ticket_id
        for t in RiskTicket.objects.filter(student__in={w.student_id for w in warnings})
    }
    for warning in warnings:
        warning.student_name, warning.customer_id = students[warning.student_id]
        class_list = classes[warning.class_id]
        warning.class_label, warning.adviser_id = str(class_list), class_list.adviser_id
        warning.ticket_id = tickets.get(
            (warning.kind, warning.student_id, warning.class_id, warning.occurrence)
        )


def warning_classes_for(user) -> QuerySet[ClassList]:
    """The active classes offered by the class filter: those the user teaches or advises, or
    every class for users whose customer scope reaches beyond their own."""
    classes = ClassList.objects.filter(is_active=True).select_related("course", "campus")
    if data_scope_for(user) == Role.DataScope.OWN:
        classes = classes.filter(pk__in=classes_taught_by(user).values("pk"))
    return classes


# --- Customers -----------------------------------------------------------------------------------
def _returning_to_pool(customers: QuerySet[Customer], now: datetime) -> list[CustomerWarning]:
    """The pool sweep's own rules moved forward by its warning days, as the home page and the
    owners' warnings use them (crm.selectors.pool_return_rules)."""
    policy = PoolPolicy.current()
    rules = pool_return_rules(policy, now, ahead=timedelta(days=policy.warning_days or 0))
    soon = Q()
    flags = {}
    for index, (condition, _reason) in enumerate(rules):
        soon |= condition
        flags[f"rule_{index}"] = ExpressionWrapper(condition, output_field=BooleanField())
    warnings = []
    for customer in customers.filter(soon).annotate(**flags):
        reasons = [
            str(reason) for index, (_c, reason) in enumerate(rules) if getattr(customer, f"rule_{index}")
        ]
        last = customer.last_follow_up_at
        facts = _("%(reasons)s; owned since %(claimed)s, last follow-up %(last)s") % {
            "reasons": "; ".join(reasons),
            "claimed": timezone.localdate(customer.claimed_at).isoformat(),
            "last": timezone.localdate(last).isoformat() if last else _("never"),
        }
        warnings.append(CustomerWarning(CustomerRisk.POOL_RETURN, customer, customer.claimed_at, facts))
    return warnings


def _high_intent_idle(
    customers: QuerySet[Customer], policy: RiskPolicy, now: datetime
) -> list[CustomerWarning]:
    levels = list(policy.high_intent_levels.values_list("pk", flat=True))
    if not levels:
        return []
    latest = FollowUp.objects.filter(customer=OuterRef("pk")).order_by("-at", "-id")
    idle = customers.filter(last_follow_up_at__lt=now - timedelta(days=policy.high_intent_days)).annotate(
        intent_id=Subquery(latest.values("intent")[:1]),
        intent_label=Subquery(latest.values("intent__label")[:1]),
    )
    return [
        CustomerWarning(
            CustomerRisk.HIGH_INTENT,
            customer,
            customer.last_follow_up_at,
            _("intent “%(intent)s” at the last follow-up on %(at)s, none for %(days)s days")
            % {
                "intent": customer.intent_label,
                "at": timezone.localdate(customer.last_follow_up_at).isoformat(),
                "days": (now - customer.last_follow_up_at).days,
            },
        )
        for customer in idle.filter(intent_id__in=levels)
    ]


def customer_warnings(user, *, kind: str | None = None, now: datetime | None = None) -> list[CustomerWarning]:
    """The warnings of the unsigned customers `user` reaches that have an owner, oldest first."""
    now = now or timezone.now()
    customers = (
        customers_visible_to(user)
        .filter(consultant__isnull=False, status=Customer.Status.UNSIGNED)
        .select_related("consultant")
    )
    warnings: list[CustomerWarning] = []
    if kind in (None, CustomerRisk.POOL_RETURN):
        warnings += _returning_to_pool(customers, now)
    if kind in (None, CustomerRisk.HIGH_INTENT):
        warnings += _high_intent_idle(customers, RiskPolicy.current(), now)
    oldest = datetime.min.replace(tzinfo=timezone.get_current_timezone())
    return sorted(warnings, key=lambda w: (w.since or oldest, w.customer.pk, w.kind))
