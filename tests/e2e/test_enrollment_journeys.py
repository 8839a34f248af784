"""Enrollment in a browser: a consultant makes the link for a customer who said yes, the student
fills it in on a phone (documents, form, contract), finance sends it back and then approves it,
the student sets a password from the email and finds the contract, and payments are recorded by
the consultant and confirmed or rejected by finance.

Elements are found by test id, form field name and URL; the texts read are data the tests
create (names, phones, amounts) and the few Chinese labels the issue names.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import segno
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from accounts.models import User
from crm.models import Campus, ClassList, Course, Customer, DictItem
from crm.normalize import name_keys, normalize_phone
from enrollment import services
from enrollment.models import Enrollment, EnrollmentDocument, Payment, Student
from enrollment.tokens import enrollment_for_token, enrollment_token
from rbac.defaults import FINANCE, SALES
from tests.e2e.conftest import DESKTOP, SCREENSHOTS, expect_message, open_menu_item

pytestmark = pytest.mark.e2e

ID_NUMBER = "11010519491231002X"  # born 1949-12-31; the check digit is X
WRONG_CHECK_DIGIT = "110105194912310021"
CONTRACT = (
    "培训服务协议\n"
    "乙方（学员）：{name}\n"
    "乙方报名参加 {class}，学费人民币 {price} 元。\n"
    "甲方按教学计划授课，乙方按时上课、遵守学校纪律。"
)
DETAIL_URL = re.compile(r"/sales/enrollments/(\d+)/$")
APPLY_URL = re.compile(r"/enroll/[^/]+/$")


@dataclass
class School:
    consultant: User
    finance: User
    campus: Campus
    course: Course
    class_list: ClassList
    other_class: ClassList
    male: DictItem
    female: DictItem
    customer: Customer


@pytest.fixture
def school(staff, settings, tmp_path) -> School:
    settings.MEDIA_ROOT = tmp_path / "media"  # the documents students upload
    cache.clear()  # the link pages' rate limit counts per address and minute
    consultant = staff.users[SALES]
    campus = Campus.objects.create(name="北京海淀校区", address="北京市海淀区中关村大街1号")
    course = Course.objects.create(
        name="Python全栈开发", default_price=Decimal("19800"), contract_template=CONTRACT
    )
    other_course = Course.objects.create(name="Java大数据开发", default_price=Decimal("21800"))
    start = timezone.localdate() + timedelta(days=30)
    class_list = ClassList.objects.create(
        course=course, campus=campus, semester=9, price=Decimal("19800"), start_date=start, capacity=30
    )
    other_class = ClassList.objects.create(
        course=other_course, campus=campus, semester=3, price=Decimal("21800"), start_date=start, capacity=40
    )
    male = DictItem.objects.create(kind=DictItem.Kind.GENDER, code="male", label="男", order=1)
    female = DictItem.objects.create(kind=DictItem.Kind.GENDER, code="female", label="女", order=2)
    source = DictItem.objects.create(kind=DictItem.Kind.SOURCE, code="baidu", label="百度推广")
    customer = make_customer("张伟", "138 0013 8000", consultant, source, male, qq="123456789")
    # Someone already approved into class 9: one seat of 30 taken.
    seated = make_customer("李娜", "139 1234 5678", consultant, source, female)
    Enrollment.objects.create(
        customer=seated,
        class_list=class_list,
        consultant=consultant,
        price=class_list.price,
        status=Enrollment.Status.APPROVED,
        link_expires_at=timezone.now() + timedelta(days=7),
    )
    return School(
        consultant=consultant,
        finance=staff.users[FINANCE],
        campus=campus,
        course=course,
        class_list=class_list,
        other_class=other_class,
        male=male,
        female=female,
        customer=customer,
    )


def make_customer(name, phone, owner, source, gender, **extra) -> Customer:
    pinyin, initials = name_keys(name)
    now = timezone.now()
    return Customer.objects.create(
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        phone=normalize_phone(phone),
        source=source,
        gender=gender,
        consulted_on=timezone.localdate() - timedelta(days=5),
        created_by=owner,
        consultant=owner,
        claimed_at=now - timedelta(days=5),
        **extra,
    )


def image_file(path: Path, image_format: str, color: str) -> Path:
    Image.new("RGB", (320, 200), color).save(path, image_format)
    return path


def image_bytes(image_format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), "white").save(buffer, image_format)
    return buffer.getvalue()


def submitted_enrollment(school: School) -> Enrollment:
    """The customer's enrollment as the student left it: both sides of the ID card uploaded and
    the form submitted (journey 2 does this in the browser)."""
    enrollment = services.enrollment_create(
        customer=school.customer, class_list=school.class_list, by=school.consultant
    )
    for kind, name, image_format in [
        (EnrollmentDocument.Kind.ID_FRONT, "身份证正面.jpg", "JPEG"),
        (EnrollmentDocument.Kind.ID_BACK, "身份证反面.png", "PNG"),
    ]:
        services.enrollment_document_add(
            enrollment=enrollment, data=image_bytes(image_format), filename=name, kind=kind
        )
    values = {
        "id_number": ID_NUMBER,
        "gender": school.male,
        "birthday": date(1949, 12, 31),
        "emergency_contact": "张母",
        "emergency_phone": "+8613900000009",
        "address": "北京市海淀区",
        "email": "zhangwei@example.test",
    }
    contract = services.contract_for(enrollment)
    assert services.enrollment_submit(enrollment=enrollment, values=values, contract_text=contract, ip="::1")
    enrollment.refresh_from_db()
    return enrollment


def page_overflows(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def line_count(locator) -> int:
    """How many lines the element's text takes on screen."""
    return locator.evaluate(
        """element => {
            const range = document.createRange();
            range.selectNodeContents(element);
            const boxes = [...range.getClientRects()].filter(box => box.width > 0);
            const tops = boxes.map(box => Math.round(box.top));
            return new Set(tops).size;
        }"""
    )


