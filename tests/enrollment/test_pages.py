"""The enrollment pages end to end through the test client: the consultant's link, the
student's page (read-only facts, documents, one submission), the generic page for every bad
link, and the review that makes the customer a student."""

from __future__ import annotations

import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import User
from crm.models import Customer
from enrollment import services
from enrollment.models import Enrollment
from enrollment.tokens import enrollment_for_token, enrollment_token
from tests.conftest import make_client
from tests.enrollment.conftest import ID_NUMBER

pytestmark = pytest.mark.usefixtures("english")


def png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(output, format="PNG")
    return output.getvalue()


def form_data(enrollment, gender, **changes) -> dict:
    """The student's form as the page posts it, with the hash of the contract it showed."""
    return {
        "contract_hash": services.contract_hash(services.contract_for(enrollment)),
        "id_number": ID_NUMBER,
        "gender": gender.pk,
        "birthday": "1949-12-31",
        "emergency_contact": "萨母",
        "emergency_phone": "139 0000 0009",
        "address": "北京市海淀区",
        "email": "sale@example.test",
        "agree": "on",
        **changes,
    }


def upload(client, token: str, kind: str, content: bytes, name: str = "id.png"):
    url = reverse("enrollment:apply-document-upload", args=[token])
    return client.post(url, {"kind": kind, "file": SimpleUploadedFile(name, content)})


def test_consultant_enrolls_a_customer_and_gets_a_link_with_a_qr_code(world, as_sales):
    page = as_sales.get(reverse("crm:customer-detail", args=[world.sales_lead.pk])).content.decode()
    assert reverse("enrollment:enrollment-create", args=[world.sales_lead.pk]) in page
    picker = as_sales.get(reverse("enrollment:enrollment-create", args=[world.sales_lead.pk]))
    assert "60 of 60 seats left" in picker.content.decode()
    response = as_sales.post(
        reverse("enrollment:enrollment-create", args=[world.sales_lead.pk]), {"class_list": world.class_a.pk}
    )
    enrollment = Enrollment.objects.get()
    assert response.url == reverse("enrollment:enrollment-detail", args=[enrollment.pk])
    detail = as_sales.get(response.url).content.decode()
    # The token carries the second it was signed, so read the page's own link and open it.
    link = re.search(r'/enroll/([^/"]+)/', detail)
    assert link is not None, "no enrollment link on the page"
    assert enrollment_for_token(link.group(1)) == enrollment
    assert 'src="data:image/svg+xml' in detail


def test_a_second_enrollment_into_the_same_class_is_refused(world, as_sales, enrollment):
    response = as_sales.post(
        reverse("enrollment:enrollment-create", args=[world.sales_lead.pk]),
        {"class_list": world.class_a.pk},
        follow=True,
    )
    assert "already has an enrollment" in response.content.decode()
    assert Enrollment.objects.count() == 1


def test_another_consultants_customer_cannot_be_enrolled(world, as_sales):
    url = reverse("enrollment:enrollment-create", args=[world.sales2_lead.pk])
    assert as_sales.post(url, {"class_list": world.class_a.pk}).status_code == 404
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("token", ["nonsense", "a" * 300, "WzEsMV0:1t:bad"])
def test_every_bad_link_gets_the_same_page_without_personal_data(world, enrollment, token):
    response = make_client().get(reverse("enrollment:apply", args=[token]))
    assert response.status_code == 404
    page = response.content.decode()
    assert 'data-testid="link-invalid"' in page
    assert world.sales_lead.name not in page


