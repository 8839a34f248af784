"""The ticket report against a hand-built month of tickets: every figure (counts, average response
and resolution hours, ratings; in total, by category and by handler) asserted exactly, the
month's edges in the school's time zone, the user's scope, and the query count."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from tickets.models import Ticket
from tickets.selectors import TicketFigures, ticket_report

Status = Ticket.Status
NOVEMBER = {"date_from": date(2026, 11, 1), "date_to": date(2026, 11, 30)}


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


@pytest.fixture
def month(desk):
    """Five tickets of November (created by the admin, so only the assignee brings a ticket into
    a consultant's scope) and one on each side of the month."""
    world = desk.world

    def ticket(category, created, assignee, response=None, resolution=None, rating=None):
        return desk.make_ticket(
            Status.ASSIGNED,
            category=category,
            created_by=world.admin,
            requester=None,
            assignee=assignee,
            created_at=created,
            first_response_at=created + hours(response) if response is not None else None,
            resolved_at=created + hours(resolution) if resolution is not None else None,
            rating=rating,
        )

    consultation, complaint = desk.consultation, desk.complaint
    ticket(consultation, local(2026, 11, 2, 9), world.sales, response=1, resolution=4, rating=5)
    ticket(consultation, local(2026, 11, 3, 9), world.sales, response=3, resolution=24, rating=3)
    ticket(complaint, local(2026, 11, 10, 0, 0), world.sales2, response=1)
    ticket(complaint, local(2026, 11, 30, 23, 59, 59), None)
    ticket(complaint, local(2026, 11, 15, 8), world.sales2, response=2, resolution=24, rating=4)
    # Outside the month, by a second either way.
    ticket(consultation, local(2026, 10, 31, 23, 59, 59), world.sales, response=100, resolution=100, rating=1)
    ticket(complaint, local(2026, 12, 1, 0, 0), world.sales, response=100, resolution=100, rating=1)
    return desk


def test_every_figure_of_the_month(month, django_assert_num_queries):
    world = month.world
    with django_assert_num_queries(4):  # the scope, the total, by category, by handler
        report = ticket_report(**NOVEMBER, scope_user=world.admin)

    assert report.total == TicketFigures(
        tickets=5,
        responded=4,
        avg_response_hours=1.75,  # (1 + 3 + 1 + 2) / 4
        resolved=3,
        avg_resolution_hours=17.33,  # (4 + 24 + 24) / 3
        rated=3,
        avg_rating=4.0,  # (5 + 3 + 4) / 3
    )
    assert [(row.key, row.label, row.figures) for row in report.by_category] == [
        (
            month.consultation.pk,
            month.consultation.label,
            TicketFigures(2, 2, 2.0, 2, 14.0, 2, 4.0),
        ),
        (
            month.complaint.pk,
            month.complaint.label,
            TicketFigures(3, 2, 1.5, 1, 24.0, 1, 4.0),
        ),
    ]
    assert [(row.key, row.label, row.figures) for row in report.by_handler] == [
        (world.sales.pk, "Sales1 Tester", TicketFigures(2, 2, 2.0, 2, 14.0, 2, 4.0)),
        (world.sales2.pk, "Sales2 Tester", TicketFigures(2, 2, 1.5, 1, 24.0, 1, 4.0)),
        (None, "", TicketFigures(1, 0, None, 0, None, 0, None)),
    ]


def test_the_report_counts_only_the_users_scope(month):
    report = ticket_report(**NOVEMBER, scope_user=month.world.sales2)
    assert report.total == TicketFigures(2, 2, 1.5, 1, 24.0, 1, 4.0)
    assert [row.key for row in report.by_category] == [month.complaint.pk]
    assert [row.key for row in report.by_handler] == [month.world.sales2.pk]


def test_fractions_of_an_hour_are_averaged_to_the_second(month):
    world = month.world
    created = local(2026, 11, 20, 10)
    Ticket.objects.all().delete()
    month.make_ticket(
        Status.RESOLVED,
        created_at=created,
        assignee=world.teacher,
        first_response_at=created + timedelta(minutes=20, seconds=15),
        resolved_at=created + timedelta(hours=1, minutes=30),
        rating=2,
    )
    month.make_ticket(
        Status.RESOLVED,
        created_at=created,
        assignee=world.teacher,
        first_response_at=created + timedelta(minutes=40, seconds=45),
        resolved_at=created + timedelta(hours=2, minutes=15),
        rating=5,
    )
    total = ticket_report(**NOVEMBER, scope_user=world.admin).total
    # response: (20:15 + 40:45) / 2 = 30:30 = 0.5083 h; resolution: (1:30 + 2:15) / 2 = 1:52:30
    assert total == TicketFigures(2, 2, 0.51, 2, 1.88, 2, 3.5)


def test_an_empty_period_has_no_averages(month):
    report = ticket_report(
        date_from=date(2025, 1, 1), date_to=date(2025, 1, 31), scope_user=month.world.admin
    )
    assert report.total == TicketFigures(0, 0, None, 0, None, 0, None)
    assert report.by_category == report.by_handler == []