def field_error(form, name: str):
    return form.locator(f"[id^=error_][id$=_id_{name}]")


# --- 1. The consultant makes the link ----------------------------------------------------------
def test_consultant_enrolls_a_customer_and_gets_the_link(ui, school):
    customer = school.customer
    page = ui.page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ui.base_url)
    ui.login(page, school.consultant.username)
    page.goto(f"/sales/customers/{customer.pk}/")
    enroll = page.get_by_test_id("enroll")
    expect(enroll).to_contain_text("报名")
    enroll.click()

    # The class picker: every active class, with the seats left (one of 30 taken by 李娜).
    expect(page).to_have_url(re.compile(rf"/sales/customers/{customer.pk}/enroll/$"))
    form = page.get_by_test_id("enroll-form")
    expect(form.locator("input[type=radio][name=class_list]")).to_have_count(2)
    label = form.locator("label").filter(has=page.locator(f'input[value="{school.class_list.pk}"]'))
    expect(label).to_contain_text("Python全栈开发")
    expect(label).to_contain_text("9期")
    expect(label).to_contain_text("29 / 30")
    expect(
        form.locator("label").filter(has=page.locator(f'input[value="{school.other_class.pk}"]'))
    ).to_contain_text("40 / 40")
    # Next without a class: refused, nothing made.
    page.get_by_test_id("enroll-next").click()
    expect(page).to_have_url(re.compile(rf"/sales/customers/{customer.pk}/enroll/$"))
    expect(form.locator(".alert-danger")).to_be_visible()
    assert not Enrollment.objects.filter(customer=customer).exists()
    ui.shot(page, "enroll-pick-class")
    label.locator("input[type=radio]").check()
    page.get_by_test_id("enroll-next").click()

    # The enrollment page: the link, its QR code, a copy button and a "new link" button.
    expect(page).to_have_url(DETAIL_URL)
    enrollment = Enrollment.objects.get(customer=customer)
    assert DETAIL_URL.search(page.url).group(1) == str(enrollment.pk)
    assert (enrollment.class_list, enrollment.consultant, enrollment.price) == (
        school.class_list,
        school.consultant,
        Decimal("19800"),
    )
    assert enrollment.status == Enrollment.Status.OPEN and not enrollment.waitlisted
    expect(page.locator("main h1")).to_contain_text("张伟")
    expect(page.get_by_test_id("enrollment-status")).to_be_visible()
    link = page.get_by_test_id("link")
    expect(link).to_have_value(re.compile(rf"^{re.escape(ui.base_url)}/enroll/[^/]+/$"))
    expected_link = link.input_value()
    # A signed token (it carries its signing time, so it differs from one made now) for this enrollment.
    assert enrollment_for_token(expected_link.rstrip("/").rsplit("/", 1)[-1]) == enrollment
    qr = page.get_by_test_id("qr")
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0")
    # The QR code encodes exactly the link shown.
    assert qr.get_attribute("src") == segno.make(expected_link, error="m").svg_data_uri(scale=5)
    expect(page.get_by_test_id("regenerate")).to_be_visible()
    expect(page.get_by_test_id("payments-card")).to_be_visible()
    assert not page_overflows(page)
    ui.shot(page, "enroll-link")

    copy = page.get_by_test_id("copy-link")
    expect(copy).to_contain_text("复制")
    copy.click()
    expect(copy).to_have_text(re.compile(r"已复制"))
    assert page.evaluate("navigator.clipboard.readText()") == expected_link

    # The link opens the student's page (in another browser, not signed in).
    student = ui.page("phone")
    student.goto(expected_link)
    expect(student.get_by_test_id("readonly")).to_contain_text("张伟")

    # A new link (after the confirm dialog) revokes the old one.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("regenerate").click()
    expect_message(page, "success")
    expect(page.get_by_test_id("link")).not_to_have_value(expected_link)
    assert enrollment_for_token(page.get_by_test_id("link").input_value().rstrip("/").rsplit("/", 1)[-1])
    student.goto(expected_link)
    expect(student.get_by_test_id("link-invalid")).to_be_visible()

    # The customer page lists the enrollment.
    page.goto(f"/sales/customers/{customer.pk}/")
    expect(page.get_by_test_id("customer-enrollments")).to_contain_text("9期")


