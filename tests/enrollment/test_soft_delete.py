"""Enrollments made by mistake: deleting them to the recycle bin (who may, and when the rules
refuse), what a deleted enrollment no longer shows up in (lists, pages, queues, reports, its
link), restoring it, the customer+class constraint, and the history of every enrollment and
payment change written by the conditional UPDATEs."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from enrollment import selectors, services
from enrollment.models import Enrollment, EnrollmentDocument, Payment
from enrollment.services import EnrollmentRefused
from enrollment.tokens import enrollment_for_token, enrollment_token
from reports.dashboards import finance_panels
from tests.conftest import make_client
from tests.enrollment.conftest import approve, small_pdf, submit

pytestmark = pytest.mark.usefixtures("english")


def pay(enrollment, by, *, confirm_by=None) -> Payment:
    payment, _created = services.payment_record(
        enrollment=enrollment,
        values={"kind": Payment.Kind.DEPOSIT, "amount": Decimal("2000"), "paid_at": date(2026, 5, 4)},
        by=by,
        request_key=uuid.uuid4(),
    )
    if confirm_by is not None:
        services.payment_confirm(payment=payment, by=confirm_by)
    return payment


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def delete_url(enrollment) -> str:
    return reverse("enrollment:enrollment-delete", args=[enrollment.pk])


# --- Who may delete, and when ---------------------------------------------------------------------
def test_the_consultant_deletes_an_open_enrollment_to_the_recycle_bin(world, enrollment):
    response = make_client(world.sales).post(delete_url(enrollment))

    assert response.status_code == 302
    assert response["Location"] == reverse("enrollment:enrollment-list")
    assert messages_of(response) == [f"“{enrollment}” was moved to the recycle bin."]
    enrollment.refresh_from_db()
    assert enrollment.is_deleted and enrollment.deleted_at is not None


def test_the_manager_of_the_consultants_department_may_delete_it_too(world, enrollment):
    assert make_client(world.manager).post(delete_url(enrollment)).status_code == 302
    assert Enrollment.objects.get(pk=enrollment.pk).is_deleted


def test_another_consultant_gets_404_and_nothing_changes(world, enrollment):
    assert make_client(world.sales2).post(delete_url(enrollment)).status_code == 404
    assert not Enrollment.objects.get(pk=enrollment.pk).is_deleted


def test_the_consultant_who_made_it_may_delete_it_after_the_customer_moved_on(world, enrollment):
    """The enrollment's consultant keeps the right after a transfer of its customer."""
    world.sales_lead.consultant = world.sales2
    world.sales_lead.save()
    assert make_client(world.sales).post(delete_url(enrollment)).status_code == 302
    assert Enrollment.objects.get(pk=enrollment.pk).is_deleted


def test_finance_may_not_delete_enrollments(world, enrollment):
    assert make_client(world.finance).post(delete_url(enrollment)).status_code == 403


def test_delete_is_post_only(world, enrollment):
    assert make_client(world.sales).get(delete_url(enrollment)).status_code == 405


def test_a_submitted_enrollment_with_a_pending_payment_may_be_deleted(world, submitted):
    pay(submitted, world.sales)
    services.enrollment_delete(enrollment=submitted, by=world.sales)
    assert Enrollment.objects.get(pk=submitted.pk).is_deleted


def test_an_approved_enrollment_is_refused_with_a_clear_message(world, submitted):
    approve(submitted, world.finance)
    response = make_client(world.sales).post(delete_url(submitted))

    assert response["Location"] == reverse("enrollment:enrollment-detail", args=[submitted.pk])
    assert messages_of(response) == [
        "An approved enrollment cannot be deleted: the student is enrolled in the class."
    ]
    assert not Enrollment.objects.get(pk=submitted.pk).is_deleted


def test_an_enrollment_with_a_confirmed_payment_is_refused(world, enrollment):
    pay(enrollment, world.sales, confirm_by=world.finance)
    with pytest.raises(EnrollmentRefused) as refused:
        services.enrollment_delete(enrollment=enrollment, by=world.sales)
    assert "confirmed payment" in str(refused.value)
    assert not Enrollment.objects.get(pk=enrollment.pk).is_deleted


def test_the_detail_page_offers_delete_with_a_confirm_step_only_when_allowed(world, enrollment):
    url = reverse("enrollment:enrollment-detail", args=[enrollment.pk])
    page = make_client(world.sales).get(url).content.decode()
    assert 'data-testid="delete-enrollment"' in page
    assert f'action="{delete_url(enrollment)}" data-confirm=' in page
    assert 'data-testid="delete-enrollment"' not in make_client(world.finance).get(url).content.decode()


