"""The user's own profile and notifications."""

import pytest
from django.urls import reverse

from accounts.models import Notification, User


def test_profile_edit_saves(world, as_sales):
    response = as_sales.post(
        reverse("accounts:profile"),
        {"display_name": "李销售", "email": "li@example.test", "phone": "13900000000"},
    )
    assert response["Location"] == reverse("accounts:profile")
    user = User.objects.get(pk=world.sales.pk)
    assert (user.display_name, user.email, user.phone) == ("李销售", "li@example.test", "13900000000")


@pytest.mark.parametrize("email", ["sales2@example.test", "Sales2@EXAMPLE.test", "not-an-email"])
def test_profile_refuses_a_taken_or_invalid_email(world, as_sales, email):
    response = as_sales.post(reverse("accounts:profile"), {"display_name": "X", "email": email, "phone": ""})
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    user = User.objects.get(pk=world.sales.pk)
    assert (user.display_name, user.email) == ("Sales1 Tester", "sales1@example.test")


def test_profile_cannot_change_username_or_roles(world, as_sales):
    as_sales.post(
        reverse("accounts:profile"),
        {
            "display_name": "X",
            "email": "sales1@example.test",
            "phone": "",
            "username": "hijack",
            "is_superuser": "on",
            "roles": [world.roles["admin"].pk],
        },
    )
    user = User.objects.get(pk=world.sales.pk)
    assert user.username == "sales1"
    assert not user.is_superuser
    assert list(user.roles.values_list("slug", flat=True)) == ["sales"]


@pytest.fixture
def notes(world):
    def note(recipient, text, link=""):
        return Notification.objects.create(recipient=recipient, text=text, link=link)

    return {
        "local": note(world.sales, "Local link", "/setup/courses/"),
        "external": note(world.sales, "External link", "https://evil.com/phish"),
        "scheme_relative": note(world.sales, "Scheme-relative link", "//evil.com/phish"),
        "no_link": note(world.sales, "No link"),
        "someone_elses": note(world.sales2, "For sales2 only", "/"),
    }


def test_the_list_shows_only_own_notifications_and_the_unread_count(world, as_sales, notes):
    response = as_sales.get(reverse("accounts:notification-list"))
    texts = [notification.text for notification in response.context["page_obj"]]
    assert sorted(texts) == sorted(["Local link", "External link", "Scheme-relative link", "No link"])
    assert "For sales2 only" not in response.content.decode()
    assert 'data-testid="unread-count">4<' in response.content.decode()


def test_opening_a_notification_marks_it_read_and_follows_its_local_link(world, as_sales, notes):
    response = as_sales.post(reverse("accounts:notification-open", args=[notes["local"].pk]))
    assert response.status_code == 302
    assert response["Location"] == "/setup/courses/"
    notes["local"].refresh_from_db()
    assert notes["local"].read_at is not None


@pytest.mark.parametrize("key", ["external", "scheme_relative", "no_link"])
def test_an_external_or_missing_link_is_not_followed(world, as_sales, notes, key):
    response = as_sales.post(reverse("accounts:notification-open", args=[notes[key].pk]))
    assert response["Location"] == reverse("accounts:notification-list")
    notes[key].refresh_from_db()
    assert notes[key].read_at is not None


def test_mark_all_read_touches_only_own_notifications(world, as_sales, notes):
    response = as_sales.post(reverse("accounts:notification-read-all"), follow=True)
    assert "Marked 4 notifications as read." in response.content.decode()
    assert not Notification.objects.filter(recipient=world.sales, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=notes["someone_elses"].pk).read_at is None
    assert 'data-testid="unread-count"' not in response.content.decode()


def test_another_users_notification_is_a_404_and_stays_unread(world, as_sales, notes):
    response = as_sales.post(reverse("accounts:notification-open", args=[notes["someone_elses"].pk]))
    assert response.status_code == 404
    assert Notification.objects.get(pk=notes["someone_elses"].pk).read_at is None


@pytest.mark.parametrize("url_name", ["accounts:notification-open", "accounts:notification-read-all"])
def test_notification_actions_are_post_only(world, as_sales, notes, url_name):
    kwargs = {"pk": notes["local"].pk} if url_name.endswith("open") else {}
    assert as_sales.get(reverse(url_name, kwargs=kwargs)).status_code == 405
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_notifications_are_paged(world, as_sales):
    Notification.objects.bulk_create(Notification(recipient=world.sales, text=f"n{i}") for i in range(45))
    first = as_sales.get(reverse("accounts:notification-list"))
    assert len(first.context["page_obj"]) == 20
    last = as_sales.get(reverse("accounts:notification-list") + "?page=3")
    assert len(last.context["page_obj"]) == 5
    assert as_sales.get(reverse("accounts:notification-list") + "?page=abc").status_code == 200
