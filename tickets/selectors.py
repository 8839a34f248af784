"""Reads of the service desk, each starting from the tickets a user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Value,
    When,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Department, User
from common.filters import start_of_day
from crm.models import Customer
from crm.selectors import classes_taught_by, customers_visible_to, visible_customer_filter
from enrollment.models import Student
from rbac.models import Role
from rbac.selectors import data_scope_for
from tickets.models import Ticket, TicketEvent

OPEN_STATUSES = (Ticket.Status.CREATED, Ticket.Status.ASSIGNED, Ticket.Status.IN_PROGRESS)


def overdue_condition(now: datetime) -> Q:
    """Open tickets past a deadline not met: no first response by the response deadline, or not
    resolved by the resolution deadline."""
    return Q(status__in=OPEN_STATUSES) & (
        Q(first_response_at__isnull=True, response_due_at__lt=now) | Q(resolve_due_at__lt=now)
    )


def _visible_filter(user) -> Q | None:
    """The tickets a user's scope reaches (None: all of them)."""
    scope = data_scope_for(user)
    if scope == Role.DataScope.ALL:
        return None
    # The customer's consultant too: a ticket a student opened from the portal reaches nobody
    # else until it is assigned, and someone must dispatch it.
    mine = Q(created_by=user) | Q(assignee=user) | Q(requester=user) | Q(customer__consultant=user)
    if user.department_id:
        mine |= Q(queue_id=user.department_id)
        if scope == Role.DataScope.DEPARTMENT:
            department = user.department_id
            mine |= (
                Q(assignee__department_id=department)
                | Q(created_by__department_id=department)
                | Q(customer__consultant__department_id=department)
            )
    return mine


def tickets_visible_to(user, *, now: datetime | None = None) -> QuerySet[Ticket]:
    """Every ticket `user` may see: all of them with the data scope "all"; otherwise those the
    user created, is assigned or asked (a student's own), those of the user's own customers,
    those waiting in or taken from the queue of the user's department, and, with the scope "own
    department", those a member of it created, is assigned or owns the customer of. Lists,
    detail, export and the report all start here, so a ticket outside it is a 404 everywhere.

    One query: category, assignee, queue, customer and student with the student's account are
    joined (select_related), and `is_overdue` is annotated (see `ticket_is_overdue`)."""
    tickets = Ticket.objects.select_related("category", "assignee", "queue", "customer", "student__user")
    scope = _visible_filter(user)
    if scope is not None:
        tickets = tickets.filter(scope)
    return tickets.annotate(is_overdue=ticket_is_overdue(now))


def ticket_is_overdue(now: datetime | None = None) -> Case:
    """An annotation: whether the ticket is open past a deadline it has not met (see
    `overdue_condition`), computed by the database with the list's query."""
    return Case(
        When(overdue_condition(now or timezone.now()), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def ticket_timeline(ticket: Ticket) -> QuerySet[TicketEvent]:
    """The ticket's events, oldest first, with who acted joined: one query."""
    return TicketEvent.objects.filter(ticket_id=ticket.pk).select_related("by").order_by("at", "id")


# --- The report -------------------------------------------------------------------------------
class SecondsBetween(Func):
    """`end - start` in seconds, as a float, computed by the database. Django's own datetime
    subtraction calls a Python function per row on SQLite; SQLite's julianday() is native (its
    double keeps about 50 microseconds at today's dates, far below what the report shows), and
    PostgreSQL extracts the epoch of the interval."""

    output_field = FloatField()
    arity = 2

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))::float",
            arg_joiner=" - ",
            **extra_context,
        )


@dataclass(frozen=True)
class TicketFigures:
    """The report's figures for a group of tickets. Averages are None when nothing counts."""

    tickets: int
    responded: int
    avg_response_hours: float | None
    resolved: int
    avg_resolution_hours: float | None
    rated: int
    avg_rating: float | None


@dataclass(frozen=True)
class TicketReportRow:
    key: int | None  # the category's or the handler's id (None: tickets nobody was assigned)
    label: str
    figures: TicketFigures


@dataclass(frozen=True)
class TicketReport:
    total: TicketFigures
    by_category: list[TicketReportRow]
    by_handler: list[TicketReportRow]


_FIGURES = {
    "tickets": Count("pk"),
    "responded": Count("first_response_at"),
    "response_seconds": Avg(SecondsBetween(F("first_response_at"), F("created_at"))),
    "resolved": Count("resolved_at"),
    "resolution_seconds": Avg(SecondsBetween(F("resolved_at"), F("created_at"))),
    "rated": Count("rating"),
    "rating": Avg("rating", output_field=FloatField()),
}


def _hours(seconds) -> float | None:
    return None if seconds is None else round(float(seconds) / 3600, 2)


def _figures(row: dict) -> TicketFigures:
    return TicketFigures(
        tickets=row["tickets"],
        responded=row["responded"],
        avg_response_hours=_hours(row["response_seconds"]),
        resolved=row["resolved"],
        avg_resolution_hours=_hours(row["resolution_seconds"]),
        rated=row["rated"],
        avg_rating=None if row["rating"] is None else round(float(row["rating"]), 2),
    )


