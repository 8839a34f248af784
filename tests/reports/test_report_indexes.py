"""The monthly report reads a month as a range of an index, not a scan of every customer,
follow-up, ownership event or payment (DESIGN.md section 8). Each query's plan names its index."""

from __future__ import annotations

import pytest
from django.db import connection

from crm.models import Customer, FollowUpDay, OwnershipEvent
from crm.selectors import returning_soon_of
from enrollment.models import Enrollment, Payment
from enrollment.selectors import enrollments_visible_to
from reports.periods import Month
from reports.selectors import TAKEN_ON, _in
from tests.query_plans import plan

MONTH = Month(2026, 11)


QUERIES = {
    "customer_created_idx": lambda: (
        Customer.objects.live().filter(_in(MONTH, "created_at")).values("source_id")
    ),
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


@pytest.mark.django_db
def test_a_months_follow_ups_are_a_range_of_the_per_day_counts():
    found = plan(
        FollowUpDay.objects.filter(_in(MONTH, "day", dates=True), consultant_id__in=[1, 2]).values("count")
    )
    # The unique constraint's index: SQLite names it after the table, PostgreSQL after the constraint.
    assert "autoindex_crm_followupday" in found or "followupday_unique" in found, found


# The home pages' counts over a big school's customers and enrollments, each from its index.
def _pool_ages(world):
    return Customer.objects.in_pool().values("created_at")


def _returning_soon(world):
    return returning_soon_of(world.sales).values("pk")


def _pending_reviews(world):
    return enrollments_visible_to(world.manager, reviews_all=False).filter(status=Enrollment.Status.SUBMITTED)


HOME_QUERIES = {
    # The pool's size and age are read from the index alone: no table row for 300,000 customers.
    # The index is partial (live customers), which SQLite's plan does not call COVERING although
    # it reads no row: at a million customers the count takes 17 ms, reading rows takes 180 ms.
    "INDEX customer_owner_idx": _pool_ages,
    "customer_return_idx": _returning_soon,
    # The few submitted enrollments first, then their customers' scope by joining (not an IN over
    # every customer the manager may see).
    "enrollment_review_idx": _pending_reviews,
}


@pytest.mark.django_db
@pytest.mark.parametrize("index", HOME_QUERIES)
def test_home_page_counts_are_read_through_an_index(world, index):
    found = plan(HOME_QUERIES[index](world).order_by())
    assert "SUBQUERY" not in found.upper() and "SUBPLAN" not in found.upper(), found
    if connection.vendor == "postgresql":
        # PostgreSQL picks among the indexes that start with the consultant by statistics a test
        # table does not have; what holds there is that no table is read in full.
        assert "Seq Scan" not in found, found
    else:
        assert index in found, found