# --- Gone from everything -----------------------------------------------------------------------
@pytest.fixture
def deleted(world, submitted) -> Enrollment:
    """A submitted enrollment with a document and a pending payment, then deleted."""
    document = EnrollmentDocument(
        enrollment=submitted, original_name="id.pdf", size=200, content_type="application/pdf"
    )
    document.file.save("doc", ContentFile(small_pdf()))
    pay(submitted, world.sales)
    services.enrollment_delete(enrollment=submitted, by=world.sales)
    submitted.refresh_from_db()
    return submitted


def test_a_deleted_enrollment_leaves_every_list_page_and_queue(world, deleted):
    sales, finance = make_client(world.sales), make_client(world.finance)
    assert selectors.enrollments_visible_to(world.sales, reviews_all=False).count() == 0
    assert selectors.enrollments_visible_to(world.finance, reviews_all=True).count() == 0
    assert selectors.payments_for_review().count() == 0
    name = world.sales_lead.name
    assert name not in sales.get(reverse("enrollment:enrollment-list")).content.decode()
    assert name not in finance.get(reverse("enrollment:enrollment-review-list")).content.decode()
    assert name not in finance.get(reverse("enrollment:payment-queue")).content.decode()
    assert sales.get(reverse("enrollment:enrollment-detail", args=[deleted.pk])).status_code == 404
    assert finance.get(reverse("enrollment:enrollment-detail", args=[deleted.pk])).status_code == 404
    document = deleted.documents.get()
    assert sales.get(reverse("enrollment:enrollment-document", args=[document.pk])).status_code == 404
    customer_page = sales.get(reverse("crm:customer-detail", args=[world.sales_lead.pk])).content.decode()
    assert reverse("enrollment:enrollment-detail", args=[deleted.pk]) not in customer_page
    assert finance_panels(world.finance)["reviews_waiting"] == 0
    assert finance_panels(world.finance)["payments_waiting"] == 0


def test_a_deleted_enrollment_cannot_be_approved_rejected_or_paid(world, deleted):
    with pytest.raises(EnrollmentRefused):
        approve(deleted, world.finance)
    with pytest.raises(EnrollmentRefused):
        services.enrollment_reject(enrollment=deleted, by=world.finance, reason="不清楚")
    with pytest.raises(EnrollmentRefused):
        services.payment_confirm(payment=deleted.payments.get(), by=world.finance)
    assert Enrollment.objects.get(pk=deleted.pk).status == Enrollment.Status.SUBMITTED
    assert deleted.payments.get().status == Payment.Status.PENDING


def test_the_link_dies_with_the_page_every_bad_link_gets(world, enrollment):
    token = enrollment_token(enrollment)
    assert enrollment_for_token(token) is not None
    services.enrollment_delete(enrollment=enrollment, by=world.sales)

    assert enrollment_for_token(token) is None
    response = make_client().get(reverse("enrollment:apply", args=[token]))
    assert response.status_code == 404
    page = response.content.decode()
    assert 'data-testid="link-invalid"' in page
    assert world.sales_lead.name not in page
    upload = make_client().post(reverse("enrollment:apply-document-upload", args=[token]))
    assert upload.status_code == 404


def test_documents_and_files_are_kept(world, deleted):
    document = deleted.documents.get()
    assert document.file.storage.exists(document.file.name)


# --- The recycle bin and restore -------------------------------------------------------------------
def test_the_recycle_bin_lists_it_for_those_who_may_restore_it(world, deleted):
    trash = reverse("enrollment:enrollment-trash")
    page = make_client(world.sales).get(trash).content.decode()
    assert world.sales_lead.name in page
    assert reverse("enrollment:enrollment-restore", args=[deleted.pk]) in page
    assert world.sales_lead.name not in make_client(world.sales2).get(trash).content.decode()
    assert make_client(world.finance).get(trash).status_code == 403


def test_restore_brings_it_back_as_it_was(world, deleted):
    token = enrollment_token(deleted)
    response = make_client(world.sales).post(reverse("enrollment:enrollment-restore", args=[deleted.pk]))

    assert response["Location"] == reverse("enrollment:enrollment-trash")
    assert messages_of(response) == [f"“{deleted}” was restored."]
    restored = Enrollment.objects.get(pk=deleted.pk)
    assert (restored.is_deleted, restored.deleted_at, restored.status) == (
        False,
        None,
        Enrollment.Status.SUBMITTED,
    )
    assert restored.documents.count() == 1 and restored.payments.count() == 1
    assert enrollment_for_token(token) == restored
    assert selectors.payments_for_review().count() == 1


