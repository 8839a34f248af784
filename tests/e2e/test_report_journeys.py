"""Reports and home pages in a browser: a sales manager reads the monthly sales report (filters,
KPIs, the three charts, the tables, one .xlsx export) and is refused a consultant of another
department edited into the URL; the manager sets a consultant's target and the consultant sees
the progress at home; every role's home page shows its own panels, with screenshots.

The school's books are written straight into the database: two months of leads, follow-ups,
ownership events and payments for one department (钱经理's), one signing and payment in another
department that the manager must not see, the public pool, a class with lessons, grades and
questions. Times are placed inside the calendar months in the school's time zone (never "n days
ago", which would cross a month boundary on some days), so every figure below is fixed.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from accounts.models import Department, Notification, User
from classroom import services as classroom_services
from classroom.models import Attendance, Lesson, StudyRecord
from crm.models import Campus, ClassList, Course, Customer, DictItem, FollowUp, OwnershipEvent
from crm.normalize import name_keys, normalize_phone
from crm.services import follow_up_day_count
from enrollment import services as enrollment_services
from enrollment.models import Enrollment, Payment, Student
from rbac.defaults import ADMIN, FINANCE, SALES, SALES_MANAGER, STUDENT, TEACHER
from reports.models import Target
from reports.periods import Month
from tests.e2e.conftest import PASSWORD, expect_message, open_menu_item

pytestmark = pytest.mark.e2e

PANELS = ("consultant", "manager", "finance", "teacher", "student", "admin")
# The home panels each default role's permissions open (a manager works customers too; an
# administrator reviews contracts and sets targets).
HOME_PANELS = {
    SALES: {"consultant"},
    SALES_MANAGER: {"consultant", "manager"},
    FINANCE: {"finance"},
    TEACHER: {"teacher"},
    STUDENT: {"student"},
    ADMIN: {"manager", "finance", "admin"},
}
ROLE_ORDER = (SALES, SALES_MANAGER, FINANCE, TEACHER, STUDENT, ADMIN)
REPORT_URL = re.compile(r"/reports/sales/(\?.*)?$")


@dataclass
class Books:
    """Who is who, the two months, and the figures the report must show for the manager's team."""

    manager: User
    consultant: User  # 孙顾问, the manager's department
    colleague: User  # 刘顾问, the manager's department, with a target he is behind on
    outsider: User  # 何顾问, another department
    other_team: Department
    this_month: Month
    last_month: Month
    python: ClassList
    java: ClassList
    days_to_sign: float  # 林晓: from the claim to the signing


def in_month(month: Month, fraction: float) -> datetime:
    """A moment `fraction` of the way through `month`, never later than now (this month's data
    stays in the past even on its first day)."""
    end = min(month.end, timezone.now())
    return month.start + (end - month.start) * fraction


def make_customer(
    name: str,
    phone: str,
    source: DictItem,
    owner: User | None,
    *,
    at: datetime,
    status: str = Customer.Status.UNSIGNED,
    entered: bool = True,
) -> Customer:
    """A customer entered at `at`, owned by `owner` since then (with the "entered" ownership
    event when `entered`)."""
    pinyin, initials = name_keys(name)
    customer = Customer.objects.create(
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        phone=normalize_phone(phone),
        source=source,
        consulted_on=timezone.localtime(at).date(),
        created_at=at,
        created_by=owner,
        consultant=owner,
        claimed_at=at if owner else None,
        status=status,
    )
    if entered:
        OwnershipEvent.objects.create(
            customer=customer, kind=OwnershipEvent.Kind.CREATE, to_user=owner, by=owner, at=at
        )
    return customer


def follow_up(customer: Customer, channel: DictItem, at: datetime, content: str, **fields) -> FollowUp:
    item = FollowUp.objects.create(
        customer=customer, consultant=customer.consultant, channel=channel, content=content, at=at
    )
    Customer.objects.filter(pk=customer.pk).update(last_follow_up_at=at, **fields)
    follow_up_day_count(consultant_id=customer.consultant_id, at=at)  # as follow_up_add does
    return item


