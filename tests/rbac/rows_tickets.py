"""The role x URL matrix's rows for the tickets app (added to EXPECTED in test_url_matrix.py).

Staff who handle tickets (consultants, managers, teachers, finance, administrators) hold the
list, the detail, the export, opening tickets and every workflow move; managers and
administrators the deadlines and the report; students their own tickets in the portal. The
builders give each user a ticket in their own scope (they opened it and handle it), so a
permitted role gets the page; a move the workflow refuses still answers with the redirect."""

from datetime import timedelta

from django.utils import timezone

from crm.models import DictItem
from tests.rbac.matrix import ADMIN, MANAGER, STUDYING, Case, _student_of_class_a, post
from tickets.models import DEFAULT_DEADLINE_HOURS, Ticket

HANDLERS = frozenset({"sales", "manager", "teacher", "finance", "admin"})
MANAGERS = MANAGER | ADMIN


def _category() -> DictItem:
    return DictItem.objects.filter(kind=DictItem.Kind.TICKET_CATEGORY).order_by("order").first()


def _ticket(world, **fields) -> Ticket:
    now = timezone.now()
    values = {
        "category": _category(),
        "title": "课程咨询",
        "customer": world.pool_lead,
        "created_by": world.sales,
        "assignee": world.sales,
        "status": Ticket.Status.ASSIGNED,
        "response_due_at": now + timedelta(hours=8),
        "resolve_due_at": now + timedelta(hours=72),
    }
    return Ticket.objects.create(**(values | fields))


def handled_ticket(world, user):
    """A ticket the user opened and is assigned (in every handler's scope)."""
    owner = user or world.sales
    return {"pk": _ticket(world, created_by=owner, assignee=owner).pk}


def own_ticket(world, user):
    """A ticket the user (as a student) asked."""
    owner = user or world.student
    student = _student_of_class_a(world, owner)
    ticket = _ticket(world, customer=student.customer, student=student, requester=owner, created_by=owner)
    return {"pk": ticket.pk}


def as_student(world, user):
    """The URL takes nothing; the user is made a student so the form is there to post."""
    _student_of_class_a(world, user or world.student)
    return {}


def new_ticket(world) -> dict:
    return {"category": _category().pk, "priority": "normal", "title": "请回电", "description": ""}


def deadline_grid(world) -> dict:
    return {
        f"default-{priority}-{part}": str(hours)
        for priority, pair in DEFAULT_DEADLINE_HOURS.items()
        for part, hours in zip(("response", "resolve"), pair, strict=True)
    }


def _pool_lead(world) -> dict:
    """The public pool's customer: in every handler's customer scope."""
    return {"customer": world.pool_lead.pk}


ROWS: list[Case] = [
    Case("tickets:ticket-list", HANDLERS),
    Case(
        "tickets:ticket-list",
        HANDLERS,
        query="mine=assigned&overdue=true&status=assigned",
        variant="filtered",
    ),
    Case("tickets:ticket-export", HANDLERS, query="format=csv"),
    Case("tickets:ticket-export", HANDLERS, query="format=xlsx&mine=created", variant="xlsx"),
    Case("tickets:ticket-create", HANDLERS),
    post(
        "tickets:ticket-create",
        HANDLERS,
        data=lambda world: new_ticket(world) | _pool_lead(world),
        variant="post",
    ),
    Case("tickets:ticket-detail", HANDLERS, kwargs=handled_ticket),
    post(
        "tickets:ticket-assign",
        HANDLERS,
        kwargs=handled_ticket,
        data=lambda world: {"queue": world.departments["sales"].pk},
    ),
    post("tickets:ticket-take", HANDLERS, kwargs=handled_ticket),
    post("tickets:ticket-start", HANDLERS, kwargs=handled_ticket),
    post("tickets:ticket-resolve", HANDLERS, kwargs=handled_ticket, data={"note": "已回电"}),
    post("tickets:ticket-feedback", HANDLERS, kwargs=handled_ticket, data={"rating": "5"}),
    post("tickets:ticket-archive", HANDLERS, kwargs=handled_ticket),
    post("tickets:ticket-reopen", HANDLERS, kwargs=handled_ticket, data={"reason": "又坏了"}),
    post("tickets:ticket-comment", HANDLERS, kwargs=handled_ticket, data={"note": "已记录"}),
    Case("tickets:deadlines", MANAGERS),
    post("tickets:deadlines", MANAGERS, data=deadline_grid, variant="save"),
    Case("tickets:report", MANAGERS),
    Case("tickets:report", MANAGERS, query="date_from=2026-01-01&date_to=2026-12-31", variant="period"),
    # Students: their own tickets only.
    Case("tickets:my-ticket-list", STUDYING),
    Case("tickets:my-ticket-create", STUDYING),
    post("tickets:my-ticket-create", STUDYING, kwargs=as_student, data=new_ticket, variant="post"),
    Case("tickets:my-ticket-detail", STUDYING, kwargs=own_ticket),
    post("tickets:my-ticket-feedback", STUDYING, kwargs=own_ticket, data={"rating": "4"}),
    post("tickets:my-ticket-reopen", STUDYING, kwargs=own_ticket, data={"reason": "又坏了"}),
    post("tickets:my-ticket-comment", STUDYING, kwargs=own_ticket, data={"note": "谢谢"}),
]
