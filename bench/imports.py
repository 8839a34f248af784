"""Issue 7's import comparison: EduCRM's importer against django-import-export, on one file.

A generated .xlsx of leads with the import template's columns, in which one row in ten repeats
an earlier row or a customer already in the database, is imported twice into the bench
database: by EduCRM the way a user does it (upload, confirm the columns, the worker's run,
called inline here), and by a plain django-import-export `ModelResource` keyed on the phone, as
a Django team would write one. Both write real rows. Everything they wrote is deleted again and
the customers the file repeats are put back as they were, so the cached database serves the
next run unchanged.
"""

from __future__ import annotations

import io
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from import_export import fields, resources, widgets
from import_export.formats.base_formats import XLSX
from import_export.results import Result
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from accounts.models import Notification, User
from crm import exports, services
from crm.imports import IMPORT_FIELDS, guess_mapping, read_table
from crm.models import Course, Customer, CustomerImport, DictItem, OwnershipEvent
from crm.normalize import name_keys, national_digits, normalize_phone, normalize_qq

SECTION = "import"
IMPORTER = "manager"  # a demo login, and a user of the tests' world
FILE_PREFIX = "bench-leads-"
# Generated customers have +8613... numbers and QQ numbers of at most eight digits, so the
# imports' new people are found again by these ranges.
NEW_PHONE_PREFIX = "+86199"
FIRST_NEW_QQ = 2_900_000_000
REPEAT_EVERY = 10  # one row in ten repeats someone
REPEAT_EXISTING_EVERY = 3  # and one repeat in three is someone already in the database
# django-import-export saves row by row with several queries each: beyond this many rows it
# imports the file's first rows only, and its results say how many it measured.
IMPORT_EXPORT_MAX_ROWS = 10_000
BUDGET_ROWS = 100_000
BUDGET_SECONDS = 15  # for BUDGET_ROWS rows end to end
GOAL_TIMES_IMPORT_EXPORT = 5  # EduCRM's rows/s over django-import-export's

SURNAMES = (
    "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
)
GIVEN_NAMES = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚英华玉萍红玲芬燕彬鹏辉宇浩然轩涵梓欣怡思远嘉晨阳博文"
SCHOOLS = ("郑州大学", "河南理工大学", "华北水利水电大学", "河南工业大学", "郑州轻工业大学", "黄河科技学院")
MAJORS = ("计算机科学与技术", "软件工程", "电子信息工程", "机械设计制造及其自动化", "会计学", "英语")
COMPANIES = ("富士康科技集团", "中原银行", "宇通客车", "自由职业", "郑州某网络科技有限公司")
NOTES = ("想转行做开发", "在职，周末可以上课", "关心就业和薪资", "家长代为咨询", "对比过其他机构", "想先试听")


# --- The file ---------------------------------------------------------------------------------
def template_headers() -> list[str]:
    """The header row of the import template users download, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        template = exports.import_template()
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(template)).get_sheet_by_index(0)
    return [str(header) for header in next(iter(sheet.iter_rows()))]


@dataclass(frozen=True)
class _Person:
    name: str
    phone: str  # as people type it
    qq: int | None


@dataclass
class LeadRows:
    """Generated rows under the template's headers, and what a correct import of them reports."""

    headers: list[str]
    cells: list[list]
    first_seen: list[bool]  # the row's person is new to the database and to the rows above
    repeated_ids: list[int]  # the customers in the database that rows repeat

    def new_people(self, rows: int) -> int:
        return sum(self.first_seen[:rows])

    def write(self, path: Path, rows: int) -> Path:
        """The first `rows` rows as an .xlsx (openpyxl's write-only mode streams them). A row's
        last cell is written even when blank, as Excel writes a formatted empty cell: the
        write-only mode cannot state the sheet's size, and without it django-import-export's
        reader (openpyxl, read-only) cuts each row after its last value, which tablib refuses."""
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(self.headers)
        for cells in self.cells[:rows]:
            sheet.append([*cells[:-1], "" if cells[-1] is None else cells[-1]])
        workbook.save(path)
        return path


