"""The Content Security Policy in a browser: the pages that run scripts (lists, the customer page,
the import progress htmx polls, the report's Chart.js charts, the enrollment list's status filter,
the enrollment link's QR code, the public form, the student's print button) work under the
enforced policy and the browser reports no violation.

Violations are collected twice: from the console ("Refused to ..." / "Content Security Policy")
and from `securitypolicyviolation` events, which an init script forwards to Python. The test ends
by injecting an inline script, which must be refused and reported, so a collector that saw
nothing because it was deaf cannot pass.
"""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from crm.models import Campus, ClassList, Course, CustomerImport, DictItem
from enrollment import services as enrollment_services
from enrollment.models import Enrollment, Student
from enrollment.tokens import enrollment_token
from rbac.defaults import FINANCE, SALES, SALES_MANAGER, STUDENT
from tests.e2e.test_classroom_journeys import make_customer

pytestmark = pytest.mark.e2e

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline"} on ${location.pathname}`,
  );
});
"""
# window.print() would open the print dialog; count the calls instead.
COUNT_PRINTS = "window.print = () => { window.printed = (window.printed || 0) + 1; };"


class PolicyWatch:
    """What the browser said about the policy, and any console error, on the watched pages."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.console: list[str] = []

    def watch(self, page: Page) -> Page:
        page.expose_binding("reportCspViolation", lambda _source, text: self.violations.append(text))
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self._console)
        return page

    def _console(self, message) -> None:
        text = message.text
        if message.type == "error" or "Content Security Policy" in text or "Refused to" in text:
            self.console.append(f"{message.type}: {text}")


def finish_while_polled(running: CustomerImport) -> None:
    """Mark the import finished while the page polls it. The live server shares the in-memory
    test database through SQLite's shared cache, whose table locks refuse a write while a poll
    reads the table (a file database in WAL mode, as in production, would not): try again."""
    for _attempt in range(50):
        try:
            CustomerImport.objects.filter(pk=running.pk).update(
                status=CustomerImport.Status.DONE,
                processed_rows=10,
                created_count=10,
                finished_at=timezone.now(),
            )
            return
        except OperationalError:
            time.sleep(0.05)
    raise AssertionError("the import row stayed locked by the polls")


