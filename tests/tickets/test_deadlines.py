"""Deadlines with the clock frozen: which deadline row a new ticket gets, when it counts as
overdue (the list annotation and the job agree), the overdue notification going out once per
ticket, the archive job for tickets left without feedback, and the periodic task wiring."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Notification
from tickets import services
from tickets.models import DEFAULT_DEADLINE_HOURS, Ticket, TicketDeadline, TicketEvent
from tickets.selectors import tickets_visible_to
from tickets.tasks import schedule_ticket_maintenance, ticket_maintenance

Status = Ticket.Status
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def clock():
    """Frozen time from now on; `clock.shift(timedelta)` moves it."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def create(desk, category, priority):
    return services.ticket_create(
        values={"category": category, "priority": priority, "title": "问题", "student": desk.student},
        by=desk.world.sales,
    )


# --- Which deadline ------------------------------------------------------------------------------
def test_a_category_row_wins_over_the_default_row_of_its_priority(desk, clock):
    TicketDeadline.objects.create(
        category=desk.complaint, priority="high", response_hours=2, resolve_hours=12
    )
    now = timezone.now()

    complaint = create(desk, desk.complaint, "high")
    assert (complaint.response_due_at, complaint.resolve_due_at) == (now + 2 * HOUR, now + 12 * HOUR)
    # Another category, and another priority of the same category: the default rows (4h/24h, 8h/72h).
    consultation = create(desk, desk.consultation, "high")
    assert (consultation.response_due_at, consultation.resolve_due_at) == (now + 4 * HOUR, now + 24 * HOUR)
    normal_complaint = create(desk, desk.complaint, "normal")
    assert (normal_complaint.response_due_at, normal_complaint.resolve_due_at) == (
        now + 8 * HOUR,
        now + 72 * HOUR,
    )


def test_an_edited_default_row_applies_to_new_tickets_only(desk, clock):
    earlier = create(desk, desk.consultation, "urgent")
    TicketDeadline.objects.filter(category=None, priority="urgent").update(response_hours=3, resolve_hours=9)
    later = create(desk, desk.consultation, "urgent")
    now = timezone.now()
    assert (earlier.response_due_at, earlier.resolve_due_at) == (now + HOUR, now + 8 * HOUR)
    assert (later.response_due_at, later.resolve_due_at) == (now + 3 * HOUR, now + 9 * HOUR)


def test_without_any_row_the_built_in_default_applies(desk, clock):
    TicketDeadline.objects.all().delete()
    ticket = create(desk, desk.consultation, "low")
    assert DEFAULT_DEADLINE_HOURS["low"] == (24, 168)
    assert ticket.resolve_due_at - ticket.created_at == 168 * HOUR
    assert ticket.response_due_at - ticket.created_at == 24 * HOUR


# --- Overdue -------------------------------------------------------------------------------------
def overdue_ids(user) -> set[int]:
    return {ticket.pk for ticket in tickets_visible_to(user) if ticket.is_overdue}


def test_overdue_means_an_open_ticket_past_a_deadline_it_has_not_met(desk, clock):
    world = desk.world
    no_response = create(desk, desk.consultation, "urgent")  # respond within 1h, resolve within 8h
    answered = create(desk, desk.consultation, "urgent")
    services.ticket_assign(ticket=answered, to_user=world.sales, by=world.manager)
    services.ticket_start(ticket=answered, by=world.sales)
    resolved = create(desk, desk.consultation, "urgent")
    services.ticket_assign(ticket=resolved, to_user=world.sales, by=world.manager)
    services.ticket_resolve(ticket=resolved, note="好了", by=world.sales)

    clock.shift(HOUR)
    assert overdue_ids(world.admin) == set()  # the deadline itself is still in time
    clock.shift(MINUTE)
    assert overdue_ids(world.admin) == {no_response.pk}
    clock.shift(7 * HOUR)
    assert overdue_ids(world.admin) == {no_response.pk, answered.pk}


