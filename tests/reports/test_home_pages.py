"""The home page's panels per role (reports.dashboards): what each role sees first, with figures
built by hand from the data below, only that role's panels, only the user's own data, and a
pinned number of queries that does not grow with the data.

The clock stands still at 2026-11-15 10:00 in the school's time zone (Asia/Shanghai): a Sunday,
half way through November (15 of 30 days), so "on pace" means at least half of each target.
Pool rules are the defaults: back to the pool after 3 days without a follow-up or 15 days
without signing, the owner warned 1 day before.

Sales data (`sales` fixture), customers entered 2026-10-01 unless said otherwise:
  sales1 (the world's "sales"): 今天跟 due today 15:00; 逾期跟 overdue since 11-13; 明天跟 due
      11-16; 快回池 claimed 11-12 20:00, never followed up (returns within the day); 久未签
      claimed 10-31 09:00, followed up 11-14 (15 days unsigned tomorrow); 刚认领 claimed 11-13
      12:00 (two more days); 跟进了 claimed 11-10, followed up 11-14; 已签约 signed, claimed
      10-01; 删了的 deleted, claimed 10-01 (entered 11-07).
      New this month: 新客甲 (entered 11-03, signed 11-10, tuition 10000 paid 11-12 confirmed, a
      500 payment pending, a deposit of 2000 confirmed on 10-31) and 新客乙 (entered 11-05,
      followed up 11-14). Target: 4 leads, 2 signings, 20000 -> exactly on pace.
  sales2: 别人今天 due today 16:00; 别人的 claimed 11-01, never followed up; 新客丙 entered 11-08
      (followed up 11-14), enrollment submitted for review. Target: 3 leads -> 1/3, behind.
  manager: no target, no customers.
  sales3 (电销部, another team): 电销客 entered 11-09, signed 11-11, tuition 5000 confirmed
      11-11, refund 1000 confirmed 11-14, class transfer 3000 confirmed, 700 rejected, 300
      pending; 电销审 enrollment submitted for review. Target: 100 leads -> behind.
  Pool: 池塘 (the world's, entered 2020), 池新 (11-12), 池中 (10-20), 池老 (09-01), 池删 deleted.

Classroom data (`school` fixture, on the classroom tests' fixture): class A (the world's
teacher) has 吴同学 (the world's student) and 郑同学; class B (teacher2) has 王同学.
  A L1 2026-09-01 homework, no deadline: 吴 handed in (not graded), 郑 did not.
  A L2 2026-09-02 homework due 09-03: 吴 handed in, graded A (90); 郑 did not.
  A L3 2026-09-03 roll call: 吴 absent, 郑 present; 郑 graded A+ (100).
  A L4 2026-09-04 roll call: 吴 absent, 郑 absent.
  A L5 2026-11-15 (today) homework 今天作业 due 11-16 20:00: 郑 handed in (not graded).
  A L6 2026-11-17.
  A L7 2026-10-10 homework 逾期作业 due 10-11: nobody handed in.
  B L1 2026-09-01 homework: 王 handed in (not graded); B L2 2026-11-15 (today); B L3 2026-09-05
  homework: 王 did not.
  Questions: 吴 asked 循环怎么写 (unanswered) and 变量命名 (answered by the teacher); 郑 asked
  作业格式 (answered); 王 asked B班问题 (unanswered).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from itertools import count
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Department, Notification, User
from classroom import services as classroom_services
from classroom.models import Attendance, Lesson, StudyRecord
from crm.models import ClassList, Customer, DictItem, FollowUp, OwnershipEvent, PoolPolicy
from crm.services import pool_sweep
from enrollment.models import Enrollment, Payment, Student
from rbac.defaults import SALES, STUDENT, TEACHER
from rbac.models import Role
from reports.models import Target
from tests.classroom import conftest as classroom_conftest
from tests.conftest import make_client
from tests.reports.conftest import pay

# The classroom tests' fixture (class A and B with their students, teachers and lesson 1).
classroom = classroom_conftest.classroom

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 15, 10, 0, tzinfo=SHANGHAI)
PANELS = ("consultant", "manager", "finance", "teacher", "student", "admin")
Kind = OwnershipEvent.Kind


def at(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _clock():
    """Every test here runs at NOW (autouse, so the world is built at NOW too)."""
    with time_machine.travel(NOW, tick=False):
        yield


# --- Reading the page ------------------------------------------------------------------------
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Section:
    text: str
    links: list[str] = field(default_factory=list)


class _Sections(HTMLParser):
    """The text and links of every element carrying data-testid=`testid`."""

    def __init__(self, testid: str):
        super().__init__(convert_charrefs=True)
        self.testid = testid
        self.depth = 0
        self.found: list[Section] = []
        self._chunks: list[str] = []
        self._links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            if attrs.get("href"):
                self._links.append(attrs["href"])
            if tag not in VOID:
                self.depth += 1
        elif attrs.get("data-testid") == self.testid and tag not in VOID:
            self.depth, self._chunks, self._links = 1, [], []

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
            if not self.depth:
                self.found.append(Section(" ".join(" ".join(self._chunks).split()), self._links))

    def handle_data(self, data):
        if self.depth:
            self._chunks.append(data)


def sections(response, testid: str) -> list[Section]:
    parser = _Sections(testid)
    parser.feed(response.content.decode())
    return parser.found


def section(response, testid: str) -> Section:
    found = sections(response, testid)
    assert len(found) == 1, f"expected one data-testid={testid!r}, found {len(found)}"
    return found[0]


def panels_shown(response) -> set[str]:
    return {name for name in PANELS if sections(response, f"home-{name}")}


def home(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


# --- Data ------------------------------------------------------------------------------------
_numbers = count(1)


def customer(name: str, owner: User | None, *, created=None, claimed=None, **extra) -> Customer:
    number = next(_numbers)
    created = created or at(10, 1)
    return Customer.objects.create(
        name=name,
        name_pinyin=f"kehu{number}",
        phone=f"+86135{number:08d}",
        qq=str(800000 + number),
        source=DictItem.objects.filter(kind=DictItem.Kind.SOURCE).order_by("pk").first(),
        consulted_on=created.date(),
        consultant=owner,
        claimed_at=claimed if claimed is not None else (created if owner else None),
        created_at=created,
        **extra,
    )


def event(customer_: Customer, kind: str, to: User | None, when, *, from_user: User | None = None) -> None:
    OwnershipEvent.objects.create(
        customer=customer_, kind=kind, to_user=to, from_user=from_user, by=to or from_user, at=when
    )


def followed_up(customer_: Customer, by: User, when, channel) -> None:
    FollowUp.objects.create(customer=customer_, consultant=by, channel=channel, content="跟进", at=when)
    Customer.objects.filter(pk=customer_.pk).update(last_follow_up_at=when)


def enroll(customer_: Customer, class_list: ClassList, consultant: User, status=Enrollment.Status.OPEN):
    return Enrollment.objects.create(
        customer=customer_,
        class_list=class_list,
        consultant=consultant,
        price=class_list.price,
        status=status,
        link_expires_at=NOW + datetime.timedelta(days=7),
        submitted_at=NOW if status != Enrollment.Status.OPEN else None,
    )


def add_consultant(username: str, department: Department) -> User:
    user = User.objects.create_user(
        username=username, display_name=f"{username.title()} Tester", department=department
    )
    user.roles.add(Role.objects.get(slug=SALES))
    return user


def set_target(consultant: User, by: User, new_leads=0, signings=0, revenue="0") -> Target:
    return Target.objects.create(
        consultant=consultant,
        month=datetime.date(2026, 11, 1),
        new_leads=new_leads,
        signings=signings,
        revenue=Decimal(revenue),
        set_by=by,
    )


@dataclass
class Sales:
    sales3: User
    customers: dict[str, Customer]


@pytest.fixture
def sales(world) -> Sales:
    """The sales data of the module docstring."""
    Customer.objects.filter(
        pk__in=[world.pool_lead.pk, world.sales_lead.pk, world.sales2_lead.pk, world.deleted_lead.pk]
    ).update(created_at=at(1, 1, 12, year=2020))
    s1, s2, manager, channel = world.sales, world.sales2, world.manager, world.channel
    sales3 = add_consultant("sales3", Department.objects.create(name="电销部", code="tele"))
    P, S = Payment.Kind, Enrollment.Status
    recent = NOW - datetime.timedelta(hours=1)
    k: dict[str, Customer] = {}

    # sales1's day
    for name, due in (("今天跟", at(11, 15, 15)), ("逾期跟", at(11, 13, 9)), ("明天跟", at(11, 16, 9))):
        k[name] = customer(name, s1, claimed=recent, next_follow_up_at=due, last_follow_up_at=recent)
    k["快回池"] = customer("快回池", s1, claimed=at(11, 12, 20))
    k["久未签"] = customer("久未签", s1, claimed=at(10, 31, 9))
    followed_up(k["久未签"], s1, at(11, 14), channel)
    k["刚认领"] = customer("刚认领", s1, claimed=at(11, 13, 12))
    k["跟进了"] = customer("跟进了", s1, claimed=at(11, 10))
    followed_up(k["跟进了"], s1, at(11, 14, 12), channel)
    k["已签约"] = customer("已签约", s1, status=Customer.Status.SIGNED)
    event(k["已签约"], Kind.SIGN, s1, at(10, 20), from_user=s1)
    k["删了的"] = customer("删了的", s1, created=at(11, 7), is_deleted=True, deleted_at=at(11, 8))

    # sales1's month: two new leads, one signed with 10000 paid
    k["新客甲"] = customer("新客甲", s1, created=at(11, 3), status=Customer.Status.SIGNED)
    event(k["新客甲"], Kind.CREATE, s1, at(11, 3))
    event(k["新客甲"], Kind.SIGN, s1, at(11, 10), from_user=s1)
    first = enroll(k["新客甲"], world.class_a, s1, S.APPROVED)
    pay(first, P.TUITION, "10000", datetime.date(2026, 11, 12))
    pay(first, P.TUITION, "500", datetime.date(2026, 11, 14), Payment.Status.PENDING)
    pay(first, P.DEPOSIT, "2000", datetime.date(2026, 10, 31))
    k["新客乙"] = customer("新客乙", s1, created=at(11, 5))
    event(k["新客乙"], Kind.CREATE, s1, at(11, 5))
    followed_up(k["新客乙"], s1, at(11, 14), channel)
    set_target(s1, manager, new_leads=4, signings=2, revenue="20000")

    # sales2
    k["别人今天"] = customer(
        "别人今天", s2, claimed=recent, next_follow_up_at=at(11, 15, 16), last_follow_up_at=recent
    )
    k["别人的"] = customer("别人的", s2, claimed=at(11, 1))
    k["新客丙"] = customer("新客丙", s2, created=at(11, 8))
    event(k["新客丙"], Kind.CREATE, s2, at(11, 8))
    followed_up(k["新客丙"], s2, at(11, 14), channel)
    enroll(k["新客丙"], world.class_a, s2, S.SUBMITTED)
    set_target(s2, manager, new_leads=3)

    # sales3, another team
    k["电销客"] = customer("电销客", sales3, created=at(11, 9), status=Customer.Status.SIGNED)
    event(k["电销客"], Kind.CREATE, sales3, at(11, 9))
    event(k["电销客"], Kind.SIGN, sales3, at(11, 11), from_user=sales3)
    theirs = enroll(k["电销客"], world.class_b, sales3, S.APPROVED)
    pay(theirs, P.TUITION, "5000", datetime.date(2026, 11, 11))
    pay(theirs, P.REFUND, "1000", datetime.date(2026, 11, 14))
    pay(theirs, P.TRANSFER, "3000", datetime.date(2026, 11, 13))
    pay(theirs, P.TUITION, "700", datetime.date(2026, 11, 13), Payment.Status.REJECTED)
    pay(theirs, P.TUITION, "300", datetime.date(2026, 11, 14), Payment.Status.PENDING)
    k["电销审"] = customer("电销审", sales3, claimed=recent, last_follow_up_at=recent)
    enroll(k["电销审"], world.class_a, sales3, S.SUBMITTED)
    set_target(sales3, manager, new_leads=100)

    # the public pool
    k["池新"] = customer("池新", None, created=at(11, 12))
    k["池中"] = customer("池中", None, created=at(10, 20))
    k["池老"] = customer("池老", None, created=at(9, 1))
    k["池删"] = customer("池删", None, created=at(11, 14), is_deleted=True, deleted_at=at(11, 14, 12))
    return Sales(sales3=sales3, customers=k)


SALES1_NAMES = [
    "今天跟",
    "逾期跟",
    "明天跟",
    "快回池",
    "久未签",
    "刚认领",
    "跟进了",
    "已签约",
    "新客甲",
    "新客乙",
]
SALES2_NAMES = ["别人今天", "别人的", "新客丙", "萨尔"]
SALES3_NAMES = ["电销客", "电销审", "Sales3 Tester"]


@dataclass
class School:
    lessons: dict[str, Lesson]
    student: Student
    classmate: Student
    other_student: Student


def _lesson(class_list, teacher, number, day: datetime.date, *, homework="", deadline=None, title=""):
    values = {
        "number": number,
        "date": day,
        "teacher": teacher,
        "title": title or f"第{number}课",
        "content": "",
        "homework_title": homework,
        "homework_requirement": "",
        "homework_deadline": deadline,
    }
    return classroom_services.lesson_create(class_list=class_list, values=values)


def _record(lesson: Lesson, student: Student):
    return StudyRecord.objects.filter(lesson=lesson, student=student)


@pytest.fixture
def school(world, classroom) -> School:
    """The classroom data of the module docstring."""
    teacher, other_teacher = world.teacher, classroom.other_teacher
    wu, zheng, wang = classroom.student, classroom.classmate, classroom.other_student
    a, b = world.class_a, world.class_b
    lessons = {"A1": classroom.lesson, "B1": classroom.other_lesson}
    lessons["A2"] = _lesson(
        a, teacher, 2, datetime.date(2026, 9, 2), homework="循环练习", deadline=at(9, 3, 20)
    )
    lessons["A3"] = _lesson(a, teacher, 3, datetime.date(2026, 9, 3))
    lessons["A4"] = _lesson(a, teacher, 4, datetime.date(2026, 9, 4))
    lessons["A5"] = _lesson(
        a,
        teacher,
        5,
        datetime.date(2026, 11, 15),
        homework="今天作业",
        deadline=at(11, 16, 20),
        title="今天的课",
    )
    lessons["A6"] = _lesson(a, teacher, 6, datetime.date(2026, 11, 17), title="后天的课")
    lessons["A7"] = _lesson(
        a, teacher, 7, datetime.date(2026, 10, 10), homework="逾期作业", deadline=at(10, 11)
    )
    lessons["B2"] = _lesson(b, other_teacher, 2, datetime.date(2026, 11, 15), title="B班今天")
    lessons["B3"] = _lesson(b, other_teacher, 3, datetime.date(2026, 9, 5), homework="B班作业")

    _record(lessons["A1"], wu).update(homework_submitted_at=at(9, 1, 20))
    _record(lessons["A2"], wu).update(
        homework_submitted_at=at(9, 2, 20), score=90, graded_by=teacher, graded_at=at(9, 5)
    )
    _record(lessons["A3"], wu).update(attendance=Attendance.ABSENT)
    _record(lessons["A3"], zheng).update(
        attendance=Attendance.PRESENT, score=100, graded_by=teacher, graded_at=at(9, 6)
    )
    _record(lessons["A4"], wu).update(attendance=Attendance.ABSENT)
    _record(lessons["A4"], zheng).update(attendance=Attendance.ABSENT)
    _record(lessons["A5"], zheng).update(homework_submitted_at=at(11, 15, 9))
    _record(lessons["B1"], wang).update(homework_submitted_at=at(9, 1, 20))

    ask = classroom_services.question_ask
    ask(class_list=a, lesson=None, title="循环怎么写", body="?", by=wu.user)
    named = ask(class_list=a, lesson=None, title="变量命名", body="?", by=wu.user)
    classroom_services.question_answer(question=named, body="用小写", by=teacher)
    formatting = ask(class_list=a, lesson=None, title="作业格式", body="?", by=zheng.user)
    classroom_services.question_answer(question=formatting, body="用 .py", by=teacher)
    ask(class_list=b, lesson=None, title="B班问题", body="?", by=wang.user)
    return School(lessons=lessons, student=wu, classmate=zheng, other_student=wang)


# --- Which panels each role sees -----------------------------------------------------------------
EXPECTED_PANELS = {
    "sales": {"consultant"},
    "sales2": {"consultant"},
    "manager": {"consultant", "manager"},  # a manager owns customers too
    "finance": {"finance"},
    "teacher": {"teacher"},
    "student": {"student"},
    # The admin holds reports.targets and the contract review by default, so sees those panels.
    "admin": {"manager", "finance", "admin"},
    "outsider": set(),
    "superuser": set(PANELS),
}


@pytest.mark.parametrize("role", EXPECTED_PANELS)
def test_each_role_sees_only_its_panels(world, sales, school, role):
    response = home(make_client(world.users[role]))
    assert panels_shown(response) == EXPECTED_PANELS[role]
    assert set(response.context["panels"]) == EXPECTED_PANELS[role] | {"notifications"}


def test_a_panel_follows_a_role_change_on_the_next_request(world, sales, as_sales):
    assert panels_shown(home(as_sales)) == {"consultant"}
    world.roles[SALES].users.remove(world.sales)
    world.roles[TEACHER].users.add(world.sales)
    assert panels_shown(home(as_sales)) == {"teacher"}


# --- The consultant ------------------------------------------------------------------------------
def test_the_consultant_sees_follow_ups_due_today_and_overdue(world, sales, as_sales):
    response = home(as_sales)
    due_today = section(response, "due-today")
    overdue = section(response, "overdue")
    assert "今天跟" in due_today.text
    assert "逾期跟" in overdue.text
    for name in ("逾期跟", "明天跟", "别人今天"):
        assert name not in due_today.text
    for name in ("今天跟", "明天跟", "别人今天"):
        assert name not in overdue.text
    today = sales.customers["今天跟"]
    assert reverse("crm:customer-detail", args=[today.pk]) in due_today.links
    assert "11-15 15:00" in due_today.text
    assert [c.name for c in response.context["panels"]["consultant"]["due_today"]] == ["今天跟"]
    assert [c.name for c in response.context["panels"]["consultant"]["overdue"]] == ["逾期跟"]


def test_the_consultant_sees_customers_about_to_return_to_the_pool(world, sales, as_sales):
    returning = section(home(as_sales), "returning-soon")
    assert returning.text.startswith("2 customers return to the pool soon")
    # Oldest claim first, each with the day it was claimed.
    assert returning.text.index("久未签") < returning.text.index("快回池")
    assert "owned since 10-31" in returning.text and "owned since 11-12" in returning.text
    for name in ("刚认领", "跟进了", "已签约", "删了的", "今天跟", "新客甲", "新客乙", "别人的", "萨乐"):
        assert name not in returning.text, name
    assert reverse("crm:customer-detail", args=[sales.customers["快回池"].pk]) in returning.links


def test_returning_soon_follows_the_pool_rules(world, sales, as_sales):
    """Longer rules with a longer warning: 快回池 (claimed 2.6 days ago) is no longer close."""
    PoolPolicy.objects.update_or_create(
        pk=1, defaults={"days_without_follow_up": 5, "days_without_signing": 15, "warning_days": 2}
    )
    returning = section(home(as_sales), "returning-soon")
    assert returning.text.startswith("1 customer returns to the pool soon")
    assert "久未签" in returning.text and "快回池" not in returning.text

    # No warning: only what is past its deadline already (the sweep takes it tonight).
    PoolPolicy.objects.filter(pk=1).update(days_without_follow_up=3, warning_days=0)
    returning = section(home(as_sales), "returning-soon")
    assert returning.text == "1 customer returns to the pool soon 久未签 owned since 10-31"

    PoolPolicy.objects.filter(pk=1).update(days_without_follow_up=30, days_without_signing=30)
    returning = section(home(as_sales), "returning-soon")
    assert "None: every customer is followed up in time." in returning.text


def test_the_sweep_and_the_warning_agree_with_the_home_page(world, sales, as_sales):
    """What the home page announces is exactly what the nightly sweep will return a day later."""
    announced = {c.name for c in home(as_sales).context["panels"]["consultant"]["returning"]}
    before = set(Customer.objects.filter(consultant=world.sales).values_list("name", flat=True))
    pool_sweep(now=NOW + datetime.timedelta(days=1))
    after = set(Customer.objects.filter(consultant=world.sales).values_list("name", flat=True))
    assert before - after == announced == {"快回池", "久未签"}


def test_the_consultant_sees_the_month_against_the_target(world, sales, as_sales):
    response = home(as_sales)
    assert section(response, "my-target-leads").text == "New leads 2 / 4"
    assert section(response, "my-target-signings").text == "Signings 1 / 2"
    assert section(response, "my-target-revenue").text == "Revenue ¥10,000.00 / ¥20,000.00"
    assert "My month · 2026-11" in section(response, "home-consultant").text
    page = response.content.decode()
    assert 'aria-valuenow="50"' in page


def test_the_target_bars_are_coloured_against_the_months_pace(world, sales, as_sales, client_for):
    """Half way through the month: sales1 (half of each target) is on pace, sales2 (1 of 3
    leads) is not."""
    on_pace = home(as_sales).content.decode()
    assert on_pace.count("progress-bar bg-primary") == 3
    assert "progress-bar bg-warning" not in on_pace
    behind = home(client_for("sales2")).content.decode()
    assert behind.count("progress-bar bg-warning") == 1
    assert "progress-bar bg-primary" not in behind


def test_without_a_target_the_consultant_sees_the_plain_figures(world, sales, as_sales):
    Target.objects.filter(consultant=world.sales).delete()
    response = home(as_sales)
    assert section(response, "my-target-leads").text == "New leads 2 No target set"
    assert section(response, "my-target-signings").text == "Signings 1 No target set"
    assert section(response, "my-target-revenue").text == "Revenue ¥10,000.00 No target set"


def test_last_months_target_does_not_count_for_this_month(world, sales, as_sales):
    Target.objects.filter(consultant=world.sales).update(month=datetime.date(2026, 10, 1))
    assert section(home(as_sales), "my-target-leads").text == "New leads 2 No target set"


def test_a_consultant_sees_no_other_consultants_customers(world, sales, as_sales, client_for):
    page = home(as_sales).content.decode()
    for name in SALES2_NAMES + SALES3_NAMES + ["池新", "池中", "池老"]:
        assert name not in page, name
    other = home(client_for("sales2"))
    assert section(other, "my-target-leads").text == "New leads 1 / 3"
    assert "别人今天" in section(other, "due-today").text
    assert section(other, "returning-soon").text.startswith("1 customer returns to the pool soon")
    other_page = other.content.decode()
    for name in SALES1_NAMES + SALES3_NAMES:
        assert name not in other_page, name


def test_a_consultant_sees_only_own_notifications(world, sales, as_sales):
    Notification.objects.create(recipient=world.sales, text="给销售一的通知", link="/")
    Notification.objects.create(recipient=world.sales2, text="给销售二的通知", link="/")
    notifications = section(home(as_sales), "home-notifications")
    assert "给销售一的通知" in notifications.text
    assert "给销售二的通知" not in notifications.text


# --- The manager -----------------------------------------------------------------------------------
def test_the_manager_sees_the_teams_month(world, sales, as_manager):
    response = home(as_manager)
    assert section(response, "team-leads").text == "Leads taken on 3"
    assert section(response, "team-signed").text == "Signings 1"
    assert section(response, "team-revenue").text == "Revenue ¥10,000.00"
    assert section(response, "team-reviews").text == "Enrollments to review 1"
    assert "My team · 2026-11" in section(response, "home-manager").text
    assert reverse("reports:sales-report") in section(response, "team-leads").links


def test_the_manager_sees_the_pool_by_age(world, sales, as_manager):
    pool = section(home(as_manager), "pool-age")
    assert pool.text == (
        "Public pool: 4 customers Entered in the last 7 days 1 7 to 30 days old 1 Older than 30 days 2 "
        "Oldest entered on 2020-01-01"
    )


def test_the_manager_sees_who_is_behind_target(world, sales, as_manager):
    behind = section(home(as_manager), "behind-target")
    # sales1 is exactly on pace (half of each target half way through the month); the manager
    # has no target; sales3 is behind but in another team.
    assert behind.text == "Behind their targets Sales2 Tester leads 1/3 · signings 0/0 · ¥0.00/¥0.00"


def test_one_lead_short_of_pace_is_behind(world, sales, as_manager):
    Target.objects.filter(consultant=world.sales).update(new_leads=5)  # 2 of 5 < half
    behind = section(home(as_manager), "behind-target")
    assert "Sales1 Tester leads 2/5 · signings 1/2 · ¥10,000.00/¥20,000.00" in behind.text


def test_with_everyone_on_pace_nobody_is_behind(world, sales, as_manager):
    Target.objects.filter(consultant=world.sales2).update(new_leads=2)  # 1 of 2: on pace
    behind = section(home(as_manager), "behind-target")
    assert behind.text == "Behind their targets Nobody: everyone with a target is on pace."


def test_the_manager_sees_nothing_of_another_team(world, sales, as_manager):
    page = home(as_manager).content.decode()
    for name in SALES3_NAMES:
        assert name not in page, name


def test_the_admin_sees_the_whole_school_in_the_manager_panel(world, sales, as_admin):
    response = home(as_admin)
    assert "Sales of the school · 2026-11" in section(response, "home-manager").text
    assert section(response, "team-leads").text == "Leads taken on 4"
    assert section(response, "team-signed").text == "Signings 2"
    assert section(response, "team-revenue").text == "Revenue ¥14,000.00"
    assert section(response, "team-reviews").text == "Enrollments to review 2"
    behind = section(response, "behind-target").text
    assert "Sales2 Tester" in behind
    assert "Sales3 Tester leads 1/100 · signings 1/0 · ¥4,000.00/¥0.00" in behind
    assert "Sales1 Tester" not in behind


# --- Finance -----------------------------------------------------------------------------------------
def test_finance_sees_its_queues_and_the_months_revenue(world, sales, as_finance):
    response = home(as_finance)
    assert section(response, "finance-reviews").text == "Contracts to review 2"
    assert section(response, "finance-payments").text == "Payments to confirm 2"
    assert reverse("enrollment:enrollment-review-list") in section(response, "finance-reviews").links
    assert reverse("enrollment:payment-queue") in section(response, "finance-payments").links


def test_finance_sees_the_whole_schools_revenue_this_month(world, sales, as_finance):
    """Confirmed payments paid in November: 10000 (sales1) + 5000 - 1000 refund (sales3); the
    class transfer, the rejected and pending payments and October's deposit are left out."""
    response = home(as_finance)
    assert section(response, "finance-revenue").text == "Revenue this month ¥14,000.00"