def test_another_consultant_cannot_restore_it(world, deleted):
    url = reverse("enrollment:enrollment-restore", args=[deleted.pk])
    assert make_client(world.sales2).post(url).status_code == 404
    assert Enrollment.objects.get(pk=deleted.pk).is_deleted


# --- The customer + class constraint ---------------------------------------------------------------
def test_a_deleted_enrollment_does_not_block_a_new_one_and_restoring_it_then_is_refused(world, enrollment):
    """Only live enrollments are unique per customer and class: the consultant who deleted one
    by mistake may simply enroll again; the old one cannot then come back beside the new one."""
    services.enrollment_delete(enrollment=enrollment, by=world.sales)
    again = services.enrollment_create(customer=world.sales_lead, class_list=world.class_a, by=world.sales)
    assert again.pk != enrollment.pk

    response = make_client(world.sales).post(reverse("enrollment:enrollment-restore", args=[enrollment.pk]))
    assert messages_of(response) == [
        f"{world.sales_lead} has a newer enrollment for {world.class_a}; delete that one first if this "
        "one is the right one."
    ]
    assert Enrollment.objects.get(pk=enrollment.pk).is_deleted
    # The rule is the database's: two live ones cannot exist.
    with pytest.raises(IntegrityError):
        Enrollment.objects.filter(pk=enrollment.pk).update(is_deleted=False)


# --- History of every change -------------------------------------------------------------------------
def history(enrollment):
    return list(Enrollment.history.filter(id=enrollment.pk).order_by("history_date", "history_id"))


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def test_creating_writes_a_created_row_by_the_consultant(world, enrollment):
    [row] = history(enrollment)
    assert (row.history_type, row.history_user_id, row.status) == ("+", world.sales.pk, "open")


def test_each_transition_writes_one_row_with_who_and_when(world, enrollment, student_values, clock):
    def after(action, user, **expected):
        before = len(history(enrollment))
        action()
        [row] = history(enrollment)[before:]
        assert (row.history_type, row.history_user_id, row.history_date) == ("~", user, timezone.now())
        for name, value in expected.items():
            assert getattr(row, name) == value, name

    after(
        lambda: services.enrollment_link_regenerate(enrollment=enrollment, by=world.sales),
        world.sales.pk,
        token_version=2,
    )
    enrollment.refresh_from_db()
    after(lambda: submit(enrollment, student_values), None, status="submitted", agreed_ip="203.0.113.7")
    after(
        lambda: services.enrollment_reject(enrollment=enrollment, by=world.finance, reason="照片不清楚"),
        world.finance.pk,
        status="rejected",
        reject_reason="照片不清楚",
    )
    after(lambda: submit(enrollment, student_values), None, status="submitted")
    after(
        lambda: approve(enrollment, world.finance),
        world.finance.pk,
        status="approved",
        reviewed_by_id=world.finance.pk,
    )


def test_delete_and_restore_write_one_row_each(world, enrollment, clock):
    services.enrollment_delete(enrollment=enrollment, by=world.sales)
    services.enrollment_restore(enrollment=enrollment, by=world.manager)
    _created, deleted_row, restored_row = history(enrollment)
    assert (deleted_row.history_user_id, deleted_row.is_deleted) == (world.sales.pk, True)
    assert (restored_row.history_user_id, restored_row.is_deleted) == (world.manager.pk, False)


def test_a_refused_transition_writes_no_history(world, enrollment):
    before = len(history(enrollment))
    with pytest.raises(EnrollmentRefused):
        services.enrollment_reject(enrollment=enrollment, by=world.finance, reason="x")
    assert len(history(enrollment)) == before


@pytest.mark.parametrize("decision", ["confirm", "reject"])
def test_deciding_a_payment_writes_one_row_by_finance(world, enrollment, decision, clock):
    payment = pay(enrollment, world.sales)
    [created] = Payment.history.filter(id=payment.pk)
    assert (created.history_type, created.history_user_id) == ("+", world.sales.pk)

    if decision == "confirm":
        services.payment_confirm(payment=payment, by=world.finance)
    else:
        services.payment_reject(payment=payment, by=world.finance, reason="未到账")

    rows = list(Payment.history.filter(id=payment.pk).order_by("history_date", "history_id"))
    assert len(rows) == 2
    row = rows[1]
    assert (row.history_type, row.history_user_id, row.history_date) == (
        "~",
        world.finance.pk,
        timezone.now(),
    )
    assert row.status == (Payment.Status.CONFIRMED if decision == "confirm" else Payment.Status.REJECTED)
    assert row.confirmed_by_id == world.finance.pk
    # A second decision is refused and writes nothing.
    with pytest.raises(EnrollmentRefused):
        services.payment_confirm(payment=payment, by=world.finance)
    assert Payment.history.filter(id=payment.pk).count() == 2