def ticket_report(*, date_from: date, date_to: date, scope_user) -> TicketReport:
    """Tickets created from `date_from` to `date_to` (both included, in the school's time zone)
    among those `scope_user` may see: how many, how many answered and resolved and the average
    hours from creation to the first response and to the resolution, how many rated and the
    average rating (1-5); in total, by category and by handler (the assignee). Every figure is
    computed by the database: three queries."""
    tickets = Ticket.objects.filter(
        created_at__gte=start_of_day(date_from), created_at__lt=start_of_day(date_to + timedelta(days=1))
    )
    scope = _visible_filter(scope_user)
    if scope is not None:
        tickets = tickets.filter(scope)
    tickets = tickets.order_by()
    total = _figures(tickets.aggregate(**_FIGURES))
    by_category = [
        TicketReportRow(row["category"], row["category__label"], _figures(row))
        for row in tickets.values("category", "category__label", "category__order")
        .annotate(**_FIGURES)
        .order_by("category__order", "category")
    ]
    by_handler = [
        TicketReportRow(
            row["assignee"],
            User.label_of(*(row[f"assignee__{name}"] or "" for name in User.NAME_FIELDS))
            if row["assignee"]
            else "",
            _figures(row),
        )
        for row in tickets.values("assignee", *(f"assignee__{name}" for name in User.NAME_FIELDS))
        .annotate(**_FIGURES)
        .order_by(F("assignee__username").asc(nulls_last=True))
    ]
    return TicketReport(total=total, by_category=by_category, by_handler=by_handler)


# --- Pages ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Deadline:
    """One deadline of a ticket as its page shows it: met (when), overdue, or still running."""

    due: datetime
    met_at: datetime | None
    is_open: bool
    now: datetime

    @property
    def met_late(self) -> bool:
        return self.met_at is not None and self.met_at > self.due

    @property
    def overdue(self) -> bool:
        return self.met_at is None and self.is_open and self.now > self.due

    @property
    def remaining(self) -> timedelta | None:
        """Time left while it runs (None once met, missed or no longer relevant)."""
        if self.met_at is not None or not self.is_open or self.now > self.due:
            return None
        return self.due - self.now


def ticket_deadlines(ticket: Ticket, now: datetime | None = None) -> tuple[Deadline, Deadline]:
    """The response and the resolution deadline of `ticket`, each met, overdue or running."""
    now = now or timezone.now()
    is_open = ticket.status in OPEN_STATUSES
    return (
        Deadline(ticket.response_due_at, ticket.first_response_at, is_open, now),
        Deadline(ticket.resolve_due_at, ticket.resolved_at, is_open, now),
    )


def ticket_for_requester(user, pk: int) -> Ticket:
    """One of the tickets `user` asked (a student's own): any other is a 404."""
    return get_object_or_404(tickets_visible_to(user).filter(requester=user), pk=pk)


def customer_for_ticket(user, pk) -> Customer:
    """The customer a new ticket is for, among those the user may see (else 404)."""
    return get_object_or_404(customers_visible_to(user).only("pk", "name", "is_deleted"), pk=pk)


def students_reachable_by(user) -> QuerySet[Student]:
    """The students a staff member may open a ticket for: those whose customer record the user
    sees, and those of the classes the user teaches or advises."""
    scope = data_scope_for(user)
    if scope == Role.DataScope.ALL:
        return Student.objects.all()
    return Student.objects.filter(
        Q(pk__in=Student.objects.filter(visible_customer_filter(user, "customer__")).values("pk"))
        | Q(pk__in=Student.objects.filter(classes__in=classes_taught_by(user)).values("pk"))
    )


def student_for_ticket(user, pk) -> Student:
    return get_object_or_404(students_reachable_by(user).select_related("user", "customer"), pk=pk)


def ticket_for_detail(user, pk: int) -> Ticket:
    """One ticket of the user's scope, with who opened and who asked joined (else 404)."""
    return get_object_or_404(tickets_visible_to(user).select_related("created_by", "requester"), pk=pk)


def handlers_for(user) -> QuerySet[User]:
    """The staff a user may name as a ticket's handler (the list's filter, the assign form): the
    whole staff with the data scope "all", else the user's own department (and the user)."""
    staff = User.objects.filter(is_active=True, department__isnull=False)
    if data_scope_for(user) != Role.DataScope.ALL:
        staff = staff.filter(Q(department_id=user.department_id) | Q(pk=user.pk))
    return staff.select_related("department").order_by("department__name", "username")


def queues_for(user) -> QuerySet[Department]:
    """The queues the list filters by: every department with the data scope "all", else the
    user's own (the only queue the user's scope reaches)."""
    departments = Department.objects.order_by("name")
    if data_scope_for(user) != Role.DataScope.ALL:
        departments = departments.filter(pk=user.department_id)
    return departments