def test_whole_school_figures_keep_a_consultant_who_has_left(world, sales, as_finance, as_admin):
    """sales3 leaves (deactivated): the money and signing they brought in this month stay in the
    school's figures, for finance and for the admin's whole-school panel alike."""
    User.objects.filter(pk=sales.sales3.pk).update(is_active=False)
    assert section(home(as_finance), "finance-revenue").text == "Revenue this month ¥14,000.00"
    response = home(as_admin)
    assert section(response, "team-revenue").text == "Revenue ¥14,000.00"
    assert section(response, "team-signed").text == "Signings 2"
    assert "Sales3 Tester" not in section(response, "behind-target").text


def test_finance_sees_no_customer(world, sales, as_finance):
    page = home(as_finance).content.decode()
    for name in SALES1_NAMES + SALES2_NAMES + SALES3_NAMES:
        assert name not in page, name


# --- The teacher ---------------------------------------------------------------------------------------
def test_the_teacher_sees_todays_lessons(world, school, as_teacher):
    today = section(home(as_teacher), "today-lessons")
    assert "今天的课" in today.text and "B班今天" not in today.text
    assert today.links == [reverse("classroom:lesson-detail", args=[school.lessons["A5"].pk])]


def test_the_teacher_sees_homework_waiting_to_be_graded(world, school, as_teacher):
    to_grade = section(home(as_teacher), "to-grade")
    # Lesson 1 (吴同学's, Sept.) then lesson 5 (郑同学's, today); class B's is teacher2's.
    assert to_grade.links == [
        reverse("classroom:grading", args=[school.lessons["A1"].pk]),
        reverse("classroom:grading", args=[school.lessons["A5"].pk]),
    ]
    assert "今天的课 1" in to_grade.text