def submit(enrollment: Enrollment, gender: DictItem, email: str) -> None:
    values = {
        "id_number": "11010519491231002X",
        "gender": gender,
        "birthday": date(1949, 12, 31),
        "emergency_contact": "家人",
        "emergency_phone": "+8613900000009",
        "address": "北京市海淀区中关村南大街5号",
        "email": email,
    }
    contract = enrollment_services.contract_for(enrollment)
    assert enrollment_services.enrollment_submit(
        enrollment=enrollment, values=values, contract_text=contract, ip="::1"
    )
    enrollment.refresh_from_db()


def pay(enrollment: Enrollment, kind: str, amount: str, paid_at: date, *, confirm_by: User | None) -> Payment:
    payment, _created = enrollment_services.payment_record(
        enrollment=enrollment,
        values={"kind": kind, "amount": Decimal(amount), "paid_at": paid_at},
        by=enrollment.consultant,
        request_key=uuid.uuid4(),
    )
    if confirm_by is not None:
        enrollment_services.payment_confirm(payment=payment, by=confirm_by)
    return payment


def make_user(staff, slug: str, username: str, display_name: str, department: Department) -> User:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@e2e.example.test",
        display_name=display_name,
        department=department,
    )
    staff.roles[slug].users.add(user)
    return user


