"""Importing customers in a browser: a consultant downloads the template, uploads a GBK-encoded
CSV of leads, checks the guessed columns, imports it into their own customers, downloads the rows
that were not imported and lists the new customers; a bad file is refused on the upload page; only
a manager is offered to auto-allocate the imported leads.

Tasks run inline in tests, so confirming the mapping runs the import inside that request and the
status page it redirects to shows the finished import.

Like the other journeys, these tests find elements by test id, form field name, URL and value, and
read only text that is data they created (names, phones, headers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, Response, expect

from accounts.models import User
from crm.models import Course, Customer, CustomerImport, CustomerImportProblem, DictItem
from crm.normalize import name_keys, normalize_phone
from rbac.defaults import SALES, SALES_MANAGER

pytestmark = pytest.mark.e2e

IMPORT_URL = re.compile(r"/sales/customers/import/$")
DETAIL_URL = re.compile(r"/sales/customers/import/(\d+)/$")
XLSX_MAGIC = b"PK\x03\x04"
HEADERS = ["姓名", "手机", "QQ", "来源", "咨询日期", "意向课程", "顾问"]
GOOD_NAMES = ["张伟", "李娜", "王芳"]
# The guessed mapping: one select per column, named by the column's position.
GUESSED = {
    "column_0": "name",
    "column_1": "phone",
    "column_2": "qq",
    "column_3": "source",
    "column_4": "consulted_on",
    "column_5": "interested_courses",
    "column_6": "",  # 顾问: ownership is chosen on the mapping page, not read from the file
}


@dataclass
class ImportDesk:
    consultant: User
    colleague: User
    manager: User
    baidu: DictItem
    referral: DictItem
    course: Course


@pytest.fixture
def import_desk(staff) -> ImportDesk:
    """The customer sources and the course the file names, and a second consultant."""
    colleague = User.objects.create_user(
        username="e2e-sales-b",
        password=staff.password,
        email="sales-b@e2e.example.test",
        display_name="王顾问",
    )
    staff.roles[SALES].users.add(colleague)
    kind = DictItem.Kind.SOURCE
    return ImportDesk(
        consultant=staff.users[SALES],
        colleague=colleague,
        manager=staff.users[SALES_MANAGER],
        baidu=DictItem.objects.create(kind=kind, code="baidu", label="百度推广", order=0),
        referral=DictItem.objects.create(kind=kind, code="referral", label="朋友推荐", order=1),
        course=Course.objects.create(name="Python全栈开发", default_price=19800),
    )


def existing_customer(desk: ImportDesk, name: str, phone: str, owner: User) -> Customer:
    pinyin, initials = name_keys(name)
    now = timezone.now()
    return Customer.objects.create(
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        phone=normalize_phone(phone),
        source=desk.baidu,
        consulted_on=timezone.localdate() - timedelta(days=10),
        created_at=now - timedelta(days=10),
        created_by=owner,
        consultant=owner,
        claimed_at=now - timedelta(days=10),
    )


def gbk_csv(path: Path, rows: list[list[str]]) -> Path:
    """A CSV saved the way Excel/WPS save it on a Chinese Windows: GBK, CRLF line ends."""
    lines = [",".join(HEADERS), *(",".join(row) for row in rows)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


def open_menu_item(page: Page, codename: str) -> None:
    page.get_by_test_id("sidebar").locator(f'[data-menu-item="{codename}"]').click()


def upload(page: Page, path: Path) -> Response:
    """Choose the file and submit it; the answer to the upload (after any redirect)."""
    form = page.get_by_test_id("import-upload")
    form.locator("input[name=file]").set_input_files(str(path))
    with page.expect_navigation() as navigation:
        page.get_by_test_id("import-upload-submit").click()
    return navigation.value


def page_overflows(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def sheet_rows(path: Path) -> list[list]:
    """The first sheet's rows, without the trailing empty ones."""
    workbook = load_workbook(path, read_only=True)
    try:
        rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()
    return [row for row in rows if any(value not in (None, "") for value in row)]


def owner_choices(page: Page) -> list[str]:
    return (
        page.get_by_test_id("import-mapping")
        .locator("input[type=radio][name=owner]")
        .evaluate_all("radios => radios.map(radio => radio.value)")
    )