# --- 2. The student fills the link in on a phone ------------------------------------------------
def test_student_fills_in_the_link_on_a_phone(ui, school, tmp_path):
    enrollment = services.enrollment_create(
        customer=school.customer, class_list=school.class_list, by=school.consultant
    )
    token = enrollment_token(enrollment)
    front = image_file(tmp_path / "身份证正面.jpg", "JPEG", "#cde")
    back = image_file(tmp_path / "身份证反面.png", "PNG", "#edc")

    page = ui.page("phone")
    page.goto(f"/enroll/{token}/")
    expect(page.get_by_test_id("apply-page")).to_be_visible()

    # What the school knows, shown as text: nothing of it is an input.
    facts = page.get_by_test_id("readonly")
    for text in [
        "张伟",
        "138 0013 8000",
        "123456789",
        "Python全栈开发",
        "9期",
        "北京海淀校区",
        "¥19,800.00",
        "孙顾问",
    ]:
        expect(facts).to_contain_text(text)
    expect(facts.locator("input, select, textarea")).to_have_count(0)
    # The contract, from the course's template with this enrollment's values.
    contract = page.get_by_test_id("contract")
    expect(contract).to_contain_text("乙方（学员）：张伟")
    expect(contract).to_contain_text("19,800.00")
    expect(page.get_by_test_id("submitted")).to_have_count(0)

    # Both sides of the ID card.
    for kind, path in [("id_front", front), ("id_back", back)]:
        upload = page.get_by_test_id("upload-form")
        upload.locator("select[name=kind]").select_option(kind)
        upload.locator("input[name=file]").set_input_files(str(path))
        page.get_by_test_id("upload").click()
        expect(page).to_have_url(APPLY_URL)
        expect_message(page, "success", "已上传")
    documents = page.get_by_test_id("apply-documents").locator("li")
    expect(documents).to_have_count(2)
    expect(documents.nth(0)).to_contain_text("身份证正面.jpg")
    expect(documents.nth(1)).to_contain_text("身份证反面.png")
    assert sorted(enrollment.documents.values_list("kind", flat=True)) == ["id_back", "id_front"]

    # The form, first with a typing error in the ID number's check digit.
    form = page.get_by_test_id("apply-form")
    form.locator("input[name=id_number]").fill(WRONG_CHECK_DIGIT)
    form.locator("select[name=gender]").select_option(label="男")
    form.locator("input[name=birthday]").fill("1949-12-31")
    form.locator("input[name=emergency_contact]").fill("张母")
    form.locator("input[name=emergency_phone]").fill("139 0000 0009")
    form.locator("input[name=address]").fill("北京市海淀区中关村南大街5号")
    form.locator("input[name=email]").fill("zhangwei@example.test")
    form.locator("input[name=agree]").check()
    assert not page_overflows(page)
    ui.shot(page, "enroll-apply-phone")
    page.get_by_test_id("submit").click()

    expect(page).to_have_url(APPLY_URL)
    id_field = form.locator("input[name=id_number]")
    expect(id_field).to_have_class(re.compile(r"\bis-invalid\b"))
    # On a phone the page comes back scrolled to the top: the student must see at once that
    # something needs fixing (a message at the top, or the field scrolled into view).
    error_seen_at_once = page.evaluate(
        """() => [...document.querySelectorAll('.alert-danger, .invalid-feedback, .is-invalid')].some(
            element => {
                const box = element.getBoundingClientRect();
                return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight;
            })"""
    )
    expect(field_error(form, "id_number")).to_contain_text("校验位")
    expect(id_field).to_have_value(WRONG_CHECK_DIGIT)
    expect(form.locator("select[name=gender] option:checked")).to_have_text("男")
    expect(form.locator("input[name=birthday]")).to_have_value("1949-12-31")
    expect(form.locator("input[name=emergency_contact]")).to_have_value("张母")
    expect(form.locator("input[name=emergency_phone]")).to_have_value("139 0000 0009")
    expect(form.locator("input[name=address]")).to_have_value("北京市海淀区中关村南大街5号")
    expect(form.locator("input[name=email]")).to_have_value("zhangwei@example.test")
    expect(page.get_by_test_id("apply-documents").locator("li")).to_have_count(2)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.OPEN and not enrollment.id_number
    ui.shot(page, "enroll-apply-error-phone")
    page.screenshot(path=str(SCREENSHOTS / "enroll-apply-error-viewport-phone.png"))  # what the student sees

    id_field.fill(ID_NUMBER.lower())  # phone keyboards type a small x
    agree = form.locator("input[name=agree]")
    if not agree.is_checked():
        agree.check()
    page.get_by_test_id("submit").click()

    expect(page).to_have_url(APPLY_URL)
    submitted = page.get_by_test_id("submitted")
    expect(submitted).to_be_visible()
    expect(submitted).to_contain_text("已提交")
    expect(page.get_by_test_id("apply-form")).to_have_count(0)
    expect(page.get_by_test_id("upload-form")).to_have_count(0)
    assert not page_overflows(page)
    ui.shot(page, "enroll-submitted-phone")

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.SUBMITTED
    assert enrollment.id_number == ID_NUMBER
    assert enrollment.gender == school.male
    assert enrollment.birthday == date(1949, 12, 31)
    assert enrollment.emergency_phone == "+8613900000009"
    assert enrollment.address == "北京市海淀区中关村南大街5号"
    assert enrollment.agreed_at is not None and enrollment.contract_hash
    assert "乙方（学员）：张伟" in enrollment.contract_text

    # One character of the token changed: the generic page, nothing about the customer.
    position = len(token) - 3
    tampered = token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]
    other = ui.page("phone")
    response = other.goto(f"/enroll/{tampered}/")
    assert response.status == 404
    expect(other.get_by_test_id("link-invalid")).to_be_visible()
    expect(other.get_by_test_id("link-invalid")).to_contain_text("这个链接无法使用")
    body = other.locator("body")
    for private in ["张伟", "138 0013 8000", "13800138000", "Python全栈开发", "孙顾问"]:
        expect(body).not_to_contain_text(private)
    ui.shot(other, "enroll-invalid-link-phone")

    assert error_seen_at_once, (
        "after a refused submission the phone shows the top of the page with no sign of the error: "
        "the only message sits under the ID number field, below the fold (see "
        "enroll-apply-error-viewport-phone.png)"
    )