class _Choices:
    """Values the file's columns take: the live dictionary's labels and the course names, as
    people write them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.labels = {
            kind: list(DictItem.objects.filter(kind=kind, is_active=True).values_list("label", flat=True))
            for kind in DictItem.Kind
        }
        self.courses = list(Course.objects.filter(is_active=True).values_list("name", flat=True))
        self.today = timezone.localdate()

    def maybe(self, share: float, value):
        return value if self.rng.random() < share else None

    def label(self, kind: str, share: float) -> str | None:
        return self.maybe(share, self.rng.choice(self.labels[kind])) if self.labels[kind] else None

    def values(self, person: _Person) -> dict[str, object]:
        """A row for `person`, by import field name; a repeat gets fresh values beside the
        name, phone and QQ, as when a lead comes in again from another channel."""
        rng = self.rng
        courses = (
            rng.sample(self.courses, k=rng.randint(1, min(2, len(self.courses)))) if self.courses else []
        )
        return {
            "name": person.name,
            "phone": person.phone,
            "qq": person.qq,
            "wechat": self.maybe(0.4, f"wx_{rng.randrange(10**7, 10**8)}"),
            "email": self.maybe(0.2, f"{person.qq}@qq.com" if person.qq else None),
            # Some rows leave the source and the date empty: the import fills them in.
            "source": self.label(DictItem.Kind.SOURCE, 0.95),
            "consulted_on": self.maybe(0.95, self.today - timedelta(days=rng.randrange(730))),
            "gender": self.label(DictItem.Kind.GENDER, 0.7),
            "education": self.label(DictItem.Kind.EDUCATION, 0.6),
            "interested_courses": self.maybe(0.6, ",".join(courses) or None),
            "note": self.maybe(0.3, rng.choice(NOTES)),
            "school": self.maybe(0.3, rng.choice(SCHOOLS)),
            "major": self.maybe(0.3, rng.choice(MAJORS)),
            "experience": self.label(DictItem.Kind.EXPERIENCE, 0.4),
            "work_status": self.label(DictItem.Kind.WORK_STATUS, 0.4),
            "company": self.maybe(0.2, rng.choice(COMPANIES)),
            "salary": self.maybe(0.2, rng.randrange(3000, 30000, 500)),
        }


def lead_rows(count: int, *, seed: int = 7) -> LeadRows:
    """`count` rows of leads. Every REPEAT_EVERY-th row repeats someone (same name, phone and
    QQ): one in REPEAT_EXISTING_EVERY of them a live customer of the database, the others an
    earlier row. Phones are typed as people do, some with spaces; QQ numbers are numbers, as
    Excel keeps them."""
    rng = random.Random(seed)
    choices = _Choices(rng)
    headers = template_headers()
    columns = guess_mapping(headers)
    field_names = [columns[str(column)] for column in range(len(headers))]
    live_with_phones = Customer.objects.live().exclude(phone="").order_by("pk").only("name", "phone", "qq")
    existing = {
        customer.pk: _Person(
            name=customer.name,
            phone=national_digits(customer.phone),
            qq=int(customer.qq) if customer.qq else None,
        )
        for customer in live_with_phones[: max(1, count // (REPEAT_EVERY * REPEAT_EXISTING_EVERY))]
    }
    repeatable = list(existing.values())
    people: list[_Person] = []
    cells, first_seen = [], []
    for number in range(1, count + 1):
        repeat_number, remainder = divmod(number, REPEAT_EVERY)
        if remainder == 0 and repeatable and repeat_number % REPEAT_EXISTING_EVERY == 0:
            person = repeatable[repeat_number // REPEAT_EXISTING_EVERY % len(repeatable)]
        elif remainder == 0:
            person = rng.choice(people)
        else:
            digits = f"199{len(people):08d}"
            given = "".join(rng.choices(GIVEN_NAMES, k=rng.choice((1, 2, 2))))
            person = _Person(
                name=rng.choice(SURNAMES) + given,
                phone=f"{digits[:3]} {digits[3:7]} {digits[7:]}" if rng.random() < 0.2 else digits,
                qq=choices.maybe(0.6, FIRST_NEW_QQ + len(people)),
            )
            people.append(person)
        values = choices.values(person)
        cells.append([values[name] for name in field_names])
        first_seen.append(remainder != 0)
    return LeadRows(headers=headers, cells=cells, first_seen=first_seen, repeated_ids=list(existing))


# --- django-import-export, as a Django team would set it up ----------------------------------
class PhoneWidget(widgets.CharWidget):
    """Customer.phone holds E.164: keyed on the phone as typed, "138 0013 8000" would never find
    +8613800138000, and the file's repeats of existing customers would be inserted again."""

    def clean(self, value, row=None, **kwargs):
        return normalize_phone("" if value is None else str(value))