# --- 1. A consultant imports a file of leads ----------------------------------------------------
def test_consultant_imports_a_gbk_csv_into_my_customers(ui, import_desk, tmp_path):
    desk = import_desk
    a = desk.consultant
    taken = existing_customer(desk, "赵敏", "139 0000 0005", desk.colleague)
    mine_already = existing_customer(desk, "吴勤", "136 0000 0007", a)
    consulted = (timezone.localdate() - timedelta(days=3)).isoformat()
    csv_file = gbk_csv(
        tmp_path / "百度线索.csv",
        [
            ["张伟", "13800138001", "", "百度推广", consulted, "Python全栈开发", "王顾问"],
            ["李娜", "138 0013 8002", "123456789", "朋友推荐", consulted, "Python全栈开发", "王顾问"],
            ["王芳", "+86-138-0013-8003", "", "百度推广", consulted, "", "孙顾问"],
            ["张小伟", "138-0013-8001", "", "百度推广", consulted, "", "王顾问"],  # same phone as row 2
            ["赵敏敏", "13900000005", "", "朋友推荐", consulted, "", "王顾问"],  # the colleague's customer
            ["", "13800138006", "", "百度推广", consulted, "", "孙顾问"],  # no name
        ],
    )

    page = ui.page()
    ui.login(page, a.username)
    open_menu_item(page, "crm.customer_import")
    expect(page).to_have_url(IMPORT_URL)
    expect(page.get_by_test_id("import-recent").locator("a")).to_have_count(0)

    # The template: an .xlsx whose first row names the columns in Chinese.
    with page.expect_download() as download_info:
        page.get_by_test_id("import-template").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    template = tmp_path / download.suggested_filename
    download.save_as(template)
    assert template.read_bytes().startswith(XLSX_MAGIC)
    header = [str(value or "") for value in sheet_rows(template)[0]]
    assert any(cell.startswith("姓名") for cell in header), header
    assert any(cell.startswith("电话") or cell.startswith("手机") for cell in header), header

    form = page.get_by_test_id("import-upload")
    form.locator("input[name=file]").set_input_files(str(csv_file))
    ui.shot(page, "import-upload")
    page.get_by_test_id("import-upload-submit").click()

    # The mapping page: one select per column, pre-set from the headers.
    expect(page).to_have_url(DETAIL_URL)
    import_id = int(DETAIL_URL.search(page.url).group(1))
    mapping = page.get_by_test_id("import-mapping")
    expect(mapping).to_be_visible()
    expect(page.locator("main")).to_contain_text("百度线索.csv")
    selects = mapping.locator("select[name^=column_]")
    expect(selects).to_have_count(len(HEADERS))
    for name, value in GUESSED.items():
        expect(mapping.locator(f"select[name={name}]")).to_have_value(value)
    # The headers and the first values read from GBK, not mojibake.
    table = mapping.locator("table")
    for text in [*HEADERS, "张伟", "百度推广", "Python全栈开发"]:
        expect(table).to_contain_text(text)
    assert owner_choices(page) == ["me", "pool"]
    expect(mapping.locator("input[name=owner][value=me]")).to_be_checked()
    expect(mapping.locator("select[name=default_source]")).to_be_visible()
    assert not page_overflows(page)
    ui.shot(page, "import-mapping")

    # Into my customers.
    mapping.locator("input[name=owner][value=me]").check()
    page.get_by_test_id("import-start").click()

    expect(page).to_have_url(re.compile(rf"/sales/customers/import/{import_id}/$"))
    status = page.get_by_test_id("import-status")
    expect(status).to_have_attribute("data-status", CustomerImport.Status.DONE)
    expect(status.get_by_test_id("import-created")).to_have_text("3")
    expect(status.get_by_test_id("import-duplicates")).to_have_text("2")
    expect(status.get_by_test_id("import-errors")).to_have_text("1")
    expect(status.get_by_test_id("import-message")).to_have_count(0)
    assert not page_overflows(page)
    ui.shot(page, "import-done")

    record = CustomerImport.objects.get(pk=import_id)
    assert (record.status, record.owner, record.file_format) == ("done", "me", "csv")
    assert (record.total_rows, record.processed_rows) == (6, 6)
    assert (record.created_count, record.duplicate_count, record.error_count) == (3, 2, 1)
    assert not record.file  # the upload is deleted once read
    problems = list(record.problems.values_list("row_number", "kind"))
    assert problems == [
        (5, CustomerImportProblem.Kind.DUPLICATE),
        (6, CustomerImportProblem.Kind.DUPLICATE),
        (7, CustomerImportProblem.Kind.ERROR),
    ]
    imported = {customer.name: customer for customer in Customer.objects.filter(imported_from=record)}
    assert set(imported) == set(GOOD_NAMES)
    assert {customer.consultant for customer in imported.values()} == {a}
    assert imported["张伟"].phone == "+8613800138001"
    assert imported["王芳"].phone == "+8613800138003"
    assert imported["李娜"].qq == "123456789"
    assert imported["李娜"].source == desk.referral
    assert imported["张伟"].source == desk.baidu
    assert imported["张伟"].consulted_on.isoformat() == consulted
    assert list(imported["张伟"].interested_courses.all()) == [desk.course]
    taken.refresh_from_db()
    assert taken.consultant == desk.colleague

    # The rows not imported, as uploaded, each with its reason.
    with page.expect_download() as download_info:
        status.get_by_test_id("import-report").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    report = tmp_path / download.suggested_filename
    download.save_as(report)
    assert report.read_bytes().startswith(XLSX_MAGIC)
    report_header, *report_rows = sheet_rows(report)
    assert [str(value) for value in report_header[-len(HEADERS) :]] == HEADERS
    assert len(report_rows) == 3
    assert [row[0] for row in report_rows] == [5, 6, 7]
    assert report_rows[0][-len(HEADERS)] == "张小伟"
    assert report_rows[1][-len(HEADERS)] == "赵敏敏"
    assert "赵敏" in report_rows[1][2]  # the existing customer it duplicates is named

    # The new customers, exactly, in my customers.
    status.get_by_test_id("import-view-created").click()
    expect(page).to_have_url(re.compile(rf"/sales/customers/mine/\?imported={import_id}$"))
    rows = page.get_by_test_id("list-table").locator("tbody tr")
    expect(rows).to_have_count(3)
    for customer in imported.values():
        expect(
            page.get_by_test_id("list-table").locator(f'tr[data-customer="{customer.pk}"]')
        ).to_contain_text(customer.name)
    expect(page.get_by_test_id("list-table")).not_to_contain_text("赵敏")
    expect(page.get_by_test_id("list-table")).not_to_contain_text(mine_already.name)
    assert not page_overflows(page)
    ui.shot(page, "import-list")

    # The list's Import button leads back to the upload page, which lists the finished import.
    page.get_by_test_id("import-customers").click()
    expect(page).to_have_url(IMPORT_URL)
    recent = page.get_by_test_id("import-recent")
    expect(recent.locator(f'a[href="/sales/customers/import/{import_id}/"]')).to_have_text("百度线索.csv")
    expect(recent.locator(".badge.text-bg-success")).to_have_count(1)

    # My customers without the import's filter: the customer I had before is there too.
    page.goto("/sales/customers/mine/")
    expect(page.get_by_test_id("list-table").locator("tbody tr")).to_have_count(4)
    expect(page.get_by_test_id("list-table").locator(f'tr[data-customer="{mine_already.pk}"]')).to_have_count(
        1
    )
    # Filtered by the import, the list should say so (it hides "吴勤" silently otherwise: a
    # consultant sees "3 customers" in "My customers" and no filter set in the filter bar).
    page.goto(f"/sales/customers/mine/?imported={import_id}")
    expect(page.get_by_test_id("list-table").locator("tbody tr")).to_have_count(3)
    expect(page.locator("main")).to_contain_text("百度线索.csv")


