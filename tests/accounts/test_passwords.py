"""Password reset by email, the set-password email of accounts an admin creates, password change."""

import re

from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD, make_client

NEW_PASSWORD = "Brand-New-Secret-2026"
LINK = re.compile(r"https?://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


def login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def link_in(message) -> str:
    return LINK.search(message.body).group(1)


def choose_password(client, link: str, password: str = NEW_PASSWORD):
    """Follow an emailed link the way a browser does: the token moves into the session first."""
    response = client.get(link)
    assert response.status_code == 302
    set_password_url = response["Location"]
    assert set_password_url.endswith("/set-password/")
    assert client.get(set_password_url).status_code == 200
    return client.post(set_password_url, {"new_password1": password, "new_password2": password})


def test_password_reset_emails_a_link_that_sets_a_new_password(world, anon):
    response = anon.post(reverse("accounts:password-reset"), {"email": "sales1@example.test"})
    assert response["Location"] == reverse("accounts:password-reset-done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sales1@example.test"]
    assert "sales1" in message.body

    response = choose_password(make_client(), link_in(message))
    assert response["Location"] == reverse("accounts:password-reset-complete")
    assert login(make_client(), "sales1", PASSWORD).status_code == 200  # the old one no longer works
    assert login(make_client(), "sales1", NEW_PASSWORD)["Location"] == "/"


def test_a_reset_link_works_once(world, anon):
    anon.post(reverse("accounts:password-reset"), {"email": "sales1@example.test"})
    link = link_in(mail.outbox[0])
    choose_password(make_client(), link)
    page = make_client().get(link, follow=True)
    assert "This link no longer works" in page.content.decode()


def test_password_reset_for_an_unknown_email_sends_nothing_and_reveals_nothing(world, anon):
    response = anon.post(reverse("accounts:password-reset"), {"email": "nobody@example.test"})
    assert response["Location"] == reverse("accounts:password-reset-done")
    assert mail.outbox == []


def test_password_reset_refuses_an_invalid_email(world, anon):
    response = anon.post(reverse("accounts:password-reset"), {"email": "not-an-email"})
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert mail.outbox == []


def test_a_mismatched_new_password_is_refused(world, anon):
    anon.post(reverse("accounts:password-reset"), {"email": "sales1@example.test"})
    client = make_client()
    set_password_url = client.get(link_in(mail.outbox[0]))["Location"]
    response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": "Other-2026!"})
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors
    assert User.objects.get(pk=world.sales.pk).check_password(PASSWORD)


def test_an_admin_created_user_gets_a_working_set_password_link(
    world, as_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_admin.post(
            reverse("rbac:user-create"),
            {
                "username": "newhire",
                "display_name": "New Hire",
                "email": "newhire@example.test",
                "phone": "",
                "department": world.departments["sales"].pk,
                "is_active": "on",
                "roles": [world.roles["sales"].pk],
            },
        )
    assert response["Location"] == reverse("rbac:user-list")
    user = User.objects.get(username="newhire")
    assert not user.has_usable_password()
    assert list(user.roles.values_list("slug", flat=True)) == ["sales"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newhire@example.test"]

    choose_password(make_client(), link_in(mail.outbox[0]))
    client = make_client()
    assert login(client, "newhire", NEW_PASSWORD)["Location"] == "/"
    assert client.get(reverse("crm:course-list")).status_code == 200


def test_an_admin_can_send_a_password_link_again(world, as_admin):
    response = as_admin.post(reverse("rbac:user-password-link", args=[world.sales.pk]))
    assert response["Location"] == reverse("rbac:user-list")
    assert mail.outbox[0].to == ["sales1@example.test"]
    choose_password(make_client(), link_in(mail.outbox[0]))
    assert login(make_client(), "sales1", NEW_PASSWORD).status_code == 302


def test_no_password_link_without_an_email_address(world, as_admin):
    User.objects.filter(pk=world.sales.pk).update(email="")
    response = as_admin.post(reverse("rbac:user-password-link", args=[world.sales.pk]), follow=True)
    assert mail.outbox == []
    assert "has no email address" in response.content.decode()


def test_changing_the_password_needs_the_old_one(world, as_sales):
    url = reverse("accounts:password-change")
    data = {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = as_sales.post(url, data)
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors

    response = as_sales.post(url, {**data, "old_password": PASSWORD})
    assert response["Location"] == reverse("accounts:password-change-done")
    # Still signed in after the change (the session hash is updated).
    assert as_sales.get(reverse("home")).status_code == 200
    assert login(make_client(), "sales1", NEW_PASSWORD).status_code == 302