def test_assignees_are_told_once_per_overdue_ticket_in_one_notification_each(desk, clock):
    world = desk.world
    tickets = {}
    for name, assignee in [("a", world.sales), ("b", world.sales), ("c", world.sales2), ("nobody", None)]:
        ticket = create(desk, desk.consultation, "urgent")
        if assignee:
            services.ticket_assign(ticket=ticket, to_user=assignee, by=world.manager)
        tickets[name] = ticket
    in_time = create(desk, desk.consultation, "low")
    services.ticket_assign(ticket=in_time, to_user=world.sales, by=world.manager)
    Notification.objects.all().delete()

    clock.shift(HOUR)
    assert services.tickets_notify_overdue() == 0
    clock.shift(MINUTE)
    assert services.tickets_notify_overdue() == 3

    texts = {n.recipient_id: n.text for n in Notification.objects.all()}
    assert set(texts) == {world.sales.pk, world.sales2.pk}
    assert f"#{tickets['a'].pk}" in texts[world.sales.pk] and f"#{tickets['b'].pk}" in texts[world.sales.pk]
    assert f"#{in_time.pk}" not in texts[world.sales.pk]
    assert f"#{tickets['c'].pk}" in texts[world.sales2.pk]
    notified = set(Ticket.objects.filter(overdue_notified_at=timezone.now()).values_list("pk", flat=True))
    assert notified == {tickets["a"].pk, tickets["b"].pk, tickets["c"].pk}

    clock.shift(8 * HOUR)  # past the resolution deadlines too (the low-priority one has 24h)
    assert services.tickets_notify_overdue() == 0  # once per ticket, however late it gets
    assert Notification.objects.count() == 2
    # The unassigned one is reported to whoever gets it.
    services.ticket_assign(ticket=tickets["nobody"], to_user=world.teacher, by=world.manager)
    assert services.tickets_notify_overdue() == 1
    assert Notification.objects.filter(recipient=world.teacher).count() == 2  # assigned + overdue


# --- Archive job ---------------------------------------------------------------------------------
def test_resolved_tickets_without_feedback_are_archived_after_the_set_days(desk, clock, settings):
    settings.TICKET_FEEDBACK_DAYS = 7
    world = desk.world
    waiting = desk.make_ticket(Status.ASSIGNED)
    services.ticket_resolve(ticket=waiting, note="好了", by=world.sales)
    rated = desk.make_ticket(Status.ASSIGNED)
    services.ticket_resolve(ticket=rated, note="好了", by=world.sales)
    services.ticket_feedback(ticket=rated, rating=5, by=world.student)

    clock.shift(7 * DAY)
    assert services.tickets_archive_stale() == 0
    clock.shift(MINUTE)
    assert services.tickets_archive_stale() == 1
    assert services.tickets_archive_stale() == 0  # idempotent

    current = Ticket.objects.get(pk=waiting.pk)
    assert (current.status, current.archived_at, current.rating) == (Status.ARCHIVED, timezone.now(), None)
    event = TicketEvent.objects.filter(ticket=waiting).last()
    assert (event.kind, event.from_status, event.to_status, event.by_id) == (
        "archived",
        "resolved",
        "archived",
        None,
    )
    last = Ticket.history.filter(id=waiting.pk).order_by("history_date", "history_id").last()
    assert (last.status, last.history_user_id, last.history_date) == (Status.ARCHIVED, None, timezone.now())
    assert Ticket.objects.get(pk=rated.pk).status == Status.FEEDBACK


def test_the_command_runs_both_jobs_and_the_task_does_the_same(desk, clock):
    ticket = desk.make_ticket(Status.ASSIGNED, response_due_at=timezone.now() - MINUTE)
    out = StringIO()
    call_command("ticket_sweep", stdout=out)
    assert "Overdue tickets reported: 1" in out.getvalue()
    Ticket.objects.filter(pk=ticket.pk).update(overdue_notified_at=None)
    # The inline backend of the tests runs the task at once; it has nothing to schedule.
    result = ticket_maintenance.enqueue()
    assert result.return_value == {"overdue": 1, "archived": 0}
    assert schedule_ticket_maintenance() is False
