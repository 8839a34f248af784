"""The monthly report reads a month as a range of an index, not a scan of every customer,
follow-up, ownership event or payment (DESIGN.md section 8). Each query's plan names its index."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from crm.models import Customer, FollowUpDay, OwnershipEvent
from crm.selectors import returning_soon_of
from enrollment.models import Enrollment, Payment
from enrollment.selectors import enrollments_visible_to
from reports.periods import Month
from reports.selectors import PARTS, TAKEN_ON, MonthData, Scope, _in
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
    found = plan(QUERIES[index]().order_by())
    if connection.vendor == "postgresql":
        # On empty test tables PostgreSQL may cost the live-owner index (which holds created_at
        # too) the same as the range index; with a school's statistics it reads the range index
        # (checked at 100,000 customers). What holds here is that no table is read in full.
        assert "Seq Scan" not in found, found
    else:
        assert index in found, found


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


# The report's month of figures is one UNION ALL. Each of its SELECTs keeps the plan it has on its
# own; for the whole school (no consultant to start from) these are the month's index ranges.
SCHOOL_INDEXES = {
    "leads": "customer_created_idx",
    "revenue_by_consultant": "payment_paid_idx",
    "revenue_by_source": "payment_paid_idx",
    "revenue_by_class": "payment_paid_idx",
    "revenue_by_day": "payment_paid_idx",
    "funnel": "customer_created_idx",
}
INDEX_NAME = re.compile(
    r"(?:USING (?:COVERING )?INDEX|Index (?:Only )?Scan using|Bitmap Index Scan on) (\w+)"
)


def indexes(found: str) -> set[str]:
    return set(INDEX_NAME.findall(found))


def assert_no_table_read_in_full(found: str) -> None:
    # On PostgreSQL a test table's missing statistics decide among the indexes that can serve a
    # range of entry times (the partial live-owner index too); what holds there is that an index
    # answers, no table is read in full.
    assert "Seq Scan" not in found, found


@pytest.mark.django_db
@pytest.mark.parametrize("part", SCHOOL_INDEXES)
def test_the_schools_month_is_read_through_an_index(part):
    found = plan(PARTS[part](Scope(frozenset({1, 2}), whole_school=True), MONTH))
    if connection.vendor == "postgresql":
        assert_no_table_read_in_full(found)
    else:
        assert SCHOOL_INDEXES[part] in found, found


@pytest.mark.django_db
@pytest.mark.parametrize("whole_school", [False, True], ids=["team", "school"])
def test_every_part_keeps_its_index_in_the_union(whole_school):
    scope = Scope(frozenset({1, 2}), whole_school=whole_school)
    data = MonthData(scope, MONTH)
    union = plan(data.query())
    for name in data.parts:
        own = indexes(plan(PARTS[name](scope, MONTH)))
        assert own, name
        assert own <= indexes(union), (name, own, union)
    if connection.vendor == "postgresql":
        assert_no_table_read_in_full(union)
    else:
        # The month's leads from their entry times (the school), the links from the consultants'.
        assert ("customer_created_idx" if whole_school else "enrollment_consultant_idx") in union, union
