"""Open redirects over every URL of the URLconf: whatever page a redirect goes to, a `next` (or
similar) parameter naming another site is never where it goes."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.conftest import make_client
from tests.rbac.test_url_matrix import ANONYMOUS, EXPECTED, Case
from tests.security.test_csrf import allowed_role

OFF_SITE = (
    "https://evil.example/steal",
    "//evil.example/steal",
    "/\\evil.example/steal",
    "https:evil.example",
)
REDIRECT_PARAMETERS = ("next", "return", "return_to", "back", "redirect", "redirect_to", "url")


def is_on_site(location: str) -> bool:
    parts = urlsplit(location.replace("\\", "/"))
    return (
        not parts.scheme and not parts.netloc and location.startswith("/") and not location.startswith("//")
    )


@pytest.mark.parametrize("target", OFF_SITE)
@pytest.mark.parametrize("case", EXPECTED, ids=lambda case: case.id)
def test_no_redirect_leaves_the_site(world, case: Case, target):
    role = allowed_role(case)
    user = None if role == ANONYMOUS else world.users[role]
    client = make_client(user)
    url = reverse(case.url_name, kwargs=case.kwargs(world, user))
    hostile = dict.fromkeys(REDIRECT_PARAMETERS, target)
    data = case.data(world) if callable(case.data) else dict(case.data)
    if case.method == "GET":
        query = f"{case.query}&" if case.query else ""
        response = client.get(f"{url}?{query}", hostile)
    else:
        response = client.post(f"{url}?{case.query}" if case.query else url, {**data, **hostile})
    location = response.get("Location", "")
    if response.status_code in (301, 302, 303, 307, 308):
        assert is_on_site(location), f"{case.id} redirects to {location!r}"


@pytest.mark.parametrize(
    ("location", "on_site"),
    [
        ("/sales/customers/", True),
        ("/accounts/login/?next=/x", True),
        ("https://evil.example/", False),
        ("//evil.example/", False),
        ("/\\evil.example/", False),
        ("https:evil.example", False),
        ("evil.example", False),
    ],
)
def test_the_check_itself(location, on_site):
    assert is_on_site(location) is on_site
