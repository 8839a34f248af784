"""Open redirects over every URL of the URLconf: whatever page a redirect goes to, a `next` (or
similar) parameter naming another site is never where it goes."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.rbac.test_url_matrix import EXPECTED, Case
from tests.security.cases import case_request, with_params

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
    client, url, data, _role = case_request(world, case)
    hostile = dict.fromkeys(REDIRECT_PARAMETERS, target)
    if case.method == "GET":
        response = client.get(with_params(url, hostile))
    else:
        response = client.post(url, {**data, **hostile})
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