def test_every_scripted_page_works_under_the_policy(ui, staff, live_server):
    consultant, student_user = staff.users[SALES], staff.users[STUDENT]
    source = DictItem.objects.create(kind=DictItem.Kind.SOURCE, code="baidu", label="百度推广")
    gender = DictItem.objects.create(kind=DictItem.Kind.GENDER, code="male", label="男", order=1)
    course = Course.objects.create(name="Python全栈开发", default_price=Decimal("19800"))
    class_list = ClassList.objects.create(
        course=course,
        campus=Campus.objects.create(name="北京校区", address="北京市海淀区"),
        semester=9,
        price=Decimal("19800"),
        start_date=timezone.localdate() + timedelta(days=10),
    )
    signed = make_customer("吴同学", "138 0013 8000", consultant, source)
    waiting = make_customer("郑小明", "139 0000 0001", consultant, source)
    # 吴同学 enrolled and approved (the e2e student account); 郑小明's link is still open.
    Student.objects.create(user=student_user, customer=signed)
    approved = enrollment_services.enrollment_create(customer=signed, class_list=class_list, by=consultant)
    assert enrollment_services.enrollment_submit(
        enrollment=approved,
        values={
            "id_number": "11010519491231002X",
            "gender": gender,
            "birthday": date(1949, 12, 31),
            "emergency_contact": "吴母",
            "emergency_phone": "+8613900000009",
            "address": "北京市海淀区中关村南大街5号",
            "email": student_user.email,
        },
        contract_text=enrollment_services.contract_for(approved),
        ip="::1",
    )
    approved.refresh_from_db()
    enrollment_services.enrollment_approve(
        enrollment=approved, by=staff.users[FINANCE], may_exceed_capacity=False, base_url=live_server.url
    )
    open_link = enrollment_services.enrollment_create(customer=waiting, class_list=class_list, by=consultant)
    running = CustomerImport.objects.create(
        created_by=consultant,
        original_name="leads.xlsx",
        file_format="xlsx",
        status=CustomerImport.Status.RUNNING,
        owner=CustomerImport.Owner.ME,
        total_rows=10,
        processed_rows=4,
    )
    watch = PolicyWatch()

    # The consultant: lists, the customer page, the import progress, enrollments, the QR code.
    page = watch.watch(ui.page())
    ui.login(page, consultant.username)
    page.goto(reverse("crm:customer-mine"))
    expect(page.get_by_test_id("list-table")).to_contain_text("郑小明")
    page.get_by_role("link", name="郑小明").first.click()
    expect(page).to_have_url(re.compile(rf"/sales/customers/{waiting.pk}/$"))

    # htmx polls the running import every second with the CSRF header from <body hx-headers>
    # (JSON, read without eval), and swaps in the finished state.
    page.goto(reverse("crm:customer-import-detail", args=[running.pk]))
    status = page.get_by_test_id("import-status")
    expect(status).to_have_attribute("data-status", "running")
    with page.expect_request(lambda request: request.headers.get("hx-request") == "true") as polled:
        pass
    assert polled.value.headers.get("x-csrftoken"), polled.value.headers
    finish_while_polled(running)
    expect(status).to_have_attribute("data-status", "done", timeout=5_000)
    expect(page.get_by_test_id("import-created")).to_have_text("10")

    # The status filter sends its form when changed (data-autosubmit, no inline handler).
    page.goto(reverse("enrollment:enrollment-list"))
    table = page.get_by_test_id("list-table")
    expect(table).to_contain_text("吴同学")
    page.locator("select[name=status]").select_option(Enrollment.Status.OPEN)
    expect(page).to_have_url(re.compile(r"/sales/enrollments/\?status=open$"))
    expect(table).to_contain_text("郑小明")
    expect(table).not_to_contain_text("吴同学")

    # The link's QR code is a data: URI image.
    page.goto(reverse("enrollment:enrollment-detail", args=[open_link.pk]))
    qr = page.get_by_test_id("qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0")

    # The manager's monthly report: Chart.js draws the three charts.
    manager = watch.watch(ui.page())
    ui.login(manager, staff.users[SALES_MANAGER].username)
    manager.goto(reverse("reports:sales-report"))
    for canvas_id in ("chart-trend", "chart-sources", "chart-funnel"):
        canvas = manager.locator(f"#{canvas_id}")
        expect(canvas).to_be_visible()
        box = canvas.bounding_box()
        assert box["width"] > 100 and box["height"] > 100, (canvas_id, box)
        assert manager.evaluate(f"Chart.getChart(document.getElementById('{canvas_id}')) !== undefined")

    # The student's public form on a phone, then the signed-in student prints the contract.
    phone = watch.watch(ui.page("phone"))
    phone.goto(reverse("enrollment:apply", args=[enrollment_token(open_link)]))
    expect(phone.get_by_test_id("apply-page")).to_be_visible()
    student = watch.watch(ui.page())
    student.add_init_script(COUNT_PRINTS)
    ui.login(student, student_user.username)
    student.goto(reverse("enrollment:my-contract", args=[approved.pk]))
    student.get_by_test_id("print").click()
    assert student.evaluate("window.printed") == 1

    assert watch.violations == []
    assert watch.console == []

    # The collector hears a refusal: an inline script injected now is blocked and reported.
    student.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.inlineRan = true";
          document.body.append(script);
        }"""
    )
    for _attempt in range(50):
        if watch.violations and watch.console:
            break
        student.wait_for_timeout(100)
    assert student.evaluate("window.inlineRan") is None
    assert len(watch.violations) == 1 and watch.violations[0].startswith("script-src-elem refused inline")
    assert any("Content Security Policy" in message for message in watch.console), watch.console