def test_the_teacher_sees_unanswered_questions_of_own_classes(world, school, as_teacher):
    unanswered = section(home(as_teacher), "unanswered")
    assert "循环怎么写" in unanswered.text
    for title in ("变量命名", "作业格式", "B班问题"):
        assert title not in unanswered.text


def test_the_teacher_sees_students_at_risk(world, school, as_teacher):
    at_risk = section(home(as_teacher), "at-risk")
    items = at_risk.text
    # 吴同学 missed lessons 3 and 4 (the last two with a roll call); 郑同学 missed homework 1, 2, 7.
    assert "吴同学 Absent twice in a row" in items
    assert "郑同学 3 homeworks missing" in items
    assert "吴同学 Absent twice in a row 1 homework" not in items
    assert "王同学" not in items  # class B is teacher2's
    reasons = {
        (s.customer.name, tuple(r)) for _c, s, r in home(as_teacher).context["panels"]["teacher"]["at_risk"]
    }
    assert reasons == {("吴同学", ("absent",)), ("郑同学", ("homework",))}


def test_a_roll_call_after_the_absences_clears_the_risk(world, school, as_teacher):
    """Only the last two lessons with a roll call count: present today, no longer at risk."""
    _record(school.lessons["A5"], school.student).update(attendance=Attendance.PRESENT)
    _record(school.lessons["A5"], school.classmate).update(attendance=Attendance.PRESENT)
    reasons = {s.customer.name: r for _c, s, r in home(as_teacher).context["panels"]["teacher"]["at_risk"]}
    assert reasons == {"郑同学": ["homework"]}


