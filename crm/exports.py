"""Export of a customer list to .xlsx or .csv: the rows the user sees, contact details masked as
on the page, and every text cell neutralised so a spreadsheet never runs it as a formula."""

import csv
import io
from collections.abc import Iterable, Iterator

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from crm import imports
from crm.models import Course, CustomerImport, DictItem

# Characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP CSV
# injection), including TAB and CR which some of them strip before looking.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_LIMIT = 100_000
CHUNK = 2000


def neutralise(value) -> object:
    """A text cell as an export may hold it: prefixed with an apostrophe when a spreadsheet would
    evaluate it, also after leading spaces (importers offer to trim them), and without the control
    characters a worksheet cannot hold (openpyxl refuses them, failing the whole export). Other
    values are returned as they are."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_STARTS) or value.lstrip().startswith(FORMULA_STARTS):
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


def local_minute(moment) -> str:
    """A moment as the school's local time to the minute, as every export writes it."""
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
            local_minute(customer.last_follow_up_at),
            local_minute(customer.next_follow_up_at),
            customer.note,
        ]
        yield [neutralise(value) for value in row]


def csv_stream(header: list[str], rows: Iterator[list]) -> Iterator[bytes]:
    """UTF-8 with a BOM, so Excel on Chinese Windows opens it without garbling the names; sent
    in pieces of 500 rows, so a long export starts at once and never sits whole in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    writer.writerow(header)
    for number, row in enumerate(rows, start=1):
        writer.writerow(row)
        if number % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_bytes(title: str, header: list[str], rows: Iterator[list]) -> bytes:
    """One sheet named `title`, written row by row (openpyxl's write-only mode)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    return workbook_bytes(workbook)


def as_csv(rows: Iterator[list]) -> Iterator[bytes]:
    return csv_stream(headers(), rows)


def as_xlsx(rows: Iterator[list]) -> bytes:
    return xlsx_bytes(_("Customers"), headers(), rows)


def workbook_bytes(workbook: Workbook) -> bytes:
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def import_template() -> bytes:
    """The import template: the columns on the first sheet (phone and QQ formatted as text, so
    Excel keeps them as typed), and on the second what each column accepts, from the live data
    dictionary and course list."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Customers")
    bold = Font(bold=True)
    for column, spec in enumerate(imports.IMPORT_FIELDS, start=1):
        cell = sheet.cell(row=1, column=column, value=f"{spec.label}{' *' if spec.required else ''}")
        cell.font = bold
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = 16
        if spec.name in ("phone", "qq"):
            for row in range(2, 1002):
                sheet.cell(row=row, column=column).number_format = "@"
    sheet.freeze_panes = "A2"

    help_sheet = workbook.create_sheet(_("Instructions"))
    help_sheet.append([_("Column"), _("What to enter")])
    for cell in help_sheet[1]:
        cell.font = bold
    for column, text in _import_help():
        help_sheet.append([column, neutralise(text)])  # the data dictionary's labels and course names
    help_sheet.column_dimensions["A"].width = 18
    help_sheet.column_dimensions["B"].width = 100
    return workbook_bytes(workbook)


def _one_of(kind: str, extra: str = "") -> str:
    labels = DictItem.objects.filter(kind=kind, is_active=True).order_by("order", "id")
    values = ", ".join(labels.values_list("label", flat=True))
    if not values:
        return _("A value of the data dictionary (none is set up yet: leave it empty).")
    return _("One of: %(values)s.") % {"values": values} + extra


def _import_help() -> list[tuple[str, str]]:
    """What each template column accepts, in the columns' order, then the duplicates rule."""
    courses = ", ".join(Course.objects.filter(is_active=True).order_by("name").values_list("name", flat=True))
    free_text = _("Free text, at most 100 characters.")
    texts = {
        "name": _("Required, at most 50 characters."),
        "phone": _(
            "Phone, QQ or WeChat: at least one. 138 0013 8000 and +86-138-0013-8000 are the same number."
        ),
        "qq": _("5 to 12 digits."),
        "wechat": _("The WeChat ID, at most 50 characters."),
        "email": _("An email address."),
        "source": _one_of(DictItem.Kind.SOURCE, " " + _("Empty: the source chosen when importing.")),
        "consulted_on": _("A date such as 2026-03-01. Empty: the day of the import."),
        "gender": _one_of(DictItem.Kind.GENDER),
        "education": _one_of(DictItem.Kind.EDUCATION),
        "interested_courses": _("Course names separated by commas: %(values)s.") % {"values": courses},
        "note": _("Any text."),
        "school": free_text,
        "major": free_text,
        "experience": _one_of(DictItem.Kind.EXPERIENCE),
        "work_status": _one_of(DictItem.Kind.WORK_STATUS),
        "company": free_text,
        "salary": _("A whole number of yuan per month."),
    }
    rows = [(str(spec.label), texts[spec.name]) for spec in imports.IMPORT_FIELDS]
    rows.append(
        (
            _("Duplicates"),
            _("Customers already in EduCRM, or twice in the file (same phone or QQ), are reported only."),
        )
    )
    return rows


def import_problems(record: CustomerImport) -> bytes:
    """The rows that were not imported, as the user uploaded them, each with its row number and
    the reason: fix them in this file and import it again."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Not imported"))
    sheet.append([_("Row"), _("Problem"), _("Reason")] + [neutralise(header) for header in record.headers])
    for problem in record.problems.order_by("row_number", "id").iterator(chunk_size=CHUNK):
        sheet.append(
            [problem.row_number, problem.get_kind_display(), neutralise(problem.message)]
            + [neutralise(value) for value in problem.values]
        )
    return workbook_bytes(workbook)
