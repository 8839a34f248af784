"""Self-registration: an inactive account, approvers told, approval, and bad input that writes nothing."""

import pytest
from django.urls import reverse

from accounts.models import Notification, User
from tests.conftest import make_client

NEW_PASSWORD = "Learn-Python-2026!"


def registration(**changes):
    data = {
        "username": "newstudent",
        "display_name": "新同学",
        "email": "new.student@example.test",
        "phone": "13800000000",
        "department": "",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(changes)
    return data


def register(client, django_capture_on_commit_callbacks, **changes):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("accounts:register"), registration(**changes))


def login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_registration_creates_an_inactive_account_awaiting_approval(
    world, anon, django_capture_on_commit_callbacks
):
    response = register(anon, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "Registration received" in response.content.decode()
    user = User.objects.get(username="newstudent")
    assert user.is_active is False
    assert user.awaiting_approval is True
    assert user.check_password(NEW_PASSWORD)
    assert not user.roles.exists()


def test_approvers_are_notified_of_a_registration(world, anon, django_capture_on_commit_callbacks):
    register(anon, django_capture_on_commit_callbacks)
    notified = set(Notification.objects.values_list("recipient__username", flat=True))
    # Only holders of rbac.user_approve: the admin role (the superuser holds no role).
    assert notified == {"admin"}
    notification = Notification.objects.get()
    assert "newstudent" in notification.text
    assert notification.link == reverse("rbac:user-list") + "?awaiting_approval=true"


def test_the_approval_link_lists_the_registration(world, as_admin, anon, django_capture_on_commit_callbacks):
    register(anon, django_capture_on_commit_callbacks)
    page = as_admin.get(Notification.objects.get().link)
    assert [account.username for account in page.context["object_list"]] == ["newstudent"]


def test_login_says_waiting_for_approval_only_with_the_right_password(
    world, anon, django_capture_on_commit_callbacks
):
    register(anon, django_capture_on_commit_callbacks)
    waiting = "waiting for an administrator&#x27;s approval"

    right = login(make_client(), "newstudent", NEW_PASSWORD)
    assert right.status_code == 200
    assert waiting in right.content.decode()

    wrong = login(make_client(), "newstudent", "not-the-password")
    assert wrong.status_code == 200
    assert waiting not in wrong.content.decode()
    assert "Please enter a correct username and password" in wrong.content.decode()


def test_an_approved_registration_can_log_in(world, anon, as_admin, django_capture_on_commit_callbacks):
    register(anon, django_capture_on_commit_callbacks)
    user = User.objects.get(username="newstudent")

    response = as_admin.post(reverse("rbac:user-approve", args=[user.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("rbac:user-update", args=[user.pk])
    user.refresh_from_db()
    assert (user.is_active, user.awaiting_approval) == (True, False)
    assert Notification.objects.filter(recipient=user, link=reverse("home")).exists()

    client = make_client()
    assert login(client, "newstudent", NEW_PASSWORD)["Location"] == "/"
    assert client.get(reverse("home")).status_code == 200


def test_approving_twice_or_an_active_account_is_a_404(world, as_admin):
    assert as_admin.post(reverse("rbac:user-approve", args=[world.sales.pk])).status_code == 404


def test_a_signed_in_user_is_sent_home_from_registration(world, as_sales):
    assert as_sales.get(reverse("accounts:register"))["Location"] == reverse("home")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "sales1"}, "username"),
        ({"username": "SALES1"}, "username"),
        ({"email": "sales1@example.test"}, "email"),
        ({"email": "SALES1@Example.TEST"}, "email"),
        ({"password2": "Another-Password-99"}, "password2"),
        ({"password1": "123", "password2": "123"}, "password2"),
        ({"display_name": ""}, "display_name"),
        ({"email": ""}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"username": ""}, "username"),
        ({"department": "999999"}, "department"),
        ({"username": "bad\x00name"}, "username"),
    ],
)
def test_bad_registrations_explain_and_write_nothing(
    world, anon, django_capture_on_commit_callbacks, changes, field
):
    users, notifications = User.objects.count(), Notification.objects.count()
    response = register(anon, django_capture_on_commit_callbacks, **changes)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="invalid-feedback' in response.content.decode()
    assert (User.objects.count(), Notification.objects.count()) == (users, notifications)