# --- 3. Finance sends it back, the student fixes it, finance approves -------------------------
def test_finance_rejects_then_approves_and_the_student_logs_in(ui, school):
    enrollment = submitted_enrollment(school)
    token = enrollment_token(enrollment)

    finance = ui.page()
    ui.login(finance, school.finance.username)
    review_item = finance.get_by_test_id("sidebar").locator('[data-menu-item="enrollment.enrollment_review"]')
    expect(review_item).to_contain_text("待审核")
    open_menu_item(finance, "enrollment.enrollment_review")
    expect(finance).to_have_url(re.compile(r"/finance/enrollments/$"))
    queue = finance.get_by_test_id("list-table")
    expect(queue.locator("tbody tr")).to_have_count(1)
    expect(queue).to_contain_text("张伟")
    queue.get_by_role("link", name="张伟").click()
    expect(finance).to_have_url(re.compile(rf"/sales/enrollments/{enrollment.pk}/$"))

    # The form, the documents (downloadable) and the accepted contract.
    filled = finance.get_by_test_id("student-form")
    for text in [ID_NUMBER, "男", "1949-12-31", "张母", "北京市海淀区", "zhangwei@example.test"]:
        expect(filled).to_contain_text(text)
    documents = finance.get_by_test_id("documents").locator("a")
    expect(documents).to_have_count(2)
    with finance.expect_download() as download_info:
        documents.first.click()
    assert download_info.value.suggested_filename == "身份证正面.jpg"
    expect(finance.get_by_test_id("review-card")).to_be_visible()
    ui.shot(finance, "enroll-review")

    reason = "地址不完整，请写到门牌号。"
    finance.locator("textarea[name=reason]").fill(reason)
    finance.get_by_test_id("reject").click()
    expect_message(finance, "success", "退回")
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REJECTED
    assert enrollment.reject_reason == reason

    # The student reopens the link: the reason, and the form again with what they sent.
    student = ui.page("phone")
    student.goto(f"/enroll/{token}/")
    rejected = student.get_by_test_id("rejected")
    expect(rejected).to_be_visible()
    expect(rejected).to_contain_text(reason)
    form = student.get_by_test_id("apply-form")
    expect(form.locator("input[name=id_number]")).to_have_value(ID_NUMBER)
    expect(form.locator("input[name=address]")).to_have_value("北京市海淀区")
    expect(student.get_by_test_id("apply-documents").locator("li")).to_have_count(2)
    assert not page_overflows(student)
    ui.shot(student, "enroll-rejected-phone")
    form.locator("input[name=address]").fill("北京市海淀区中关村南大街5号院3号楼201")
    form.locator("input[name=agree]").check()
    student.get_by_test_id("submit").click()
    expect(student.get_by_test_id("submitted")).to_be_visible()
    expect(student.get_by_test_id("rejected")).to_have_count(0)

    # Finance approves (after the confirm dialog).
    finance.goto("/finance/enrollments/")
    finance.get_by_test_id("list-table").get_by_role("link", name="张伟").click()
    expect(finance.get_by_test_id("student-form")).to_contain_text("中关村南大街5号院3号楼201")
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    finance.on("dialog", accept)
    finance.get_by_test_id("approve").click()
    expect_message(finance, "success", "13800138000")
    assert dialogs, "approving asks first"
    expect(finance.get_by_test_id("review-card")).to_have_count(0)
    expect(finance.get_by_test_id("link-card")).to_have_count(0)

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.APPROVED
    assert enrollment.reviewed_by == school.finance
    student_record = Student.objects.get(customer=school.customer)
    assert student_record.user.username == "13800138000"
    assert list(student_record.classes.all()) == [school.class_list]
    school.customer.refresh_from_db()
    assert school.customer.status == Customer.Status.SIGNED

    # The email: enrollment confirmed, a link to choose a password, the username.
    assert len(mail.outbox) == 1, [message.subject for message in mail.outbox]
    message = mail.outbox[0]
    assert message.to == ["zhangwei@example.test"]
    assert "9期" in message.subject
    username = re.search(r"用户名：(\S+)", message.body).group(1)
    assert username == "13800138000"
    link = re.search(r"https?://\S+/reset/\S+", message.body).group(0)
    assert link.startswith(ui.base_url)

    # The link page now says approved.
    student.goto(f"/enroll/{token}/")
    expect(student.get_by_test_id("approved")).to_be_visible()
    expect(student.get_by_test_id("apply-form")).to_have_count(0)

    # The student chooses a password from the email and logs in on the phone.
    new_password = "Zhang-Wei-Study-2024"
    student.goto(link)
    student.locator("input[name=new_password1]").fill(new_password)
    student.locator("input[name=new_password2]").fill(new_password)
    student.locator("form").filter(has=student.locator("input[name=new_password1]")).locator(
        "button[type=submit]"
    ).click()
    expect(student).to_have_url(re.compile(r"/password/reset/complete/$"))
    ui.login(student, username, new_password)
    ui.shot(student, "enroll-student-home-phone")
    menu = student.get_by_test_id("sidebar").locator('[data-menu-item="enrollment.my_enrollments"]')
    expect(menu).to_have_count(1)
    expect(menu).to_contain_text("我的报名")
    open_menu_item(student, "enrollment.my_enrollments", phone=True)
    expect(student).to_have_url(re.compile(r"/my/enrollments/$"))
    mine = student.get_by_test_id("my-enrollments")
    expect(mine).to_contain_text("Python全栈开发")
    expect(mine).to_contain_text("9期")
    assert not page_overflows(student)
    ui.shot(student, "enroll-my-enrollments")
    mine.get_by_test_id("contract-link").click()
    expect(student).to_have_url(re.compile(rf"/my/enrollments/{enrollment.pk}/contract/$"))
    contract = student.get_by_test_id("contract")
    expect(contract).to_contain_text("乙方（学员）：张伟")
    expect(contract).to_contain_text("19,800.00")
    expect(student.locator("main")).to_contain_text(enrollment.contract_hash)
    assert not page_overflows(student)
    ui.shot(student, "enroll-contract-phone")


