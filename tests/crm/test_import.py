"""Importing customers from spreadsheets: CSV in every encoding Excel and WPS save in China and
.xlsx with typed cells, the guessed column mapping (which never lets a file choose a customer's
owner or number), row-by-row checks reported with the spreadsheet's own row numbers, duplicates in
the file and in the database, formulas (refused as text, read as their cached value in .xlsx, and
neutralised in the problems report), where the new customers go, their history and ownership
events, files refused at the upload, the mapping form, who sees an import, batches that fail
whole, the cleanup of abandoned uploads, and queries that do not grow with the rows.

Tasks run inline in tests, so posting the mapping form runs the import inside that request."""

from __future__ import annotations

import csv
import io
import os
import random
import re
import resource
import struct
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from datetime import date, datetime, timedelta

import phonenumbers
import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from PIL import Image
from pypinyin import lazy_pinyin

from accounts.models import Notification
from common.bulk import RowWriter, reserve_ids
from crm import imports, normalize, services
from crm.models import (
    AllocationWeight,
    Course,
    Customer,
    CustomerImport,
    CustomerImportProblem,
    DictItem,
    OwnershipEvent,
)
from tests.conftest import assert_form_refused, make_client
from tests.crm.conftest import pool_policy
from tests.crm.test_concurrency import run_together

Kind = OwnershipEvent.Kind
Status = CustomerImport.Status
ERROR = CustomerImportProblem.Kind.ERROR
DUPLICATE = CustomerImportProblem.Kind.DUPLICATE
IMPORT_URL = reverse("crm:customer-import")

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads are written under a temporary directory, not the project's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# --- Building files ----------------------------------------------------------------------------
def csv_bytes(rows: list[list], *, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def rewrite_zip(data: bytes, changes: dict) -> bytes:
    """The workbook with some members changed (name -> function of the old bytes) or added."""
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        names = source.namelist()
        for name in names:
            content = source.read(name)
            out.writestr(name, changes[name](content) if name in changes else content)
        for name in set(changes) - set(names):
            out.writestr(name, changes[name](b""))
    return output.getvalue()


def replace_cell(reference: str, xml: str):
    """A `rewrite_zip` change putting `xml` in place of cell `reference` of sheet1.xml."""
    pattern = re.compile(rf'<c r="{reference}"[^>]*?(/>|>.*?</c>)'.encode())

    def change(content: bytes) -> bytes:
        assert pattern.search(content), f"no cell {reference}"
        return pattern.sub(xml.encode(), content, count=1)

    return change


def today() -> date:
    return timezone.localdate()


def days_ago(days: int) -> str:
    return (today() - timedelta(days=days)).isoformat()


# --- Driving the pages -------------------------------------------------------------------------
def upload(client, content: bytes, name: str = "leads.csv"):
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content)})


def uploaded(client, content: bytes, name: str = "leads.csv") -> CustomerImport:
    response = upload(client, content, name)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    record = CustomerImport.objects.get(pk=resolve(response["Location"]).kwargs["pk"])
    assert record.status == Status.UPLOADED
    return record


def mapping_data(record: CustomerImport, *, mapping=None, owner="me", default_source=None, **extra) -> dict:
    mapping = record.mapping if mapping is None else mapping
    data = {f"column_{column}": mapping.get(str(column), "") for column in range(len(record.headers))}
    data.update(owner=owner, default_source=default_source.pk if default_source else "", **extra)
    return data


def confirm(client, record: CustomerImport, **kwargs):
    return client.post(detail_url(record), mapping_data(record, **kwargs))


def import_file(client, content: bytes, name: str = "leads.csv", **kwargs) -> CustomerImport:
    """Upload, confirm the guessed mapping (or `mapping=`), and return the finished import."""
    record = uploaded(client, content, name)
    response = confirm(client, record, **kwargs)
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == detail_url(record)
    record.refresh_from_db()
    return record


def detail_url(record: CustomerImport) -> str:
    return reverse("crm:customer-import-detail", args=[record.pk])


def imported(record: CustomerImport) -> dict[str, Customer]:
    return {customer.name: customer for customer in Customer.objects.filter(imported_from=record)}


def problems(record: CustomerImport) -> dict[int, tuple[str, str]]:
    return {p.row_number: (p.kind, p.message) for p in record.problems.all()}


def assert_counts_add_up(record: CustomerImport) -> None:
    """The counters say exactly what the database holds."""
    rows = CustomerImportProblem.objects.filter(customer_import=record)
    assert record.created_count == Customer.objects.filter(imported_from=record).count()
    assert record.duplicate_count == rows.filter(kind=DUPLICATE).count()
    assert record.error_count == rows.filter(kind=ERROR).count()


def snapshot() -> dict:
    """Every row an import may write: a refused upload or mapping leaves this unchanged."""
    return {
        "customers": sorted(Customer.objects.values_list(), key=repr),
        "events": OwnershipEvent.objects.count(),
        "history": Customer.history.count(),
        "imports": sorted(CustomerImport.objects.values_list("pk", "status", "created_count")),
        "problems": CustomerImportProblem.objects.count(),
    }


# --- 1. Encodings and cell types ---------------------------------------------------------------
ENCODING_HEADERS = ["姓名", "手机", "QQ", "微信", "来源", "咨询日期", "学历", "意向课程", "备注"]


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8", ","),
        ("utf-8-sig", ","),
        ("gbk", ","),
        ("gb18030", ","),
        ("utf-8", "\t"),
        ("utf-8-sig", ";"),
        ("gbk", "\t"),
        ("utf-16", "\t"),  # Excel's "Unicode text": UTF-16 with a BOM, tab-separated
    ],
)
def test_the_same_csv_imports_the_same_in_every_encoding_and_separator(world, as_sales, encoding, delimiter):
    consulted = days_ago(30)
    row = [
        "张三",
        "139 0000 0001",
        "123456",
        "zs_wx",
        "官方网站",
        consulted,
        "本科",
        "Python全栈开发",
        "想转行, 晚上联系",
    ]
    content = csv_bytes([ENCODING_HEADERS, row], encoding=encoding, delimiter=delimiter)

    record = import_file(as_sales, content)

    assert (record.status, record.file_format) == (Status.DONE, "csv")
    assert (record.created_count, record.problem_count) == (1, 0)
    customer = imported(record)["张三"]
    assert (customer.phone, customer.qq, customer.wechat, customer.note) == (
        "+8613900000001",
        "123456",
        "zs_wx",
        "想转行, 晚上联系",
    )
    assert (customer.source_id, customer.education_id, customer.consulted_on.isoformat()) == (
        world.source.pk,
        world.education.pk,
        consulted,
    )
    assert list(customer.interested_courses.all()) == [world.python]
    assert (customer.name_pinyin, customer.name_initials) == ("zhangsan", "zs")


def test_a_gb18030_csv_keeps_characters_gbk_does_not_have(world, as_sales):
    content = csv_bytes([["姓名", "手机", "来源"], ["刘䶮", "13900000001", "官方网站"]], encoding="gb18030")
    record = import_file(as_sales, content)
    assert list(imported(record)) == ["刘䶮"]


def test_an_xlsx_with_number_and_date_cells_imports_their_values(world, as_sales):
    consulted = today() - timedelta(days=10)
    content = xlsx_bytes(
        [
            ["姓名", "手机", "QQ", "来源", "咨询日期", "意向课程"],
            ["张三", 13900000001, 123456, "官方网站", consulted, "Python全栈开发、Linux运维"],
            ["李四", 13900000002.0, None, "website", datetime(2025, 3, 1, 14, 30), None],
        ]
    )

    record = import_file(as_sales, content, "leads.xlsx")

    assert (record.status, record.file_format) == (Status.DONE, "xlsx")
    assert (record.created_count, record.problem_count) == (2, 0)
    zhang, li = imported(record)["张三"], imported(record)["李四"]
    assert (zhang.phone, zhang.qq, zhang.consulted_on) == ("+8613900000001", "123456", consulted)
    assert set(zhang.interested_courses.all()) == {world.python, world.linux}
    assert (li.phone, li.qq, li.consulted_on, li.source_id) == (
        "+8613900000002",
        "",
        date(2025, 3, 1),
        world.source.pk,
    )
    # The mapping page shows the cells as the user typed them, not as floats.
    assert record.preview[0][:3] == ["张三", "13900000001", "123456"]