def test_the_student_fills_in_the_link_and_tampering_changes_nothing(world, enrollment, gender):
    student = make_client()
    token = enrollment_token(enrollment)
    page = student.get(reverse("enrollment:apply", args=[token])).content.decode()
    assert world.sales_lead.name in page and "¥19,800.00" in page
    # Submitting without the ID card photos is refused.
    response = student.post(reverse("enrollment:apply", args=[token]), form_data(enrollment, gender))
    assert "front and the back" in response.content.decode()
    assert upload(student, token, "id_front", png()).status_code == 302
    assert upload(student, token, "id_back", png(), "back.png").status_code == 302
    tampered = form_data(
        enrollment,
        gender,
        price="1",
        consultant=world.sales2.pk,
        status="approved",
        class_list=world.class_b.pk,
    )
    response = student.post(reverse("enrollment:apply", args=[token]), tampered)
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.SUBMITTED
    assert (enrollment.price, enrollment.consultant, enrollment.class_list) == (
        19800,
        world.sales,
        world.class_a,
    )
    assert enrollment.id_number == ID_NUMBER and enrollment.emergency_phone == "+8613900000009"
    assert enrollment.contract_hash and enrollment.agreed_ip == "127.0.0.1"
    assert "waiting for review" in student.get(reverse("enrollment:apply", args=[token])).content.decode()
    # A replay from a second tab writes nothing.
    student.post(
        reverse("enrollment:apply", args=[token]), form_data(enrollment, gender, address="elsewhere")
    )
    enrollment.refresh_from_db()
    assert enrollment.address == "北京市海淀区"


def test_form_errors_are_shown_per_field_and_typed_values_kept(world, enrollment, gender):
    token = enrollment_token(enrollment)
    response = make_client().post(
        reverse("enrollment:apply", args=[token]),
        form_data(enrollment, gender, id_number="110105194912310021", agree=""),
    )
    page = response.content.decode()
    assert "check digit is wrong" in page
    assert 'value="110105194912310021"' in page
    assert response.context["form"].has_error("agree")
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.OPEN


def test_a_fourth_document_and_a_non_image_are_refused(world, enrollment):
    student, token = make_client(), enrollment_token(enrollment)
    response = upload(student, token, "other", b"<svg onload=alert(1)></svg>", "x.svg")
    assert "JPEG or PNG" in response.content.decode()
    for kind in ("id_front", "id_back", "other"):
        assert upload(student, token, kind, png()).status_code == 302
    response = upload(student, token, "other", png())
    assert "At most 3 documents" in response.content.decode()
    assert enrollment.documents.count() == 3


def test_finance_approves_and_the_customer_becomes_a_student(
    world, enrollment, gender, mailoutbox, django_capture_on_commit_callbacks
):
    student, token = make_client(), enrollment_token(enrollment)
    upload(student, token, "id_front", png())
    upload(student, token, "id_back", png())
    student.post(reverse("enrollment:apply", args=[token]), form_data(enrollment, gender))
    finance = make_client(world.finance)
    queue = finance.get(reverse("enrollment:enrollment-review-list")).content.decode()
    assert world.sales_lead.name in queue
    document = enrollment.documents.first()
    download = finance.get(reverse("enrollment:enrollment-document", args=[document.pk]))
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")
    with django_capture_on_commit_callbacks(execute=True):
        response = finance.post(reverse("enrollment:enrollment-approve", args=[enrollment.pk]))
    assert response.status_code == 302
    user = User.objects.get(student__customer=world.sales_lead)
    assert user.username == "13800000002"
    assert Customer.objects.get(pk=world.sales_lead.pk).status == Customer.Status.SIGNED
    assert len(mailoutbox) == 1 and "sale@example.test" in mailoutbox[0].to
    assert mailoutbox[0].subject == f"Enrollment confirmed: {world.class_a}"
    assert "succeeded" in mailoutbox[0].body and "/accounts/password/reset/" in mailoutbox[0].body
    page = student.get(reverse("enrollment:apply", args=[token])).content.decode()
    assert 'data-testid="approved"' in page


