"""The ID card number is masked everywhere an enrollment or a student appears, except the review
page while the enrollment waits for review (where the view is recorded); the student's own
link page shows them what they typed."""

from __future__ import annotations

import io
import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AccessRecord
from enrollment.models import Enrollment, Payment, Student
from tests.audit.conftest import MASKED_ID_NUMBER, client_of, records
from tests.enrollment.conftest import ID_NUMBER, approve


@pytest.fixture
def approved(world, documented, django_capture_on_commit_callbacks, mailoutbox) -> Enrollment:
    """The enrollment approved by finance: the student account exists (holding the number) and
    the approval email went out."""
    with django_capture_on_commit_callbacks(execute=True):
        approve(documented, world.finance)
    documented.refresh_from_db()
    assert Student.objects.get(customer=world.sales_lead).id_number == ID_NUMBER
    assert len(mailoutbox) == 1
    Payment.objects.create(  # so the payments to confirm show them too
        enrollment=documented,
        kind=Payment.Kind.TUITION,
        amount=Decimal("19800"),
        paid_at=date(2026, 11, 1),
        consultant=world.sales,
        request_key=uuid.uuid4(),
    )
    return documented


def text_of(response) -> str:
    """What a response shows: a page, a CSV or every cell of a workbook."""
    assert response.status_code == 200, response.get("Location")
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        workbook = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            str(value) for sheet in workbook for row in sheet.iter_rows(values_only=True) for value in row
        )
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8-sig")


def pages_of(world, enrollment: Enrollment) -> dict[str, tuple[str, str]]:
    """(role, url) of every page and export where this enrollment or its student appears to
    someone who does not review it. (The reports and the home pages show no one's details.)"""
    customer, export = world.sales_lead, reverse("crm:customer-export")
    return {
        "consultant's enrollment page": (
            "sales",
            reverse("enrollment:enrollment-detail", args=[enrollment.pk]),
        ),
        "manager's enrollment page": (
            "manager",
            reverse("enrollment:enrollment-detail", args=[enrollment.pk]),
        ),
        "enrollment list": ("sales", reverse("enrollment:enrollment-list")),
        "customer page with its enrollments": ("sales", reverse("crm:customer-detail", args=[customer.pk])),
        "manager's customer page": ("manager", reverse("crm:customer-detail", args=[customer.pk])),
        "own customers export": ("sales", f"{export}?list=mine&format=xlsx"),
        "all customers export": ("manager", f"{export}?list=all&format=csv"),
        "payments to confirm": ("finance", reverse("enrollment:payment-queue")),
        "reviewer's page once approved": (
            "finance",
            reverse("enrollment:enrollment-detail", args=[enrollment.pk]),
        ),
        "teacher's class roster": ("teacher", reverse("classroom:class-detail", args=[world.class_a.pk])),
    }


PAGES_SHOWING_THE_NUMBER = {
    "consultant's enrollment page",
    "manager's enrollment page",
    "reviewer's page once approved",
}
PAGE_NAMES = (
    *sorted(PAGES_SHOWING_THE_NUMBER),
    "enrollment list",
    "customer page with its enrollments",
    "manager's customer page",
    "own customers export",
    "all customers export",
    "payments to confirm",
    "teacher's class roster",
)


@pytest.mark.parametrize("page", PAGE_NAMES)
def test_the_full_number_appears_nowhere_outside_the_review(world, approved, page):
    role, url = pages_of(world, approved)[page]
    shown = text_of(client_of(world.users[role]).get(url))
    assert world.sales_lead.name in shown  # the page is about them
    assert ID_NUMBER not in shown and ID_NUMBER.lower() not in shown
    if page in PAGES_SHOWING_THE_NUMBER:
        assert MASKED_ID_NUMBER in shown
    assert not AccessRecord.objects.filter(action=AccessRecord.Action.ID_NUMBER_VIEW).exists()


def test_every_page_listed_is_tested(world, approved):
    assert set(pages_of(world, approved)) == set(PAGE_NAMES)


def test_the_approval_email_holds_no_number(approved, mailoutbox):
    [email] = mailoutbox
    assert ID_NUMBER not in email.subject + email.body
    assert MASKED_ID_NUMBER not in email.body  # not even masked: the student knows their number


def test_the_reviewer_sees_it_in_full_while_reviewing_and_that_is_recorded(world, documented):
    page = client_of(world.finance).get(reverse("enrollment:enrollment-detail", args=[documented.pk]))
    assert ID_NUMBER in text_of(page)
    assert [(record.action, record.object_id) for record in records()] == [
        (AccessRecord.Action.ID_NUMBER_VIEW, documented.pk)
    ]


def test_the_review_queue_does_not_show_it(world, documented):
    assert ID_NUMBER not in text_of(
        client_of(world.finance).get(reverse("enrollment:enrollment-review-list"))
    )


def test_the_django_admin_shows_it_masked(world, approved):
    client = client_of(world.superuser)
    student = Student.objects.get(customer=world.sales_lead)
    for url in (
        reverse("admin:enrollment_enrollment_change", args=[approved.pk]),
        reverse("admin:enrollment_student_change", args=[student.pk]),
    ):
        shown = text_of(client.get(url))
        assert ID_NUMBER not in shown and MASKED_ID_NUMBER in shown, url
