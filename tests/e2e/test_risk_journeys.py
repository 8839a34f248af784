"""At-risk warnings in a browser: a teacher finds an absent student among the students at risk
and opens a ticket for the class adviser (a second click is refused); the sales manager reads
the customers at risk and tightens the customer thresholds; the administrator sets the student
thresholds (a bad value refused). Each new page is saved as a screenshot, in Chinese, on a
desktop and (the students' list) on a phone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from classroom.models import Attendance, Lesson, StudyRecord
from crm.models import Campus, ClassList, Course, Customer, DictItem, FollowUp
from crm.normalize import name_keys
from enrollment.models import Enrollment, Payment, Student
from rbac.defaults import ADMIN, SALES, SALES_MANAGER, STUDENT, TEACHER
from risk.models import RiskPolicy
from tests.e2e.conftest import expect_message, open_menu_item
from tickets.models import Ticket

pytestmark = pytest.mark.e2e


@dataclass
class School:
    class_list: ClassList
    student: Student
    high: DictItem


def _customer(name: str, phone: str, owner, source, **values) -> Customer:
    pinyin, initials = name_keys(name)
    return Customer.objects.create(
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        phone=phone,
        source=source,
        consulted_on=timezone.localdate() - timedelta(days=30),
        consultant=owner,
        **values,
    )


@pytest.fixture
def school(staff) -> School:
    """Python 9: the e2e teacher teaches it, 冯班主任 advises it. 吴同学 missed lessons 2 and 3
    (absent, then late), handed in nothing for them, scored A, B, C and paid only a deposit.
    The manager owns 钱多多, unclaimed for two and a half days, and 孙意向, who wanted to enrol
    within a week three days ago and has heard nothing since."""
    source = DictItem.objects.create(kind=DictItem.Kind.SOURCE, code="baidu", label="百度推广")
    channel = DictItem.objects.create(kind=DictItem.Kind.FOLLOW_UP_CHANNEL, code="phone", label="电话")
    high = DictItem.objects.create(kind=DictItem.Kind.INTENT_LEVEL, code="within_week", label="1周内报名")
    DictItem.objects.create(kind=DictItem.Kind.INTENT_LEVEL, code="no_plan", label="近期无报名计划", order=2)
    category = DictItem.objects.create(kind=DictItem.Kind.TICKET_CATEGORY, code="study", label="学习辅导")
    campus = Campus.objects.create(name="北京校区", address="北京市海淀区")
    course = Course.objects.create(name="Python全栈开发", default_price=Decimal("19800"))
    class_list = ClassList.objects.create(
        course=course,
        campus=campus,
        semester=9,
        price=Decimal("19800"),
        start_date=timezone.localdate() - timedelta(days=30),
        adviser=staff.users["adviser"],
    )
    class_list.teachers.add(staff.users[TEACHER])
    consultant = staff.users[SALES]
    customer = _customer("吴同学", "+8613800138000", consultant, source, status=Customer.Status.SIGNED)
    student = Student.objects.create(user=staff.users[STUDENT], customer=customer)
    student.classes.add(class_list)
    start = class_list.start_date
    for number, attendance, homework, score in (
        (1, Attendance.PRESENT, True, 90),
        (2, Attendance.ABSENT, False, 80),
        (3, Attendance.LATE, False, 50),
    ):
        lesson = Lesson.objects.create(
            class_list=class_list,
            number=number,
            date=start + timedelta(days=2 * number),
            teacher=staff.users[TEACHER],
            title=f"第{number}课",
            homework_title="练习",
        )
        StudyRecord.objects.create(
            lesson=lesson,
            student=student,
            attendance=attendance,
            score=score,
            homework_submitted_at=timezone.now() if homework else None,
        )
    enrollment = Enrollment.objects.create(
        customer=customer,
        class_list=class_list,
        consultant=consultant,
        price=Decimal("19800"),
        status=Enrollment.Status.APPROVED,
        link_expires_at=timezone.now(),
    )
    Payment.objects.create(
        enrollment=enrollment,
        kind=Payment.Kind.DEPOSIT,
        amount=Decimal("2000"),
        paid_at=start,
        consultant=consultant,
        status=Payment.Status.CONFIRMED,
        request_key=uuid.uuid4(),
    )
    manager = staff.users[SALES_MANAGER]
    now = timezone.now()
    _customer("钱多多", "+8613900000001", manager, source, claimed_at=now - timedelta(hours=60))
    keen = _customer("孙意向", "+8613900000002", manager, source, claimed_at=now - timedelta(days=1))
    FollowUp.objects.create(
        customer=keen,
        consultant=manager,
        channel=channel,
        intent=high,
        content="下周报名",
        at=now - timedelta(days=3),
    )
    Customer.objects.filter(pk=keen.pk).update(last_follow_up_at=now - timedelta(days=3))
    policy = RiskPolicy.current()
    policy.high_intent_levels.set([high])
    policy.ticket_category = category
    policy.save()
    return School(class_list=class_list, student=student, high=high)


def test_teacher_opens_a_ticket_for_the_adviser(ui, staff, school):
    page = ui.page()
    ui.login(page, staff.users[TEACHER].username)
    open_menu_item(page, "risk.student_warnings")
    rows = page.get_by_test_id("warning-row")
    expect(rows).to_have_count(4)
    expect(rows.filter(has_text="第 2 课缺勤, 第 3 课迟到")).to_have_count(1)
    expect(rows.filter(has_text="已缴 ¥2000.00 / ¥19800.00")).to_have_count(1)
    expect(rows.filter(has_text="成绩 A → B → C")).to_have_count(1)
    ui.shot(page, "risk-student-warnings")
    rows.filter(has_text="第 2 课缺勤").get_by_test_id("open-ticket").click()
    ticket = Ticket.objects.get()
    expect_message(page, "success", f"#{ticket.pk}", "冯班主任")
    assert ticket.assignee == staff.users["adviser"]
    expect(page.get_by_test_id("ticket-opened")).to_have_count(1)
    # Filtered to absences: the row shows the ticket it opened instead of the button.
    page.locator("select[name=kind]").select_option("absence")
    page.get_by_test_id("filter-form").locator("button[type=submit]").click()
    expect(rows).to_have_count(1)
    expect(page.get_by_test_id("ticket-opened")).to_contain_text(f"#{ticket.pk}")
    ui.shot(page, "risk-student-warnings-ticket")

    phone = ui.page("phone")
    ui.login(phone, staff.users["adviser"].username)
    open_menu_item(phone, "risk.student_warnings", phone=True)
    expect(phone.get_by_test_id("warning-row")).to_have_count(4)
    ui.shot(phone, "risk-student-warnings-phone")


def test_manager_reads_customers_at_risk_and_sets_the_thresholds(ui, staff, school):
    page = ui.page()
    ui.login(page, staff.users[SALES_MANAGER].username)
    open_menu_item(page, "risk.customer_warnings")
    rows = page.get_by_test_id("warning-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="孙意向")).to_contain_text("1周内报名")
    expect(rows.filter(has_text="钱多多")).to_contain_text("从未")
    ui.shot(page, "risk-customer-warnings")
    open_menu_item(page, "risk.customer_thresholds")
    form = page.get_by_test_id("record-form")
    form.locator("input[name=high_intent_days]").fill("5")
    form.locator("button[type=submit]").click()
    expect(form.locator(".invalid-feedback")).to_contain_text("3")
    ui.shot(page, "risk-customer-thresholds")
    form.locator("input[name=high_intent_days]").fill("1")
    form.locator("button[type=submit]").click()
    expect_message(page, "success")
    assert RiskPolicy.current().high_intent_days == 1


def test_admin_sets_the_student_thresholds(ui, staff, school):
    page = ui.page()
    ui.login(page, staff.users[ADMIN].username)
    open_menu_item(page, "risk.student_thresholds")
    form = page.get_by_test_id("record-form")
    form.locator("input[name=absence_streak]").fill("0")
    form.locator("button[type=submit]").click()
    expect(form.locator(".invalid-feedback").first).to_be_visible()
    form.locator("input[name=absence_streak]").fill("3")
    form.locator("input[name=auto_ticket]").check()
    ui.shot(page, "risk-student-thresholds")
    form.locator("button[type=submit]").click()
    expect_message(page, "success")
    policy = RiskPolicy.current()
    assert (policy.absence_streak, policy.auto_ticket) == (3, True)
    # Three in a row now: 吴同学's two are no longer a warning.
    open_menu_item(page, "risk.student_warnings")
    expect(page.get_by_test_id("warning-row").filter(has_text="缺勤")).to_have_count(0)
