"""Sessions and signing in, the attacker's way round (tests/accounts/test_login.py has the
lockout, the session key changing on login, logout with POST only and the CSRF of the form):
an unknown user is told and timed like a wrong password, a stolen session cookie dies with the
logout and with a password change, and taking away the account or a role acts on the very next
request of a session already open."""

from __future__ import annotations

import statistics
import time

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from rbac.defaults import SALES
from tests.conftest import make_client

LOGIN = "/accounts/login/"


def post_login(username: str, password: str) -> tuple[float, str]:
    client = make_client()
    started = time.perf_counter()
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    return elapsed, response.content.decode()


def error_message(html: str) -> str:
    start = html.index('class="alert')
    return html[start : html.index("</div>", start)]


@pytest.mark.real_password_hashers
def test_an_unknown_user_gets_the_wrong_password_message_in_the_same_time(world):
    """Argon2 runs for an unknown name too, so neither the words nor the time tell an attacker
    which names exist."""
    unknown, wrong = [], []
    for attempt in range(6):
        AccessAttempt.objects.all().delete()  # the lockout would answer before the password check
        elapsed, unknown_page = post_login(f"nobody{attempt}", "Wrong-Password-1")
        unknown.append(elapsed)
        AccessAttempt.objects.all().delete()
        elapsed, wrong_page = post_login("sales1", "Wrong-Password-1")
        wrong.append(elapsed)
    assert error_message(unknown_page) == error_message(wrong_page)
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 < ratio < 2, (
        f"unknown user {statistics.median(unknown):.3f}s, wrong password {statistics.median(wrong):.3f}s"
    )


def session_cookie(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def replay(cookie: str) -> Client:
    """A second browser holding a copy of the session cookie."""
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = cookie
    return thief


def test_a_copied_session_cookie_dies_with_the_logout(world, as_sales):
    cookie = session_cookie(as_sales)
    assert replay(cookie).get(reverse("crm:customer-mine")).status_code == 200
    as_sales.post(reverse("accounts:logout"))
    response = replay(cookie).get(reverse("crm:customer-mine"))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")


def test_a_copied_session_cookie_dies_with_a_password_change(world, as_sales):
    cookie = session_cookie(as_sales)
    world.sales.set_password("Another-Horse-Battery-8")
    world.sales.save()
    response = replay(cookie).get(reverse("crm:customer-mine"))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")


def test_a_deactivated_user_is_signed_out_on_the_next_request(world, as_sales):
    assert as_sales.get(reverse("crm:customer-mine")).status_code == 200
    User.objects.filter(pk=world.sales.pk).update(is_active=False)
    response = as_sales.get(reverse("crm:customer-mine"))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")


def test_a_removed_role_is_refused_on_the_next_request(world, as_sales):
    assert as_sales.get(reverse("crm:customer-mine")).status_code == 200
    world.roles[SALES].users.remove(world.sales)
    response = as_sales.get(reverse("crm:customer-mine"))
    assert response.status_code == 403
    assert b'data-testid="forbidden"' in response.content


def test_a_role_losing_a_permission_is_refused_on_the_next_request(world, as_sales):
    role = world.roles[SALES]
    assert as_sales.get(reverse("crm:customer-pool")).status_code == 200
    role.permissions.remove(*role.permissions.filter(codename="crm.customer_pool"))
    assert as_sales.get(reverse("crm:customer-pool")).status_code == 403
