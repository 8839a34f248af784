"""Who sees which tickets, the timeline, the query counts of both (one query each, whatever the
number of rows), and the seeding of the default categories and deadlines."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from crm.models import DictItem
from tickets import services
from tickets.models import Ticket, TicketDeadline
from tickets.selectors import ticket_timeline, tickets_visible_to

Status = Ticket.Status

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def tickets(desk):
    """One ticket per way of being on it."""
    world = desk.world
    return {
        # The student's own (created by sales1, assigned to sales1).
        "student": desk.make_ticket(Status.ASSIGNED),
        # A customer's ticket sales2 created, assigned to the teacher.
        "teacher": desk.make_ticket(
            Status.IN_PROGRESS,
            customer=world.sales2_lead,
            student=None,
            requester=None,
            created_by=world.sales2,
            assignee=world.teacher,
        ),
        # Waiting in the teaching department's queue, created by finance.
        "queue": desk.make_ticket(
            Status.ASSIGNED,
            customer=world.pool_lead,
            student=None,
            requester=None,
            created_by=world.finance,
            assignee=None,
            queue=world.departments["teaching"],
        ),
        # Opened by the student from the portal, not assigned yet: their consultant (sales1)
        # and that consultant's manager see it, to dispatch it.
        "asked": desk.make_ticket(Status.CREATED, created_by=world.student, assignee=None),
        # Created by the admin, assigned to sales2 (of the sales department).
        "sales2": desk.make_ticket(
            Status.CREATED,
            customer=world.pool_lead,
            student=None,
            requester=None,
            created_by=world.admin,
            assignee=world.sales2,
        ),
    }


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("admin", {"student", "teacher", "queue", "asked", "sales2"}),  # data scope: all
        ("finance", {"student", "teacher", "queue", "asked", "sales2"}),  # data scope: all
        ("superuser", {"student", "teacher", "queue", "asked", "sales2"}),
        # Own department: tickets its members created, are assigned or own the customer of.
        ("manager", {"student", "teacher", "asked", "sales2"}),
        ("sales", {"student", "asked"}),  # created and assigned; their customer's
        ("sales2", {"teacher", "sales2"}),  # created one, assigned the other
        ("teacher", {"teacher", "queue"}),  # assigned one; the other waits in their department's queue
        ("student", {"student", "asked"}),  # their own, as requester
        ("outsider", set()),
    ],
)
def test_each_user_sees_the_tickets_their_scope_reaches(desk, tickets, who, sees):
    visible = set(tickets_visible_to(desk.world.users[who]).values_list("pk", flat=True))
    assert visible == {tickets[name].pk for name in sees}


def test_the_visible_list_is_one_query_whatever_its_length(desk, django_assert_num_queries):
    for number in range(12):
        desk.make_ticket(Status.ASSIGNED, title=f"问题{number}")
    user = desk.world.sales
    listed = tickets_visible_to(user)  # the user's data scope is read here, once per request
    with django_assert_num_queries(1):
        rows = [
            (
                t.category.label,
                str(t.assignee),
                t.queue,
                t.customer.name,
                t.student.user.username,
                t.is_overdue,
            )
            for t in listed
        ]
    assert len(rows) == 12


def test_the_timeline_lists_every_step_in_order_in_one_query(desk, django_assert_num_queries):
    world = desk.world
    ticket = services.ticket_create(
        values={"category": desk.complaint, "title": "退费", "student": desk.student}, by=world.sales
    )
    services.ticket_assign(ticket=ticket, to_queue=desk.sales_queue, by=world.manager)
    services.ticket_take(ticket=ticket, by=world.sales2)
    services.ticket_comment(ticket=ticket, note="收到", by=world.sales2)
    services.ticket_start(ticket=ticket, by=world.sales2)
    services.ticket_resolve(ticket=ticket, note="已办理", by=world.sales2)
    services.ticket_feedback(ticket=ticket, rating=3, comment="慢", by=world.student)
    services.ticket_reopen(ticket=ticket, reason="没到账", by=world.student)
    services.ticket_resolve(ticket=ticket, note="已到账", by=world.sales2)
    services.ticket_feedback(ticket=ticket, rating=5, by=world.student)
    services.ticket_archive(ticket=ticket, by=world.sales2)

    with django_assert_num_queries(1):
        steps = [(e.kind, e.from_status, e.to_status, e.by.username, e.note) for e in ticket_timeline(ticket)]
    assert steps == [
        ("created", "", "created", "sales1", ""),
        ("assigned", "created", "assigned", "manager", "销售部"),
        ("assigned", "assigned", "assigned", "sales2", str(world.sales2)),
        ("commented", "assigned", "assigned", "sales2", "收到"),
        ("started", "assigned", "in_progress", "sales2", ""),
        ("resolved", "in_progress", "resolved", "sales2", "已办理"),
        ("feedback", "resolved", "feedback", "student", "3/5 慢"),
        ("reopened", "feedback", "assigned", "student", "没到账"),
        ("resolved", "assigned", "resolved", "sales2", "已到账"),
        ("feedback", "resolved", "feedback", "student", "5/5"),
        ("archived", "feedback", "archived", "sales2", ""),
    ]


def test_the_seeding_migration_adds_what_is_missing_and_keeps_what_is_there(db):
    seeding = importlib.import_module("tickets.migrations.0002_default_categories_and_deadlines")
    categories = DictItem.objects.filter(kind=DictItem.Kind.TICKET_CATEGORY)
    categories.delete()
    TicketDeadline.objects.all().delete()
    DictItem.objects.create(kind=DictItem.Kind.TICKET_CATEGORY, code="complaint", label="客户投诉", order=9)
    TicketDeadline.objects.create(priority="urgent", response_hours=2, resolve_hours=4)

    seeding.seed(apps, None)
    seeding.seed(apps, None)

    assert dict(categories.values_list("code", "label")) == {
        "consultation": "咨询",
        "complaint": "客户投诉",
        "suggestion": "建议",
        "course_feedback": "课程反馈",
        "after_sales": "售后",
    }
    assert dict(TicketDeadline.objects.filter(category=None).values_list("priority", "response_hours")) == {
        "urgent": 2,
        "high": 4,
        "normal": 8,
        "low": 24,
    }