def test_the_form_sent_again_after_submitting_is_told_so_and_changes_nothing(world, enrollment, gender):
    """A second tab or the back button posts the form once more: the student is told it was
    submitted already, and the first submission stays as it was."""
    student, token = make_client(), enrollment_token(enrollment)
    upload(student, token, "id_front", png())
    upload(student, token, "id_back", png())
    url = reverse("enrollment:apply", args=[token])
    student.post(url, form_data(enrollment, gender, address="北京"))
    response = student.post(url, form_data(enrollment, gender, address="上海"), follow=True)
    assert "This form was already submitted." in response.content.decode()
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.address) == (Enrollment.Status.SUBMITTED, "北京")


def test_a_rejection_reason_is_shown_to_the_student_who_fixes_and_resubmits(world, enrollment, gender):
    student, token = make_client(), enrollment_token(enrollment)
    upload(student, token, "id_front", png())
    upload(student, token, "id_back", png())
    student.post(reverse("enrollment:apply", args=[token]), form_data(enrollment, gender))
    make_client(world.finance).post(
        reverse("enrollment:enrollment-reject", args=[enrollment.pk]), {"reason": "照片看不清"}
    )
    page = student.get(reverse("enrollment:apply", args=[token])).content.decode()
    assert "照片看不清" in page
    student.post(reverse("enrollment:apply", args=[token]), form_data(enrollment, gender, address="上海"))
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.address) == (Enrollment.Status.SUBMITTED, "上海")


def test_documents_are_not_served_to_others(world, enrollment):
    student, token = make_client(), enrollment_token(enrollment)
    upload(student, token, "id_front", png())
    url = reverse("enrollment:enrollment-document", args=[enrollment.documents.get().pk])
    assert make_client(world.sales2).get(url).status_code == 404
    assert make_client(world.teacher).get(url).status_code == 403
    assert make_client().get(url).status_code == 302  # to the login page


def test_the_link_is_rate_limited(world, enrollment, monkeypatch):
    monkeypatch.setattr("enrollment.views.LINK_RATE_LIMIT", 3)
    client, url = make_client(), reverse("enrollment:apply", args=[enrollment_token(enrollment)])
    # The limit counts per minute: the clock stands still so the four requests share one.
    with time_machine.travel(timezone.now(), tick=False):
        assert [client.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_a_manager_approves_beyond_capacity_finance_cannot(
    world, enrollment, gender, django_capture_on_commit_callbacks
):
    world.class_a.capacity = 1
    world.class_a.save()
    other = Enrollment.objects.create(
        customer=world.pool_lead,
        class_list=world.class_a,
        consultant=world.sales,
        price=1,
        link_expires_at=enrollment.link_expires_at,
        status=Enrollment.Status.APPROVED,
    )
    assert other.pk
    Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.SUBMITTED)
    url = reverse("enrollment:enrollment-approve", args=[enrollment.pk])
    response = make_client(world.finance).post(url, follow=True)
    assert "is full" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        make_client(world.manager).post(url)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.APPROVED


def test_a_contract_changed_while_the_student_read_it_is_shown_again(world, enrollment, gender):
    student, token = make_client(), enrollment_token(enrollment)
    upload(student, token, "id_front", png())
    upload(student, token, "id_back", png())
    read = form_data(enrollment, gender)  # the page as the student read it
    world.python.contract_template = "新合同 {name}"
    world.python.save()
    response = student.post(reverse("enrollment:apply", args=[token]), read)
    assert "read it again" in response.content.decode()
    assert "新合同" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.OPEN


def test_only_reviewers_see_the_full_id_card_number(world, enrollment):
    Enrollment.objects.filter(pk=enrollment.pk).update(
        id_number=ID_NUMBER, submitted_at=enrollment.created_at, status=Enrollment.Status.SUBMITTED
    )
    url = reverse("enrollment:enrollment-detail", args=[enrollment.pk])
    consultant_page = make_client(world.sales).get(url).content.decode()
    assert ID_NUMBER not in consultant_page and "110105********002X" in consultant_page
    assert ID_NUMBER in make_client(world.finance).get(url).content.decode()
