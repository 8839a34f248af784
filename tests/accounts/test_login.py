"""Logging in through the real login view: throttling, redirects after login, sessions, CSRF."""

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD, make_client

LOGIN = "/accounts/login/"
HOME = "/"


def login(client, username, password, **extra):
    return client.post(reverse("accounts:login"), {"username": username, "password": password, **extra})


def signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


def test_a_right_password_signs_in_and_goes_home(world, anon):
    response = login(anon, "sales1", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == HOME
    assert signed_in_user_id(anon) == str(world.sales.pk)


def test_a_wrong_password_is_refused_with_a_message(world, anon):
    response = login(anon, "sales1", "wrong")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert signed_in_user_id(anon) is None


def test_login_locks_after_five_failures_even_for_the_right_password(world, anon):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _attempt in range(4):
        assert login(anon, "sales1", "wrong").status_code == 200
    # The fifth failure reaches the limit: that response is already the lockout page.
    assert login(anon, "sales1", "wrong").status_code == 429

    response = login(anon, "sales1", PASSWORD)  # the sixth attempt, with the right password
    assert response.status_code == 429
    page = response.content.decode()
    assert 'data-testid="lockout-message"' in page
    assert "locked for this account from your address after 5 failed attempts" in page
    assert "Try again in 15 minutes" in page
    assert signed_in_user_id(anon) is None


def test_the_lockout_is_per_username_and_address(world, anon):
    for _attempt in range(5):
        login(anon, "sales1", "wrong")
    assert login(anon, "sales1", PASSWORD).status_code == 429
    other = make_client()
    assert login(other, "sales2", PASSWORD).status_code == 302


def test_a_successful_login_resets_the_failure_count(world, anon):
    for _attempt in range(4):
        login(anon, "sales1", "wrong")
    assert AccessAttempt.objects.get(username="sales1").failures_since_start == 4
    assert login(anon, "sales1", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="sales1").exists()

    again = make_client()
    for _attempt in range(4):
        assert login(again, "sales1", "wrong").status_code == 200
    assert login(again, "sales1", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.com",
        "https://evil.com",
        "http://evil.com/setup/",
        "/\\evil.com",
        "javascript:alert(1)",
        "///evil.com",
    ],
)
def test_an_unsafe_next_falls_back_to_home(world, anon, next_url):
    response = login(anon, "sales1", PASSWORD, next=next_url)
    assert response.status_code == 302
    assert response["Location"] == HOME
    assert signed_in_user_id(anon) == str(world.sales.pk)


def test_a_safe_next_is_honoured(world, anon):
    response = login(anon, "sales1", PASSWORD, next="/setup/classes/?o=start")
    assert response["Location"] == "/setup/classes/?o=start"


def test_the_login_redirect_round_trip_returns_to_the_page_asked_for(world, anon):
    response = anon.get(reverse("crm:course-list"))
    assert response["Location"] == f"{LOGIN}?next=/setup/courses/"
    page = anon.get(response["Location"]).content.decode()
    assert 'name="next" value="/setup/courses/"' in page
    response = login(anon, "sales1", PASSWORD, next="/setup/courses/")
    assert response["Location"] == "/setup/courses/"
    assert anon.get("/setup/courses/").status_code == 200


def test_the_session_key_changes_on_login(world, anon):
    session = anon.session
    session["before_login"] = True
    session.save()
    key_before = session.session_key

    login(anon, "sales1", PASSWORD)
    key_after = anon.cookies[settings.SESSION_COOKIE_NAME].value
    assert key_after != key_before
    assert not Session.objects.filter(session_key=key_before).exists()
    assert signed_in_user_id(anon) == str(world.sales.pk)


def test_logging_out_ends_the_session(world, as_sales):
    assert as_sales.get(reverse("home")).status_code == 200
    response = as_sales.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert as_sales.get(reverse("home"))["Location"] == f"{LOGIN}?next=/"


def test_logging_out_with_get_is_not_allowed(world, as_sales):
    assert as_sales.get(reverse("accounts:logout")).status_code == 405
    assert as_sales.get(reverse("home")).status_code == 200


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_login_needs_the_csrf_token(world):
    client = make_client(enforce_csrf_checks=True)
    response = login(client, "sales1", PASSWORD)
    assert response.status_code == 403
    assert signed_in_user_id(client) is None

    token = _csrf_token(client.get(reverse("accounts:login")).content.decode())
    response = login(client, "sales1", PASSWORD, csrfmiddlewaretoken=token)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(world.sales.pk)


def test_a_setup_post_needs_the_csrf_token(world):
    from crm.models import Campus

    client = make_client(world.admin, enforce_csrf_checks=True)
    url = reverse("crm:campus-create")
    count = Campus.objects.count()
    assert client.post(url, {"name": "广州", "is_active": "on"}).status_code == 403
    assert Campus.objects.count() == count

    token = _csrf_token(client.get(url).content.decode())
    response = client.post(url, {"name": "广州", "is_active": "on", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Campus.objects.count() == count + 1


def test_an_inactive_user_cannot_log_in(world, anon):
    User.objects.filter(pk=world.sales.pk).update(is_active=False)
    response = login(anon, "sales1", PASSWORD)
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert signed_in_user_id(anon) is None


@pytest.mark.real_password_hashers
@pytest.mark.django_db
def test_passwords_are_stored_with_argon2():
    user = User.objects.create_user(username="hashed", password=PASSWORD)
    assert user.password.startswith("argon2$")
    assert user.check_password(PASSWORD)