def test_an_excused_absence_is_not_a_risk(world, school, as_teacher):
    _record(school.lessons["A4"], school.student).update(attendance=Attendance.EXCUSED)
    reasons = {s.customer.name: r for _c, s, r in home(as_teacher).context["panels"]["teacher"]["at_risk"]}
    assert "吴同学" not in reasons


def test_the_teacher_sees_nothing_of_another_class(world, school, as_teacher):
    page = home(as_teacher).content.decode()
    for text in ("B班今天", "B班问题", "王同学", "B班作业"):
        assert text not in page, text


def test_a_teacher_of_an_inactive_class_sees_nothing_of_it(world, school, as_teacher):
    ClassList.objects.filter(pk=world.class_a.pk).update(is_active=False)
    response = home(as_teacher)
    assert "No lesson recorded for today yet." in section(response, "today-lessons").text
    assert "Everything handed in is graded." in section(response, "to-grade").text


# --- The student ---------------------------------------------------------------------------------------
def test_the_student_sees_the_next_lesson(world, school, as_student):
    next_lesson = section(home(as_student), "next-lesson")
    assert "今天的课" in next_lesson.text and "2026-11-15" in next_lesson.text
    assert next_lesson.links == [reverse("classroom:my-lesson", args=[school.lessons["A5"].pk])]


