"""List-page helpers: row links reversed once a page."""

import pytest
from django.urls import NoReverseMatch, reverse

from common.lists import attach_row_urls, row_url


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
