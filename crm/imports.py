"""Reading spreadsheets of leads for import, and turning their rows into customer values.

Files are recognised by their content, not their name. An .xlsx is a zip: its unpacked size
and the extent of its first sheet are checked before calamine reads it (calamine's XML parser
expands no entities, so an "entity bomb" is just an unreadable file). Old binary .xls files are
refused with a request to save as .xlsx. Anything else must be CSV text in UTF-8 (with or
without a BOM), GBK/GB18030 (what Excel and WPS save in China) or UTF-16 with a BOM (Excel's
"Unicode text"). Cells are read as values: a formula is never evaluated, and a text cell that looks like
one is refused, so it cannot reach an export or another spreadsheet.

The writes happen in `crm.services.customer_import_run`; this module only reads and checks.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from defusedxml import DTDForbidden, EntitiesForbidden
from defusedxml import ElementTree as ET
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from python_calamine import CalamineError, CalamineWorkbook

from crm.models import Course, DictItem
from crm.normalize import name_keys, normalize_phone, normalize_qq

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE file: old .xls, or an encrypted .xlsx
# Files that are text-like enough to decode but are no CSV: PDF, PNG, JPEG, GIF, RTF, gzip.
BINARY_MAGIC = (b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"{\\rtf", b"\x1f\x8b")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# GB18030 decodes almost any byte pairs, so Big5 (Taiwan and Hong Kong Excel) reads as wrong
# characters instead of failing; many of them fall in the private use area, which text typed in
# GBK never holds.
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# A cell element that is not empty (`<c .../>` is), with any namespace prefix, capturing its
# position when it states one (the first alternative); one pass finds both. No attribute of a
# cell holds a "/" or a ">".
VALUE_CELL = re.compile(rb'<(?:\w+:)?c(?:\s[^>/]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>/]*|\s[^>/]*)?>')
# How far a sheet's values may reach: blank rows and a few stray notes are fine, a value in
# row 1,000,000 or column XFD is not (see _check_sheet_extent).
EXTRA_SHEET_ROWS = 10_000
MAX_SHEET_COLUMNS = 200
MAX_SHEET_CELLS = 5_000_000
MAX_COLUMNS = 50
UNREADABLE_WORKBOOK = (
    CalamineError,
    ET.ParseError,
    DTDForbidden,
    EntitiesForbidden,
    zipfile.BadZipFile,
    NotImplementedError,
    EOFError,
    KeyError,
    ValueError,
    OSError,
)
PREVIEW_ROWS = 5
FORMULA_START = "="
LIST_SEPARATORS = re.compile(r"[,，、;；|\n]+")
HEADER_NOISE = re.compile(r"[\s*＊:：_\-]|[(（\[【].*?[)）\]】]")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
EARLIEST_CONSULTATION = date(1990, 1, 1)


class ImportFileError(Exception):
    """The file cannot be imported at all; `str(error)` says why, in words for the user."""


@dataclass(frozen=True)
class ImportField:
    name: str
    label: object  # a lazy translation
    aliases: tuple[str, ...]
    required: bool = False


# The columns an import understands, in the template's order. Aliases are compared after
# `header_key()`, so "手机号码(必填)" (full-width brackets too), "Phone *" and "phone" all find the
# phone column. Columns naming anything else (a consultant, an id, a status) are not imported:
# ownership is chosen on the mapping page and numbers are given by EduCRM.
IMPORT_FIELDS = (
    ImportField(
        "name", gettext_lazy("Full name"), ("姓名", "名字", "客户姓名", "学员姓名", "name", "fullname"), True
    ),
    ImportField(
        "phone",
        gettext_lazy("Phone"),
        ("手机", "手机号", "手机号码", "电话", "联系电话", "电话号码", "phone", "mobile", "tel", "telephone"),
    ),
    ImportField("qq", gettext_lazy("QQ"), ("qq", "qq号", "qq号码")),
    ImportField("wechat", gettext_lazy("WeChat"), ("微信", "微信号", "wechat", "weixin")),
    ImportField("email", gettext_lazy("Email"), ("邮箱", "电子邮箱", "电子邮件", "email", "mail")),
    ImportField(
        "source", gettext_lazy("Source"), ("来源", "客户来源", "渠道", "来源渠道", "source", "channel")
    ),
    ImportField(
        "consulted_on",
        gettext_lazy("Consultation date"),
        ("咨询日期", "咨询时间", "日期", "consultationdate", "consulted", "consultedon", "date"),
    ),
    ImportField("gender", gettext_lazy("Gender"), ("性别", "gender", "sex")),
    ImportField("education", gettext_lazy("Education"), ("学历", "education")),
    ImportField(
        "interested_courses",
        gettext_lazy("Interested courses"),
        ("意向课程", "咨询课程", "课程", "interestedcourses", "interestedcourse", "courses", "course"),
    ),
    ImportField("note", gettext_lazy("Note"), ("备注", "说明", "note", "notes", "remark", "remarks")),
    ImportField("school", gettext_lazy("School"), ("学校", "毕业院校", "毕业学校", "school")),
    ImportField("major", gettext_lazy("Major"), ("专业", "major")),
    ImportField(
        "experience", gettext_lazy("Work experience"), ("工作经验", "经验", "workexperience", "experience")
    ),
    ImportField(
        "work_status", gettext_lazy("Work status"), ("职业状态", "工作状态", "在职状态", "workstatus")
    ),
    ImportField("company", gettext_lazy("Company"), ("公司", "单位", "工作单位", "company")),
    ImportField(
        "salary", gettext_lazy("Monthly salary"), ("月薪", "薪资", "工资", "monthlysalary", "salary")
    ),
)
FIELDS_BY_NAME = {f.name: f for f in IMPORT_FIELDS}
DICTIONARY_FIELDS = {
    "gender": DictItem.Kind.GENDER,
    "source": DictItem.Kind.SOURCE,
    "education": DictItem.Kind.EDUCATION,
    "experience": DictItem.Kind.EXPERIENCE,
    "work_status": DictItem.Kind.WORK_STATUS,
}
TEXT_LIMITS = {"name": 50, "wechat": 50, "email": 254, "school": 100, "major": 100, "company": 100}


def header_key(header: str) -> str:
    """Lower-case, without spaces, stars, colons and bracketed remarks: `手机号码(必填)` -> `手机号码`."""
    return HEADER_NOISE.sub("", str(header or "")).lower()


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Column number (as text) -> field name, for the headers that name a known field. A field is
    given to its first column only; the user can change everything on the mapping page."""
    by_key = {}
    for spec in IMPORT_FIELDS:
        for alias in (*spec.aliases, str(spec.label)):
            by_key.setdefault(header_key(alias), spec.name)
    mapping: dict[str, str] = {}
    for column, header in enumerate(headers):
        name = by_key.get(header_key(header))
        if name and name not in mapping.values():
            mapping[str(column)] = name
    return mapping


