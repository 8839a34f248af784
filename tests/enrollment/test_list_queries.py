"""The enrollment lists name their joins: the number of queries does not grow with the rows."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Customer
from enrollment.models import Enrollment, Payment, Student
from tests.conftest import make_client


def enrollments(world, count: int, *, start: int) -> None:
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        Customer(
            name=f"客户{number}",
            phone=f"+86137{number:08d}",
            source=world.source,
            consulted_on=now.date(),
            consultant=world.sales,
        )
        for number in range(start, start + count)
    )
    made = Enrollment.objects.bulk_create(
        Enrollment(
            customer=customer,
            class_list=world.class_a,
            consultant=world.sales,
            price=Decimal("19800"),
            status=Enrollment.Status.SUBMITTED,
            submitted_at=now,
            link_expires_at=now,
        )
        for customer in customers
    )
    Payment.objects.bulk_create(
        Payment(
            enrollment=enrollment,
            kind=Payment.Kind.DEPOSIT,
            amount=Decimal("100"),
            paid_at=date(2026, 11, 1),
            consultant=world.sales,
            request_key=uuid.uuid4(),
        )
        for enrollment in made
    )


EXPECTED_LIST = 5
EXPECTED_QUEUE = 5
EXPECTED_PAYMENTS = 6


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# Session, user, roles and menu, then the page's own: the list (and the payment queue's two).
@pytest.mark.parametrize(
    ("role", "url_name", "expected"),
    [
        ("sales", "enrollment:enrollment-list", EXPECTED_LIST),
        ("finance", "enrollment:enrollment-review-list", EXPECTED_QUEUE),
        ("finance", "enrollment:payment-queue", EXPECTED_PAYMENTS),
    ],
)
def test_enrollment_lists_do_not_grow_with_their_rows(world, role, url_name, expected):
    client, url = make_client(world.users[role]), reverse(url_name)
    enrollments(world, 2, start=0)
    assert queries(client, url) == expected
    enrollments(world, 30, start=100)
    assert queries(client, url) == expected


def test_a_students_enrollments_with_balances_take_the_same_queries_for_one_or_many(world):
    student = Student.objects.create(user=world.student, customer=world.sales_lead)
    client, url = make_client(world.student), reverse("enrollment:my-enrollments")
    enroll = Enrollment(
        customer=world.sales_lead, class_list=world.class_a, consultant=world.sales, price=Decimal("19800")
    )
    enroll.link_expires_at = timezone.now()
    enroll.save()
    one = queries(client, url)
    Enrollment.objects.create(
        customer=student.customer,
        class_list=world.class_b,
        consultant=world.sales,
        price=Decimal("16800"),
        link_expires_at=timezone.now(),
    )
    assert queries(client, url) == one
