"""The monthly report reads a month as a range of an index, not a scan of every customer,
follow-up, ownership event or payment (DESIGN.md section 8). Each query's plan names its index."""

from __future__ import annotations

import pytest

from crm.models import Customer, FollowUp, OwnershipEvent
from enrollment.models import Payment
from reports.periods import Month
from reports.selectors import TAKEN_ON, _in
from tests.query_plans import plan

MONTH = Month(2026, 11)


QUERIES = {
    "customer_created_idx": lambda: (
        Customer.objects.live().filter(_in(MONTH, "created_at")).values("source_id")
    ),
    "followup_consultant_idx": lambda: FollowUp.objects.filter(_in(MONTH, "at"), consultant_id__in=[1, 2]),
    "ownership_report_idx": lambda: OwnershipEvent.objects.filter(
        _in(MONTH, "at"), kind__in=TAKEN_ON, to_user_id__in=[1, 2]
    ),
    "payment_paid_idx": lambda: Payment.objects.filter(
        _in(MONTH, "paid_at", dates=True), status=Payment.Status.CONFIRMED
    ).values("amount"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("index", QUERIES)
def test_a_months_rows_are_read_through_an_index(index):
    # The report's queries aggregate, so no list ordering applies.
    assert index in plan(QUERIES[index]().order_by())
