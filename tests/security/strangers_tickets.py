"""The stranger's tickets objects (see strangers.py): built after the rest of the stranger, returned
by name into `stranger.extra`. Every text field carries the marker.

- "ticket": the stranger consultant's ticket for their private customer, assigned to them,
  commented and resolved (title, description, comment and resolution marked);
- "student_ticket": a ticket the stranger student opened from the portal (marked).
Finance and administrators (data scope "all") reach both through the staff pages; nobody else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crm.models import DictItem
from tickets import services

if TYPE_CHECKING:
    from tests.security.strangers import Stranger


def extend(world, stranger: Stranger) -> dict:
    # strangers.py imports this module while it loads: its helpers are read at call time.
    from tests.security.strangers import marked

    category = DictItem.objects.filter(kind=DictItem.Kind.TICKET_CATEGORY, is_active=True).order_by("order")[
        0
    ]
    consultant = stranger.consultant
    ticket = services.ticket_create(
        values={
            "category": category,
            "priority": "high",
            "title": marked("Ticket"),
            "description": marked("Description"),
            "customer": stranger.customer,
        },
        by=consultant,
    )
    services.ticket_assign(ticket=ticket, to_user=consultant, by=consultant)
    services.ticket_comment(ticket=ticket, note=marked("Comment"), by=consultant)
    services.ticket_resolve(ticket=ticket, note=marked("Resolution"), by=consultant)
    student_ticket = services.ticket_create_by_student(
        student=stranger.student,
        values={"category": category, "title": marked("Question"), "description": marked("Details")},
    )
    return {"ticket": ticket, "student_ticket": student_ticket}