# --- Reading files ----------------------------------------------------------------------------
@dataclass
class Table:
    """A spreadsheet's header row and its data rows, each a list of cell values with the row's
    number as the user sees it in their spreadsheet program."""

    file_format: str
    headers: list[str]
    total_rows: int
    rows: Iterable[tuple[int, list]]


def too_large_message() -> str:
    return _("The file is larger than %(size)s; split it into smaller files.") % {
        "size": filesizeformat(settings.CUSTOMER_IMPORT_MAX_BYTES)
    }


def read_table(data: bytes, filename: str) -> Table:
    """Open an upload; ImportFileError with a clear message when it cannot be imported."""
    if not data:
        raise ImportFileError(_("The file is empty."))
    if len(data) > settings.CUSTOMER_IMPORT_MAX_BYTES:
        raise ImportFileError(too_large_message())
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    if data.startswith(XLS_MAGIC):
        raise ImportFileError(
            _("Old .xls workbooks (and password-protected ones) cannot be imported: save it as .xlsx or CSV.")
        )
    if data.startswith(BINARY_MAGIC):
        raise ImportFileError(_("This is neither an Excel workbook nor a CSV file."))
    return _read_csv(data)


def _read_xlsx(data: bytes) -> Table:
    """Check the workbook's size and extent before calamine reads it: calamine builds the first
    sheet as one rectangle of cells, so a 5 KB file with one value in cell XFD1048576 would ask
    for hundreds of gigabytes."""
    unreadable = _("This is not an Excel workbook we can read. Save it again as .xlsx, or as CSV.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if (
                sum(member.file_size for member in archive.infolist())
                > settings.CUSTOMER_IMPORT_MAX_UNPACKED_BYTES
            ):
                raise ImportFileError(_("This workbook unpacks to too much data to be a list of customers."))
            _check_sheet_extent(archive, _first_sheet_path(archive))
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        # The first sheet holds the customers; the template's second sheet explains the columns.
        rows = workbook.get_sheet_by_index(0).iter_rows()
        return _table("xlsx", (_cells(row) for row in rows))
    except ImportFileError:
        raise
    # zipfile raises NotImplementedError for unknown compression methods or versions, the XML
    # parsers ParseError or defusedxml's refusals, calamine its own errors: to the user they
    # all mean the same.
    except UNREADABLE_WORKBOOK as error:
        raise ImportFileError(unreadable) from error