@pytest.fixture
def books(staff, settings, tmp_path, live_server) -> Books:
    """Two months of one sales department's work, another department's, and a class.

    The manager's department (北京销售部: 钱经理, 孙顾问, 刘顾问), this month:
    - 林晓 (百度推广): entered by 孙顾问, followed up twice, enrolled into Python 9期, approved
      (signed), deposit ¥2,000 and tuition ¥17,800 confirmed today, ¥500 still pending.
    - 马超 (百度推广): entered by 孙顾问, followed up twice, due again today.
    - 高原 (抖音): entered into the pool, claimed by 孙顾问, never followed up, overdue.
    - 黄蕾 (抖音): entered by 刘顾问, followed up once, enrolled (waitlisted) into the full
      Java class and submitted the form: waiting for review.
    - ¥800 refunded to 吴同学 today.
    Last month: 吴同学 (百度推广), entered, followed up, enrolled, signed and paid ¥19,800.
    Another department (上海销售部, 何顾问): 罗兵 (朋友推荐) entered, signed and paid ¥19,800
    this month. The public pool holds three leads of different ages.

    For the manager, this month: revenue ¥19,000 (-4.0% on last month's ¥19,800), 4 new leads,
    1 signing, 5 follow-ups.
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    this_month, last_month = Month.current(), Month.current().shift(-1)
    today = timezone.localdate()
    now = timezone.now()
    team = Department.objects.create(name="北京销售部", code="bj-sales")
    other_team = Department.objects.create(name="上海销售部", code="sh-sales")
    manager, consultant = staff.users[SALES_MANAGER], staff.users[SALES]
    for user in (manager, consultant):
        user.department = team
        user.save(update_fields=["department"])
    colleague = make_user(staff, SALES, "e2e-sales-liu", "刘顾问", team)
    outsider = make_user(staff, SALES, "e2e-sales-he", "何顾问", other_team)
    finance, teacher = staff.users[FINANCE], staff.users[TEACHER]

    def item(kind, code, label, order=0):
        return DictItem.objects.create(kind=kind, code=code, label=label, order=order)

    Kind = DictItem.Kind
    baidu = item(Kind.SOURCE, "baidu", "百度推广")
    douyin = item(Kind.SOURCE, "douyin", "抖音", 1)
    referral = item(Kind.SOURCE, "referral", "朋友推荐", 2)
    phone_call = item(Kind.FOLLOW_UP_CHANNEL, "phone", "电话")
    wechat = item(Kind.FOLLOW_UP_CHANNEL, "wechat", "微信", 1)
    male = item(Kind.GENDER, "male", "男", 1)

    beijing = Campus.objects.create(name="北京校区", address="北京市海淀区中关村大街1号")
    shanghai = Campus.objects.create(name="上海校区", address="上海市徐汇区漕溪北路88号")
    python_course = Course.objects.create(
        name="Python全栈开发",
        default_price=Decimal("19800"),
        contract_template="培训服务协议\n乙方：{name}\n报名 {class}，学费 {price} 元。",
    )
    java_course = Course.objects.create(name="Java大数据开发", default_price=Decimal("21800"))
    python = ClassList.objects.create(
        course=python_course,
        campus=beijing,
        semester=9,
        price=Decimal("19800"),
        start_date=today - timedelta(days=14),
        capacity=30,
        adviser=staff.users["adviser"],
    )
    python.teachers.add(teacher)
    java = ClassList.objects.create(  # one seat, no teacher yet
        course=java_course,
        campus=shanghai,
        semester=3,
        price=Decimal("19800"),
        start_date=today - timedelta(days=7),
        capacity=1,
    )

    # --- Last month: 吴同学 (the e2e student account) signs with 孙顾问 and pays -------------------
    entered = in_month(last_month, 0.1)
    wu = make_customer("吴同学", "138 0013 8000", baidu, consultant, at=entered)
    follow_up(wu, phone_call, in_month(last_month, 0.15), "介绍 Python 课程，约了试听。")
    Student.objects.create(user=staff.users[STUDENT], customer=wu)
    wu_enrollment = enrollment_services.enrollment_create(customer=wu, class_list=python, by=consultant)
    submit(wu_enrollment, male, staff.users[STUDENT].email)
    enrollment_services.enrollment_approve(
        enrollment=wu_enrollment, by=finance, may_exceed_capacity=False, base_url=live_server.url
    )
    signed_at = in_month(last_month, 0.3)
    Enrollment.objects.filter(pk=wu_enrollment.pk).update(
        created_at=in_month(last_month, 0.2),
        submitted_at=in_month(last_month, 0.25),
        agreed_at=in_month(last_month, 0.25),
        reviewed_at=signed_at,
    )
    OwnershipEvent.objects.filter(customer=wu, kind=OwnershipEvent.Kind.SIGN).update(at=signed_at)
    pay(
        wu_enrollment, Payment.Kind.TUITION, "19800", timezone.localtime(signed_at).date(), confirm_by=finance
    )

    # --- This month, 孙顾问 ------------------------------------------------------------------------
    lin = make_customer("林晓", "138 0013 8001", baidu, consultant, at=in_month(this_month, 0.1))
    follow_up(lin, phone_call, in_month(this_month, 0.2), "电话沟通，想转行做 Python 开发。")
    follow_up(lin, wechat, in_month(this_month, 0.3), "发了课程大纲和学费，决定报名 9 期。")
    lin_enrollment = enrollment_services.enrollment_create(customer=lin, class_list=python, by=consultant)
    submit(lin_enrollment, male, "linxiao@e2e.example.test")
    enrollment_services.enrollment_approve(
        enrollment=lin_enrollment, by=finance, may_exceed_capacity=False, base_url=live_server.url
    )
    pay(lin_enrollment, Payment.Kind.DEPOSIT, "2000", today, confirm_by=finance)
    pay(lin_enrollment, Payment.Kind.TUITION, "17800", today, confirm_by=finance)
    pay(lin_enrollment, Payment.Kind.OTHER, "500", today, confirm_by=None)  # waiting for finance
    pay(wu_enrollment, Payment.Kind.REFUND, "800", today, confirm_by=finance)
    lin.refresh_from_db()
    sign = OwnershipEvent.objects.get(customer=lin, kind=OwnershipEvent.Kind.SIGN)
    days_to_sign = (sign.at - lin.claimed_at).total_seconds() / 86400

    today_start = timezone.make_aware(datetime.combine(today, time()))
    ma = make_customer("马超", "138 0013 8002", baidu, consultant, at=in_month(this_month, 0.15))
    follow_up(ma, phone_call, in_month(this_month, 0.2), "在上班，晚上再打。")
    follow_up(
        ma,
        phone_call,
        in_month(this_month, 0.4),
        "对 Java 也感兴趣，需要比较。",
        next_follow_up_at=today_start + timedelta(hours=23, minutes=30),
    )
    gao = make_customer("高原", "138 0013 8003", douyin, None, at=in_month(this_month, 0.2))
    claimed = in_month(this_month, 0.25)
    Customer.objects.filter(pk=gao.pk).update(
        consultant=consultant, claimed_at=claimed, next_follow_up_at=today_start - timedelta(hours=2)
    )
    OwnershipEvent.objects.create(
        customer=gao, kind=OwnershipEvent.Kind.CLAIM, to_user=consultant, by=consultant, at=claimed
    )
    # Claimed two weeks ago and never signed: back to the pool tomorrow. Entered long before
    # both months, with no event in them, so it changes none of the report's figures.
    yang = make_customer(
        "杨帆", "138 0013 8004", douyin, consultant, at=last_month.start - timedelta(days=60), entered=False
    )
    Customer.objects.filter(pk=yang.pk).update(
        claimed_at=now - timedelta(days=14, hours=12), last_follow_up_at=now - timedelta(days=1)
    )
    Notification.objects.create(
        recipient=consultant,
        text="客户 杨帆 明天将回到公海，请尽快跟进。",
        link=f"/sales/customers/{yang.pk}/",
    )

    # --- This month, 刘顾问: a lead waiting for review in the full Java class, and a target ----------
    huang = make_customer("黄蕾", "138 0013 8005", douyin, colleague, at=in_month(this_month, 0.3))
    follow_up(huang, wechat, in_month(this_month, 0.35), "周末班也可以，先报 Java 3 期。")

    # --- This month, another department: 罗兵 takes the Java class's only seat ------------------------
    luo = make_customer("罗兵", "138 0013 8006", referral, outsider, at=in_month(this_month, 0.05))
    luo_enrollment = enrollment_services.enrollment_create(customer=luo, class_list=java, by=outsider)
    submit(luo_enrollment, male, "luobing@e2e.example.test")
    enrollment_services.enrollment_approve(
        enrollment=luo_enrollment, by=finance, may_exceed_capacity=False, base_url=live_server.url
    )
    pay(luo_enrollment, Payment.Kind.TUITION, "19800", today, confirm_by=finance)

    huang_enrollment = enrollment_services.enrollment_create(customer=huang, class_list=java, by=colleague)
    assert huang_enrollment.waitlisted
    submit(huang_enrollment, male, "huanglei@e2e.example.test")
    Target.objects.create(
        consultant=colleague,
        month=this_month.first_day,
        new_leads=5,
        signings=1,
        revenue=Decimal("30000"),
        set_by=manager,
    )

    # --- The public pool: a fresh lead, an aging one and an old one ----------------------------------
    # Entered into the pool: the manager's department's report never counts them.
    pool = [("钱多多", "138 0013 8007", 3), ("赵敏", "138 0013 8008", 20), ("孙悟", "138 0013 8009", 60)]
    for name, phone, age in pool:
        make_customer(name, phone, douyin, None, at=now - timedelta(days=age), entered=False)

    # --- The class: classmates, three lessons, roll calls, grades, questions -------------------------
    long_ago = last_month.start - timedelta(days=90)
    classmates = {}
    for number, (name, phone) in enumerate(
        [("郑小明", "139 0000 0001"), ("王芳", "139 0000 0002"), ("陈静", "139 0000 0003")], 1
    ):
        user = User.objects.create_user(
            username=f"e2e-classmate-{number}",
            password=PASSWORD,
            email=f"classmate{number}@e2e.example.test",
            display_name=name,
        )
        staff.roles[STUDENT].users.add(user)
        customer = make_customer(
            name, phone, referral, consultant, at=long_ago, status=Customer.Status.SIGNED, entered=False
        )
        classmates[name] = Student.objects.create(user=user, customer=customer)
        classmates[name].classes.add(python)

    def lesson(number: int, day: date, title: str, homework: str, deadline: date | None) -> Lesson:
        return classroom_services.lesson_create(
            class_list=python,
            values={
                "number": number,
                "date": day,
                "teacher": teacher,
                "title": title,
                "content": "讲解与练习。",
                "homework_title": homework,
                "homework_requirement": "提交一个 .py 文件。" if homework else "",
                "homework_deadline": timezone.make_aware(datetime.combine(deadline, time(22, 0)))
                if deadline
                else None,
            },
        )

    first = lesson(1, today - timedelta(days=7), "变量与数据类型", "数据类型练习", today - timedelta(days=5))
    second = lesson(2, today, "函数与模块", "函数练习", today + timedelta(days=7))
    lesson(3, today + timedelta(days=2), "面向对象", "", None)

    def records(item: Lesson) -> dict[str, StudyRecord]:
        return {
            record.student.customer.name: record
            for record in item.records.select_related("student__customer")
        }

    for item in (first, second):
        classroom_services.roll_call_save(
            lesson=item,
            attendance={
                record.pk: Attendance.ABSENT if name == "陈静" else Attendance.PRESENT
                for name, record in records(item).items()
            },
        )
    handed_in = {first: ["吴同学", "林晓", "郑小明", "王芳"], second: ["郑小明"]}
    for item, names in handed_in.items():
        StudyRecord.objects.filter(lesson=item, student__customer__name__in=names).update(
            homework_submitted_at=now - timedelta(hours=1)
        )
    first_records = records(first)
    classroom_services.grades_save(
        lesson=first,
        grades={
            first_records["吴同学"].pk: (90, "思路清晰，变量命名规范。"),
            first_records["郑小明"].pk: (100, "完成得很好。"),
            first_records["王芳"].pk: (85, ""),
        },
        by=teacher,
    )
    question = classroom_services.question_ask(
        class_list=python,
        lesson=first,
        title="装饰器的参数怎么传？",
        body="被装饰的函数有参数时就报错了，应该怎么写？",
        by=staff.users[STUDENT],
    )
    classroom_services.question_answer(
        question=question, body="在 wrapper 里用 *args, **kwargs 原样传给被装饰的函数。", by=teacher
    )
    classroom_services.question_ask(
        class_list=python,
        lesson=second,
        title="列表和元组有什么区别？",
        body="什么时候该用元组？",
        by=classmates["郑小明"].user,
    )
    return Books(
        manager=manager,
        consultant=consultant,
        colleague=colleague,
        outsider=outsider,
        other_team=other_team,
        this_month=this_month,
        last_month=last_month,
        python=python,
        java=java,
        days_to_sign=days_to_sign,
    )


def page_overflows(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def cells(row) -> list[str]:
    return [text.strip() for text in row.locator("td").all_inner_texts()]


def table_rows(page: Page, testid: str) -> dict[str, list[str]]:
    """A report table's body rows, keyed by their first cell."""
    rows = {}
    for row in page.get_by_test_id(testid).locator("tbody tr").all():
        values = cells(row)
        rows[values[0]] = values[1:]
    return rows


