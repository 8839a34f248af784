"""Exports and imports as an attack surface: spreadsheet formulas in every export that carries
user text, the encodings an import meets, and columns of an import that name owners or ids.

Already proved in tests/crm/test_import.py and not repeated: the entity bombs inside an .xlsx
(BAD_FILES "entity-bomb-in-sheet" and "entity-bomb-in-shared-strings"), zip bombs and far-away
cells; CSV in UTF-8 with and without a BOM, GBK, GB18030 and UTF-16 with a BOM (LE), with
commas, tabs and semicolons; random bytes that are no text ("not UTF-8 or GBK"); `=` cells refused
at the import and the problems report neutralising `=`, `+`, `-` and `@`; the headers `id`,
`编号`, `consultant`, `顾问` left unmapped, and a crafted mapping to `consultant`, `consultant_id`,
`id`, `pk`, `created_by`, `status` or `claimed_at` refused. tests/reports/test_sales_report.py
neutralises consultant and campus names in the report's export.

What is added: every formula prefix (tab, CR, after spaces, the classic payloads) through every
export that carries user text, read back as cells and as CSV text; legitimate values (phones,
numbers) surviving; control characters that a worksheet cannot hold; the other encodings a school
may send; and an import file naming ids, owners and the deleted flag, checked in the database."""

from __future__ import annotations

import codecs
import csv
import io
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve, reverse
from django.utils import timezone
from openpyxl import load_workbook

from crm.models import Course, Customer, CustomerImport
from enrollment.models import Payment
from tests.rbac.matrix import _enrollment
from tests.rbac.rows_tickets import handled_ticket
from tests.security import snapshot
from tickets.models import Ticket

