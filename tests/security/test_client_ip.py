"""The visitor's address behind the school's reverse proxies (common.http.client_ip): what the
login lockout, the access log and the web-to-lead rate limits count by (that one is tested in
tests/marketing/test_public_views.py). Without proxies the
X-Forwarded-For header is the visitor's own text and is ignored; with N proxies the entry N from
the right is the one the outermost proxy wrote, and forged entries left of it change nothing."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings
from django.urls import reverse

from common.http import client_ip
from tests.conftest import PASSWORD, make_client

PROXY = "10.0.0.1"


def address(proxies: int, forwarded: str | None, remote: str = PROXY) -> str | None:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    with override_settings(CLIENT_IP_PROXY_COUNT=proxies):
        return client_ip(RequestFactory().get("/", **extra))


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, None, PROXY),
        (0, "203.0.113.9", PROXY),  # no proxy: the header is the visitor's own text
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.66, 203.0.113.9", "203.0.113.9"),  # a forged entry to the left is ignored
        (2, "198.51.100.66, 203.0.113.9, 192.0.2.7", "203.0.113.9"),
        (1, "2001:db8::1", "2001:db8::1"),
        (2, "203.0.113.9", PROXY),  # shorter than the proxy chain: not through every proxy
        (1, "", PROXY),
        (1, "not-an-address", None),
    ],
)
def test_the_address_is_the_one_the_outermost_proxy_saw(proxies, forwarded, expected):
    assert address(proxies, forwarded) == expected


def login(client, forwarded: str, password: str):
    return client.post(
        reverse("accounts:login"),
        {"username": "sales1", "password": password},
        HTTP_X_FORWARDED_FOR=forwarded,
        REMOTE_ADDR=PROXY,
    )


@override_settings(CLIENT_IP_PROXY_COUNT=1)
def test_behind_a_proxy_the_lockout_is_per_visitor_not_for_everyone(world):
    """Everyone arrives from the proxy's address: locking that would lock the whole school out."""
    attacker = make_client()
    for _attempt in range(5):
        login(attacker, "198.51.100.66", "wrong")
    assert login(attacker, "198.51.100.66", PASSWORD).status_code == 429
    # A forged header in front of the real address does not escape the lockout either.
    assert login(make_client(), "203.0.113.50, 198.51.100.66", PASSWORD).status_code == 429
    assert login(make_client(), "203.0.113.9", PASSWORD).status_code == 302
