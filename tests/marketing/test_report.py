"""The campaign report against a hand-built data set: every figure asserted exactly."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Customer
from enrollment.models import Enrollment, Payment
from marketing.models import Campaign, CampaignLead
from marketing.selectors import campaign_report, campaigns_in_period

E = Enrollment.Status
P = Payment.Kind
S = Payment.Status


def make_campaign(world, name: str, budget: str, starts_on: date, ends_on: date) -> Campaign:
    return Campaign.objects.create(
        name=name,
        channel=world.source,
        starts_on=starts_on,
        ends_on=ends_on,
        budget=Decimal(budget),
        created_by=world.manager,
    )


def people(world, count: int, prefix: str) -> list[Customer]:
    today = timezone.localdate()
    return Customer.objects.bulk_create(
        Customer(name=f"{prefix}{n}", source=world.source, consulted_on=today) for n in range(count)
    )


def lead(campaign, customer, *, duplicate=False) -> None:
    CampaignLead.objects.create(campaign=campaign, customer=customer, is_duplicate=duplicate)


def enroll(world, customer, class_list, status, *, deleted=False) -> Enrollment:
    return Enrollment.objects.create(
        customer=customer,
        class_list=class_list,
        consultant=world.sales,
        price=class_list.price,
        status=status,
        link_expires_at=timezone.now() + timedelta(days=7),
        is_deleted=deleted,
    )


def pay(world, enrollment, kind, amount: str, status=S.CONFIRMED) -> None:
    Payment.objects.create(
        enrollment=enrollment,
        kind=kind,
        amount=Decimal(amount),
        paid_at=date(2026, 4, 1),
        consultant=world.sales,
        status=status,
        request_key=uuid.uuid4(),
    )


@pytest.fixture
def data_set(world):
    """Spring (budget 1,000): four new leads c0-c3 (c0 sent the form twice) and one existing
    customer met twice. c0 is approved in two classes; c1's approved enrollment was deleted; c2
    is only submitted; c3 has nothing. Summer (budget 0) has no leads. Autumn (budget 300): seven
    new leads, none signed, and c0 met again (a duplicate there, a lead of Spring)."""
    spring = make_campaign(world, "Spring", "1000", date(2026, 3, 1), date(2026, 3, 31))
    summer = make_campaign(world, "Summer", "0", date(2026, 6, 1), date(2026, 6, 30))
    autumn = make_campaign(world, "Autumn", "300", date(2026, 9, 1), date(2026, 9, 30))
    c0, c1, c2, c3 = people(world, 4, "春")
    for customer in (c0, c1, c2, c3):
        lead(spring, customer)
    lead(spring, c0, duplicate=True)
    lead(spring, world.sales_lead, duplicate=True)
    lead(spring, world.sales_lead, duplicate=True)

    c0_python = enroll(world, c0, world.class_a, E.APPROVED)
    pay(world, c0_python, P.TUITION, "5000")
    pay(world, c0_python, P.DEPOSIT, "1000")
    pay(world, c0_python, P.TUITION, "2000", status=S.PENDING)
    pay(world, c0_python, P.TUITION, "300", status=S.REJECTED)
    pay(world, c0_python, P.REFUND, "500")
    pay(world, c0_python, P.TRANSFER, "700")
    c0_linux = enroll(world, c0, world.class_b, E.APPROVED)
    pay(world, c0_linux, P.OTHER, "1200")
    enroll(world, c1, world.class_a, E.APPROVED, deleted=True)
    c2_python = enroll(world, c2, world.class_a, E.SUBMITTED)
    pay(world, c2_python, P.DEPOSIT, "800")
    # The existing customer's money is not the campaign's.
    existing = enroll(world, world.sales_lead, world.class_a, E.APPROVED)
    pay(world, existing, P.TUITION, "9999")

    for customer in people(world, 7, "秋"):
        lead(autumn, customer)
    lead(autumn, c0, duplicate=True)
    return spring, summer, autumn


def test_every_figure_of_the_report(world, data_set, django_assert_num_queries):
    spring, summer, autumn = data_set
    with django_assert_num_queries(1):
        rows = {row.campaign: row for row in campaign_report(campaigns=Campaign.objects.all())}

    row = rows[spring]
    assert (row.leads, row.duplicates, row.signed) == (4, 1, 1)
    # 5000 + 1000 + 1200 + 800 - 500 (refund); pending, rejected and the transfer left out.
    assert row.revenue == Decimal("7500.00")
    assert row.cost_per_lead == Decimal("250.00")
    assert row.cost_per_signing == Decimal("1000.00")
    assert row.return_on_spend == Decimal("6.5000")

    row = rows[summer]
    assert (row.leads, row.duplicates, row.signed, row.revenue) == (0, 0, 0, Decimal("0"))
    assert (row.cost_per_lead, row.cost_per_signing, row.return_on_spend) == (None, None, None)

    row = rows[autumn]
    assert (row.leads, row.duplicates, row.signed, row.revenue) == (7, 1, 0, Decimal("0"))
    assert row.cost_per_lead == Decimal("42.86")  # 300 / 7 = 42.857...
    assert row.cost_per_signing is None
    assert row.return_on_spend == Decimal("-1.0000")


def test_the_report_of_a_period_takes_the_campaigns_that_ran_in_it(world, data_set):
    spring, summer, _autumn = data_set
    rows = campaign_report(
        campaigns=campaigns_in_period(starts_on=date(2026, 3, 31), ends_on=date(2026, 6, 1))
    )
    assert [row.campaign for row in rows] == [summer, spring]
    assert (
        campaign_report(campaigns=campaigns_in_period(starts_on=date(2026, 4, 1), ends_on=date(2026, 5, 31)))
        == []
    )