class QQWidget(widgets.CharWidget):
    """Excel keeps QQ numbers as numbers; the model holds their digits."""

    def clean(self, value, row=None, **kwargs):
        return normalize_qq("" if value is None else str(value))


class DictItemWidget(widgets.ForeignKeyWidget):
    """A data dictionary item by its label, among its own kind's items: labels such as "其他"
    repeat across kinds."""

    def __init__(self, kind: str) -> None:
        super().__init__(DictItem, field="label")
        self.kind = kind

    def get_queryset(self, value, row, *args, **kwargs):
        return DictItem.objects.filter(kind=self.kind)


def _text(attribute: str, column_name: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column_name, widget=widgets.CharWidget())


def _dictionary(attribute: str, column_name: str, kind: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column_name, widget=DictItemWidget(kind))


class CustomerResource(resources.ModelResource):
    """A plain resource for the import template's columns, with the phone as the import id.

    What a team adds beyond naming the columns is the least that keeps the model's rules:
    phones and QQ numbers stored the way the model stores them, dictionary columns read by
    label within their kind, and in `before_save_instance` the values the model requires that
    a row may lack (source, consultation date, who entered the customer) and the pinyin keys
    the customer search reads. Everything else is django-import-export's defaults: a lookup by
    phone, a save and a diff per row, each row in its own savepoint."""

    name = _text("name", "姓名 *")
    phone = fields.Field(attribute="phone", column_name="电话", widget=PhoneWidget())
    qq = fields.Field(attribute="qq", column_name="QQ", widget=QQWidget())
    wechat = _text("wechat", "微信")
    email = _text("email", "邮箱")
    source = _dictionary("source", "来源", DictItem.Kind.SOURCE)
    consulted_on = fields.Field(attribute="consulted_on", column_name="咨询日期", widget=widgets.DateWidget())
    gender = _dictionary("gender", "性别", DictItem.Kind.GENDER)
    education = _dictionary("education", "学历", DictItem.Kind.EDUCATION)
    interested_courses = fields.Field(
        attribute="interested_courses",
        column_name="意向课程",
        widget=widgets.ManyToManyWidget(Course, field="name", separator=","),
    )
    note = _text("note", "备注")
    school = _text("school", "学校")
    major = _text("major", "专业")
    experience = _dictionary("experience", "工作经验", DictItem.Kind.EXPERIENCE)
    work_status = _dictionary("work_status", "工作状态", DictItem.Kind.WORK_STATUS)
    company = _text("company", "公司")
    salary = fields.Field(attribute="salary", column_name="月薪", widget=widgets.IntegerWidget())

    class Meta:
        model = Customer
        import_id_fields = ["phone"]
        fields = tuple(spec.name for spec in IMPORT_FIELDS)  # the import template's

    def __init__(self, *, default_source: DictItem) -> None:
        super().__init__()
        self.default_source = default_source

    def before_save_instance(self, instance, row, **kwargs):
        # The model requires these and a row may leave them empty: the defaults the import
        # template promises (the source chosen for the import, today), and the importing user.
        if instance.source_id is None:
            instance.source = self.default_source
        if instance.consulted_on is None:
            instance.consulted_on = timezone.localdate()
        if instance.pk is None:
            instance.created_by = kwargs["user"]
        instance.name_pinyin, instance.name_initials = name_keys(instance.name)


