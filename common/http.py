"""The client's address behind the school's reverse proxies."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's address: REMOTE_ADDR, or with CLIENT_IP_PROXY_COUNT proxies in front, the
    address the outermost of them saw, which is that many entries from the right of
    X-Forwarded-For (each proxy appends the address it was connected from). Entries further left
    are whatever the visitor sent, so they are never read: a forged header cannot pick an address
    for the login lockout, the access log or the web-to-lead rate limits. A header shorter than
    the proxy count did not come through all the proxies: REMOTE_ADDR is used then. None when
    the address found is not an IP address."""
    proxies = settings.CLIENT_IP_PROXY_COUNT
    address = request.META.get("REMOTE_ADDR", "")
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