# --- 4. Payments ------------------------------------------------------------------------------
def test_consultant_records_payments_and_finance_decides(ui, school):
    enrollment = services.enrollment_create(
        customer=school.customer, class_list=school.class_list, by=school.consultant
    )
    today = timezone.localdate().isoformat()
    page = ui.page()
    ui.login(page, school.consultant.username)
    page.goto(f"/sales/enrollments/{enrollment.pk}/")
    expect(page.get_by_test_id("balance")).to_contain_text("¥19,800.00")

    payment_url = f"{ui.base_url}/sales/enrollments/{enrollment.pk}/payments/new/"
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)

    def fill_payment(kind: str, amount: str, note: str):
        page.get_by_test_id("record-payment").click()
        expect(page).to_have_url(re.compile(rf"/sales/enrollments/{enrollment.pk}/payments/new/$"))
        form = page.get_by_test_id("payment-form")
        form.locator("select[name=kind]").select_option(kind)
        form.locator("input[name=amount]").fill(amount)
        expect(form.locator("input[name=paid_at]")).to_have_value(today)
        form.locator("input[name=paid_at]").fill(today)
        form.locator("[name=note]").fill(note)
        return form

    # The deposit, saved with a double click: one payment.
    fill_payment("deposit", "2000", "微信转账定金")
    page.get_by_test_id("payment-save").dblclick()
    expect(page).to_have_url(re.compile(rf"/sales/enrollments/{enrollment.pk}/$"))
    expect(page.locator(".messages .alert").first).to_be_visible()
    assert Payment.objects.filter(enrollment=enrollment).count() == 1
    assert posts.count(payment_url) >= 1

    # The tuition: the form posted twice at once (a double click on a slow connection, which the
    # browser does not coalesce), then saved with the button: still one payment.
    form = fill_payment("tuition", "17800", "银行转账学费")
    statuses = form.evaluate(
        """async form => {
            const post = () => fetch(form.action, {method: "POST", body: new FormData(form)});
            const answers = await Promise.all([post(), post()]);
            return answers.map(answer => answer.status);
        }"""
    )
    assert statuses == [200, 200], statuses
    assert Payment.objects.filter(enrollment=enrollment, kind=Payment.Kind.TUITION).count() == 1
    page.get_by_test_id("payment-save").click()
    expect(page).to_have_url(re.compile(rf"/sales/enrollments/{enrollment.pk}/$"))
    expect_message(page, "info", "这笔付款已经登记过了")
    payments = {payment.kind: payment for payment in Payment.objects.filter(enrollment=enrollment)}
    assert len(payments) == 2 and set(payments) == {"deposit", "tuition"}
    assert payments["deposit"].amount == Decimal("2000")
    assert payments["tuition"].amount == Decimal("17800")
    assert {payment.status for payment in payments.values()} == {Payment.Status.PENDING}
    page.reload()
    expect(page.get_by_test_id("payments-card").locator("li")).to_have_count(2)
    # Pending payments are not paid yet.
    expect(page.get_by_test_id("balance")).to_contain_text(re.compile(r"¥0(\.00)?（"))

    # Finance: confirm the deposit, reject the tuition with a reason.
    finance = ui.page()
    ui.login(finance, school.finance.username)
    open_menu_item(finance, "enrollment.payment_queue")
    expect(finance).to_have_url(re.compile(r"/finance/payments/$"))
    queue = finance.get_by_test_id("payment-queue")
    expect(queue.locator("tbody tr[data-payment]")).to_have_count(2)
    deposit_row = queue.locator(f'tr[data-payment="{payments["deposit"].pk}"]')
    expect(deposit_row).to_contain_text("张伟")
    expect(deposit_row).to_contain_text("¥2,000.00")
    ui.shot(finance, "enroll-payment-queue")
    # Two-character words (the customer, the kind, the consultant, "Confirm") on one line each,
    # like the "Reject" button beside them.
    assert line_count(deposit_row.get_by_test_id("payment-reject")) == 1
    wrapped = {
        name: line_count(deposit_row.locator(selector))
        for name, selector in [
            ("customer", "td >> nth=1 >> a"),
            ("kind", "td >> nth=3"),
            ("recorded by", "td >> nth=6"),
            ("confirm button", "[data-testid=payment-confirm]"),
        ]
    }
    deposit_row.get_by_test_id("payment-confirm").click()
    expect_message(finance, "success", "2000")
    tuition_row = finance.get_by_test_id("payment-queue").locator(
        f'tr[data-payment="{payments["tuition"].pk}"]'
    )
    reason = "银行流水中没有找到这笔转账"
    tuition_row.locator("input[name=reason]").fill(reason)
    tuition_row.get_by_test_id("payment-reject").click()
    expect_message(finance, "success", "驳回")
    expect(finance.get_by_test_id("payment-queue").locator("tbody tr[data-payment]")).to_have_count(0)

    for payment in payments.values():
        payment.refresh_from_db()
        assert payment.confirmed_by == school.finance and payment.confirmed_at is not None
    assert payments["deposit"].status == Payment.Status.CONFIRMED
    assert payments["tuition"].status == Payment.Status.REJECTED
    assert payments["tuition"].reject_reason == reason

    # The consultant's enrollment page: paid 2000, still owed 17800, the reason shown.
    page.reload()
    balance = page.get_by_test_id("balance")
    expect(balance).to_contain_text(re.compile(r"2,?000"))
    expect(balance).to_contain_text(re.compile(r"17,?800"))
    expect(page.get_by_test_id("payments-card")).to_contain_text(reason)
    assert not page_overflows(page)
    ui.shot(page, "enroll-payments")
    assert services.enrollment_balance(enrollment)["paid"] == Decimal("2000")
    assert services.enrollment_balance(enrollment)["owed"] == Decimal("17800")

    # And the customer page says the same.
    page.goto(f"/sales/customers/{school.customer.pk}/")
    expect(page.get_by_test_id("customer-enrollments")).to_contain_text(re.compile(r"17,?800"))

    assert all(lines == 1 for lines in wrapped.values()), (
        f"the payment queue at {DESKTOP['width']} px breaks two-character words over lines: {wrapped} "
        "(see enroll-payment-queue.png)"
    )