# --- The comparison ---------------------------------------------------------------------------
def run(results, *, rows: int, workdir: Path) -> None:
    """Import a generated file of `rows` leads (at most settings.CUSTOMER_IMPORT_MAX_ROWS) with
    EduCRM and with django-import-export (its first IMPORT_EXPORT_MAX_ROWS rows), record both,
    and leave the database as it was."""
    by = User.objects.get(username=IMPORTER)
    sources = DictItem.objects.filter(kind=DictItem.Kind.SOURCE, is_active=True)
    default_source = sources.order_by("order", "id")[0]
    _remove_imported()  # what an interrupted run left behind
    before = _dataset_counts()
    leads = lead_rows(rows)
    missing = set(leads.headers) - {field.column_name for field in CustomerResource.fields.values()}
    if missing:
        raise RuntimeError(f"The import template's columns {sorted(missing)} are not in CustomerResource.")
    repeated = _Snapshot(leads.repeated_ids)

    peer_rows = min(rows, IMPORT_EXPORT_MAX_ROWS)
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir, prefix="imports-") as scratch:
        path = leads.write(Path(scratch) / f"{FILE_PREFIX}{rows}.xlsx", rows)
        try:
            educrm = _educrm_import(results, leads, path, by=by, default_source=default_source)
        finally:
            _remove_imported()
        if peer_rows < rows:
            path = leads.write(Path(scratch) / f"{FILE_PREFIX}{rows}-first-{peer_rows}.xlsx", peer_rows)
        since = timezone.now()
        try:
            peer = _import_export_import(
                results, leads, path, rows=peer_rows, by=by, default_source=default_source
            )
        finally:
            _remove_imported()
            repeated.restore(history_since=since)

    times_faster = educrm["rows_per_s"] / peer["rows_per_s"]
    educrm.update(
        times_faster=round(times_faster, 1),
        goal_times=GOAL_TIMES_IMPORT_EXPORT,
        meets_goal=times_faster >= GOAL_TIMES_IMPORT_EXPORT,
    )
    if rows == BUDGET_ROWS:
        educrm.update(budget_s=BUDGET_SECONDS, within_budget=educrm["seconds"] < BUDGET_SECONDS)
    results.add(SECTION, "EduCRM", **educrm)
    if peer_rows < rows:
        peer["measured"] = f"the file's first {peer_rows} of {rows} rows"
    results.add(SECTION, "django-import-export (plain ModelResource)", **peer)
    after = _dataset_counts()
    unchanged = repeated.unchanged()
    results.check(
        "imports leave the dataset as it was",
        before == after and unchanged,
        f"before {before}, after {after}; the {len(leads.repeated_ids)} customers the file repeats "
        f"{'are as they were' if unchanged else 'changed'}",
    )


def _educrm_import(results, leads: LeadRows, path: Path, *, by: User, default_source: DictItem) -> dict:
    """The import as a user runs it, timed from the upload (the form reads and checks the whole
    file, which is then stored for the mapping page) to the end of the worker's run."""
    started = time.perf_counter()
    data = path.read_bytes()
    record = services.customer_import_upload(
        table=read_table(data, path.name), data=data, filename=path.name, by=by
    )
    services.customer_import_start(
        customer_import=record,
        mapping=record.mapping,
        owner=CustomerImport.Owner.POOL,
        default_source=default_source,
    )
    uploaded = time.perf_counter()
    record = services.customer_import_run(import_id=record.pk)
    finished = time.perf_counter()

    rows, new = len(leads.cells), leads.new_people(len(leads.cells))
    in_database = Customer.objects.live().filter(imported_from=record).count()
    results.check(
        "EduCRM import: every duplicate reported, none inserted twice",
        record.status == CustomerImport.Status.DONE
        and record.created_count == in_database == new
        and record.duplicate_count == rows - new
        and record.error_count == 0,
        f"{record.status}: {record.created_count} created ({in_database} in the database), "
        f"{record.duplicate_count} duplicates, {record.error_count} errors; "
        f"the file has {new} new people and {rows - new} repeats",
    )
    return {
        "rows": rows,
        "created": record.created_count,
        "duplicates": record.duplicate_count,
        "errors": record.error_count,
        "seconds": round(finished - started, 2),
        "upload_s": round(uploaded - started, 2),
        "run_s": round(finished - uploaded, 2),
        "rows_per_s": round(rows / (finished - started)),
    }