def chart(page: Page, canvas_id: str) -> dict:
    """The canvas's drawn size and the data of the Chart.js chart on it (None: no chart)."""
    return page.evaluate(
        """id => {
            const canvas = document.getElementById(id);
            const chart = Chart.getChart(canvas);
            return {
                width: canvas.width,
                height: canvas.height,
                created: chart !== undefined,
                labels: chart ? chart.data.labels : null,
                data: chart ? chart.data.datasets.map(set => set.data) : null,
            };
        }""",
        canvas_id,
    )


def panels_shown(page: Page) -> set[str]:
    return {name for name in PANELS if page.get_by_test_id(f"home-{name}").count()}


# --- 1. The monthly sales report ---------------------------------------------------------------------
def test_manager_reads_the_monthly_report_and_exports_a_table(ui, books, tmp_path):
    this_month, last_month = str(books.this_month), str(books.last_month)
    page = ui.page()
    ui.login(page, books.manager.username)
    open_menu_item(page, "reports.sales_report")
    expect(page).to_have_url(REPORT_URL)

    # It opens on last month (the month a manager reviews on the first of the next).
    expect(page.locator("main h1")).to_contain_text(last_month)
    expect(page.get_by_test_id("kpi-revenue")).to_have_text("¥19,800.00")
    expect(page.get_by_test_id("kpi-leads")).to_have_text("1")
    expect(page.get_by_test_id("kpi-signed")).to_have_text("1")
    expect(page.get_by_test_id("kpi-follow-ups")).to_have_text("1")
    ui.shot(page, "report-sales-report-last-month")

    # Pick this month with the filter.
    filters = page.get_by_test_id("report-filters")
    consultants = filters.locator("select[name=consultant] option").all_inner_texts()
    assert sorted(consultants[1:]) == sorted(["钱经理", "孙顾问", "刘顾问"])  # not 何顾问
    assert filters.locator("select[name=team] option").all_inner_texts()[1:] == ["北京销售部"]
    filters.locator("input[name=month]").fill(this_month)
    filters.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/reports/sales/\?month={this_month}&"))
    expect(page.locator("main h1")).to_contain_text(this_month)

    # KPIs: ¥2,000 + ¥17,800 - ¥800 refunded; the pending ¥500 and the other department's
    # ¥19,800 are left out.
    expect(page.get_by_test_id("kpi-revenue")).to_have_text("¥19,000.00")
    expect(page.get_by_test_id("kpi-revenue").locator("xpath=..")).to_contain_text("-4.0%")
    expect(page.get_by_test_id("kpi-leads")).to_have_text("4")
    expect(page.get_by_test_id("kpi-signed")).to_have_text("1")
    expect(page.get_by_test_id("kpi-follow-ups")).to_have_text("5")

    # The three charts are drawn, with the tables' figures.
    for canvas_id in ("chart-trend", "chart-sources", "chart-funnel"):
        canvas = page.locator(f"#{canvas_id}")
        expect(canvas).to_be_visible()
        box = canvas.bounding_box()
        assert box["width"] > 100 and box["height"] > 100, (canvas_id, box)
        assert page.evaluate(f"Chart.getChart(document.getElementById('{canvas_id}')) !== undefined")
    trend = chart(page, "chart-trend")
    assert trend["width"] > 0 and trend["height"] > 0
    assert trend["labels"][-2:] == [last_month, this_month]
    assert trend["data"][0][-2:] == [19800, 19000]
    assert sum(trend["data"][0]) == 19800 + 19000
    sources = chart(page, "chart-sources")
    assert sources["labels"] == ["百度推广", "抖音"]
    assert sources["data"] == [[2, 2], [1, 0]]
    assert chart(page, "chart-funnel")["data"] == [[4, 3, 2, 2, 1, 1]]

    # The tables.
    sales = page.get_by_test_id("table-sales")
    headers = sales.locator("thead th").all_inner_texts()
    assert headers[-2:] == [last_month, this_month] and len(headers) == 13
    assert cells(sales.locator("tbody tr"))[-2:] == ["¥19,800.00", "¥19,000.00"]
    assert table_rows(page, "table-sources") == {
        "百度推广": ["2", "1", "50.0%", "¥19,000.00"],
        "抖音": ["2", "0", "0.0%", "¥0.00"],
    }
    funnel = [values for _label, values in table_rows(page, "table-funnel").items()]
    assert funnel == [
        ["4", "—"],
        ["3", "25.0%"],
        ["2", "33.3%"],
        ["2", "0.0%"],
        ["1", "50.0%"],
        ["1", "0.0%"],
    ]
    consultants = table_rows(page, "table-consultants")
    assert set(consultants) == {"孙顾问", "刘顾问", "钱经理"}
    sun = consultants["孙顾问"]
    assert sun[:7] == ["3", "4", "1", "1", "33.3%", f"{books.days_to_sign:.1f}", "¥19,000.00"]
    assert sun[7:] == ["—", "—", "—"]  # no target yet
    liu = consultants["刘顾问"]
    assert liu[:7] == ["1", "1", "1", "0", "0.0%", "—", "¥0.00"]
    assert [re.sub(r"\s+", " ", value) for value in liu[7:]] == ["1 / 5", "0 / 1", "¥0.00 / ¥30,000.00"]
    assert consultants["钱经理"][:7] == ["0", "0", "0", "0", "—", "—", "¥0.00"]
    classes = table_rows(page, "table-classes")
    python = next(values for name, values in classes.items() if "Python全栈开发" in name)
    java = next(values for name, values in classes.items() if "Java大数据开发" in name)
    assert (python[0], python[1], python[3], python[4]) == ("2", "30", "0", "¥19,000.00")
    assert (java[0], java[1], java[3], java[4]) == ("1", "1", "1", "¥0.00")  # 罗兵's money is not ours
    main = page.locator("main")
    for hidden in ("何顾问", "罗兵", "朋友推荐", "¥38,800.00"):
        expect(main).not_to_contain_text(hidden)
    assert not page_overflows(page)
    ui.shot(page, "report-sales-report")

    # One table as .xlsx.
    with page.expect_download() as download_info:
        page.get_by_test_id("export-sources").click()
    download = download_info.value
    assert download.suggested_filename == f"销售报表 {this_month} 渠道.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = load_workbook(saved, read_only=True)
    rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    assert book.active.title == f"{this_month} 渠道"
    assert len(rows) == 3
    assert rows[0] == ["来源", "新线索", "签约", "转化率（%）", "业绩（元）"]
    assert rows[1] == ["百度推广", 2, 1, 50.0, 19000]
    assert rows[2] == ["抖音", 2, 0, 0.0, 0]
    book.close()

    # A consultant (or a team) of another department edited into the address: refused, no figures.
    for tampered in (f"consultant={books.outsider.pk}", f"team={books.other_team.pk}"):
        page.goto(f"/reports/sales/?month={this_month}&{tampered}")
        expect_message(page, "danger")
        expect(page.get_by_test_id("filter-error")).to_have_count(1)
        for testid in ("kpi-revenue", "kpi-leads", "section-sales", "section-sources", "table-consultants"):
            expect(page.get_by_test_id(testid)).to_have_count(0)
        expect(page.locator("#report-charts")).to_have_count(0)
        expect(page.locator("canvas")).to_have_count(0)
        expect(page.locator("main")).not_to_contain_text("罗兵")
    ui.shot(page, "report-sales-report-tampered")


