"""Payments through the pages (recorded once, confirmed or rejected by finance only, never
edited after confirmation, balances) and the student's own enrollments and contract."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollment import services
from enrollment.models import Payment
from tests.conftest import make_client

pytestmark = pytest.mark.usefixtures("english")


def payment_post(**changes) -> dict:
    return {
        "kind": "deposit",
        "amount": "2000",
        "paid_at": timezone.localdate().isoformat(),
        "note": "",
        "request_key": str(uuid.uuid4()),
        **changes,
    }


def test_a_double_click_records_one_payment(world, enrollment, as_sales):
    url = reverse("enrollment:payment-create", args=[enrollment.pk])
    data = payment_post()
    assert as_sales.post(url, data).status_code == 302
    assert as_sales.post(url, data).status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount, payment.status, payment.consultant) == (Decimal("2000"), "pending", world.sales)


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": "0"},
        {"amount": "-5"},
        {"amount": "abc"},
        {"amount": "123456789012"},
        {"kind": "gift"},
        {"paid_at": "2999-01-01"},
        {"request_key": "not-a-uuid"},
    ],
)
def test_bad_payments_are_refused_and_write_nothing(enrollment, as_sales, changes):
    response = as_sales.post(
        reverse("enrollment:payment-create", args=[enrollment.pk]), payment_post(**changes)
    )
    assert response.status_code == 200
    assert not Payment.objects.exists()


def test_a_consultant_cannot_record_for_another_consultants_enrollment(world, enrollment):
    url = reverse("enrollment:payment-create", args=[enrollment.pk])
    assert make_client(world.sales2).post(url, payment_post()).status_code == 404
    assert not Payment.objects.exists()


def test_finance_confirms_and_rejects_and_the_balance_follows(world, enrollment, as_sales):
    url = reverse("enrollment:payment-create", args=[enrollment.pk])
    as_sales.post(url, payment_post(amount="2000"))
    as_sales.post(url, payment_post(kind="tuition", amount="17800"))
    deposit, tuition = Payment.objects.order_by("pk")
    finance = make_client(world.finance)
    queue = finance.get(reverse("enrollment:payment-queue")).content.decode()
    assert world.sales_lead.name in queue
    finance.post(reverse("enrollment:payment-confirm", args=[deposit.pk]))
    finance.post(reverse("enrollment:payment-reject", args=[tuition.pk]), {"reason": "未到账"})
    deposit.refresh_from_db()
    tuition.refresh_from_db()
    assert (deposit.status, deposit.confirmed_by) == ("confirmed", world.finance)
    assert (tuition.status, tuition.reject_reason) == ("rejected", "未到账")
    # A confirmed payment is never changed again: a second decision is refused.
    response = finance.post(
        reverse("enrollment:payment-reject", args=[deposit.pk]), {"reason": "x"}, follow=True
    )
    assert "already confirmed or rejected" in response.content.decode()
    deposit.refresh_from_db()
    assert deposit.status == "confirmed"
    assert services.enrollment_balance(enrollment)["owed"] == Decimal("17800")
    page = as_sales.get(reverse("enrollment:enrollment-detail", args=[enrollment.pk])).content.decode()
    assert "still owed ¥17,800.00" in page and "未到账" in page


def test_only_finance_decides_payments(world, enrollment, as_sales):
    as_sales.post(reverse("enrollment:payment-create", args=[enrollment.pk]), payment_post())
    payment = Payment.objects.get()
    for user in (world.sales, world.manager, world.teacher):
        assert (
            make_client(user).post(reverse("enrollment:payment-confirm", args=[payment.pk])).status_code
            == 403
        )
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_a_payment_reject_without_a_reason_changes_nothing(world, enrollment, as_sales):
    as_sales.post(reverse("enrollment:payment-create", args=[enrollment.pk]), payment_post())
    payment = Payment.objects.get()
    make_client(world.finance).post(reverse("enrollment:payment-reject", args=[payment.pk]), {"reason": ""})
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_the_student_sees_their_enrollments_and_their_accepted_contract_only(
    world, submitted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        student = services.enrollment_approve(
            enrollment=submitted, by=world.finance, may_exceed_capacity=False, base_url="http://testserver"
        )
    client = make_client(student.user)
    page = client.get(reverse("enrollment:my-enrollments")).content.decode()
    assert str(world.class_a) in page
    contract = client.get(reverse("enrollment:my-contract", args=[submitted.pk])).content.decode()
    submitted.refresh_from_db()
    assert submitted.contract_hash in contract
    # Another student's contract is not there for them.
    other = services.enrollment_create(customer=world.sales2_lead, class_list=world.class_a, by=world.sales2)
    assert client.get(reverse("enrollment:my-contract", args=[other.pk])).status_code == 404


def test_the_customer_page_shows_enrollments_with_what_is_owed(world, enrollment, as_sales):
    page = as_sales.get(reverse("crm:customer-detail", args=[world.sales_lead.pk])).content.decode()
    assert 'data-testid="customer-enrollments"' in page
    assert "still owed ¥19,800.00" in page
