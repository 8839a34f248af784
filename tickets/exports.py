"""Export of the ticket list to .csv or .xlsx: the rows of the user's filtered list, every text
cell neutralised (crm.exports.neutralise) so a spreadsheet never runs it as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from crm.exports import neutralise, workbook_bytes

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


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


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
            _local(ticket.created_at),
            _local(ticket.response_due_at),
            _local(ticket.resolve_due_at),
            _local(ticket.first_response_at),
            _local(ticket.resolved_at),
            _("Yes") if ticket.is_overdue else "",
            ticket.rating or "",
            ticket.resolution_note,
            ticket.feedback_comment,
        ]
        yield [neutralise(value) for value in row]


def as_csv(rows: Iterator[list]) -> Iterator[bytes]:
    """UTF-8 with a BOM, so Excel on Chinese Windows opens it without garbling the names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    writer.writerow(headers())
    for number, row in enumerate(rows, start=1):
        writer.writerow(row)
        if number % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def as_xlsx(rows: Iterator[list]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Tickets"))
    sheet.append(headers())
    for row in rows:
        sheet.append(row)
    return workbook_bytes(workbook)