# --- 2. A target set by the manager, seen by the consultant -------------------------------------
def test_manager_sets_a_target_and_the_consultant_sees_the_progress(ui, books):
    consultant = ui.page()
    ui.login(consultant, books.consultant.username)
    home = consultant.get_by_test_id("home-consultant")
    expect(home).to_contain_text(str(books.this_month))
    expect(consultant.get_by_test_id("my-target-leads")).to_contain_text("3")
    expect(consultant.get_by_test_id("my-target-leads").locator(".progress")).to_have_count(0)

    page = ui.page()
    ui.login(page, books.manager.username)
    open_menu_item(page, "reports.targets")
    expect(page).to_have_url(re.compile(r"/reports/targets/$"))
    expect(page.locator("main h1")).to_contain_text(str(books.this_month))
    rows = page.get_by_test_id("target-row")
    expect(rows).to_have_count(3)  # the department's consultants, the manager among them
    expect(page.get_by_test_id("targets-form")).not_to_contain_text("何顾问")
    liu = rows.filter(has_text="刘顾问")
    expect(liu.locator("input[name$='-new_leads']")).to_have_value("5")
    row = rows.filter(has_text="孙顾问")
    fields = {}
    for name, value in (("new_leads", "10"), ("signings", "4"), ("revenue", "50000")):
        field = row.locator(f"input[name$='-{name}']")
        assert re.fullmatch(rf"targets-\d+-{name}", field.get_attribute("name"))
        expect(field).to_have_value("")
        field.fill(value)
        fields[name] = field
    ui.shot(page, "report-targets")
    page.get_by_test_id("save").click()

    expect(page).to_have_url(re.compile(rf"/reports/targets/\?month={books.this_month}$"))
    expect_message(page, "success", str(books.this_month))
    target = Target.objects.get(consultant=books.consultant, month=books.this_month.first_day)
    assert (target.new_leads, target.signings, target.revenue, target.set_by) == (
        10,
        4,
        Decimal("50000"),
        books.manager,
    )
    assert Target.objects.get(consultant=books.colleague).new_leads == 5  # untouched
    expect(rows.filter(has_text="孙顾问").locator("input[name$='-new_leads']")).to_have_value("10")
    ui.shot(page, "report-targets-saved")

    # The consultant's home page: 3 of 10 leads, 1 of 4 signings, ¥19,000 of ¥50,000.
    consultant.reload()
    progress = {
        "my-target-leads": ("3 / 10", "30"),
        "my-target-signings": ("1 / 4", "25"),
        "my-target-revenue": ("¥19,000.00 / ¥50,000.00", "38"),
    }
    for testid, (text, percent) in progress.items():
        card = consultant.get_by_test_id(testid)
        expect(card).to_contain_text(text)
        expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", percent)
    ui.shot(consultant, "report-consultant-home-target")

    # The report shows the same progress.
    page.goto(f"/reports/sales/?month={books.this_month}")
    sun = table_rows(page, "table-consultants")["孙顾问"]
    assert [re.sub(r"\s+", " ", value) for value in sun[7:]] == ["3 / 10", "1 / 4", "¥19,000.00 / ¥50,000.00"]


