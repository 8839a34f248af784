"""The rows of the role x URL table as the security suite requests them: as someone the row
allows, with the row's objects created, so that what a test sends is the only thing wrong."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django.utils.http import urlencode

from common.access import AUTHENTICATED, PUBLIC
from tests.conftest import make_client
from tests.rbac.matrix import ANONYMOUS, Case

PREFERRED_ROLES = ("sales", "manager", "admin", "finance", "teacher", "student")


def allowed_role(case: Case) -> str:
    if case.access == PUBLIC:
        return ANONYMOUS
    if case.access == AUTHENTICATED:
        return "sales"
    return next((role for role in PREFERRED_ROLES if role in case.access), "superuser")


def case_request(world, case: Case, **client_options) -> tuple[Client, str, dict, str]:
    """(client, url with the row's query, the row's form data, role) for `case`."""
    role = allowed_role(case)
    user = None if role == ANONYMOUS else world.users[role]
    url = reverse(case.url_name, kwargs=case.kwargs(world, user))
    if case.query:
        url = f"{url}?{case.query}"
    data = case.data(world) if callable(case.data) else dict(case.data)
    return make_client(user, **client_options), url, data, role


def with_params(url: str, params: dict) -> str:
    """`url` with `params` added to its query (the test client would replace the query instead)."""
    if not params:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params, doseq=True)}"