# --- 2. Guessing the columns; no column chooses the owner or the number ------------------------
@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["姓名", "手机", "QQ", "微信", "来源", "咨询日期", "性别", "学历", "意向课程", "备注"],
            [
                "name",
                "phone",
                "qq",
                "wechat",
                "source",
                "consulted_on",
                "gender",
                "education",
                "interested_courses",
                "note",
            ],
        ),
        (
            ["客户姓名", "电话", "QQ号", "微信号", "邮箱", "渠道"],
            ["name", "phone", "qq", "wechat", "email", "source"],
        ),
        (
            [
                "Name",
                "Phone",
                "QQ",
                "WeChat",
                "Email",
                "Source",
                "Consultation date",
                "Gender",
                "Education",
                "Interested courses",
                "Note",
                "School",
                "Major",
                "Company",
                "Monthly salary",
            ],
            [
                "name",
                "phone",
                "qq",
                "wechat",
                "email",
                "source",
                "consulted_on",
                "gender",
                "education",
                "interested_courses",
                "note",
                "school",
                "major",
                "company",
                "salary",
            ],
        ),
        (
            [
                "姓名*",
                "手机号码（必填）",
                "QQ号码(选填)",
                " 微信 ",
                "来源：",
                "咨询日期【yyyy-mm-dd】",
                "Phone *",
            ],
            ["name", "phone", "qq", "wechat", "source", "consulted_on", ""],
        ),
        (
            ["consultant", "顾问", "id", "编号", "负责人", "状态", "姓名", "手机", "手机"],
            ["", "", "", "", "", "", "name", "phone", ""],
        ),
    ],
    ids=["chinese", "synonyms", "english", "decorated", "unknown-and-repeated"],
)
def test_headers_are_guessed_and_unknown_columns_are_left_out(headers, expected):
    guessed = imports.guess_mapping(headers)
    assert [guessed.get(str(column), "") for column in range(len(headers))] == expected


def test_the_upload_stores_the_guessed_mapping_and_the_mapping_page_shows_it(world, as_sales):
    content = csv_bytes(
        [["编号", "姓名", "手机号码（必填）", "顾问"], ["7", "张三", "13900000001", "sales2"]]
    )
    record = uploaded(as_sales, content)
    assert record.mapping == {"1": "name", "2": "phone"}
    assert (record.headers, record.total_rows, record.preview) == (
        ["编号", "姓名", "手机号码（必填）", "顾问"],
        1,
        [["7", "张三", "13900000001", "sales2"]],
    )
    form = as_sales.get(detail_url(record)).context["form"]
    assert [form[f"column_{n}"].initial for n in range(4)] == ["", "name", "phone", ""]


@pytest.mark.parametrize(
    "field", ["consultant", "consultant_id", "id", "pk", "created_by", "status", "claimed_at"]
)
def test_a_posted_mapping_cannot_import_the_owner_or_the_number(world, as_sales, field):
    content = csv_bytes([["顾问", "姓名", "手机", "来源"], ["sales2", "张三", "13900000001", "官方网站"]])
    record = uploaded(as_sales, content)
    before = snapshot()

    response = confirm(as_sales, record, mapping={"0": field, "1": "name", "2": "phone", "3": "source"})

    # Only a crafted post can send this (the select offers import fields only), so the error is
    # on the form; the page need not explain it.
    assert response.status_code == 200
    assert "Select a valid choice" in response.context["form"].errors["column_0"][0]
    assert snapshot() == before
    record.refresh_from_db()
    assert (record.status, record.mapping) == (Status.UPLOADED, {"1": "name", "2": "phone", "3": "source"})


@pytest.mark.parametrize("owner", ["me", "pool"])
def test_consultant_and_id_columns_are_ignored_the_importer_or_the_pool_decides(world, as_sales, owner):
    content = csv_bytes(
        [
            ["id", "编号", "consultant", "顾问", "姓名", "手机", "来源"],
            [
                world.sales2_lead.pk,
                world.sales2_lead.pk,
                "sales2",
                world.sales2.pk,
                "张三",
                "13900000001",
                "官方网站",
            ],
        ]
    )
    record = uploaded(as_sales, content)
    # Extra fields a crafted post might add are not part of the form.
    response = confirm(as_sales, record, owner=owner, consultant=world.sales2.pk, mapping_0="consultant")
    assert response.status_code == 302

    customer = Customer.objects.get(imported_from=record)
    assert customer.pk != world.sales2_lead.pk
    assert customer.consultant_id == (world.sales.pk if owner == "me" else None)
    world.sales2_lead.refresh_from_db()
    assert (world.sales2_lead.name, world.sales2_lead.imported_from_id) == ("萨尔", None)
    assert not Customer.objects.filter(imported_from=record, consultant=world.sales2).exists()


# --- 3. Checking each row -----------------------------------------------------------------------
ROW_HEADERS = ["姓名", "手机", "QQ", "微信", "邮箱", "来源", "咨询日期", "性别", "学历", "意向课程", "月薪"]


def row(name="", phone="", qq="", wechat="", email="", source="官方网站", day="", gender="", education="",
        courses="", salary=""):  # fmt: skip
    return [name, phone, qq, wechat, email, source, day, gender, education, courses, salary]


@pytest.fixture
def genders(world):
    return DictItem.objects.bulk_create(
        [
            DictItem(kind=DictItem.Kind.GENDER, code="male", label="男", order=1),
            DictItem(kind=DictItem.Kind.GENDER, code="female", label="女", order=2),
            DictItem(kind=DictItem.Kind.SOURCE, code="baidu", label="百度", order=2, is_active=False),
        ]
    )


def test_each_bad_row_is_reported_with_its_spreadsheet_row_number_and_the_good_rows_are_created(
    world, as_sales, genders
):
    tomorrow = (today() + timedelta(days=1)).isoformat()
    rows = [
        ROW_HEADERS,
        row(
            "张三",
            "13900000001",
            day=days_ago(3),
            gender="男",
            education="本科",
            courses="Python全栈开发",
            salary="8000",
        ),
        row("", "13900000002"),
        row("李四", "12345"),
        row("王五", qq="0123"),
        row("赵六", email="zl@example.test"),
        row("孙七", "13900000007", source="地推"),
        row("周八", "13900000008", gender="未知"),
        row("吴九", "13900000009", education="博士后"),
        row("郑十", "13900000010", courses="Python全栈开发, Java"),
        row("冯一", "13900000011", day="2025-13-45"),
        row("陈二", "13900000012", day=tomorrow),
        row("褚三", "13900000013", day="1989-12-31"),
        row("卫四", "13900000014", salary="面议"),
        row("蒋五", "13900000015", salary="20000000"),
        row("张" * 51, "13900000016"),
        row("沈六", "13900000017", email="not-an-email"),
        row("韩七", "13900000018", source="百度"),
        [],  # a blank row: skipped, but the rows after it keep their numbers
        row("李雷", "13900000019", day="2025/03/01", gender="female", salary="12,000"),
        row("韩梅梅", wechat="hanmeimei_wx", day="2025年3月2日"),
    ]
    expected = {
        3: "Full name: this field is required.",
        4: "Phone: Enter a valid phone number",
        5: "QQ: A QQ number has 5 to 12 digits",
        6: "Enter at least one way to reach the customer",
        7: "Source: “地推” is not in the data dictionary.",
        8: "Gender: “未知” is not in the data dictionary.",
        9: "Education: “博士后” is not in the data dictionary.",
        10: "Interested courses: there is no active course “Java”.",
        11: "Consultation date: “2025-13-45” is not a date like 2026-03-01.",
        12: "Consultation date: the date must be between 1990 and today.",
        13: "Consultation date: the date must be between 1990 and today.",
        14: "Monthly salary: “面议” is not a whole number.",
        15: "Monthly salary: enter a monthly amount between 0 and 10,000,000.",
        16: "Full name: at most 50 characters.",
        17: "Email: Enter a valid email address.",
        18: "Source: “百度” is not in the data dictionary.",
    }
    before = Customer.objects.count()

    record = import_file(as_sales, csv_bytes(rows))

    found = problems(record)
    assert sorted(found) == sorted(expected)
    for number, message in expected.items():
        assert found[number][0] == ERROR
        assert message in found[number][1], (number, found[number][1])
    # The report keeps the row as the user wrote it.
    assert record.problems.get(row_number=4).values == row("李四", "12345")
    assert set(imported(record)) == {"张三", "李雷", "韩梅梅"}
    assert Customer.objects.count() == before + 3
    assert (record.status, record.total_rows, record.processed_rows) == (Status.DONE, 19, 19)
    assert (record.created_count, record.error_count, record.duplicate_count) == (3, 16, 0)
    assert_counts_add_up(record)

    zhang, li, han = (imported(record)[name] for name in ("张三", "李雷", "韩梅梅"))
    assert (zhang.gender_id, zhang.education_id, zhang.salary) == (genders[0].pk, world.education.pk, 8000)
    assert (li.gender_id, li.salary, li.consulted_on) == (genders[1].pk, 12000, date(2025, 3, 1))
    assert (han.phone, han.wechat, han.consulted_on) == ("", "hanmeimei_wx", date(2025, 3, 2))
    assert zhang.consulted_on.isoformat() == days_ago(3)


def test_rows_of_an_xlsx_keep_their_numbers_below_blank_rows(world, as_sales):
    content = xlsx_bytes(
        [
            [],
            [],
            ["姓名", "手机", "来源"],
            ["张三", 13900000001, "官方网站"],
            [],
            ["李四", 12345, "官方网站"],
        ]
    )
    record = import_file(as_sales, content, "leads.xlsx")
    assert set(imported(record)) == {"张三"}
    assert sorted(problems(record)) == [6]


