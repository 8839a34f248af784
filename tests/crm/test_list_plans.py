"""The pool and "my customers" read their page from the live-owner index in its order, count from
it, and reach a deep page through it without reading the skipped rows (DESIGN.md section 8)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.lists import CappedPaginator
from crm import selectors
from tests.query_plans import plan

LISTS = {
    "pool": lambda world: selectors.customers_in_pool(),
    "mine": lambda world: selectors.CUSTOMER_LISTS["mine"](world.sales),
}


def page_rows(queryset, number):
    paginator = CappedPaginator(selectors.customer_rows_for_list(queryset), 20, wanted_page=number)
    paginator.count = 20_001  # a big school's list, so that page 1000 exists
    return paginator.page(number).object_list


def assert_read_in_index_order(found: str) -> None:
    if connection.vendor == "postgresql":
        assert "Seq Scan" not in found, found
    else:
        assert "customer_owner_idx" in found, found
        assert "TEMP B-TREE" not in found, found


@pytest.mark.django_db
@pytest.mark.parametrize("number", [1, 1000])
@pytest.mark.parametrize("listing", LISTS)
def test_a_page_is_read_in_the_indexs_order(world, listing, number):
    assert_read_in_index_order(plan(page_rows(LISTS[listing](world), number)))


@pytest.mark.django_db
@pytest.mark.parametrize("listing", LISTS)
def test_the_count_reads_the_index(world, listing):
    queryset = LISTS[listing](world).order_by()[:1001]
    found = plan(queryset)
    if connection.vendor == "postgresql":
        assert "Seq Scan" not in found, found
    else:
        assert "customer_owner_idx" in found, found


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["crm:customer-list", "crm:customer-pool", "crm:class-list"])
def test_the_filter_selects_read_their_choices_without_a_server_side_cursor(world, as_manager, url_name):
    # A select iterating its queryset declares a cursor on PostgreSQL: three round trips a select.
    with CaptureQueriesContext(connection) as captured:
        response = as_manager.get(reverse(url_name))
    assert response.status_code == 200
    assert not [query["sql"] for query in captured.captured_queries if "DECLARE" in query["sql"]]
    assert '<select name="source"' in response.content.decode() or url_name == "crm:class-list"