def _first_sheet_path(archive: zipfile.ZipFile) -> str:
    """The member holding the workbook's first sheet, as calamine orders sheets."""
    workbook = ET.fromstring(archive.read("xl/workbook.xml"))
    sheet = workbook.find(f"{{{SPREADSHEET_NS}}}sheets/{{{SPREADSHEET_NS}}}sheet")
    if sheet is None:
        raise ImportFileError(_("The workbook has no sheets."))
    relation = sheet.get(f"{{{RELATIONSHIP_NS}}}id")
    relations = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for item in relations:
        if item.get("Id") == relation:
            target = item.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise ImportFileError(_("The workbook has no sheets."))


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _check_sheet_extent(archive: zipfile.ZipFile, path: str) -> None:
    """Refuse a sheet whose cells with values reach far beyond a list of customers. Its XML is
    streamed and searched with a regular expression (a 100,000-row sheet takes half a second):
    value cells are `<c r="B7" ...>...</c>`; empty styled cells `<c r="B7" s="1"/>` do not count,
    calamine leaves them out too."""
    limit_rows = settings.CUSTOMER_IMPORT_MAX_ROWS + EXTRA_SHEET_ROWS
    cells = last_row = 0
    columns: set[bytes] = set()
    tail = b""
    with archive.open(path) as stream:
        while chunk := stream.read(1 << 20):
            text = tail + chunk
            cut = text.rfind(b"<")
            text, tail = text[:cut], text[cut:]
            found = VALUE_CELL.findall(text)
            cells += len(found)
            rows = [row for _letters, row in found if row]  # "" for a cell without its position
            if rows:
                last_row = max(last_row, max(map(int, rows)))
                columns.update(letters for letters, _row in found)
                columns.discard(b"")
            widest = max(columns, key=lambda letters: (len(letters), letters), default=b"")
            if last_row > limit_rows or _column_number(widest) > MAX_SHEET_COLUMNS or cells > MAX_SHEET_CELLS:
                raise ImportFileError(
                    _(
                        "The first sheet has values far beyond a list of customers (up to %(cell)s). "
                        "Keep only the customers on it, at most %(rows)s rows and %(columns)s columns."
                    )
                    % {
                        "cell": f"{widest.decode()}{last_row}",
                        "rows": settings.CUSTOMER_IMPORT_MAX_ROWS,
                        "columns": MAX_COLUMNS,
                    }
                )


def _decode(data: bytes) -> str:
    """UTF-16 with a BOM (Excel's "Unicode text"), UTF-8 with or without a BOM, else GB18030 (a
    superset of GBK). Text with control characters is some other kind of file; GB18030 text with
    private-use characters is some other encoding (Big5, most often)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    elif b"\x00" in data[:8192]:
        raise ImportFileError(_("This is neither an Excel workbook nor a CSV file."))
    else:
        encodings = ("utf-8-sig", "gb18030")
    text = None
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None or (encoding == "gb18030" and PRIVATE_USE.search(text)):
        raise ImportFileError(_("The CSV file's text encoding is not UTF-8 or GBK; save it as UTF-8."))
    if CONTROL_CHARACTERS.search(text[:8192]):
        raise ImportFileError(_("This is neither an Excel workbook nor a CSV file."))
    return text


def _read_csv(data: bytes) -> Table:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [[cell.strip() for cell in row[:MAX_COLUMNS]] for row in reader]
    except csv.Error as error:
        raise ImportFileError(_("The CSV file is malformed: %(error)s") % {"error": error}) from error
    return _table("csv", rows)


def _cells(row: list) -> list:
    """A sheet row's values (see `_cell`); text, by far the most common, the quick way."""
    return [value.strip() if type(value) is str else _cell(value) for value in row[:MAX_COLUMNS]]


