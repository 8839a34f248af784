"""Service tickets in a browser: a consultant opens a ticket from a student's customer page; the
sales manager finds it in the list (an overdue ticket highlighted beside it), assigns it and
exports the list; the consultant starts and resolves it; the student rates it on a phone and asks
a new question; the manager sets a deadline and reads the report. Screenshots of every page.

Elements are found by test id, form field name and URL; the texts read are data the tests
create. The ticket categories and default deadlines are made here: the flush between browser
tests empties the seeded ones."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from accounts.models import Department, User
from crm.models import Customer, DictItem
from enrollment.models import Student
from rbac.defaults import SALES, SALES_MANAGER, STUDENT
from tests.e2e.conftest import expect_message, open_menu_item
from tickets.models import DEFAULT_DEADLINE_HOURS, Ticket, TicketDeadline

pytestmark = pytest.mark.e2e

CATEGORIES = [
    ("consultation", "咨询"),
    ("complaint", "投诉"),
    ("suggestion", "建议"),
    ("course_feedback", "课程反馈"),
    ("after_sales", "售后"),
]
TICKET_URL = re.compile(r"/service/tickets/(\d+)/$")


@dataclass
class Desk:
    consultant: User
    manager: User
    student_user: User
    customer: Customer  # the student's, owned by the consultant
    categories: dict[str, DictItem]
    overdue: Ticket


def page_overflows(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


@pytest.fixture
def desk(staff) -> Desk:
    # The seeded rows exist in the first test only: a flush after each browser test empties them.
    categories = {
        code: DictItem.objects.update_or_create(
            kind=DictItem.Kind.TICKET_CATEGORY, code=code, defaults={"label": label, "order": order}
        )[0]
        for order, (code, label) in enumerate(CATEGORIES, start=1)
    }
    for priority, (response, resolve) in DEFAULT_DEADLINE_HOURS.items():
        TicketDeadline.objects.get_or_create(
            category=None, priority=priority, defaults={"response_hours": response, "resolve_hours": resolve}
        )
    sales = Department.objects.create(name="销售部", code="sales")
    consultant, manager = staff.users[SALES], staff.users[SALES_MANAGER]
    User.objects.filter(pk__in=[consultant.pk, manager.pk]).update(department=sales)
    source = DictItem.objects.create(kind=DictItem.Kind.SOURCE, code="web", label="官网")
    customer = Customer.objects.create(
        name="吴同学",
        phone="+8613900000009",
        source=source,
        consulted_on=timezone.localdate(),
        consultant=consultant,
        claimed_at=timezone.now(),
    )
    Student.objects.create(user=staff.users[STUDENT], customer=customer)
    other = Customer.objects.create(
        name="郑先生",
        phone="+8613900000010",
        source=source,
        consulted_on=timezone.localdate(),
        consultant=consultant,
        claimed_at=timezone.now(),
    )
    now = timezone.now()
    overdue = Ticket.objects.create(
        category=categories["after_sales"],
        priority="urgent",
        title="发票还没收到",
        customer=other,
        created_by=consultant,
        assignee=consultant,
        status=Ticket.Status.ASSIGNED,
        created_at=now - timedelta(hours=12),
        response_due_at=now - timedelta(hours=11),
        resolve_due_at=now - timedelta(hours=4),
    )
    return Desk(consultant, manager, staff.users[STUDENT], customer, categories, overdue)


def test_a_ticket_from_opening_to_rating(ui, desk):
    # The consultant opens a ticket from the customer's page.
    sales = ui.page()
    ui.login(sales, desk.consultant.username)
    sales.goto(f"/sales/customers/{desk.customer.pk}/")
    sales.get_by_test_id("new-ticket").click()
    expect(sales).to_have_url(re.compile(rf"/service/tickets/new/\?customer={desk.customer.pk}$"))
    form = sales.get_by_test_id("record-form")
    expect(sales.get_by_test_id("ticket-for")).to_contain_text("吴同学")
    form.locator("select[name=category]").select_option(str(desk.categories["complaint"].pk))
    form.locator("select[name=priority]").select_option("high")
    form.locator("input[name=title]").fill("晚班教室空调太冷")
    form.locator("textarea[name=description]").fill("周三晚上的课，教室温度太低。")
    ui.shot(sales, "tickets-create")
    form.locator("button[type=submit]").click()
    expect(sales).to_have_url(TICKET_URL)
    ticket = Ticket.objects.get(title="晚班教室空调太冷")
    assert ticket.requester == desk.student_user  # the customer is a student: they will rate it
    expect(sales.get_by_test_id("timeline").locator("li")).to_have_count(1)

    # The manager finds it in the list, beside the overdue one, and assigns it.
    manager = ui.page()
    ui.login(manager, desk.manager.username)
    open_menu_item(manager, "tickets.ticket_list")
    expect(manager).to_have_url(re.compile(r"/service/tickets/$"))
    rows = manager.get_by_test_id("ticket-row")
    expect(rows).to_have_count(2)
    expect(manager.locator('tr[data-overdue="1"]')).to_have_count(1)
    expect(manager.locator('tr[data-overdue="1"]')).to_contain_text("发票还没收到")
    ui.shot(manager, "tickets-list")
    manager.get_by_test_id("filter-form").locator("select[name=overdue]").select_option("true")
    manager.get_by_test_id("filter-form").locator("button[type=submit]").click()
    expect(rows).to_have_count(1)
    with manager.expect_download() as download:
        manager.get_by_test_id("export-xlsx").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["发票还没收到"]
    manager.goto(f"/service/tickets/{ticket.pk}/")
    assign = manager.get_by_test_id("assign-form")
    assign.locator("select[name=assignee]").select_option(str(desk.consultant.pk))
    assign.get_by_test_id("assign").click()
    expect_message(manager, "success")
    expect(manager.get_by_test_id("handler")).to_contain_text(desk.consultant.display_name)
    expect(manager.get_by_test_id("resolve-form")).to_have_count(0)  # the assignee's move

    # The consultant starts and resolves it.
    sales.goto(f"/service/tickets/{ticket.pk}/")
    sales.get_by_test_id("start").click()
    expect_message(sales, "success")
    ui.shot(sales, "tickets-detail")
    sales.get_by_test_id("resolve-form").locator("textarea[name=note]").fill("已调高空调温度，并安排检修。")
    sales.get_by_test_id("resolve").click()
    expect_message(sales, "success")
    expect(sales.get_by_test_id("resolution")).to_contain_text("已调高空调温度")

    # The student rates it on a phone.
    phone = ui.page("phone")
    ui.login(phone, desk.student_user.username)
    open_menu_item(phone, "tickets.my_tickets", phone=True)
    expect(phone).to_have_url(re.compile(r"/my/tickets/$"))
    expect(phone.get_by_test_id("rate-me")).to_have_count(1)
    assert not page_overflows(phone)
    ui.shot(phone, "tickets-my-list-phone")
    phone.get_by_test_id("my-tickets").get_by_text("晚班教室空调太冷").tap()
    expect(phone).to_have_url(re.compile(rf"/my/tickets/{ticket.pk}/$"))
    feedback = phone.get_by_test_id("feedback-form")
    feedback.locator("input[name=rating][value='5']").check()
    feedback.locator("textarea[name=comment]").fill("处理很快，谢谢！")
    assert not page_overflows(phone)
    ui.shot(phone, "tickets-my-detail-phone")
    feedback.get_by_test_id("feedback").tap()
    expect_message(phone, "success")
    expect(phone.get_by_test_id("rating")).to_contain_text("5/5")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.rating) == (Ticket.Status.FEEDBACK, 5)

    # ... and asks a new question.
    phone.goto("/my/tickets/new/")
    form = phone.get_by_test_id("record-form")
    form.locator("select[name=category]").select_option(str(desk.categories["course_feedback"].pk))
    form.locator("input[name=title]").fill("想换到周末班")
    assert not page_overflows(phone)
    ui.shot(phone, "tickets-my-create-phone")
    form.locator("button[type=submit]").tap()
    expect(phone).to_have_url(re.compile(r"/my/tickets/\d+/$"))
    expect_message(phone, "success")

    # Another student's ticket, or a staff page, is not theirs.
    assert phone.goto(f"/my/tickets/{desk.overdue.pk}/").status == 404
    assert phone.goto(f"/service/tickets/{ticket.pk}/").status == 403
    assert not ui.problems.items


def test_the_manager_sets_a_deadline_and_reads_the_report(ui, desk):
    manager = ui.page()
    ui.login(manager, desk.manager.username)
    open_menu_item(manager, "tickets.deadlines")
    expect(manager).to_have_url(re.compile(r"/service/deadlines/$"))
    complaint = desk.categories["complaint"].pk
    form = manager.get_by_test_id("deadlines-form")
    expect(form.get_by_test_id("deadline-row")).to_have_count(1 + len(CATEGORIES))
    form.locator(f"input[name='{complaint}-urgent-response']").fill("1")
    form.locator(f"input[name='{complaint}-urgent-resolve']").fill("4")
    ui.shot(manager, "tickets-deadlines")
    form.get_by_test_id("save").click()
    expect_message(manager, "success")
    row = TicketDeadline.objects.get(category_id=complaint, priority="urgent")
    assert (row.response_hours, row.resolve_hours) == (1, 4)

    open_menu_item(manager, "tickets.report")
    expect(manager).to_have_url(re.compile(r"/service/report/$"))
    expect(manager.get_by_test_id("kpi-tickets")).to_have_text("1")
    expect(manager.get_by_test_id("by-category")).to_contain_text("售后")
    expect(manager.get_by_test_id("by-handler")).to_contain_text(desk.consultant.display_name)
    ui.shot(manager, "tickets-report")
    assert not ui.problems.items