def test_a_course_whose_name_holds_a_separator_is_found(world, as_sales):
    design = Course.objects.create(name="UI/UX设计", default_price=15800)
    content = csv_bytes(
        [
            ["姓名", "手机", "来源", "意向课程"],
            ["张三", "13900000001", "官方网站", "UI/UX设计"],
            ["李四", "13900000002", "官方网站", "Python全栈开发, UI/UX设计"],
        ]
    )
    record = import_file(as_sales, content)
    assert problems(record) == {}
    assert list(imported(record)["张三"].interested_courses.all()) == [design]
    assert set(imported(record)["李四"].interested_courses.all()) == {world.python, design}


def test_a_row_without_a_consultation_date_is_dated_today(world, as_sales):
    record = import_file(as_sales, csv_bytes([["姓名", "手机", "来源"], ["张三", "13900000001", "官方网站"]]))
    assert imported(record)["张三"].consulted_on == today()


@pytest.mark.parametrize("with_default", [False, True], ids=["no-default-source", "default-source"])
def test_a_missing_source_takes_the_default_and_an_unknown_one_never_does(world, as_sales, with_default):
    referral = DictItem.objects.create(kind=DictItem.Kind.SOURCE, code="referral", label="转介绍", order=3)
    content = csv_bytes(
        [
            ["姓名", "手机", "来源"],
            ["张三", "13900000001", "官方网站"],
            ["李四", "13900000002", ""],
            ["王五", "13900000003", "地推"],
        ]
    )

    record = import_file(as_sales, content, default_source=referral if with_default else None)

    sources = {name: customer.source_id for name, customer in imported(record).items()}
    found = problems(record)
    if with_default:
        assert sources == {"张三": world.source.pk, "李四": referral.pk}
        assert sorted(found) == [4]
    else:
        assert sources == {"张三": world.source.pk}
        assert sorted(found) == [3, 4]
        assert "Source: this field is required" in found[3][1]
    assert "Source: “地推” is not in the data dictionary." in found[4][1]


def test_a_file_without_a_source_column_uses_the_default_source(world, as_sales):
    referral = DictItem.objects.create(kind=DictItem.Kind.SOURCE, code="referral", label="转介绍", order=3)
    content = csv_bytes([["姓名", "手机"], ["张三", "13900000001"]])
    record = import_file(as_sales, content, default_source=referral)
    assert imported(record)["张三"].source_id == referral.pk


# --- 4. Duplicates ------------------------------------------------------------------------------
@pytest.mark.parametrize("batch", [1000, 2], ids=["one-batch", "batches-of-two"])
def test_duplicates_in_the_file_and_of_live_customers_are_reported_not_created(
    world, as_sales, monkeypatch, batch
):
    monkeypatch.setattr(services, "IMPORT_BATCH", batch)
    content = csv_bytes(
        [
            ["姓名", "手机", "QQ", "来源"],
            ["王五", "13900000001", "5550001", "官方网站"],
            ["王六", "139 0000 0001", "", "官方网站"],  # row 2's phone, typed another way
            ["赵七", "138 0000 0002", "", "官方网站"],  # sales' customer
            ["钱八", "+86-138-0000-0003", "", "官方网站"],  # sales2's customer
            ["孙九", "", "100001", "官方网站"],  # the pool customer's QQ
            ["删除", "13800000004", "", "官方网站"],  # only a deleted customer has it
            ["周十", "13900000008", "5550001", "官方网站"],  # row 2's QQ
            ["吴一", "13900000009", "5550009", "官方网站"],
        ]
    )

    record = import_file(as_sales, content)

    found = problems(record)
    assert sorted(found) == [3, 4, 5, 6, 8]
    assert all(kind == DUPLICATE for kind, _message in found.values())
    assert found[3][1] == "Same phone or QQ as row 2 of this file."
    assert found[8][1] == "Same phone or QQ as row 2 of this file."
    assert f"萨乐 (No. {world.sales_lead.pk}), owned by Sales1 Tester since" in found[4][1]
    assert f"萨尔 (No. {world.sales2_lead.pk}), owned by Sales2 Tester since" in found[5][1]
    assert (
        found[6][1] == f"This customer already exists: 池塘 (No. {world.pool_lead.pk}), in the public pool."
    )
    assert set(imported(record)) == {"王五", "删除", "吴一"}
    assert (record.created_count, record.duplicate_count, record.error_count) == (3, 5, 0)
    assert_counts_add_up(record)
    live = Customer.objects.filter(is_deleted=False)
    for phone in ("+8613900000001", "+8613800000002", "+8613800000003", "+8613800000004"):
        assert live.filter(phone=phone).count() == 1
    assert live.filter(qq="100001").count() == 1


def test_importing_the_same_file_twice_creates_each_customer_once(world, as_sales):
    content = csv_bytes(
        [
            ["姓名", "手机", "QQ", "来源"],
            ["王五", "13900000001", "", "官方网站"],
            ["李四", "", "5550002", "官方网站"],
        ]
    )
    first = import_file(as_sales, content)
    second = import_file(as_sales, content)
    assert (first.created_count, second.created_count, second.duplicate_count) == (2, 0, 2)
    assert "owned by Sales1 Tester" in problems(second)[2][1]
    assert Customer.objects.filter(phone="+8613900000001").count() == 1
    assert Customer.objects.filter(qq="5550002").count() == 1