# --- 3. Every role's home page ------------------------------------------------------------------
HOME_TEXTS = {  # test id -> a text the panel shows
    SALES: {
        "my-target-leads": "3 / 10",
        "my-target-signings": "1 / 4",
        "my-target-revenue": "¥19,000.00 / ¥50,000.00",
        "due-today": "马超",
        "overdue": "高原",
        "returning-soon": "杨帆",
        "home-notifications": "杨帆",
    },
    SALES_MANAGER: {"behind-target": "刘顾问"},
    FINANCE: {},
    TEACHER: {
        "today-lessons": "函数与模块",
        "to-grade": "变量与数据类型",
        "unanswered": "列表和元组有什么区别？",
        "at-risk": "陈静",
        "home-notifications": "列表和元组有什么区别？",
    },
    STUDENT: {
        "next-lesson": "函数与模块",
        "homework-due": "函数练习",
        "latest-grades": "A · 90",
        "my-answers": "装饰器的参数怎么传？",
        "home-notifications": "周老师",
    },
    ADMIN: {"admin-attention": "1"},
}
HOME_STATS = {  # stat card test id -> its figure
    SALES_MANAGER: {"team-leads": "4", "team-signed": "1", "team-revenue": "¥19,000.00", "team-reviews": "1"},
    FINANCE: {"finance-reviews": "1", "finance-payments": "1"},
    ADMIN: {
        "admin-classes": "2",
        "admin-students": "6",
        "admin-customers": "13",
        "admin-awaiting": "0",
    },
}
SHOT_NAMES = {SALES: "consultant", SALES_MANAGER: "manager"}