def test_the_student_sees_homework_due(world, school, as_student):
    due = section(home(as_student), "homework-due")
    assert "今天作业" in due.text and "11-16 20:00" in due.text
    # Handed in (lesson 1), graded (lesson 2), past its deadline (lesson 7), another class's.
    for title in ("数据类型练习", "循环练习", "逾期作业", "B班作业"):
        assert title not in due.text


def test_the_student_sees_own_latest_grades(world, school, as_student):
    grades = section(home(as_student), "latest-grades")
    assert "第2课" in grades.text and " A" in grades.text
    assert "A+" not in grades.text and "第3课" not in grades.text  # the classmate's


def test_the_student_sees_answers_to_own_questions(world, school, as_student):
    answers = section(home(as_student), "my-answers")
    assert "变量命名" in answers.text and "Teacher Tester" in answers.text
    assert "作业格式" not in answers.text and "循环怎么写" not in answers.text


def test_the_student_sees_nothing_of_classmates_or_other_classes(world, school, as_student):
    page = home(as_student).content.decode()
    for text in ("作业格式", "郑同学", "B班今天", "B班问题", "王同学", "A+"):
        assert text not in page, text


def test_a_student_without_lessons_sees_the_empty_panels(world, as_student):
    response = home(as_student)
    assert "No upcoming lesson is scheduled yet." in section(response, "next-lesson").text
    assert "Nothing to hand in." in section(response, "homework-due").text
    assert "Nothing graded yet." in section(response, "latest-grades").text
    assert "No answers yet." in section(response, "my-answers").text