# --- 5. Formulas --------------------------------------------------------------------------------
def test_formula_text_is_refused_and_the_report_neutralises_every_formula_looking_cell(world, as_sales):
    content = csv_bytes(
        [
            ["姓名", "手机", "来源", "备注", "=危险"],
            ['=HYPERLINK("http://x","y")', "13900000001", "官方网站", "", ""],
            ["=1+2", "13900000002", "官方网站", "", "x"],
            ["张三", "13900000003", "官方网站", "", ""],
            ["李四", "+86 139 0000 0005", "=cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"],
        ]
    )

    record = import_file(as_sales, content, "公式.csv")

    found = problems(record)
    assert sorted(found) == [2, 3, 5]
    assert found[2] == (
        ERROR,
        'Full name: “=HYPERLINK("http://x","y")” looks like a formula; import plain values.',
    )
    assert found[3] == (ERROR, "Full name: “=1+2” looks like a formula; import plain values.")
    assert "Source: “=cmd|' /C calc'!A0” looks like a formula" in found[5][1]
    assert set(imported(record)) == {"张三"}
    assert not Customer.objects.filter(name__startswith="=").exists()

    response = as_sales.get(reverse("crm:customer-import-report", args=[record.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    cells = [cell for line in sheet.iter_rows() for cell in line]
    assert all(cell.data_type != "f" for cell in cells)
    assert not [
        c.value for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))
    ]
    values = [
        [cell if cell is not None else "" for cell in line] for line in sheet.iter_rows(values_only=True)
    ]
    assert values[0] == ["Row", "Problem", "Reason", "姓名", "手机", "来源", "备注", "'=危险"]
    assert [line[:2] for line in values[1:]] == [[2, "Error"], [3, "Error"], [5, "Error"]]
    assert values[1][2] == found[2][1]
    assert values[1][3:] == ['\'=HYPERLINK("http://x","y")', "13900000001", "官方网站", "", ""]
    assert values[2][3:] == ["'=1+2", "13900000002", "官方网站", "", "x"]
    assert values[3][3:] == ["李四", "'+86 139 0000 0005", "'=cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1)"]


def test_an_xlsx_formula_is_read_as_its_cached_value_never_as_its_text(world, as_sales):
    content = xlsx_bytes(
        [
            ["姓名", "手机", "来源"],
            ["张三", 1, "官方网站"],
            ["占位", 13900000008, "官方网站"],
            ["赵六", 1, "官方网站"],
        ]
    )
    cells = [
        replace_cell("B2", '<c r="B2"><f>13900000000+7</f><v>13900000007</v></c>'),
        replace_cell("A3", '<c r="A3" t="str"><f>CONCATENATE("王","五")</f><v>王五</v></c>'),
        replace_cell("B4", '<c r="B4"><f>SUM(1,1)</f></c>'),
        replace_cell("C4", '<c r="C4" t="str"><f>HYPERLINK("http://x","官方网站")</f><v>官方网站</v></c>'),
    ]

    def formulas(xml: bytes) -> bytes:
        for change in cells:
            xml = change(xml)
        return xml

    content = rewrite_zip(content, {"xl/worksheets/sheet1.xml": formulas})

    record = import_file(as_sales, content, "leads.xlsx")

    assert record.preview[:2] == [["张三", "13900000007", "官方网站"], ["王五", "13900000008", "官方网站"]]
    customers = imported(record)
    assert set(customers) == {"张三", "王五"}
    assert (customers["张三"].phone, customers["王五"].phone) == ("+8613900000007", "+8613900000008")
    # A formula without a cached value is an empty cell: row 4 has no contact left.
    assert sorted(problems(record)) == [4]
    assert "Enter at least one way to reach the customer" in problems(record)[4][1]
    assert record.problems.get().values == ["赵六", "", "官方网站"]
    texts = Customer.objects.values_list("name", "phone", "note")
    assert not [value for line in texts for value in line if "SUM" in value or "CONCATENATE" in value]


# --- 6. Where the new customers go ---------------------------------------------------------------
LEADS = [["姓名", "手机", "来源"]] + [[f"客户{n}", f"1390000{n:04d}", "官方网站"] for n in range(1, 7)]


def test_owner_me_gives_the_customers_to_the_importer(world, as_sales):
    record = import_file(as_sales, csv_bytes(LEADS[:3]), owner="me")
    customers = Customer.objects.filter(imported_from=record)
    assert customers.count() == 2
    for customer in customers:
        assert (customer.consultant_id, customer.created_by_id) == (world.sales.pk, world.sales.pk)
        assert customer.claimed_at is not None
        event = OwnershipEvent.objects.get(customer=customer)
        assert (event.kind, event.to_user_id, event.by_id, event.from_user_id) == (
            Kind.CREATE,
            world.sales.pk,
            world.sales.pk,
            None,
        )
    assert record.allocated_count == 0


def test_owner_pool_puts_the_customers_in_the_public_pool(world, as_sales):
    record = import_file(as_sales, csv_bytes(LEADS[:3]), owner="pool")
    customers = Customer.objects.filter(imported_from=record)
    assert [(c.consultant_id, c.claimed_at) for c in customers] == [(None, None), (None, None)]
    assert set(customers.values_list("pk", flat=True)) <= set(
        Customer.objects.in_pool().values_list("pk", flat=True)
    )
    assert list(OwnershipEvent.objects.filter(customer__in=customers).values_list("kind", "to_user_id")) == [
        (Kind.CREATE, None),
        (Kind.CREATE, None),
    ]


def test_a_manager_may_auto_allocate_the_imported_customers_by_weight(world, as_manager):
    AllocationWeight.objects.bulk_create(
        [
            AllocationWeight(consultant=world.sales, weight=2),
            AllocationWeight(consultant=world.sales2, weight=1),
        ]
    )
    assert 'value="allocate"' in uploaded_mapping_page(as_manager)

    record = import_file(as_manager, csv_bytes(LEADS), owner="allocate")

    customers = list(Customer.objects.filter(imported_from=record).order_by("pk"))
    owners = [customer.consultant_id for customer in customers]
    assert (owners.count(world.sales.pk), owners.count(world.sales2.pk)) == (4, 2)
    assert all(customer.claimed_at is not None for customer in customers)
    assert (record.created_count, record.allocated_count) == (6, 6)
    allocations = dict(
        OwnershipEvent.objects.filter(kind=Kind.ALLOCATE, customer__in=customers).values_list(
            "customer_id", "to_user_id"
        )
    )
    assert allocations == {customer.pk: customer.consultant_id for customer in customers}
    assert OwnershipEvent.objects.filter(kind=Kind.CREATE, customer__in=customers).count() == 6


def test_auto_allocation_without_weights_leaves_the_customers_in_the_pool(world, as_manager):
    record = import_file(as_manager, csv_bytes(LEADS[:3]), owner="allocate")
    assert (record.status, record.created_count, record.allocated_count) == (Status.DONE, 2, 0)
    assert not Customer.objects.filter(imported_from=record, consultant__isnull=False).exists()


def uploaded_mapping_page(client) -> str:
    record = uploaded(client, csv_bytes(LEADS[:2]), "page.csv")
    return client.get(detail_url(record)).content.decode()


def test_a_consultant_is_not_offered_auto_allocation_and_cannot_post_it(world, as_sales):
    AllocationWeight.objects.create(consultant=world.sales2, weight=1)
    assert 'value="allocate"' not in uploaded_mapping_page(as_sales)
    record = uploaded(as_sales, csv_bytes(LEADS))
    before = snapshot()

    response = confirm(as_sales, record, owner="allocate")

    assert_form_refused(response, "owner")
    assert snapshot() == before
    record.refresh_from_db()
    assert (record.status, record.owner) == (Status.UPLOADED, "")


def test_the_private_cap_stops_the_rows_that_would_exceed_it(world, as_sales):
    pool_policy(private_cap=3)  # sales already holds one unsigned customer
    record = import_file(as_sales, csv_bytes(LEADS[:5]), owner="me")

    assert set(imported(record)) == {"客户1", "客户2"}
    found = problems(record)
    assert sorted(found) == [4, 5]
    for kind, message in found.values():
        assert (kind, message) == (
            ERROR,
            "Not imported: you would hold more than 3 unsigned customers. "
            "Import the rest to the public pool.",
        )
    assert Customer.objects.live().filter(consultant=world.sales).count() == 3
    assert (record.created_count, record.error_count) == (2, 2)


def test_the_private_cap_holds_across_batches(world, as_sales, monkeypatch):
    monkeypatch.setattr(services, "IMPORT_BATCH", 2)
    pool_policy(private_cap=4)
    record = import_file(as_sales, csv_bytes(LEADS), owner="me")
    assert set(imported(record)) == {"客户1", "客户2", "客户3"}
    assert sorted(problems(record)) == [5, 6, 7]
    assert Customer.objects.live().filter(consultant=world.sales).count() == 4


def test_the_cap_does_not_apply_to_the_pool(world, as_sales):
    pool_policy(private_cap=1)
    record = import_file(as_sales, csv_bytes(LEADS), owner="pool")
    assert (record.created_count, record.problem_count) == (6, 0)


# --- 7. History and ownership events -------------------------------------------------------------
def test_each_imported_customer_has_one_history_row_and_one_create_event(world, as_sales):
    content = csv_bytes(
        [
            ["姓名", "手机", "来源", "意向课程"],
            ["张三", "13900000001", "官方网站", "Python全栈开发，Linux运维"],
            ["李四", "13900000002", "官方网站", "linux运维"],
        ]
    )
    history_before, events_before = Customer.history.count(), OwnershipEvent.objects.count()

    record = import_file(as_sales, content, "九月线索.csv")

    customers = imported(record)
    assert Customer.history.count() == history_before + 2
    assert OwnershipEvent.objects.count() == events_before + 2
    for customer in customers.values():
        (history,) = Customer.history.filter(id=customer.pk)
        assert (history.history_type, history.history_user_id) == ("+", world.sales.pk)
        assert (history.name, history.phone, history.consultant_id, history.imported_from_id) == (
            customer.name,
            customer.phone,
            world.sales.pk,
            record.pk,
        )
        (event,) = OwnershipEvent.objects.filter(customer=customer)
        assert (event.kind, event.to_user_id, event.by_id) == (Kind.CREATE, world.sales.pk, world.sales.pk)
        assert "九月线索.csv" in event.reason
    zhang = customers["张三"]
    assert (zhang.name_pinyin, zhang.name_initials) == ("zhangsan", "zs")
    assert (customers["李四"].name_pinyin, customers["李四"].name_initials) == ("lisi", "ls")
    assert set(zhang.interested_courses.all()) == {world.python, world.linux}
    assert list(customers["李四"].interested_courses.all()) == [world.linux]


def test_the_importer_is_notified_when_the_import_finishes(world, as_sales):
    record = import_file(as_sales, csv_bytes([*LEADS[:3], ["", "13900000099", "官方网站"]]))
    notification = world.sales.notifications.get()
    assert notification.text == (
        "Import of leads.csv finished: 2 customers created, 0 duplicates, 1 rows with errors."
    )
    assert notification.link == detail_url(record)


# --- 8. Files refused at the upload ----------------------------------------------------------------
def _image(kind: str) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(output, kind)
    return output.getvalue()


def noise(seed: int, size: int, *, without_nul: bool = False) -> bytes:
    generator = random.Random(seed)
    return bytes(generator.randrange(1 if without_nul else 0, 256) for _ in range(size))


TEXT_PDF = (
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000015 00000 n \n0000000064 00000 n \n0000000121 00000 n \n"
    b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n190\n%%EOF\n"
)
BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{n} "{("&lol%s;" % (n - 1 if n > 1 else "")) * 10}">\n' for n in range(1, 10))
    + "]>\n"
)
WORKBOOK = [["姓名", "手机", "来源"], ["张三", "13900000001", "官方网站"]]


def _sheet_entity_bomb() -> bytes:
    def change(xml: bytes) -> bytes:
        body = xml.decode().replace("<t>张三</t>", "<t>&lol9;</t>")
        return (BILLION_LAUGHS + re.sub(r"^<\?xml[^>]*\?>", "", body)).encode()

    return rewrite_zip(xlsx_bytes(WORKBOOK), {"xl/worksheets/sheet1.xml": change})