def test_each_role_sees_its_own_home_page(ui, books, staff):
    Target.objects.create(
        consultant=books.consultant,
        month=books.this_month.first_day,
        new_leads=10,
        signings=4,
        revenue=Decimal("50000"),
        set_by=books.manager,
    )
    for slug in ROLE_ORDER:
        sizes = ["desktop", "phone"] if slug in (SALES, STUDENT) else ["desktop"]
        for size in sizes:
            page = ui.page(size)
            ui.login(page, staff.users[slug].username)
            assert panels_shown(page) == HOME_PANELS[slug], slug
            for testid, text in HOME_TEXTS[slug].items():
                expect(page.get_by_test_id(testid)).to_contain_text(text)
            for testid, figure in HOME_STATS.get(slug, {}).items():
                expect(page.get_by_test_id(testid).locator(".fs-5")).to_have_text(figure)
            if slug == SALES_MANAGER:  # the pool: one lead of each age
                expect(page.get_by_test_id("pool-age").locator(".fw-medium")).to_have_text(["1", "1", "1"])
            if size == "phone":
                assert not page_overflows(page), slug
            suffix = "-phone" if size == "phone" else ""
            ui.shot(page, f"report-home-{SHOT_NAMES.get(slug, slug)}{suffix}")


def test_finance_home_shows_the_whole_schools_revenue_this_month(ui, books, staff):
    """Finance (and the administrator, who sees the finance panel too) read the school's revenue
    this month: every department's confirmed payments minus refunds, ¥2,000 + ¥17,800 - ¥800
    (北京销售部) + ¥19,800 (上海销售部)."""
    for slug in (FINANCE, ADMIN):
        page = ui.page()
        ui.login(page, staff.users[slug].username)
        expect(page.get_by_test_id("finance-revenue").locator(".fs-5")).to_have_text("¥38,800.00")
