"""CSRF over every URL of the URLconf (the role x URL matrix's table, so a new view is covered as
soon as it has a row there): a POST without the token is refused with 403 and writes nothing, and
a URL that only acts on POST answers a GET with 405 or a page that asks first, writing nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rbac.checks import iter_url_patterns
from tests.rbac.test_url_matrix import EXPECTED, Case
from tests.security import snapshot
from tests.security.cases import case_request


def request_parts(world, case: Case):
    """The row's client, with CSRF checks on as a browser gets them, its URL and data."""
    client, url, data, _role = case_request(world, case, enforce_csrf_checks=True)
    return client, url, data


# Public views exempt on purpose (marketing/views.py says why): inside an iframe on the school's
# site the browser sends no CSRF cookie with the form's POST, the API authenticates with its key,
# and a mail client's one-click unsubscribe carries no cookie (the signed token is the credential).
# Their own tests cover the honeypot, rate limits, key and token.
CSRF_EXEMPT = frozenset({"marketing:lead-form", "marketing:lead-api", "marketing:unsubscribe"})


def test_the_csrf_exempt_views_are_exactly_these():
    exempt = {
        name
        for name, callback in iter_url_patterns()
        if not name.startswith("admin:") and getattr(callback, "csrf_exempt", False)
    }
    assert exempt == CSRF_EXEMPT


@pytest.mark.parametrize(
    "case", [case for case in EXPECTED if case.url_name not in CSRF_EXEMPT], ids=lambda case: case.id
)
def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(world, case):
    client, url, data = request_parts(world, case)
    before = snapshot.take()
    response = client.post(url, data)
    assert response.status_code == 403, f"{case.id} answered {response.status_code} to a POST without a token"
    assert before.differences(snapshot.take()) == []


POST_ROWS = [case for case in EXPECTED if case.method == "POST"]


@pytest.mark.parametrize("case", POST_ROWS, ids=lambda case: case.id)
def test_a_get_of_an_action_writes_nothing(world, case):
    client, url, _data = request_parts(world, case)
    before = snapshot.take()
    response = client.get(url)
    assert response.status_code in (200, 405), f"{case.id} answered {response.status_code} to a GET"
    if response.status_code == 405:
        assert "POST" in response["Allow"]
    assert before.differences(snapshot.take()) == []


def test_the_token_is_what_was_missing(world):
    """The refusals above are the token's: the same client with the token gets through."""
    case = next(case for case in POST_ROWS if case.url_name == "crm:customer-claim")
    client, url, data = request_parts(world, case)
    client.get(reverse("crm:customer-pool"))
    token = client.cookies["csrftoken"].value
    response = client.post(url, {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == case.expected_ok