def _shared_strings_workbook(strings_xml: str) -> bytes:
    """The workbook with its A2 read from a shared strings part holding `strings_xml`."""
    relation = (
        b'<Relationship Id="rIdStrings" Target="sharedStrings.xml" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
    )
    override = (
        b'<Override PartName="/xl/sharedStrings.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    return rewrite_zip(
        xlsx_bytes(WORKBOOK),
        {
            "xl/_rels/workbook.xml.rels": lambda xml: xml.replace(
                b"</Relationships>", relation + b"</Relationships>"
            ),
            "[Content_Types].xml": lambda xml: xml.replace(b"</Types>", override + b"</Types>"),
            "xl/worksheets/sheet1.xml": replace_cell("A2", '<c r="A2" t="s"><v>0</v></c>'),
            "xl/sharedStrings.xml": lambda _xml: strings_xml.encode(),
        },
    )


SST = (
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
    "<si><t>{}</t></si></sst>"
)


def _patch_central_directory(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    """Set a field of every central directory entry (offsets as in the zip specification)."""
    data = bytearray(data)
    start = data.find(b"PK\x01\x02")
    while start != -1:
        struct.pack_into(fmt, data, start + offset, value)
        start = data.find(b"PK\x01\x02", start + 4)
    return bytes(data)


def _zip_of(members: dict[str, bytes]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return output.getvalue()


OLD_XLS = "Old .xls workbooks"
NOT_A_WORKBOOK = "This is not an Excel workbook we can read"
NEITHER = "This is neither an Excel workbook nor a CSV file."
BAD_FILES = {
    # id: (file name, content or a function of the settings fixture, expected message or None)
    "empty": ("leads.csv", b"", "The submitted file is empty."),
    "blank-rows-only": ("leads.csv", b"\r\n , ,\r\n\r\n", "The file has no rows."),
    "header-only": (
        "leads.csv",
        "姓名,手机,来源\r\n".encode("gbk"),
        "The file has a header row but no customers",
    ),
    "png": ("客户名单.xlsx", _image("PNG"), NEITHER),
    "pdf-with-an-image": ("客户名单.csv", _image("PDF"), NEITHER),
    "pdf-text-only": ("客户名单.csv", TEXT_PDF, None),
    "random-binary": ("leads.xlsx", noise(1, 4096), NEITHER),
    "random-binary-without-nul": (
        "leads.csv",
        noise(2, 4096, without_nul=True),
        "The CSV file's text encoding is not UTF-8 or GBK",
    ),
    "xls-header-with-garbage": ("leads.xls", imports.XLS_MAGIC + noise(3, 4000), OLD_XLS),
    "xls-header-with-zeros": ("leads.xls", imports.XLS_MAGIC + bytes(4000), OLD_XLS),
    "zip-not-a-workbook": ("leads.xlsx", _zip_of({"hello.txt": b"hi", "a/b.xml": b"<a/>"}), NOT_A_WORKBOOK),
    "truncated-xlsx": ("leads.xlsx", xlsx_bytes(WORKBOOK)[:1500], NOT_A_WORKBOOK),
    "xlsx-unsupported-zip-version": (
        "leads.xlsx",
        _patch_central_directory(xlsx_bytes(WORKBOOK), 6, "<H", 99),
        NOT_A_WORKBOOK,
    ),
    "xlsx-member-declaring-a-huge-size": (
        "leads.xlsx",
        _patch_central_directory(xlsx_bytes(WORKBOOK), 24, "<I", 0xFFFFFFF0),
        "This workbook unpacks to too much data",
    ),
    "entity-bomb-in-sheet": ("leads.xlsx", _sheet_entity_bomb(), NOT_A_WORKBOOK),
    "entity-bomb-in-shared-strings": (
        "leads.xlsx",
        _shared_strings_workbook(BILLION_LAUGHS + SST.format("&lol9;")),
        NOT_A_WORKBOOK,
    ),
}


def _zip_bomb(settings) -> bytes:
    settings.CUSTOMER_IMPORT_MAX_UNPACKED_BYTES = 100_000
    return rewrite_zip(xlsx_bytes(WORKBOOK), {"xl/media/padding.bin": lambda _old: bytes(1_000_000)})


def _too_large(settings) -> bytes:
    settings.CUSTOMER_IMPORT_MAX_BYTES = 1024 * 1024
    line = "张三,13900000001,官方网站\r\n".encode()
    return "姓名,手机,来源\r\n".encode() + line * (1024 * 1024 // len(line) + 1)


def _too_many_rows(settings) -> bytes:
    settings.CUSTOMER_IMPORT_MAX_ROWS = 3
    return csv_bytes(LEADS[:5])


BAD_FILES.update(
    {
        "zip-bomb": ("leads.xlsx", _zip_bomb, "This workbook unpacks to too much data"),
        "too-large": ("leads.csv", _too_large, "The file is larger than 1.0\xa0MB"),
        "too-many-rows": (
            "leads.csv",
            _too_many_rows,
            "The file has 4 rows; at most 3 can be imported at once.",
        ),
    }
)


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_on_the_upload_page_and_nothing_is_written(
    world, as_sales, settings, media_root, case
):
    name, content, message = BAD_FILES[case]
    if callable(content):
        content = content(settings)
    before = snapshot()

    response = upload(as_sales, content, name)

    assert_form_refused(response, "file")
    if message is not None:
        assert message in " ".join(response.context["form"].errors["file"])
    assert snapshot() == before
    assert not CustomerImport.objects.exists()
    assert not [path for path in media_root.rglob("*") if path.is_file()]


# The upload form in a separate process with at most 1 GiB of memory: a file that makes the
# reader allocate more would abort the test run itself, as it would abort a web worker.
UPLOAD_FORM_IN_A_PROCESS = """
import sys
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
translation.activate("en")
from crm.forms import CustomerImportUploadForm
form = CustomerImportUploadForm({}, {"file": SimpleUploadedFile("leads.xlsx", sys.stdin.buffer.read())})
print("valid" if form.is_valid() else "refused: " + " ".join(form.errors["file"]))
"""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


ANSWERED = ("valid", "refused: ")


@pytest.mark.parametrize(
    ("far_cell", "answers"),
    [("D20", "valid"), ("AX1048576", ANSWERED), ("XFD1048576", ANSWERED)],
    ids=["control", "fifty-columns-by-a-million-rows", "last-cell-of-the-sheet"],
)
def test_a_workbook_with_one_far_away_cell_does_not_exhaust_memory(far_cell, answers):
    """A 5 KB workbook whose only other cell is far away is a dense range of millions of empty
    cells to a reader that materialises the used range. Whether it is accepted (its rows are
    fine) or refused, the form must answer instead of taking the process down."""
    workbook = Workbook()
    for line in WORKBOOK:
        workbook.active.append(line)
    workbook.active[far_cell] = " x"
    content = io.BytesIO()
    workbook.save(content)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(django_settings.BASE_DIR),
    }

    process = subprocess.run(
        [sys.executable, "-c", UPLOAD_FORM_IN_A_PROCESS],
        input=content.getvalue(),
        capture_output=True,
        env=env,
        cwd=django_settings.BASE_DIR,
        preexec_fn=_limit_memory,
        timeout=60,
    )

    output = process.stdout.decode()
    assert process.returncode == 0, process.stderr.decode(errors="replace").splitlines()[:3]
    assert output.startswith(answers), output
    assert len(content.getvalue()) < 10_000


def test_a_valid_workbook_with_shared_strings_is_read(world, as_sales):
    """The recipe of the entity bomb above, without the bomb, is a workbook that imports."""
    record = import_file(as_sales, _shared_strings_workbook(SST.format("李四")), "leads.xlsx")
    assert list(imported(record)) == ["李四"]


def test_the_row_limit_is_inclusive(world, as_sales, settings):
    settings.CUSTOMER_IMPORT_MAX_ROWS = 3
    assert import_file(as_sales, csv_bytes(LEADS[:4])).created_count == 3


def test_the_template_is_recognised_by_the_import(world, as_sales):
    response = as_sales.get(reverse("crm:customer-import-template"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert imports.guess_mapping(headers) == {
        str(n): field.name for n, field in enumerate(imports.IMPORT_FIELDS)
    }
    sheet.append(["张三", "13900000001", "123456", "", "", "官方网站", today(), "", "本科", "Python全栈开发"])
    output = io.BytesIO()
    workbook.save(output)

    record = import_file(as_sales, output.getvalue(), "template.xlsx")

    assert (record.created_count, record.problem_count) == (1, 0)
    assert imported(record)["张三"].education_id == world.education.pk


def test_the_chinese_template_is_recognised_by_an_english_session(world, as_sales):
    chinese = make_client(world.sales, language="zh-hans")
    workbook = load_workbook(io.BytesIO(chinese.get(reverse("crm:customer-import-template")).content))
    headers = [cell.value for cell in workbook.worksheets[0][1]]
    assert headers[0] != "Full name *"
    assert imports.guess_mapping(headers) == {
        str(n): field.name for n, field in enumerate(imports.IMPORT_FIELDS)
    }


# --- 9. The mapping form ------------------------------------------------------------------------
MAPPING_HEADERS = [["姓名", "手机", "QQ", "来源"], ["张三", "13900000001", "123456", "官方网站"]]


@pytest.mark.parametrize(
    ("mapping", "default_source", "field", "message"),
    [
        (
            {"1": "phone", "2": "qq", "3": "source"},
            False,
            "__all__",
            "Choose the column that holds the full name.",
        ),
        (
            {"0": "name", "3": "source"},
            False,
            "__all__",
            "Choose at least one column with a phone, QQ or WeChat.",
        ),
        (
            {"0": "name", "1": "phone", "2": "phone", "3": "source"},
            False,
            "__all__",
            "“Phone” is chosen for more",
        ),
        ({"0": "name", "1": "phone", "2": "qq"}, False, "default_source", "No column holds the source"),
        ({"0": "name", "1": "phone", "2": "qq"}, "not-a-source", "default_source", "Select a valid choice"),
        (
            {"0": "name", "1": "phone", "2": "bogus", "3": "source"},
            False,
            "column_2",
            "Select a valid choice",
        ),
    ],
    ids=["no-name", "no-contact", "field-twice", "no-source", "default-source-not-a-source", "unknown-field"],
)
def test_a_bad_mapping_is_refused_and_nothing_is_imported(
    world, as_sales, mapping, default_source, field, message
):
    record = uploaded(as_sales, csv_bytes(MAPPING_HEADERS))
    guessed = record.mapping
    before = snapshot()
    data = mapping_data(record, mapping=mapping)
    if default_source == "not-a-source":
        data["default_source"] = world.education.pk

    response = as_sales.post(detail_url(record), data)

    if field.startswith("column_"):  # only a crafted post sends a value the select does not offer
        assert response.status_code == 200
    else:
        assert_form_refused(response, field)
    assert message in " ".join(response.context["form"].errors[field])
    assert snapshot() == before
    record.refresh_from_db()
    assert (record.status, record.mapping, record.owner) == (Status.UPLOADED, guessed, "")
    assert not Customer.objects.filter(name="张三").exists()


def test_posting_the_mapping_twice_imports_once(world, as_sales):
    record = uploaded(as_sales, csv_bytes(LEADS[:3]))
    data = mapping_data(record)
    assert as_sales.post(detail_url(record), data).status_code == 302
    after_first = snapshot()

    response = as_sales.post(detail_url(record), data)

    assert response.status_code in (200, 302)
    assert snapshot() == after_first
    record.refresh_from_db()
    assert (record.status, record.created_count) == (Status.DONE, 2)
    assert Customer.objects.filter(imported_from=record).count() == 2


def test_a_second_start_is_refused_and_the_run_happens_once(world, as_sales):
    """Two clicks that both saw the mapping page: the second conditional UPDATE finds no upload."""
    record = uploaded(as_sales, csv_bytes(LEADS[:3]))
    services.customer_import_start(
        customer_import=record, mapping=record.mapping, owner="me", default_source=None
    )
    with pytest.raises(services.CustomerRefused, match="already been started"):
        services.customer_import_start(
            customer_import=record, mapping=record.mapping, owner="pool", default_source=None
        )
    assert services.customer_import_run(import_id=record.pk).created_count == 2
    assert services.customer_import_run(import_id=record.pk) is None
    record.refresh_from_db()
    assert (record.owner, record.created_count) == ("me", 2)
    assert Customer.objects.filter(imported_from=record).count() == 2


# --- 10. Who sees an import; the imported list; the progress fragment --------------------------
@pytest.mark.parametrize("role", ["sales2", "manager"])
def test_only_the_importer_sees_an_import(world, as_sales, client_for, role):
    pending = uploaded(as_sales, csv_bytes(LEADS[:3]))
    finished = import_file(as_sales, csv_bytes([["姓名", "手机", "来源"], ["", "13900000009", "官方网站"]]))
    other = client_for(role)
    before = snapshot()

    for record in (pending, finished):
        assert other.get(detail_url(record)).status_code == 404
        assert other.get(reverse("crm:customer-import-report", args=[record.pk])).status_code == 404
    assert other.post(detail_url(pending), mapping_data(pending)).status_code == 404
    assert snapshot() == before
    pending.refresh_from_db()
    assert pending.status == Status.UPLOADED
    assert pending.original_name not in other.get(IMPORT_URL).content.decode()


@pytest.mark.parametrize(("owner", "list_name"), [("me", "crm:customer-mine"), ("pool", "crm:customer-pool")])
def test_the_imported_filter_lists_exactly_the_imported_customers(world, as_sales, owner, list_name):
    earlier = import_file(as_sales, csv_bytes(LEADS[:2]), owner=owner)
    record = import_file(as_sales, csv_bytes([LEADS[0], *LEADS[3:6]]), owner=owner)
    page = as_sales.get(detail_url(record))
    assert page.context["imported_url"] == f"{reverse(list_name)}?imported={record.pk}"

    response = as_sales.get(reverse(list_name), {"imported": record.pk})

    assert response.status_code == 200
    listed = {customer.pk for customer in response.context["object_list"]}
    assert listed == set(Customer.objects.filter(imported_from=record).values_list("pk", flat=True))
    assert len(listed) == 3
    assert not listed & set(Customer.objects.filter(imported_from=earlier).values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("status", "polls"),
    [(Status.QUEUED, True), (Status.RUNNING, True), (Status.DONE, False), (Status.FAILED, False)],
)
def test_the_progress_fragment_polls_only_while_the_import_is_under_way(world, as_sales, status, polls):
    record = import_file(as_sales, csv_bytes(LEADS[:3]))
    CustomerImport.objects.filter(pk=record.pk).update(status=status)

    fragment = as_sales.get(detail_url(record), headers={"HX-Request": "true"})
    page = as_sales.get(detail_url(record))

    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in html
    assert f'data-status="{status}"' in html
    assert ('hx-trigger="every 1s"' in html) is polls
    assert "<html" in page.content.decode()
    assert ("hx-trigger" in page.content.decode()) is polls


# --- 11. Batches are atomic ---------------------------------------------------------------------
def test_a_failing_batch_leaves_nothing_and_the_counters_match_what_was_kept(world, as_sales, monkeypatch):
    monkeypatch.setattr(services, "IMPORT_BATCH", 3)
    real = services._record_imported
    calls = []

    def second_call_fails(*args, **kwargs):
        calls.append(args)
        real(*args, **kwargs)
        if len(calls) == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_record_imported", second_call_fails)
    content = csv_bytes(
        [
            ["姓名", "手机", "来源", "意向课程"],
            ["客户1", "13900000001", "官方网站", "Python全栈开发"],
            ["客户2", "13900000002", "官方网站", "Python全栈开发"],
            ["客户3", "12345", "官方网站", ""],
            ["客户4", "13900000004", "官方网站", "Linux运维"],
            ["客户5", "13900000005", "官方网站", "Linux运维"],
            ["客户6", "12345", "官方网站", ""],
            ["客户7", "13900000007", "官方网站", ""],
        ]
    )
    history_before, events_before = Customer.history.count(), OwnershipEvent.objects.count()
    links_before = Customer.interested_courses.through.objects.count()

    record = import_file(as_sales, content)

    assert len(calls) == 2
    assert record.status == Status.FAILED
    assert "The import stopped on an unexpected error after 3 rows." in record.message
    assert (record.processed_rows, record.created_count, record.error_count, record.duplicate_count) == (
        3,
        2,
        1,
        0,
    )
    assert set(imported(record)) == {"客户1", "客户2"}
    assert_counts_add_up(record)
    assert sorted(problems(record)) == [4]
    assert not Customer.objects.filter(name__in=["客户4", "客户5", "客户7"]).exists()
    assert Customer.history.count() == history_before + 2
    assert OwnershipEvent.objects.count() == events_before + 2
    assert Customer.interested_courses.through.objects.count() == links_before + 2
    assert not record.file
    page = as_sales.get(detail_url(record)).content.decode()
    assert "The import stopped on an unexpected error" in page


def test_running_an_import_that_is_not_queued_does_nothing(world, as_sales):
    record = uploaded(as_sales, csv_bytes(LEADS[:3]))
    before = snapshot()

    assert services.customer_import_run(import_id=record.pk) is None

    assert snapshot() == before
    record.refresh_from_db()
    assert (record.status, record.started_at, record.processed_rows) == (Status.UPLOADED, None, 0)
    assert default_storage.exists(record.file.name)
    assert services.customer_import_run(import_id=record.pk + 1000) is None


# --- 12. Uploads never confirmed are discarded ---------------------------------------------------
def test_uploads_left_unconfirmed_for_a_day_are_deleted_with_their_files(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        as_sales = make_client(world.sales)
        stale = uploaded(as_sales, csv_bytes(LEADS[:2]), "stale.csv")
        started = import_file(as_sales, csv_bytes([LEADS[0], *LEADS[2:4]]), "started.csv")
        queued = uploaded(as_sales, csv_bytes([LEADS[0], *LEADS[4:6]]), "queued.csv")
        CustomerImport.objects.filter(pk=queued.pk).update(status=Status.QUEUED)
    with time_machine.travel(start + timedelta(hours=23), tick=False):
        # A new sign-in: the session of the first uploads may have expired by then.
        fresh = uploaded(make_client(world.sales), csv_bytes([LEADS[0], *LEADS[5:7]]), "fresh.csv")
    assert default_storage.exists(stale.file.name)

    with time_machine.travel(start + timedelta(hours=25), tick=False):
        assert services.customer_imports_discard_unconfirmed() == 1

    assert not CustomerImport.objects.filter(pk=stale.pk).exists()
    assert not default_storage.exists(stale.file.name)
    assert set(CustomerImport.objects.values_list("pk", flat=True)) == {started.pk, queued.pk, fresh.pk}
    assert default_storage.exists(fresh.file.name) and default_storage.exists(queued.file.name)
    assert Customer.objects.filter(imported_from=started).count() == 2
    # Idempotent: nothing else is old enough yet.
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        assert services.customer_imports_discard_unconfirmed() == 0


# --- 13. Queries do not grow with the rows ------------------------------------------------------
def _import_capturing(world, content: bytes, owner: str) -> tuple[CustomerImport, list[str]]:
    """Upload and start an import of `content`, then run it and return it with its queries."""
    table = imports.read_table(content, "leads.csv")
    record = services.customer_import_upload(table=table, data=content, filename="leads.csv", by=world.sales)
    services.customer_import_start(
        customer_import=record, mapping=record.mapping, owner=owner, default_source=None
    )
    with CaptureQueriesContext(connection) as queries:
        record = services.customer_import_run(import_id=record.pk)
    return record, [query["sql"] for query in queries.captured_queries]


def _run_queries(world, rows: int, owner: str) -> list[str]:
    content = csv_bytes(
        [["姓名", "手机", "来源", "意向课程"]]
        + [[f"客户{n}", f"139{n:08d}", "官方网站", "Python全栈开发"] for n in range(1, rows + 1)]
    )
    record, sqls = _import_capturing(world, content, owner)
    assert (record.status, record.created_count) == (Status.DONE, rows)
    return sqls


# A batch's rows in one statement: Django's bulk_create or ArrayRowWriter on PostgreSQL (INSERT
# ... SELECT * FROM UNNEST), bulk_create (INSERT ... VALUES) or executemany, which the query log
# shows once as "N times: INSERT ...", on SQLite.
BULK_INSERT = re.compile(r'(?:\d+ times: )?INSERT INTO "(\w+)" \([^)]*\) (VALUES |SELECT \* FROM UNNEST)')


def _bulk_insert_statements(model, rows: int) -> int:
    """How many INSERTs Django's bulk_create needs for `rows` new objects on this database
    (SQLite allows 999 parameters per statement, so Django splits there; PostgreSQL needs one)."""
    if not rows:
        return 0
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    size = connection.ops.bulk_batch_size(fields, [model()] * rows) or rows
    return -(-rows // size)


def _split(queries: list[str]) -> tuple[list[str], Counter]:
    """The queries other than bulk inserts (INSERT ... VALUES on SQLite, INSERT ... SELECT * FROM
    UNNEST on PostgreSQL), and how many bulk inserts each table got."""
    others, inserts = [], Counter()
    for sql in queries:
        match = BULK_INSERT.match(sql)
        if match:
            inserts[match[1]] += 1
        else:
            others.append(sql)
    return others, inserts


@pytest.mark.parametrize("owner", ["me", "pool", "allocate"])
def test_the_import_queries_do_not_grow_with_the_rows(world, owner):
    pool_policy(private_cap=10_000)
    AllocationWeight.objects.bulk_create(
        [
            AllocationWeight(consultant=world.sales, weight=2),
            AllocationWeight(consultant=world.sales2, weight=1),
        ]
    )
    small = _run_queries(world, 50, owner)
    Customer.objects.filter(imported_from__isnull=False).delete()
    large = _run_queries(world, 500, owner)

    (small_others, small_inserts), (large_others, large_inserts) = _split(small), _split(large)
    # One statement per step whatever the rows: no query per row or per customer.
    assert len(large_others) == len(small_others)
    # The customers and their courses are one statement each; the allocation's ownership events
    # are one bulk_create, split only where the database's parameter limit makes Django split it
    # (SQLite); the ownership events of `create` are copied by one INSERT ... SELECT.
    through = Customer.interested_courses.through
    for rows, inserts in ((50, small_inserts), (500, large_inserts)):
        assert inserts == Counter(
            {
                Customer._meta.db_table: 1,
                through._meta.db_table: 1,
                OwnershipEvent._meta.db_table: _bulk_insert_statements(
                    OwnershipEvent, rows if owner == "allocate" else 0
                ),
                Notification._meta.db_table: 1,
            }
        )


WRITE = re.compile(r'^(?:\d+ times: )?(INSERT INTO|UPDATE|DELETE FROM) "(\w+)"')
READ = re.compile(r'^SELECT .*? FROM "(\w+)"', re.DOTALL)


def _statement(sql: str) -> str:
    """`INSERT INTO crm_customer`, `SELECT crm_customer` (the first table read), `SAVEPOINT`."""
    if "nextval(pg_get_serial_sequence" in sql or "FROM sqlite_sequence" in sql:
        return "reserve ids"
    if match := WRITE.match(sql):
        return f"{match[1]} {match[2]}"
    if match := READ.match(sql):
        return f"SELECT {match[1]}"
    return sql.split(" ")[0] if sql.startswith("SAVEPOINT") else " ".join(sql.split(" ")[:2])


def _statements_of_batches(world, monkeypatch, *, batches: int, owner: str) -> Counter:
    """The statements of an import of `batches` batches of four rows: two new customers with a
    course, a row with an error and a duplicate of the batch's first row."""
    monkeypatch.setattr(services, "IMPORT_BATCH", 4)
    rows = [["姓名", "手机", "来源", "意向课程"]]
    for batch in range(batches):
        rows += [
            [f"客户{batch}a", f"1390000{batch:02d}01", "官方网站", "Python全栈开发"],
            [f"客户{batch}b", f"1390000{batch:02d}02", "官方网站", "Linux运维"],
            [f"客户{batch}c", "12345", "官方网站", ""],
            [f"客户{batch}d", f"1390000{batch:02d}01", "官方网站", ""],
        ]
    record, sqls = _import_capturing(world, csv_bytes(rows), owner)
    assert (record.created_count, record.error_count, record.duplicate_count) == (
        2 * batches,
        batches,
        batches,
    )
    return Counter(_statement(sql) for sql in sqls)


# Each batch in its own transaction (a savepoint inside the test's), with one statement per
# step: the duplicates of live customers looked up at once (phones; QQ numbers have their own),
# the customers' ids, the customers, their courses, their history rows and `create` events, the
# problems and the counters.
BATCH_STATEMENTS = Counter(
    {
        "SAVEPOINT": 1,
        "RELEASE SAVEPOINT": 1,
        "SELECT crm_customer": 1,
        "reserve ids": 1,
        "INSERT INTO crm_customer": 1,
        "INSERT INTO crm_customer_interested_courses": 1,
        "INSERT INTO crm_historicalcustomer": 1,
        "INSERT INTO crm_ownershipevent": 1,
        "INSERT INTO crm_customerimportproblem": 1,
        "UPDATE crm_customerimport": 1,
    }
)
# Importing to oneself also locks one's user row and counts one's customers against the cap.
OWN_BATCH_STATEMENTS = BATCH_STATEMENTS + Counter(
    {"SELECT accounts_user": 1, "SELECT crm_poolpolicy": 1, "SELECT crm_customer": 1}
)


@pytest.mark.parametrize(("owner", "per_batch"), [("pool", BATCH_STATEMENTS), ("me", OWN_BATCH_STATEMENTS)])
def test_each_batch_runs_a_fixed_set_of_statements(world, monkeypatch, owner, per_batch):
    pool_policy(private_cap=10_000)
    two = _statements_of_batches(world, monkeypatch, batches=2, owner=owner)
    Customer.objects.filter(imported_from__isnull=False).delete()
    three = _statements_of_batches(world, monkeypatch, batches=3, owner=owner)

    assert three - two == per_batch
    assert two - three == Counter()


def test_ids_reserved_for_a_batch_are_never_given_to_a_colleague_saving_meanwhile(shared_db, world):
    """A batch may write its customers with ids reserved at the start of its transaction
    (common.bulk.reserve_ids). A customer a colleague saves meanwhile gets another id: on
    PostgreSQL the sequence gives it a later one at once, on SQLite the colleague waits for the
    batch's write lock."""
    reserved = threading.Event()
    columns = ("id", "name", "source", "consulted_on", "created_at", "updated_at")

    def batch():
        with transaction.atomic():
            ids = reserve_ids(Customer, 3)
            reserved.set()
            time.sleep(0.3)  # the colleague saves now
            now = timezone.now()
            RowWriter(Customer, columns).write(
                [(pk, f"导入{pk}", world.source.pk, today(), now, now) for pk in ids]
            )
        return ids

    def colleague():
        assert reserved.wait(timeout=10)
        return Customer.objects.create(name="同事", source=world.source, consulted_on=today()).pk

    ids, saved = run_together([batch, colleague])

    assert isinstance(ids, list) and isinstance(saved, int), (ids, saved)
    assert saved not in ids
    assert Customer.objects.filter(pk__in=[*ids, saved]).count() == 4


def test_a_malformed_import_filter_says_so_and_lists_nothing(world, as_sales):
    response = as_sales.get(reverse("crm:customer-mine") + "?imported=abc")
    assert response.status_code == 200
    assert list(response.context["object_list"]) == []
    assert "Enter a number." in response.content.decode()


def test_the_finished_page_lists_the_first_rows_not_imported(world, as_sales):
    record = CustomerImport.objects.create(
        created_by=world.sales,
        original_name="leads.csv",
        file_format="csv",
        status=CustomerImport.Status.DONE,
        owner=CustomerImport.Owner.ME,
        error_count=25,
    )
    CustomerImportProblem.objects.bulk_create(
        CustomerImportProblem(
            customer_import=record,
            row_number=row,
            kind=CustomerImportProblem.Kind.ERROR,
            message=f"bad {row}",
        )
        for row in range(2, 27)
    )
    page = as_sales.get(reverse("crm:customer-import-detail", args=[record.pk])).content.decode()
    assert "Rows not imported (the first 20 of 25)" in page
    assert "bad 21" in page
    assert "bad 22" not in page


# --- 14. The quick paths give what the slow ones give -------------------------------------------
def _phonenumbers_e164(raw: str) -> str:
    """What normalize_phone gave before its quick path: phonenumbers' parse for everything."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return "invalid"
    if not phonenumbers.is_valid_number(number):
        return "invalid"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _normalized(raw: str) -> str:
    try:
        return normalize.normalize_phone(raw)
    except ValidationError:
        return "invalid"


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _ways_to_type(digits: str) -> list[str]:
    grouped = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    return [
        digits,
        grouped,
        f"{digits[:3]}-{digits[3:7]}-{digits[7:]}",
        f"{digits[:3]} {digits[3:7]}-{digits[7:]}",
        f"{digits[:4]} {digits[4:]}",
        f"+86{digits}",
        f"+86 {grouped}",
        f"+86-{digits}",
        f"86{digits}",
        f"86 {digits}",
        f"86-{grouped}",
        f"0086{digits}",
        f"0086 {grouped}",
        f"+0086{digits}",
        f"(+86){digits}",
        f"0{digits}",
        f" {digits} ",
        f"{digits[:3]}  {digits[3:]}",
        digits.translate(FULL_WIDTH),
        grouped.translate(FULL_WIDTH),
        digits[:-1],
        f"{digits}0",
        f"86{digits[:-1]}",
        f"tel:{digits}",
        f"{digits} ext 5",
    ]


def test_the_quick_phone_path_gives_what_phonenumbers_gives():
    """Every three-digit prefix of an 11-digit number (mobiles, and 10x-12x service and carrier
    prefixes, which phonenumbers reads otherwise), typed every way people type them, and
    landlines, short numbers and other countries."""
    rng = random.Random(11)
    samples = [
        raw
        for prefix in range(100, 200)
        for _ in range(4)
        for raw in _ways_to_type(f"{prefix}{rng.randrange(10**8):08d}")
    ]
    samples += [f"{prefix}{rng.randrange(10**7):07d}" for prefix in range(1000, 2000)]
    for area in ("010", "021", "0371", "0755", "371", "20"):
        samples += [f"{area}{rng.randrange(10**8):08d}", f"{area}-{rng.randrange(10**7):07d}"]
        samples += [
            f"+86 {area.lstrip('0')} {rng.randrange(10**8):08d}",
            f"({area}) {rng.randrange(10**8):08d}",
        ]
    samples += [
        "95588",
        "400-810-8888",
        "+85291234567",
        "+1 650 253 0000",
        "17912345678",
        "12593 13800138000",
    ]
    samples += [
        "8613800138000",
        "868613800138000",
        "+8686 13800138000",
        "１３８ ００１３ ８０００",
        "138\u00a00013\u00a08000",
    ]

    assert [_normalized(raw) for raw in samples] == [_phonenumbers_e164(raw) for raw in samples]
    # The sample reaches both ways, and both answers.
    quick = [raw for raw in samples if normalize.PLAIN_MOBILE.fullmatch(raw.strip())]
    assert 0 < len(quick) < len(samples)
    assert {_normalized(raw) == "invalid" for raw in quick} == {True, False}


def _pypinyin_keys(name: str) -> tuple[str, str]:
    """What name_keys gave before it remembered anything: pypinyin's lazy_pinyin for each name."""
    syllables, initials = [], []
    for chunk in lazy_pinyin(name, errors=lambda text: "\x00" + text):
        whole = chunk.startswith("\x00")
        syllables.append(chunk[1:] if whole else chunk)
        initials.append(chunk[1:] if whole else chunk[:1])
    return normalize._latin(syllables)[:200], normalize._latin(initials)[:50]


def test_name_keys_give_what_pypinyin_gives_however_often_a_name_or_a_character_comes():
    """Names whose characters read differently in a word (重庆, 银行, 单于), mixed with Latin
    letters and digits, and random characters from the whole CJK block, converted twice."""
    rng = random.Random(13)
    common = "王李张刘陈曾单解仇朴区查翟重长行乐银庆于伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚"
    names = [
        "",
        "Tom",
        "Tom张",
        "张 三",
        "欧阳娜娜",
        "单于",
        "重庆",
        "银行",
        "长江",
        "曾经",
        "A张B李C",
        "张3",
        "ｚｈａｎｇ",
    ]
    names += [rng.choice(common) + "".join(rng.choices(common, k=rng.randint(1, 3))) for _ in range(2000)]
    names += [
        "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(rng.randint(1, 4))) for _ in range(2000)
    ]
    expected = [_pypinyin_keys(name) for name in names]

    normalize.name_keys.cache_clear()
    assert [normalize.name_keys(name) for name in names] == expected
    assert [normalize.name_keys(name) for name in reversed(names)] == expected[::-1]
    normalize.name_keys.cache_clear()  # the converter still remembers the characters
    assert [normalize.name_keys(name) for name in names] == expected


@pytest.mark.parametrize(
    "cells",
    [
        ["张三", "13900000001", "5550001", "wx1", "z@example.com", "官方网站", "2026-03-01", "女", "本科",
         "", "8000"],
        ["李四", "", "5550002", "", "", "", "", "", "", "", ""],
    ],
)  # fmt: skip
def test_a_customer_row_holds_what_a_customer_of_the_values_holds(world, genders, cells):
    reader = imports.RowReader(
        mapping={str(column): name for column, name in enumerate(
            ["name", "phone", "qq", "wechat", "email", "source", "consulted_on", "gender", "education",
             "interested_courses", "salary"]
        )},
        default_source_id=world.source.pk,
    )  # fmt: skip
    result = reader.read(2, cells)
    assert not result.errors

    customer = Customer(**result.values)

    fields = [Customer._meta.get_field(name) for name in imports.CUSTOMER_COLUMNS]
    assert imports.customer_row(result.values) == tuple(getattr(customer, f.attname) for f in fields)


def test_one_pass_over_a_sheet_finds_the_cells_and_positions_two_passes_found():
    """_check_sheet_extent once searched a sheet twice: for value cells, and for the positions
    of those that state one."""
    value_cell = re.compile(rb"<(?:\w+:)?c(?:\s[^>/]*)?>")
    position = re.compile(rb'<(?:\w+:)?c\s[^>/]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>/]*>')
    sheet = (
        b'<cols><col min="1" max="3"/></cols><sheetData><row r="1" spans="1:3">'
        b'<c r="A1" t="s"><v>0</v></c><c r="B1" s="1"/><x:c r="C1"><x:v>1</x:v></x:c><c><v>2</v></c>'
        b'<c t="n" s="2" r="AB12"><v>3</v></c><c r="a1"><v>4</v></c><c r="XFD1048576" t="str"><v>5</v></c>'
        b'<c s="3" r="D9" r="E7"><v>6</v></c><c\tr="F2"\n><v>7</v></c><cell r="G1"/></row></sheetData>'
    )

    found = imports.VALUE_CELL.findall(sheet)

    assert len(found) == len(value_cell.findall(sheet)) == 8
    assert [(letters, row) for letters, row in found if row] == position.findall(sheet)
