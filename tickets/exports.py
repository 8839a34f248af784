"""Export of the ticket list to .csv or .xlsx: the rows of the user's filtered list, every text
cell neutralised (crm.exports.neutralise) so a spreadsheet never runs it as a formula."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from crm.exports import csv_stream, local_minute, neutralise, xlsx_bytes

EXPORT_LIMIT = 50_000
CHUNK = 2000


def headers() -> list[str]:
    return [
        _("No."),
        _("Title"),
        _("Category"),
        _("Priority"),
        _("Status"),
        _("Customer"),
        _("Student"),
        _("Assignee"),
        _("Queue"),
        _("Created at"),
        _("Respond by"),
        _("Resolve by"),
        _("First response"),
        _("Resolved at"),
        _("Overdue"),
        _("Rating"),
        _("Resolution"),
        _("Feedback"),
    ]


def ticket_rows(tickets: Iterable) -> Iterator[list]:
    """One row per ticket of `tickets_visible_to` (its joins and `is_overdue`)."""
    for ticket in tickets:
        row = [
            ticket.pk,
            ticket.title,
            str(ticket.category),
            ticket.get_priority_display(),
            ticket.get_status_display(),
            ticket.customer.name if ticket.customer_id else "",
            str(ticket.student.user) if ticket.student_id else "",
            str(ticket.assignee or ""),
            str(ticket.queue or ""),
            local_minute(ticket.created_at),
            local_minute(ticket.response_due_at),
            local_minute(ticket.resolve_due_at),
            local_minute(ticket.first_response_at),
            local_minute(ticket.resolved_at),
            _("Yes") if ticket.is_overdue else "",
            ticket.rating or "",
            ticket.resolution_note,
            ticket.feedback_comment,
        ]
        yield [neutralise(value) for value in row]


def as_csv(rows: Iterator[list]) -> Iterator[bytes]:
    return csv_stream(headers(), rows)


def as_xlsx(rows: Iterator[list]) -> bytes:
    return xlsx_bytes(_("Tickets"), headers(), rows)