def _import_export_import(
    results, leads: LeadRows, path: Path, *, rows: int, by: User, default_source: DictItem
) -> dict:
    """The import as django-import-export's admin runs it once its dry run is confirmed: the
    file read through its XLSX format, then `import_data` in one transaction, which any row's
    error rolls back."""
    started = time.perf_counter()
    dataset = XLSX().create_dataset(path.read_bytes())
    outcome = CustomerResource(default_source=default_source).import_data(
        dataset, dry_run=False, use_transactions=True, user=by
    )
    seconds = time.perf_counter() - started

    created, updated = outcome.totals["new"], outcome.totals["update"]
    errors = outcome.totals["error"] + outcome.totals["invalid"]
    new = leads.new_people(rows)
    results.check(
        "django-import-export import: every row imported",
        errors == 0 and created == new and updated == rows - new,
        f"{created} created, {updated} updated, {errors} errors{_first_error(outcome)}; "
        f"the rows hold {new} new people and {rows - new} repeats",
    )
    return {
        "rows": rows,
        "created": created,
        "updated": updated,
        "errors": errors,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
    }


def _first_error(outcome: Result) -> str:
    """The first error of a failed django-import-export import, to say why in the check."""
    errors = (
        *(error.error for error in outcome.base_errors),
        *(errors[0].error for _number, errors in outcome.row_errors()),
        *(row.error for row in outcome.invalid_rows),
    )
    return f" (the first: {errors[0]})" if errors else ""


# --- Leaving the database as it was ----------------------------------------------------------
def _dataset_counts() -> dict[str, int]:
    return {
        "customers": Customer.objects.count(),
        "history": Customer.history.model.objects.count(),
        "ownership events": OwnershipEvent.objects.count(),
        "course interests": Customer.interested_courses.through.objects.count(),
        "imports": CustomerImport.objects.count(),
        "notifications": Notification.objects.count(),
    }


@transaction.atomic
def _remove_imported() -> None:
    """Delete the customers in the imports' phone range with their history, ownership events
    and course interests, and the bench's import records with their problems, files and the
    notifications announcing them."""
    imported = Customer.objects.filter(phone__startswith=NEW_PHONE_PREFIX)
    OwnershipEvent.objects.filter(customer__in=imported).delete()
    Customer.interested_courses.through.objects.filter(customer__in=imported).delete()
    Customer.history.filter(phone__startswith=NEW_PHONE_PREFIX).delete()
    _delete_rows(imported)
    records = CustomerImport.objects.filter(original_name__startswith=FILE_PREFIX)
    links = [reverse("crm:customer-import-detail", args=[record.pk]) for record in records]
    Notification.objects.filter(link__in=links).delete()
    for record in records:
        record.file.delete(save=False)
    records.delete()


def _delete_rows(customers: QuerySet) -> None:
    """One DELETE statement. `QuerySet.delete()` would load every customer to cascade, and
    simple_history would insert a "deleted" history row for each, one by one: minutes at
    100,000 rows. Their dependents are deleted before; the foreign keys check nothing is left."""
    subquery, params = customers.values("pk").query.sql_with_params()
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id IN ({subquery})", params)


class _Snapshot:
    """Customers as they are now, to put back: django-import-export updates the customers the
    file repeats (the phone is its import id), their course interests and history included."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.rows = self._rows()
        self.courses = self._courses()

    def _rows(self) -> dict[int, dict]:
        columns = [f.attname for f in Customer._meta.concrete_fields if not f.primary_key]
        return {
            values.pop("id"): values
            for values in Customer.objects.filter(pk__in=self.ids).values("id", *columns)
        }

    def _courses(self) -> list[tuple[int, int]]:
        through = Customer.interested_courses.through.objects.filter(customer_id__in=self.ids)
        return list(through.order_by("customer_id", "course_id").values_list("customer_id", "course_id"))

    @transaction.atomic
    def restore(self, *, history_since) -> None:
        # One UPDATE per customer: bulk_update's CASE per column costs seconds per thousand rows.
        for pk, values in self.rows.items():
            Customer.objects.filter(pk=pk).update(**values)
        through = Customer.interested_courses.through
        through.objects.filter(customer_id__in=self.ids).delete()
        through.objects.bulk_create(
            through(customer_id=customer_id, course_id=course_id) for customer_id, course_id in self.courses
        )
        Customer.history.filter(id__in=self.ids, history_date__gte=history_since).delete()

    def unchanged(self) -> bool:
        return self._rows() == self.rows and self._courses() == self.courses