# --- The admin -----------------------------------------------------------------------------------------
def test_the_admin_sees_the_school_in_numbers(world, sales, as_admin):
    User.objects.create_user(username="newcomer", is_active=False, awaiting_approval=True)
    User.objects.create_user(username="leaver", is_active=False)
    ClassList.objects.create(
        course=world.python,
        campus=world.beijing,
        semester=1,
        price=Decimal("1"),
        start_date=datetime.date(2025, 1, 1),
        is_active=False,
    )
    signed = customer("学员甲", None, status=Customer.Status.SIGNED)
    Student.objects.create(user=world.student, customer=signed)
    response = home(as_admin)
    # world: 9 users (8 with a role or none, and root) + sales3; the newcomer and leaver are inactive.
    assert section(response, "admin-users").text == "Active users 10"
    assert section(response, "admin-awaiting").text == "Registrations to approve 1"
    assert section(response, "admin-roles").text == "Roles 6"
    assert section(response, "admin-classes").text == "Active classes 2"
    # 3 of the world's, 10 of sales1, 3 of sales2, 2 of sales3, 3 in the pool, 学员甲; the
    # deleted ones (删除, 删了的, 池删) are left out.
    assert section(response, "admin-customers").text == "Customers 22"
    assert section(response, "admin-students").text == "Students 1"
    attention = section(response, "admin-attention").text
    assert "1 registration waits for your approval." in attention
    assert "1 active class has no teacher." in attention  # class B; the inactive one is not counted


