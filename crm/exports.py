"""Export of a customer list to .xlsx or .csv: the rows the user sees, contact details masked as
on the page, and every text cell neutralised so a spreadsheet never runs it as a formula."""

import csv
import io
from collections.abc import Iterable, Iterator

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

# Characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP CSV
# injection), including TAB and CR which some of them strip before looking.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_LIMIT = 100_000
CHUNK = 2000


def neutralise(value) -> object:
    """Prefix a text cell that a spreadsheet would evaluate with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def headers() -> list[str]:
    return [
        _("No."),
        _("Full name"),
        _("Gender"),
        _("Phone"),
        _("QQ"),
        _("WeChat"),
        _("Email"),
        _("Source"),
        _("Consultation date"),
        _("Status"),
        _("Consultant"),
        _("Last follow-up"),
        _("Next follow-up"),
        _("Note"),
    ]


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def customer_rows(customers: Iterable, contacts_for_customer) -> Iterator[list]:
    for customer in customers:
        contacts = contacts_for_customer(customer)
        row = [
            customer.pk,
            customer.name,
            str(customer.gender or ""),
            contacts.phone,
            contacts.qq,
            contacts.wechat,
            contacts.email,
            str(customer.source),
            customer.consulted_on.isoformat(),
            customer.get_status_display(),
            str(customer.consultant or _("Public pool")),
            _local(customer.last_follow_up_at),
            _local(customer.next_follow_up_at),
            customer.note,
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
    sheet = workbook.create_sheet(_("Customers"))
    sheet.append(headers())
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
