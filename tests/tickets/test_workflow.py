"""The ticket workflow: every action from every status (the allowed ones move the ticket and write
one event and one history row; the others are refused with the table's message and write
nothing), the object rules of each action, and what each step sets, clears and tells whom."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Notification
from tickets import services
from tickets.models import Ticket, TicketEvent
from tickets.services import TRANSITIONS, TicketRefused

Status = Ticket.Status
Event = TicketEvent.Kind

pytestmark = pytest.mark.usefixtures("english")


def history_count(ticket) -> int:
    return Ticket.history.filter(id=ticket.pk).count()


def snapshot(ticket) -> dict:
    """Everything a refused action must leave as it was."""
    return {
        "row": Ticket.objects.filter(pk=ticket.pk).values().get(),
        "events": TicketEvent.objects.filter(ticket_id=ticket.pk).count(),
        "history": history_count(ticket),
        "notifications": Notification.objects.count(),
    }


# action -> (how the ticket is prepared, how the action is done, the status it ends in). Each
# actor satisfies the action's object rule, so only the status decides.
def _assign(desk, ticket):
    services.ticket_assign(ticket=ticket, to_user=desk.world.sales2, by=desk.world.manager)


def _take(desk, ticket):
    services.ticket_take(ticket=ticket, by=desk.world.sales2)


def _start(desk, ticket):
    services.ticket_start(ticket=ticket, by=desk.world.sales)


def _resolve(desk, ticket):
    services.ticket_resolve(ticket=ticket, note="已回电说明", by=desk.world.sales)


def _feedback(desk, ticket):
    services.ticket_feedback(ticket=ticket, rating=5, comment="很满意", by=desk.world.student)


def _archive(desk, ticket):
    services.ticket_archive(ticket=ticket, by=desk.world.sales)


def _reopen(desk, ticket):
    services.ticket_reopen(ticket=ticket, reason="问题又出现了", by=desk.world.student)


def _comment(desk, ticket):
    services.ticket_comment(ticket=ticket, note="已记录", by=desk.world.sales)


ACTIONS = {
    "assign": ({}, _assign, lambda seen: Status.ASSIGNED),
    "take": ({"assignee": None, "queue": "sales"}, _take, lambda seen: Status.ASSIGNED),
    "start": ({}, _start, lambda seen: Status.IN_PROGRESS),
    "resolve": ({}, _resolve, lambda seen: Status.RESOLVED),
    "feedback": ({}, _feedback, lambda seen: Status.FEEDBACK),
    "archive": ({}, _archive, lambda seen: Status.ARCHIVED),
    "reopen": ({}, _reopen, lambda seen: Status.ASSIGNED),
    "comment": ({}, _comment, lambda seen: seen),
}
EVENTS = {
    "assign": Event.ASSIGNED,
    "take": Event.ASSIGNED,
    "start": Event.STARTED,
    "resolve": Event.RESOLVED,
    "feedback": Event.FEEDBACK,
    "archive": Event.ARCHIVED,
    "reopen": Event.REOPENED,
    "comment": Event.COMMENTED,
}


def test_the_table_covers_every_action_the_tests_drive():
    assert set(ACTIONS) <= set(TRANSITIONS)
    assert TRANSITIONS["assign"].from_statuses == (Status.CREATED, Status.ASSIGNED, Status.IN_PROGRESS)
    assert TRANSITIONS["feedback"].from_statuses == (Status.RESOLVED,)
    assert TRANSITIONS["reopen"].from_statuses == (Status.FEEDBACK,)
    assert Status.ARCHIVED not in TRANSITIONS["comment"].from_statuses


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_from_every_status(desk, action, status):
    prepare, act, expected = ACTIONS[action]
    fields = dict(prepare)
    if fields.get("queue") == "sales":
        fields["queue"] = desk.sales_queue
    ticket = desk.make_ticket(status, **fields)
    before = snapshot(ticket)

    if status in TRANSITIONS[action].from_statuses:
        act(desk, ticket)
        current = Ticket.objects.get(pk=ticket.pk)
        assert current.status == expected(status)
        assert ticket.status == current.status  # the caller's copy follows
        [event] = TicketEvent.objects.filter(ticket_id=ticket.pk)
        assert (event.kind, event.from_status, event.to_status) == (EVENTS[action], status, expected(status))
        # A comment that is no first response changes no tracked field: no history row.
        written = 0 if action == "comment" and before["row"]["first_response_at"] else 1
        assert history_count(ticket) == before["history"] + written
    else:
        with pytest.raises(TicketRefused) as refused:
            act(desk, ticket)
        assert str(refused.value) == str(TRANSITIONS[action].refusal)
        assert snapshot(ticket) == before


# --- Object rules -------------------------------------------------------------------------------
@pytest.mark.parametrize("act", [_start, _resolve], ids=["start", "resolve"])
def test_only_the_assignee_starts_and_resolves(desk, act):
    ticket = desk.make_ticket(Status.ASSIGNED, assignee=desk.world.sales2)
    before = snapshot(ticket)
    with pytest.raises(TicketRefused, match=re.escape("Only the ticket's assignee can do this.")):
        act(desk, ticket)  # acts as world.sales
    assert snapshot(ticket) == before


@pytest.mark.parametrize("who", ["sales", "manager", "admin", "outsider"])
def test_only_the_requester_gives_feedback_when_there_is_one(desk, who):
    ticket = desk.make_ticket(Status.RESOLVED)
    before = snapshot(ticket)
    with pytest.raises(TicketRefused, match=re.escape("Only the person who asked can rate this ticket.")):
        services.ticket_feedback(ticket=ticket, rating=3, comment="", by=desk.world.users[who])
    assert snapshot(ticket) == before


@pytest.mark.parametrize(("who", "allowed"), [("sales", True), ("manager", True), ("sales2", False)])
def test_feedback_of_a_customer_without_account_is_recorded_by_the_creator_or_a_manager(desk, who, allowed):
    ticket = desk.make_ticket(
        Status.RESOLVED,
        customer=desk.world.sales_lead,
        student=None,
        requester=None,
        assignee=desk.world.teacher,
    )
    by = desk.world.users[who]
    if allowed:
        services.ticket_feedback(ticket=ticket, rating=2, comment="电话回访：一般", by=by)
        assert Ticket.objects.get(pk=ticket.pk).rating == 2
    else:
        with pytest.raises(TicketRefused, match=re.escape("creator or a manager")):
            services.ticket_feedback(ticket=ticket, rating=2, comment="", by=by)
        assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


@pytest.mark.parametrize("rating", [0, 6, None, "5", True])
def test_a_rating_outside_1_to_5_is_refused(desk, rating):
    ticket = desk.make_ticket(Status.RESOLVED)
    with pytest.raises(TicketRefused, match=re.escape("Rate from 1 to 5.")):
        services.ticket_feedback(ticket=ticket, rating=rating, comment="", by=desk.world.student)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


@pytest.mark.parametrize("who", ["teacher", "outsider"])
def test_only_a_member_of_the_queue_takes_a_ticket(desk, who):
    ticket = desk.make_ticket(Status.ASSIGNED, assignee=None, queue=desk.sales_queue)
    before = snapshot(ticket)
    with pytest.raises(TicketRefused, match=re.escape("Only a member of the ticket's queue can take it.")):
        services.ticket_take(ticket=ticket, by=desk.world.users[who])
    assert snapshot(ticket) == before


def test_a_taken_ticket_cannot_be_taken_again(desk):
    ticket = desk.make_ticket(Status.ASSIGNED, assignee=None, queue=desk.sales_queue)
    services.ticket_take(ticket=ticket, by=desk.world.sales)
    stale = Ticket.objects.get(pk=ticket.pk)
    with pytest.raises(TicketRefused, match=re.escape(f"Already taken by {desk.world.sales}.")):
        services.ticket_take(ticket=stale, by=desk.world.sales2)


def test_a_caller_acting_on_a_stale_copy_is_told_the_ticket_changed(desk):
    ticket = desk.make_ticket(Status.ASSIGNED)
    stale = Ticket.objects.get(pk=ticket.pk)
    services.ticket_start(ticket=ticket, by=desk.world.sales)
    before = snapshot(ticket)
    with pytest.raises(
        TicketRefused, match=re.escape("This ticket changed meanwhile: it is now “In progress”")
    ):
        services.ticket_assign(ticket=stale, to_user=desk.world.sales2, by=desk.world.manager)
    assert snapshot(ticket) == before


def test_the_requester_cannot_archive(desk):
    ticket = desk.make_ticket(Status.FEEDBACK)
    with pytest.raises(TicketRefused, match=re.escape("Only staff working on the ticket can archive it.")):
        services.ticket_archive(ticket=ticket, by=desk.world.student)


@pytest.mark.parametrize("who", ["outsider", "sales2", "teacher"])
def test_people_outside_the_ticket_cannot_comment_or_reopen(desk, who):
    ticket = desk.make_ticket(Status.FEEDBACK)
    before = snapshot(ticket)
    with pytest.raises(TicketRefused, match=re.escape("Only the people on this ticket can comment on it.")):
        services.ticket_comment(ticket=ticket, note="路过", by=desk.world.users[who])
    with pytest.raises(
        TicketRefused, match=re.escape("Only the person who asked or staff on the ticket can reopen it.")
    ):
        services.ticket_reopen(ticket=ticket, reason="路过", by=desk.world.users[who])
    assert snapshot(ticket) == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "Choose a person or a queue to assign the ticket to."),
        ({"to_user": "sales", "to_queue": "teaching"}, "is not a member of"),
        ({"to_user": "sales"}, "is already assigned this ticket."),
    ],
)
def test_assignments_the_rules_refuse(desk, kwargs, message):
    ticket = desk.make_ticket(Status.ASSIGNED)
    world = desk.world
    resolved = {
        "to_user": world.users.get(kwargs.get("to_user", ""), None),
        "to_queue": world.departments.get(kwargs.get("to_queue", ""), None),
    }
    with pytest.raises(TicketRefused, match=message):
        services.ticket_assign(ticket=ticket, by=world.manager, **resolved)


def test_an_inactive_person_cannot_be_assigned(desk):
    ticket = desk.make_ticket(Status.CREATED, assignee=None)
    desk.world.sales2.is_active = False
    with pytest.raises(TicketRefused, match=re.escape("the account is inactive")):
        services.ticket_assign(ticket=ticket, to_user=desk.world.sales2, by=desk.world.manager)


# --- What each step does -----------------------------------------------------------------------
def test_assigning_to_a_queue_notifies_its_members_and_a_member_takes_it(desk):
    world = desk.world
    ticket = desk.make_ticket(Status.CREATED, assignee=None)
    services.ticket_assign(ticket=ticket, to_queue=desk.sales_queue, by=world.admin)
    assert (ticket.status, ticket.assignee_id, ticket.queue_id) == (
        Status.ASSIGNED,
        None,
        desk.sales_queue.pk,
    )
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"manager", "sales1", "sales2"}  # the sales department's active members

    services.ticket_take(ticket=ticket, by=world.sales2)
    assert (ticket.assignee_id, ticket.queue_id, ticket.status) == (
        world.sales2.pk,
        desk.sales_queue.pk,
        Status.ASSIGNED,
    )


def test_assigning_to_a_person_notifies_them_and_clears_the_queue(desk):
    world = desk.world
    ticket = desk.make_ticket(Status.IN_PROGRESS, queue=desk.sales_queue)
    services.ticket_assign(ticket=ticket, to_user=world.teacher, by=world.manager)
    assert (ticket.status, ticket.assignee_id, ticket.queue_id) == (Status.ASSIGNED, world.teacher.pk, None)
    [notification] = Notification.objects.all()
    assert notification.recipient_id == world.teacher.pk
    assert f"#{ticket.pk}" in notification.text


def test_resolving_needs_a_note_sets_the_times_and_asks_the_requester_for_feedback(desk):
    world = desk.world
    ticket = desk.make_ticket(Status.ASSIGNED)
    with pytest.raises(TicketRefused, match=re.escape("Say how the ticket was resolved.")):
        services.ticket_resolve(ticket=ticket, note="  ", by=world.sales)
    with time_machine.travel(timezone.now(), tick=False):
        services.ticket_resolve(ticket=ticket, note="已退费", by=world.sales)
        now = timezone.now()
    assert (ticket.status, ticket.resolution_note) == (Status.RESOLVED, "已退费")
    assert ticket.resolved_at == ticket.first_response_at == now  # no response before: this is it
    [notification] = Notification.objects.all()
    assert notification.recipient_id == world.student.pk


def test_starting_keeps_an_earlier_first_response(desk):
    ticket = desk.make_ticket(Status.ASSIGNED)
    services.ticket_comment(ticket=ticket, note="收到，稍后处理", by=desk.world.sales)
    first = ticket.first_response_at
    assert first is not None
    services.ticket_start(ticket=ticket, by=desk.world.sales)
    services.ticket_resolve(ticket=ticket, note="好了", by=desk.world.sales)
    assert Ticket.objects.get(pk=ticket.pk).first_response_at == first


def test_a_comment_by_someone_else_than_the_handler_is_no_response(desk):
    ticket = desk.make_ticket(Status.ASSIGNED)
    services.ticket_comment(ticket=ticket, note="还没人联系我", by=desk.world.student)
    services.ticket_comment(ticket=ticket, note="主管已知悉", by=desk.world.manager)
    assert Ticket.objects.get(pk=ticket.pk).first_response_at is None


def test_reopening_goes_back_to_the_assignee_clears_the_outcome_and_tells_them(desk):
    ticket = desk.make_ticket(Status.FEEDBACK)
    with pytest.raises(TicketRefused, match=re.escape("Say why the ticket is reopened.")):
        services.ticket_reopen(ticket=ticket, reason="", by=desk.world.student)
    services.ticket_reopen(ticket=ticket, reason="还是打不开", by=desk.world.student)
    current = Ticket.objects.get(pk=ticket.pk)
    assert (current.status, current.assignee_id) == (Status.ASSIGNED, desk.world.sales.pk)
    assert (current.resolved_at, current.rating, current.feedback_comment) == (None, None, "")
    [notification] = Notification.objects.all()
    assert notification.recipient_id == desk.world.sales.pk and "还是打不开" in notification.text


def test_reopening_a_ticket_without_assignee_goes_back_to_created(desk):
    ticket = desk.make_ticket(Status.FEEDBACK, assignee=None)
    services.ticket_reopen(ticket=ticket, reason="再看看", by=desk.world.sales)  # its creator
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CREATED


def test_feedback_is_stored_and_the_assignee_told(desk):
    ticket = desk.make_ticket(Status.RESOLVED)
    services.ticket_feedback(ticket=ticket, rating=4, comment=" 及时 ", by=desk.world.student)
    current = Ticket.objects.get(pk=ticket.pk)
    assert (current.status, current.rating, current.feedback_comment) == (Status.FEEDBACK, 4, "及时")
    [notification] = Notification.objects.all()
    assert notification.recipient_id == desk.world.sales.pk


def test_archiving_sets_the_time(desk):
    ticket = desk.make_ticket(Status.FEEDBACK)
    services.ticket_archive(ticket=ticket, by=desk.world.manager)
    assert ticket.status == Status.ARCHIVED and ticket.archived_at is not None


# --- Creating ------------------------------------------------------------------------------------
def test_a_student_opens_a_ticket_from_the_portal(desk):
    ticket = services.ticket_create_by_student(
        student=desk.student, values={"category": desk.complaint, "title": "教室空调坏了", "priority": "high"}
    )
    assert (ticket.requester_id, ticket.created_by_id) == (desk.world.student.pk, desk.world.student.pk)
    assert (ticket.student_id, ticket.customer_id) == (desk.student.pk, desk.student.customer_id)
    assert ticket.status == Status.CREATED
    [event] = TicketEvent.objects.filter(ticket=ticket)
    assert (event.kind, event.to_status, event.by_id) == (
        Event.CREATED,
        Status.CREATED,
        desk.world.student.pk,
    )
    [row] = Ticket.history.filter(id=ticket.pk)
    assert (row.history_type, row.history_user_id) == ("+", desk.world.student.pk)


def test_staff_open_a_ticket_for_a_customer_or_a_student(desk):
    world = desk.world
    for_customer = services.ticket_create(
        values={"category": desk.consultation, "title": "咨询课程", "customer": world.pool_lead},
        by=world.sales,
    )
    assert (for_customer.customer_id, for_customer.student_id, for_customer.requester_id) == (
        world.pool_lead.pk,
        None,
        None,
    )
    for_student = services.ticket_create(
        values={"category": desk.consultation, "title": "请假", "student": desk.student}, by=world.teacher
    )
    assert (for_student.customer_id, for_student.requester_id) == (desk.student.customer_id, world.student.pk)
    # A customer who is a student is asked for feedback through their account too.
    via_customer = services.ticket_create(
        values={"category": desk.consultation, "title": "发票", "customer": desk.student.customer},
        by=world.sales,
    )
    assert (via_customer.student_id, via_customer.requester_id) == (desk.student.pk, world.student.pk)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"title": "x"}, "Choose the customer or the student the ticket is for."),
        ({"title": "x", "customer": "deleted"}, "This customer was deleted."),
        ({"title": " ", "customer": "pool"}, "A ticket needs a title."),
        ({"title": "x", "customer": "pool", "category": "source"}, "Choose an active ticket category."),
        ({"title": "x", "customer": "pool", "priority": "asap"}, "Choose a priority."),
    ],
)
def test_tickets_the_rules_refuse_to_create(desk, values, message):
    world = desk.world
    values = {"category": desk.consultation, **values}
    values["customer"] = {"deleted": world.deleted_lead, "pool": world.pool_lead}.get(values.get("customer"))
    if values["category"] == "source":
        values["category"] = world.source
    with pytest.raises(TicketRefused, match=message):
        services.ticket_create(values=values, by=world.sales)
    assert not Ticket.objects.exists()


def test_the_database_refuses_a_ticket_for_nobody_and_a_rating_out_of_range(desk):
    with pytest.raises(IntegrityError), transaction.atomic():
        desk.make_ticket(customer=None, student=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        desk.make_ticket(Status.FEEDBACK, rating=6)


# --- History --------------------------------------------------------------------------------------
def test_each_step_writes_one_history_row_with_who_and_the_values_after_it(desk):
    world = desk.world
    ticket = services.ticket_create(
        values={"category": desk.complaint, "title": "退费", "student": desk.student}, by=world.sales
    )
    steps = [
        (
            world.manager,
            lambda: services.ticket_assign(ticket=ticket, to_user=world.sales2, by=world.manager),
        ),
        (world.sales2, lambda: services.ticket_start(ticket=ticket, by=world.sales2)),
        (world.sales2, lambda: services.ticket_resolve(ticket=ticket, note="已办理", by=world.sales2)),
        (world.student, lambda: services.ticket_feedback(ticket=ticket, rating=5, by=world.student)),
        (world.sales2, lambda: services.ticket_archive(ticket=ticket, by=world.sales2)),
    ]
    for user, step in steps:
        before = history_count(ticket)
        step()
        rows = list(Ticket.history.filter(id=ticket.pk).order_by("history_date", "history_id"))
        assert len(rows) == before + 1
        last = rows[-1]
        assert (last.history_type, last.history_user_id, last.status) == ("~", user.pk, ticket.status)
    assert last.rating == 5 and last.archived_at == ticket.archived_at