def test_the_admin_sees_no_warning_when_nothing_waits(world, as_admin):
    world.class_b.teachers.add(world.teacher)
    response = home(as_admin)
    assert sections(response, "admin-attention") == []


# --- Query counts --------------------------------------------------------------------------------------
# Queries of one home page load per role: session, user, roles and permissions, the panels, the
# menu's badge. Pinned (DESIGN.md 7.4) and the same for small and bigger data.
HOME_QUERIES = {
    "sales": 15,  # the month against targets: the month's figures, the signings, the targets
    "manager": 21,  # its own consultant panel too
    "finance": 10,
    "teacher": 15,  # with one class taught
    "student": 11,
    "admin": 25,  # the manager's and finance's panels too
}
_serial = count(1)


def grow(world, school: School, n: int) -> None:
    """n more of everything each panel lists or counts, for every role at once."""
    s1, s2, manager = world.sales, world.sales2, world.manager
    team = world.departments["sales"]
    recent = NOW - datetime.timedelta(hours=1)
    for _ in range(n):
        i = next(_serial)
        consultant = add_consultant(f"grow{i}", team)
        set_target(consultant, manager, new_leads=10)
        for owner in (s1, s2, consultant):
            due = customer(f"今天{i}", owner, claimed=recent, next_follow_up_at=at(11, 15, 18))
            customer(f"过期{i}", owner, claimed=recent, next_follow_up_at=at(11, 1))
            customer(f"回池{i}", owner, claimed=at(11, 12, 20))
            fresh = customer(f"新{i}", owner, created=at(11, 2))
            event(fresh, Kind.CREATE, owner, at(11, 2))
            event(fresh, Kind.SIGN, owner, at(11, 4), from_user=owner)
            enrollment = enroll(fresh, world.class_a, owner, Enrollment.Status.SUBMITTED)
            pay(enrollment, Payment.Kind.TUITION, "100", datetime.date(2026, 11, 5))
            pay(enrollment, Payment.Kind.TUITION, "100", datetime.date(2026, 11, 6), Payment.Status.PENDING)
            followed_up(due, owner, recent, world.channel)
        customer(f"池{i}", None, created=at(10, 25))
        Notification.objects.bulk_create(
            Notification(recipient=user, text=f"通知{i}", link="/")
            for user in (s1, manager, world.finance, world.teacher, world.student, world.admin)
        )
        # A new classmate and a lesson today with homework handed in, questions and answers.
        user = User.objects.create_user(username=f"pupil{i}")
        user.roles.add(world.roles[STUDENT])
        pupil = Student.objects.create(user=user, customer=customer(f"学员{i}", None))
        pupil.classes.add(world.class_a)
        lesson = _lesson(
            world.class_a,
            world.teacher,
            100 + i,
            datetime.date(2026, 11, 15),
            homework="作业",
            deadline=at(12, 1),
        )
        StudyRecord.objects.filter(lesson=lesson, student=pupil).update(
            homework_submitted_at=recent, attendance=Attendance.ABSENT
        )
        StudyRecord.objects.filter(lesson=lesson, student=school.student).update(
            score=80, graded_by=world.teacher, graded_at=recent
        )
        for asker in (school.student.user, user):
            question = classroom_services.question_ask(
                class_list=world.class_a, lesson=None, title=f"问题{i}", body="?", by=asker
            )
            classroom_services.question_answer(question=question, body="答", by=world.teacher)
            classroom_services.question_ask(
                class_list=world.class_a, lesson=lesson, title=f"未答{i}", body="?", by=asker
            )


