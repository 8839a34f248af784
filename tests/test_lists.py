"""List-page helpers: capped counts, pages read by id, row links reversed once a page."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from accounts.models import Department
from common.lists import CappedPaginator, attach_row_urls, row_url, wanted_page


@pytest.mark.parametrize("pk", [1, 7, 10, 42, 987654321, 10**15])
@pytest.mark.parametrize("url_name", ["crm:customer-detail", "crm:customer-claim", "crm:customer-update"])
def test_a_row_url_is_what_reverse_gives(url_name, pk):
    assert row_url(url_name)(pk) == reverse(url_name, args=[pk])


def test_a_url_without_the_rows_id_is_refused():
    with pytest.raises(NoReverseMatch):
        row_url("crm:customer-pool")


def test_each_row_gets_its_links():
    class Row:
        def __init__(self, pk):
            self.pk = pk

    rows = [Row(3), Row(5)]
    attach_row_urls(rows, detail="crm:customer-detail", claim="crm:customer-claim")
    assert rows[1].urls == {
        "detail": reverse("crm:customer-detail", args=[5]),
        "claim": reverse("crm:customer-claim", args=[5]),
    }


@pytest.fixture
def departments(db):
    Department.objects.bulk_create(
        Department(name=f"D{number:02}", code=f"d{number:02}") for number in range(30)
    )
    return Department.objects.order_by("-code")


def plain_page(queryset, number: int, per_page: int) -> list:
    return list(Paginator(queryset, per_page).page(number).object_list)


def test_a_list_shorter_than_the_cap_is_counted_exactly(departments):
    paginator = CappedPaginator(departments, 7, wanted_page=1, cap=100)
    assert (paginator.count, paginator.capped, paginator.counted, paginator.num_pages) == (30, False, 30, 5)
    assert paginator.page_links(1) == [1, 2, 3, 4, 5]
    for number in range(1, 6):
        assert list(paginator.page(number).object_list) == plain_page(departments, number, 7)


def test_a_longer_list_is_counted_to_the_cap_and_says_more_than(departments):
    paginator = CappedPaginator(departments, 5, wanted_page=1, cap=10)
    assert (paginator.capped, paginator.counted) == (True, 10)
    page = paginator.page(1)
    assert page.has_next()
    assert paginator.page_links(1)[-1] == paginator.ELLIPSIS
    assert list(page.object_list) == plain_page(departments, 1, 5)


def test_a_page_past_the_cap_is_counted_to_itself_and_one_row_more(departments):
    paginator = CappedPaginator(departments, 5, wanted_page=4, cap=10)
    assert paginator.count == 21 and paginator.capped
    page = paginator.page(4)
    assert page.has_next() and list(page.object_list) == plain_page(departments, 4, 5)
    links = paginator.page_links(4)
    assert 4 in links and links[-1] == paginator.ELLIPSIS and 30 // 5 not in links


def test_the_last_page_of_a_short_list_is_whole(departments):
    paginator = CappedPaginator(departments, 8, wanted_page=4, cap=10)
    assert not paginator.capped
    assert list(paginator.page(4).object_list) == plain_page(departments, 4, 8)


def test_a_page_is_two_queries_the_count_and_the_rows(departments, django_assert_num_queries):
    paginator = CappedPaginator(departments, 5, wanted_page=3, cap=10)
    with django_assert_num_queries(2):
        assert len(list(paginator.page(3).object_list)) == 5


def test_the_count_reads_no_joined_table_and_no_order(departments):
    paginator = CappedPaginator(departments.select_related(None), 5, wanted_page=1, cap=10)
    with CaptureQueriesContext(connection) as captured:
        assert paginator.count == 11
    assert "ORDER BY" not in captured.captured_queries[0]["sql"]
    assert "LIMIT 11" in captured.captured_queries[0]["sql"]


@pytest.mark.parametrize(
    ("query", "expected"), [("", 1), ("page=7", 7), ("page=0", 1), ("page=x", 1), ("page=-3", 1)]
)
def test_the_wanted_page_is_read_safely(rf, query, expected):
    assert wanted_page(rf.get(f"/?{query}")) == expected