# Values a spreadsheet would run, each with the formula it hides; the last ones start with
# whitespace that an importer's "trim spaces" option removes.
FORMULAS = [
    "=1+1",
    "+1+1",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.test","点我")',
    " =1+1",
    "  @SUM(1+1)",
    "\u3000=1+1",
    "\n-2+3",
]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rows_of_xlsx(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = [cell for line in sheet.iter_rows() for cell in line]
    formulas = [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert not formulas, f"formula cells: {formulas}"
    return [[cell.value for cell in line] for line in sheet.iter_rows()]


def rows_of_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def assert_inert(cell, value: str) -> None:
    """`cell` holds `value` as text a spreadsheet shows and never runs: after an apostrophe."""
    assert isinstance(cell, str), cell
    # XML reads a lone CR back as LF: compare the rest of the text after the same normalisation.
    assert cell.startswith("'"), repr(cell)
    assert cell[1:].replace("\r\n", "\n").replace("\r", "\n") == value.replace("\r", "\n"), repr(cell)


# --- The customer export ------------------------------------------------------------------------
def hostile_customers(world) -> dict[int, str]:
    """One of sales' customers per formula, in the name, WeChat and note columns."""
    today = timezone.localdate()
    created = Customer.objects.bulk_create(
        Customer(
            name=value,
            wechat=value,
            note=value,
            source=world.source,
            consulted_on=today,
            consultant=world.sales,
            claimed_at=timezone.now(),
        )
        for value in FORMULAS
    )
    return {customer.pk: value for customer, value in zip(created, FORMULAS, strict=True)}


EXPORT_COLUMNS = {"name": 1, "phone": 3, "wechat": 5, "note": 13}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_customer_export_neutralises_every_formula_prefix(world, as_sales, file_format):
    hostile = hostile_customers(world)
    response = as_sales.get(f"{reverse('crm:customer-export')}?list=mine&format={file_format}")
    rows = rows_of_csv(response) if file_format == "csv" else rows_of_xlsx(response)

    by_number = {int(row[0]): row for row in rows[1:]}
    assert set(hostile) <= set(by_number)
    for pk, value in hostile.items():
        for column in ("name", "wechat", "note"):
            assert_inert(by_number[pk][EXPORT_COLUMNS[column]], value)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_legitimate_values_survive_the_export(world, as_sales, file_format):
    """A Chinese mobile is written as people read it (138 0000 0002), so it needs no apostrophe;
    a foreign number keeps its "+" behind one, which is what stops Excel reading "+1 415…" as a
    sum; names with a dash or a quote inside, and the customer number, are untouched."""
    today = timezone.localdate()
    foreign, dashed = Customer.objects.bulk_create(
        [
            Customer(
                name="O'Brien",
                phone="+14155550100",
                source=world.source,
                consulted_on=today,
                consultant=world.sales,
            ),
            Customer(
                name="欧阳-娜娜",
                note="3-5点有空",
                source=world.source,
                consulted_on=today,
                consultant=world.sales,
            ),
        ]
    )
    response = as_sales.get(f"{reverse('crm:customer-export')}?list=mine&format={file_format}")
    rows = rows_of_csv(response) if file_format == "csv" else rows_of_xlsx(response)
    by_number = {int(row[0]): row for row in rows[1:]}

    phone = EXPORT_COLUMNS["phone"]
    assert by_number[world.sales_lead.pk][phone] == "138 0000 0002"
    assert by_number[foreign.pk][phone] == "'+1 415-555-0100"
    assert by_number[foreign.pk][EXPORT_COLUMNS["name"]] == "O'Brien"
    assert by_number[dashed.pk][EXPORT_COLUMNS["name"]] == "欧阳-娜娜"
    assert by_number[dashed.pk][EXPORT_COLUMNS["note"]] == "3-5点有空"
    if file_format == "xlsx":
        assert isinstance(rows[1][0], int)


def test_markup_and_line_breaks_stay_one_field_of_one_row(world, as_sales):
    """A note holding markup, quotes, commas and line breaks is one quoted CSV field: it cannot
    start a row of its own or add columns."""
    note = '<script>alert(1)</script>\r\n"x",=1+1\nnext line,,'
    Customer.objects.filter(pk=world.sales_lead.pk).update(note=note)
    response = as_sales.get(f"{reverse('crm:customer-export')}?list=mine&format=csv")
    rows = rows_of_csv(response)
    assert len(rows) == 2
    assert len(rows[1]) == len(rows[0])
    assert rows[1][EXPORT_COLUMNS["note"]] == note


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_control_characters_do_not_break_the_export(world, as_sales, file_format):
    """Text pasted from Word carries vertical tabs (its manual line break) and terminals escape
    codes; openpyxl refuses such characters, so one of them made the whole export fail."""
    Customer.objects.filter(pk=world.sales_lead.pk).update(note="第一行\x0b第二行\x1b[31m", name="张\x07三")
    response = as_sales.get(f"{reverse('crm:customer-export')}?list=mine&format={file_format}")
    rows = rows_of_csv(response) if file_format == "csv" else rows_of_xlsx(response)
    assert rows[1][EXPORT_COLUMNS["note"]] == "第一行第二行[31m"
    assert rows[1][EXPORT_COLUMNS["name"]] == "张三"


# --- The sales report's exports -------------------------------------------------------------------
# --- The ticket export --------------------------------------------------------------------------
TICKET_COLUMNS = {"title": 1, "resolution": 16, "feedback": 17}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_ticket_export_neutralises_every_formula_prefix(world, as_sales, file_format):
    """Titles, resolutions and feedback are typed by staff, students and (by phone) customers."""
    hostile = {}
    for value in FORMULAS:
        pk = handled_ticket(world, world.sales)["pk"]
        Ticket.objects.filter(pk=pk).update(title=value, resolution_note=value, feedback_comment=value)
        hostile[pk] = value
    response = as_sales.get(f"{reverse('tickets:ticket-export')}?format={file_format}")
    rows = rows_of_csv(response) if file_format == "csv" else rows_of_xlsx(response)

    by_number = {int(row[0]): row for row in rows[1:]}
    assert set(by_number) == set(hostile)
    for pk, value in hostile.items():
        for column in TICKET_COLUMNS.values():
            assert_inert(by_number[pk][column], value)


@pytest.mark.parametrize("value", FORMULAS, ids=repr)
def test_the_report_export_neutralises_a_source_label(world, as_manager, value):
    world.source.label = value
    world.source.save(update_fields=["label"])
    month = timezone.localdate().strftime("%Y-%m")
    response = as_manager.get(f"{reverse('reports:sales-report')}?month={month}&export=sources")
    rows = rows_of_xlsx(response)
    (source_row,) = [row for row in rows[1:] if isinstance(row[0], str) and row[0].startswith("'")]
    assert_inert(source_row[0], value)
    assert all(isinstance(cell, int | float) for cell in source_row[1:3])


def test_a_negative_amount_in_the_report_export_stays_a_number(world, as_manager):
    """A month with only a refund has negative revenue: a number to add up, not neutralised text."""
    Payment.objects.create(
        enrollment=_enrollment(world),
        kind=Payment.Kind.REFUND,
        amount=Decimal("1800"),
        paid_at=date(2026, 3, 10),
        consultant=world.manager,
        status=Payment.Status.CONFIRMED,
        request_key=uuid.uuid4(),
    )
    response = as_manager.get(f"{reverse('reports:sales-report')}?month=2026-04&export=sales")
    rows = rows_of_xlsx(response)
    assert ["2026-03", -1800] in [[month, amount] for month, amount in rows[1:]]


# --- The import's own files -----------------------------------------------------------------------
def upload(client, content: bytes, name: str = "leads.csv"):
    return client.post(reverse("crm:customer-import"), {"file": SimpleUploadedFile(name, content)})


def import_csv(client, content: bytes, **mapping_extra) -> CustomerImport:
    response = upload(client, content)
    assert response.status_code == 302, response.context["form"].errors
    record = CustomerImport.objects.get(pk=resolve(response["Location"]).kwargs["pk"])
    data = {f"column_{n}": record.mapping.get(str(n), "") for n in range(len(record.headers))}
    data.update({"owner": "me", "default_source": "", **mapping_extra})
    confirm = client.post(reverse("crm:customer-import-detail", args=[record.pk]), data)
    assert confirm.status_code == 302, confirm.context["form"].errors
    record.refresh_from_db()
    assert record.status == CustomerImport.Status.DONE
    return record


def test_control_characters_past_the_first_8_kb_reach_neither_report_nor_export_intact(world, as_sales):
    """The CSV check looks for control characters in the first 8 KB only: a vertical tab further
    down is imported, and the problems report and the export must still be made."""
    good = [f"客户{n},1390000{n:04d},官方网站,备注{n}" for n in range(1, 400)]
    lines = [
        "姓名,手机,来源,备注",
        *good,
        ",13912345678,官方网站,坏\x0b行",
        "好\x0b人,13912345679,官方网站,ok",
    ]
    content = "\r\n".join(lines).encode()
    assert "\x0b" not in content[:8192].decode(errors="ignore")

    record = import_csv(as_sales, content, owner="pool")
    assert (record.created_count, record.error_count) == (400, 1)

    report = rows_of_xlsx(as_sales.get(reverse("crm:customer-import-report", args=[record.pk])))
    assert report[1][-1] == "坏行"
    export = rows_of_xlsx(as_sales.get(f"{reverse('crm:customer-export')}?list=pool&format=xlsx"))
    assert "好人" in [row[EXPORT_COLUMNS["name"]] for row in export[1:]]


def test_the_import_template_holds_course_names_as_text(world, as_sales):
    """The template's instructions list the live course names and dictionary labels."""
    Course.objects.filter(pk=world.python.pk).update(name='=HYPERLINK("http://x")\x0b课')
    world.source.label = "@SUM(1+1)"
    world.source.save(update_fields=["label"])
    response = as_sales.get(reverse("crm:customer-import-template"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [cell for sheet in workbook.worksheets for line in sheet.iter_rows() for cell in line]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = " ".join(str(cell.value) for cell in cells if cell.value)
    assert '=HYPERLINK("http://x")课' in texts and "@SUM(1+1)" in texts


# --- Encodings the import does not read -----------------------------------------------------------
LEADS = "姓名,手机,来源\r\n张三,13900000001,官方网站\r\n"
ENCODING_NOT_READ = "The CSV file's text encoding is not UTF-8 or GBK; save it as UTF-8."
NOT_A_CSV = "This is neither an Excel workbook nor a CSV file."


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # Traditional Chinese Excel (Taiwan, Hong Kong): every byte pair is also GB18030, so it
        # read as wrong characters and imported them.
        pytest.param(
            "姓名,手機,來源\r\n張偉,13900000001,官方網站\r\n".encode("big5"), ENCODING_NOT_READ, id="big5"
        ),
        pytest.param(
            "name,phone\r\nJosé Müller,13900000001\r\n".encode("cp1252"), ENCODING_NOT_READ, id="cp1252"
        ),
        pytest.param(LEADS.encode("utf-16-le"), NOT_A_CSV, id="utf-16-without-bom"),
        pytest.param(LEADS.encode("utf-32"), NOT_A_CSV, id="utf-32"),
    ],
)
def test_an_encoding_the_import_does_not_read_is_a_message_not_garbled_rows(
    world, as_sales, content, message
):
    before = snapshot.take()
    response = upload(as_sales, content)
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [message]
    assert before.differences(snapshot.take()) == []


def test_utf16_big_endian_with_a_bom_is_read_too(world, as_sales):
    record = import_csv(as_sales, codecs.BOM_UTF16_BE + LEADS.encode("utf-16-be"))
    assert list(Customer.objects.filter(imported_from=record).values_list("name", flat=True)) == ["张三"]


# --- Columns that name ids, owners and the deleted flag --------------------------------------------
OWNER_AND_ID_HEADERS = ["id", "pk", "owner", "created_by", "is_deleted", "deleted_at", "负责人", "创建人"]


def test_id_owner_and_deleted_columns_change_no_existing_customer(world, as_sales):
    """A file that names an existing customer's number, another owner, and `is_deleted=0` for
    a customer in the recycle bin: new customers of the importer are created, nothing else."""
    deleted, colleagues = world.deleted_lead, world.sales2_lead
    headers = [*OWNER_AND_ID_HEADERS, "姓名", "手机", "来源"]

    def owner_values(pk: int) -> list:
        return [pk, pk, "sales2", world.sales2.pk, "0", "", "sales2", "sales2"]

    content = "\r\n".join(
        ",".join(map(str, line))
        for line in [
            headers,
            [*owner_values(deleted.pk), "复活", "13800000004", "官方网站"],
            [*owner_values(colleagues.pk), "改名", "13900000055", "官方网站"],
        ]
    ).encode()
    before = {
        customer.pk: (customer.name, customer.consultant_id, customer.is_deleted, customer.created_by_id)
        for customer in Customer.objects.all()
    }

    record = import_csv(as_sales, content, consultant=world.sales2.pk, is_deleted="0")

    assert record.mapping == {"8": "name", "9": "phone", "10": "source"}
    after = {
        customer.pk: (customer.name, customer.consultant_id, customer.is_deleted, customer.created_by_id)
        for customer in Customer.objects.filter(pk__in=before)
    }
    assert after == before
    created = Customer.objects.filter(imported_from=record)
    assert sorted(created.values_list("name", "consultant_id", "is_deleted", "created_by_id")) == [
        ("复活", world.sales.pk, False, world.sales.pk),
        ("改名", world.sales.pk, False, world.sales.pk),
    ]
    assert not set(created.values_list("pk", flat=True)) & set(before)


@pytest.mark.parametrize(
    "field", ["is_deleted", "deleted_at", "owner", "created_by_id", "imported_from", "signed_at"]
)
def test_a_crafted_mapping_to_the_deleted_flag_or_owner_is_refused(world, as_sales, field):
    content = f"{field},姓名,手机,来源\r\n0,张三,13900000001,官方网站\r\n".encode()
    response = upload(as_sales, content)
    record = CustomerImport.objects.get(pk=resolve(response["Location"]).kwargs["pk"])
    before = snapshot.take()
    data = {"column_0": field, "column_1": "name", "column_2": "phone", "column_3": "source", "owner": "me"}
    response = as_sales.post(reverse("crm:customer-import-detail", args=[record.pk]), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.context["form"].errors["column_0"][0]
    assert before.differences(snapshot.take()) == []