@pytest.mark.parametrize("role", HOME_QUERIES)
def test_the_home_page_query_count_is_pinned_and_flat(
    world, sales, school, client_for, django_assert_num_queries, role
):
    client = client_for(role)
    grow(world, school, 1)
    home(client)  # warm-up
    with django_assert_num_queries(HOME_QUERIES[role]):
        home(client)
    grow(world, school, 4)
    with django_assert_num_queries(HOME_QUERIES[role]):
        response = home(client)
    assert panels_shown(response) == EXPECTED_PANELS[role]


def test_the_teachers_home_page_does_not_grow_with_the_classes_taught(
    world, school, as_teacher, django_assert_num_queries
):
    """A teacher with one class or with five: the same queries (the docstring of
    reports.dashboards promises a fixed number)."""
    home(as_teacher)
    with django_assert_num_queries(HOME_QUERIES["teacher"]):
        home(as_teacher)
    for i in range(4):
        extra = ClassList.objects.create(
            course=world.linux,
            campus=world.beijing,
            semester=200 + i,
            price=Decimal("1"),
            start_date=datetime.date(2026, 9, 1),
        )
        extra.teachers.add(world.teacher)
        school.student.classes.add(extra)
        for number in (1, 2):
            _lesson(extra, world.teacher, number, datetime.date(2026, 9, number), homework="作业")
    with django_assert_num_queries(HOME_QUERIES["teacher"]):
        response = home(as_teacher)
    assert len(response.context["my_classes"]) == 5