# --- 2. A bad file is refused on the upload page ------------------------------------------------
def test_bad_files_are_refused_with_a_clear_error(ui, import_desk, tmp_path):
    a = import_desk.consultant
    png = tmp_path / "客户名单.xlsx"  # a screenshot renamed to look like a workbook
    png.write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
        b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
        b"\x00\x00\x00IEND\xaeB`\x82"
    )
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    headers_only = tmp_path / "headers-only.csv"
    headers_only.write_bytes((",".join(HEADERS) + "\r\n").encode("gbk"))

    page = ui.page()
    server_errors: list[str] = []
    page.on("response", lambda r: server_errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    ui.login(page, a.username)
    page.goto("/sales/customers/import/")

    messages = []
    for path, screenshot in [(png, "import-bad-file"), (empty, None), (headers_only, None)]:
        response = upload(page, path)
        assert response.status == 200, (path.name, response.status)
        expect(page).to_have_url(IMPORT_URL)
        field = page.get_by_test_id("import-upload").locator("input[name=file]")
        expect(field).to_have_class(re.compile(r"\bis-invalid\b"))
        error = page.get_by_test_id("import-upload").locator(".invalid-feedback")
        expect(error).to_be_visible()
        messages.append(error.inner_text().strip())
        if screenshot:
            ui.shot(page, screenshot)
    # Each file gets its own reason, not one generic "invalid file".
    assert all(messages) and len(set(messages)) == 3, messages

    assert not server_errors, server_errors
    assert not CustomerImport.objects.exists()
    assert not Customer.objects.exists()


# --- 3. Only a manager may auto-allocate the imported leads -------------------------------------
def test_only_a_manager_is_offered_to_auto_allocate(ui, import_desk, tmp_path):
    desk = import_desk
    consulted = timezone.localdate().isoformat()
    csv_file = gbk_csv(tmp_path / "leads.csv", [["周新", "13700000004", "", "百度推广", consulted, "", ""]])

    for user, expected in [(desk.manager, ["me", "pool", "allocate"]), (desk.consultant, ["me", "pool"])]:
        page = ui.page()
        ui.login(page, user.username)
        page.goto("/sales/customers/import/")
        upload(page, csv_file)
        expect(page).to_have_url(DETAIL_URL)
        expect(page.get_by_test_id("import-mapping")).to_be_visible()
        assert owner_choices(page) == expected, user.username
        if user == desk.manager:
            ui.shot(page, "import-mapping-manager")

    # Each sees only their own uploads.
    assert CustomerImport.objects.filter(created_by=desk.manager).count() == 1
    consultant_import = CustomerImport.objects.get(created_by=desk.consultant)
    manager_import = CustomerImport.objects.get(created_by=desk.manager)
    response = page.request.get(f"/sales/customers/import/{manager_import.pk}/")
    assert response.status == 404
    assert consultant_import.status == CustomerImport.Status.UPLOADED


# --- 4. The mapping page on a phone -----------------------------------------------------------
def test_mapping_page_is_usable_on_a_phone(ui, import_desk, tmp_path):
    """The column selects are the point of the page: on a narrow screen each must be visible
    whole, without scrolling the table sideways to find it."""
    a = import_desk.consultant
    consulted = timezone.localdate().isoformat()
    csv_file = gbk_csv(
        tmp_path / "百度线索.csv",
        [
            ["张伟", "13800138001", "", "百度推广", consulted, "Python全栈开发", "王顾问"],
            ["李娜", "138 0013 8002", "123456789", "朋友推荐", consulted, "Python全栈开发", "王顾问"],
            ["王芳", "+86-138-0013-8003", "", "百度推广", consulted, "", "孙顾问"],
        ],
    )
    page = ui.page("phone")
    ui.login(page, a.username)
    page.goto("/sales/customers/import/")
    upload(page, csv_file)
    expect(page).to_have_url(DETAIL_URL)
    mapping = page.get_by_test_id("import-mapping")
    expect(mapping).to_be_visible()
    selects = mapping.locator("select[name^=column_]")
    expect(selects).to_have_count(len(HEADERS))
    for name, value in GUESSED.items():
        expect(mapping.locator(f"select[name={name}]")).to_have_value(value)
    ui.shot(page, "import-mapping-phone")
    assert not page_overflows(page)
    start = mapping.get_by_test_id("import-start")
    start.scroll_into_view_if_needed()
    box = start.bounding_box()
    assert box is not None and box["x"] + box["width"] <= page.viewport_size["width"], box

    # Each select whole inside the visible part of the table, as the page first shows it.
    page.evaluate("window.scrollTo(0, 0)")
    table = mapping.locator(".table-responsive").bounding_box()
    clipped = {}
    for select in selects.all():
        box = select.bounding_box()
        if box["x"] < table["x"] or box["x"] + box["width"] > table["x"] + table["width"] + 0.5:
            clipped[select.get_attribute("name")] = (round(box["x"]), round(box["x"] + box["width"]))
    assert not clipped, (
        f"selects cut off at the table's right edge ({round(table['x'] + table['width'])} px): {clipped}"
    )
