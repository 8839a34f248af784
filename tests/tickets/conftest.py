"""Fixtures of the service-ticket tests, on top of the one world.

`desk` adds: the five ticket categories and the default deadline rows (made here, not read from
the seeding migration, because the concurrency tests' flush empties every table), the world's
student as a Student (their own customer), and `make_ticket`, which writes a ticket straight in
any status for the workflow tests (the services are what those tests exercise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from crm.models import Customer, DictItem
from enrollment.models import Student
from tests.crm.conftest import english, shared_db  # noqa: F401  (fixtures used by these tests)
from tickets.models import DEFAULT_DEADLINE_HOURS, Ticket, TicketDeadline

CATEGORY_CODES = ("consultation", "complaint", "suggestion", "course_feedback", "after_sales")


@dataclass
class Desk:
    categories: dict[str, DictItem]
    student: Student
    world: object

    @property
    def complaint(self) -> DictItem:
        return self.categories["complaint"]

    @property
    def consultation(self) -> DictItem:
        return self.categories["consultation"]

    @property
    def sales_queue(self):
        return self.world.departments["sales"]

    def make_ticket(self, status: str = Ticket.Status.CREATED, **fields) -> Ticket:
        """A ticket of the world's student (requester: the student's account), created now by
        the sales consultant, assigned to them, in `status`; `fields` override any of that."""
        now = timezone.now()
        values = {
            "category": self.consultation,
            "title": "课程咨询",
            "customer": self.student.customer,
            "student": self.student,
            "requester": self.student.user,
            "created_by": self.world.sales,
            "assignee": self.world.sales,
            "status": status,
            "created_at": now,
            "response_due_at": now + timedelta(hours=8),
            "resolve_due_at": now + timedelta(hours=72),
        }
        if status in (Ticket.Status.RESOLVED, Ticket.Status.FEEDBACK, Ticket.Status.ARCHIVED):
            values.update(first_response_at=now, resolved_at=now, resolution_note="已解决")
        if status in (Ticket.Status.FEEDBACK, Ticket.Status.ARCHIVED):
            values.update(rating=4, feedback_comment="不错")
        values.update(fields)
        return Ticket.objects.create(**values)


@pytest.fixture
def desk(world) -> Desk:
    for order, code in enumerate(CATEGORY_CODES, start=1):
        DictItem.objects.get_or_create(
            kind=DictItem.Kind.TICKET_CATEGORY, code=code, defaults={"label": code, "order": order}
        )
    for priority, (response, resolve) in DEFAULT_DEADLINE_HOURS.items():
        TicketDeadline.objects.get_or_create(
            category=None, priority=priority, defaults={"response_hours": response, "resolve_hours": resolve}
        )
    categories = {item.code: item for item in DictItem.objects.filter(kind=DictItem.Kind.TICKET_CATEGORY)}
    customer = Customer.objects.create(
        name="吴同学",
        name_pinyin="wutongxue",
        name_initials="wtx",
        phone="+8613900000009",
        status=Customer.Status.SIGNED,
        consulted_on=date(2026, 8, 1),
        source=world.source,
        consultant=world.sales,
    )
    student = Student.objects.create(user=world.student, customer=customer)
    return Desk(categories=categories, student=student, world=world)