def _cell(value) -> object:
    """Calamine's value as EduCRM reads it: whole numbers without `.0` (Excel stores phone and
    QQ numbers as floats), dates as dates, text stripped."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return str(value)
    return str(value).strip() if value is not None else ""


def _table(file_format: str, rows: Iterable[list]) -> Table:
    """The first non-blank row is the header; blank rows are skipped (spreadsheets keep many).
    A row is blank when all its values are "": cells are read as text, dates and fractions
    (`_cell`), and of those only "" is false."""
    materialised = [(number, row) for number, row in enumerate(rows, start=1) if any(row)]
    if not materialised:
        raise ImportFileError(_("The file has no rows."))
    (_number, header_row), data_rows = materialised[0], materialised[1:]
    headers = [str(value) for value in header_row]
    if not data_rows:
        raise ImportFileError(_("The file has a header row but no customers under it."))
    if len(data_rows) > settings.CUSTOMER_IMPORT_MAX_ROWS:
        raise ImportFileError(
            _("The file has %(rows)s rows; at most %(limit)s can be imported at once. Split it.")
            % {"rows": len(data_rows), "limit": settings.CUSTOMER_IMPORT_MAX_ROWS}
        )
    width = len(headers)
    if any(len(row) < width for _number, row in data_rows):  # CSV lines may stop early
        data_rows = [(number, row + [""] * (width - len(row))) for number, row in data_rows]
    return Table(file_format=file_format, headers=headers, total_rows=len(data_rows), rows=data_rows)


def as_text(value) -> str:
    """A cell as the error report and the preview show it."""
    return value.isoformat() if isinstance(value, date) else str(value)


# --- Checking rows ----------------------------------------------------------------------------
@dataclass
class RowResult:
    """One row: the customer's values (the name's pinyin keys too), or the reasons it cannot be
    imported."""

    number: int
    cells: list
    values: dict = field(default_factory=dict)
    courses: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _lookup_table(items: Iterable[tuple[int, str, str]]) -> dict[str, int]:
    table: dict[str, int] = {}
    for pk, code, label in items:
        table.setdefault(label.strip().lower(), pk)
        table.setdefault(code.strip().lower(), pk)
    return table


class RowReader:
    """Checks rows against the mapping, the data dictionary and the course list (loaded once),
    the way the customer form checks one customer."""

    def __init__(self, *, mapping: dict[str, str], default_source_id: int | None) -> None:
        # Field name -> its column: the last column given a field wins, in the order the fields
        # first appear (as a dict of the row's values by field would have it).
        columns: dict[str, int] = {}
        for column, name in mapping.items():
            if name in FIELDS_BY_NAME:
                columns[name] = int(column)
        # Each field's check, chosen once rather than for every cell.
        checks = {
            "consulted_on": self._read_date,
            "interested_courses": self._read_courses,
            "phone": self._read_phone,
            "qq": self._read_qq,
            "salary": self._read_salary,
            **dict.fromkeys(DICTIONARY_FIELDS, self._read_dictionary),
        }
        self.columns = [(column, name, checks.get(name, self._read_text)) for name, column in columns.items()]
        self.default_source_id = default_source_id
        self.dictionaries = {
            name: _lookup_table(
                DictItem.objects.filter(kind=kind, is_active=True).values_list("pk", "code", "label")
            )
            for name, kind in DICTIONARY_FIELDS.items()
        }
        self.courses = _lookup_table(
            (pk, course_name, course_name)
            for pk, course_name in Course.objects.filter(is_active=True).values_list("pk", "name")
        )
        self.today = timezone.localdate()
        self.email = EmailValidator()

    def read(self, number: int, cells: list) -> RowResult:
        result = RowResult(number=number, cells=cells)
        width = len(cells)
        for column, name, check in self.columns:
            value = cells[column] if column < width else ""
            if value == "" or value is None:  # an empty cell: the field keeps its default
                continue
            if isinstance(value, str) and value.startswith(FORMULA_START):
                result.errors.append(
                    _("%(column)s: “%(value)s” looks like a formula; import plain values.")
                    % {"column": FIELDS_BY_NAME[name].label, "value": value[:30]}
                )
                continue
            try:
                check(result, name, value)
            except ValidationError as error:
                result.errors.extend(
                    _("%(column)s: %(problem)s") % {"column": FIELDS_BY_NAME[name].label, "problem": message}
                    for message in error.messages
                )
        values = result.values
        if not result.errors:
            if not values.get("name"):
                result.errors.append(
                    _("%(column)s: %(problem)s")
                    % {"column": FIELDS_BY_NAME["name"].label, "problem": _("this field is required.")}
                )
            if not (values.get("phone") or values.get("qq") or values.get("wechat")):
                result.errors.append(_("Enter at least one way to reach the customer: phone, QQ or WeChat."))
            values.setdefault("source_id", self.default_source_id)
            if values["source_id"] is None:
                result.errors.append(
                    _("Source: this field is required; choose a source for rows without one.")
                )
            values.setdefault("consulted_on", self.today)
        if not result.errors:
            # Here, before the batch's transaction begins, rather than while it holds the lock.
            values["name_pinyin"], values["name_initials"] = name_keys(values["name"])
        return result

    def _read_date(self, result: RowResult, name: str, value) -> None:
        result.values[name] = self._date(value)

    def _read_dictionary(self, result: RowResult, name: str, value) -> None:
        result.values[f"{name}_id"] = self._dictionary(name, value)

    def _read_courses(self, result: RowResult, name: str, value) -> None:
        whole = self.courses.get(str(value).strip().lower())
        titles = [str(value)] if whole else LIST_SEPARATORS.split(str(value))
        result.courses = [self._course(title) for title in titles if title.strip()]

    def _read_phone(self, result: RowResult, name: str, value) -> None:
        result.values[name] = normalize_phone(str(value))

    def _read_qq(self, result: RowResult, name: str, value) -> None:
        result.values[name] = normalize_qq(str(value))

    def _read_salary(self, result: RowResult, name: str, value) -> None:
        result.values[name] = self._salary(value)

    def _read_text(self, result: RowResult, name: str, value) -> None:
        text = str(value).strip()
        limit = TEXT_LIMITS.get(name)
        if limit and len(text) > limit:
            raise ValidationError(_("at most %(limit)s characters.") % {"limit": limit})
        if name == "email":
            self.email(text)
        result.values[name] = text

    def _dictionary(self, name: str, value) -> int:
        pk = self.dictionaries[name].get(str(value).strip().lower())
        if pk is None:
            raise ValidationError(
                _("“%(value)s” is not in the data dictionary.") % {"value": str(value)[:50]}
            )
        return pk

    def _course(self, title: str) -> int:
        pk = self.courses.get(title.strip().lower())
        if pk is None:
            raise ValidationError(_("there is no active course “%(value)s”.") % {"value": title.strip()[:50]})
        return pk

    def _date(self, value) -> date:
        if isinstance(value, date):
            day = value
        else:
            text = str(value).strip().split(" ")[0].split("T")[0]
            for date_format in DATE_FORMATS:
                try:
                    day = datetime.strptime(text, date_format).date()
                    break
                except ValueError:
                    continue
            else:
                raise ValidationError(
                    _("“%(value)s” is not a date like 2026-03-01.") % {"value": str(value)[:30]}
                )
        if not EARLIEST_CONSULTATION <= day <= self.today:
            raise ValidationError(_("the date must be between 1990 and today."))
        return day

    @staticmethod
    def _salary(value) -> int:
        text = str(value).replace(",", "").replace("，", "").strip()
        try:
            amount = int(float(text))
        except (ValueError, OverflowError) as error:
            raise ValidationError(_("“%(value)s” is not a whole number.") % {"value": text[:30]}) from error
        if not 0 <= amount <= 10_000_000:
            raise ValidationError(_("enter a monthly amount between 0 and 10,000,000."))
        return amount


def problem_text(errors: list[str]) -> str:
    """A row's reasons as one cell of the report."""
    return _("; ").join(errors)


# A checked row's values (RowResult.values) as the customer columns RowWriter takes: column,
# the key in the values, and the model's default for a field the row left empty.
_ROW_COLUMNS = (
    ("name", "name", ""),
    ("phone", "phone", ""),
    ("qq", "qq", ""),
    ("wechat", "wechat", ""),
    ("email", "email", ""),
    ("source", "source_id", None),
    ("consulted_on", "consulted_on", None),
    ("gender", "gender_id", None),
    ("education", "education_id", None),
    ("note", "note", ""),
    ("school", "school", ""),
    ("major", "major", ""),
    ("experience", "experience_id", None),
    ("work_status", "work_status_id", None),
    ("company", "company", ""),
    ("salary", "salary", None),
    ("name_pinyin", "name_pinyin", ""),
    ("name_initials", "name_initials", ""),
)
CUSTOMER_COLUMNS = tuple(column for column, _key, _default in _ROW_COLUMNS)


def customer_row(values: dict) -> tuple:
    """The values of CUSTOMER_COLUMNS for a row RowReader found valid: what `Customer(**values)`
    would hold, as a tuple."""
    return tuple([values.get(key, default) for _column, key, default in _ROW_COLUMNS])


def chunks(rows: Iterable, size: int) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
