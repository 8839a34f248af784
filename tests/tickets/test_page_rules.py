"""What the pages rely on in the services: the moves a page offers (`ticket_actions_for`) are
exactly those the services accept, notifications link to the ticket's page for each recipient,
the deadline grid's service, and the demo data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department, Notification, User
from crm.models import Customer
from enrollment.models import Student
from rbac.defaults import TEACHER
from tickets import services
from tickets.demo import seed_tickets
from tickets.models import Ticket, TicketDeadline, TicketEvent
from tickets.services import TRANSITIONS, TicketRefused, ticket_actions_for

Status = Ticket.Status
pytestmark = pytest.mark.usefixtures("english")

ACTORS = ("sales", "sales2", "manager", "student", "finance", "teacher")


def _do(action: str, ticket: Ticket, by: User, world) -> None:
    calls = {
        "assign": lambda: services.ticket_assign(ticket=ticket, to_user=world.sales2, by=by),
        "take": lambda: services.ticket_take(ticket=ticket, by=by),
        "start": lambda: services.ticket_start(ticket=ticket, by=by),
        "resolve": lambda: services.ticket_resolve(ticket=ticket, note="好了", by=by),
        "feedback": lambda: services.ticket_feedback(ticket=ticket, rating=4, by=by),
        "archive": lambda: services.ticket_archive(ticket=ticket, by=by),
        "reopen": lambda: services.ticket_reopen(ticket=ticket, reason="又坏了", by=by),
        "comment": lambda: services.ticket_comment(ticket=ticket, note="记一笔", by=by),
    }
    calls[action]()


@pytest.mark.parametrize("action", [name for name in TRANSITIONS if name != "archive_stale"])
def test_the_moves_a_page_offers_are_exactly_those_the_services_accept(desk, action):
    world = desk.world
    shapes = {
        "assigned to sales": {},
        "in the sales queue": {"assignee": None, "queue": desk.sales_queue},
        "for a customer without an account": {"requester": None, "student": None},
    }
    checked = 0
    for status in Status.values:
        for shape in shapes.values():
            for actor in ACTORS:
                if action == "assign" and actor == "student":
                    continue  # the services let any dispatcher assign; a student holds no such right
                ticket = desk.make_ticket(status, **shape)
                offered = action in ticket_actions_for(ticket, world.users[actor])
                try:
                    _do(action, ticket, world.users[actor], world)
                except TicketRefused:
                    accepted = False
                else:
                    accepted = True
                assert offered == accepted, (action, status, shape, actor)
                checked += 1
    assert checked >= 90


def test_notifications_link_each_recipient_to_their_page(desk):
    world = desk.world
    ticket = desk.make_ticket(Status.CREATED, assignee=None)
    staff_page = reverse("tickets:ticket-detail", args=[ticket.pk])
    services.ticket_assign(ticket=ticket, to_user=world.sales2, by=world.manager)
    services.ticket_resolve(ticket=ticket, note="好了", by=world.sales2)
    services.ticket_feedback(ticket=ticket, rating=3, by=world.student)
    services.ticket_reopen(ticket=ticket, reason="没好", by=world.student)
    links = list(Notification.objects.order_by("pk").values_list("recipient__username", "link"))
    assert links == [
        ("sales2", staff_page),  # assigned
        ("student", reverse("tickets:my-ticket-detail", args=[ticket.pk])),  # please rate
        ("sales2", staff_page),  # rated
        ("sales2", staff_page),  # reopened
    ]


def test_the_overdue_notice_links_to_the_ticket_or_to_the_overdue_list(desk):
    world = desk.world
    past = timezone.now() - timedelta(hours=1)
    one = desk.make_ticket(Status.ASSIGNED, assignee=world.sales2, resolve_due_at=past)
    desk.make_ticket(Status.ASSIGNED, resolve_due_at=past)
    desk.make_ticket(Status.ASSIGNED, resolve_due_at=past)
    assert services.tickets_notify_overdue() == 3
    links = dict(Notification.objects.values_list("recipient__username", "link"))
    assert links == {
        "sales2": reverse("tickets:ticket-detail", args=[one.pk]),
        "sales1": reverse("tickets:ticket-list") + "?mine=assigned&overdue=true",
    }


def test_the_deadline_grid_service_keeps_the_default_rows(desk):
    services.ticket_deadlines_save(hours={(desk.complaint.pk, "high"): (2, 12), (None, "low"): (30, 200)})
    assert TicketDeadline.objects.get(category=desk.complaint, priority="high").response_hours == 2
    assert services.deadline_hours(category=desk.complaint, priority="high") == (2, 12)
    assert services.deadline_hours(category=desk.complaint, priority="low") == (30, 200)
    services.ticket_deadlines_save(hours={(desk.complaint.pk, "high"): None})
    assert services.deadline_hours(category=desk.complaint, priority="high") == (4, 24)
    for wrong in ({(None, "low"): None}, {(None, "low"): (0, 5)}, {(None, "soon"): (1, 2)}):
        with pytest.raises(TicketRefused):
            services.ticket_deadlines_save(hours=wrong)
    assert TicketDeadline.objects.get(category=None, priority="low").response_hours == 30


def test_the_demo_tickets_cover_every_status_and_are_seeded_once(desk):
    world = desk.world
    # The demo's accounts: sales1, manager and finance are the world's; teacher1 and student1 join.
    teacher1 = User.objects.create_user(username="teacher1", department=world.departments["teaching"])
    teacher1.roles.add(world.roles[TEACHER])
    student1 = User.objects.create_user(username="student1")
    customer = Customer.objects.create(
        name="演示学员", phone="+8613900000077", source=world.source, consulted_on=timezone.localdate()
    )
    Student.objects.create(user=student1, customer=customer)
    for number in range(10):
        Customer.objects.create(
            name=f"演示客户{number}",
            phone=f"+86139000001{number:02d}",
            source=world.source,
            consulted_on=timezone.localdate(),
            consultant=world.sales,
        )
    seed_tickets()
    counts = (Ticket.objects.count(), TicketEvent.objects.count(), Notification.objects.count())
    assert counts[0] == 12
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    assert Ticket.objects.filter(requester=student1).count() == 4
    assert Ticket.objects.filter(queue=Department.objects.get(code="sales"), assignee=None).exists()
    assert Ticket.objects.filter(rating__isnull=False).count() >= 3
    from tickets.selectors import tickets_visible_to

    assert tickets_visible_to(world.admin).filter(is_overdue=True).count() >= 3
    handlers = set(Ticket.objects.exclude(assignee=None).values_list("assignee__username", flat=True))
    assert {"sales1", "manager", "teacher1", "finance"} <= handlers
    seed_tickets()
    assert (Ticket.objects.count(), TicketEvent.objects.count(), Notification.objects.count()) == counts
