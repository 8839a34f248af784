"""The public side: the embeddable form page (frameable, this page alone), its thank-you state,
closed and unknown campaigns, the rate limit; the website's API (every answer); unsubscribing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from crm.models import Customer, FollowUp
from marketing.models import CampaignLead, Unsubscribe
from marketing.services import campaign_api_key_rotate, unsubscribe_token
from tests.conftest import make_client
from tests.marketing.conftest import lead_data

pytestmark = pytest.mark.usefixtures("english")


def form_url(campaign) -> str:
    return reverse("marketing:lead-form", args=[campaign.public_key])


def api_url(campaign) -> str:
    return reverse("marketing:lead-api", args=[campaign.public_key])


# --- The form page ---------------------------------------------------------------------------
def test_the_form_page_alone_may_be_framed(world, campaign):
    response = Client().get(form_url(campaign))
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "'none'" not in policy.split("frame-ancestors")[1].split(";")[0]
    other = make_client(world.manager).get(reverse("marketing:campaign-list"))
    assert other["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in other["Content-Security-Policy"]


@override_settings(MARKETING_FORM_FRAME_ANCESTORS="https://www.school.example https://m.school.example")
def test_the_frame_ancestors_come_from_the_setting(world, campaign):
    response = Client().get(form_url(campaign))
    assert (
        "frame-ancestors https://www.school.example https://m.school.example"
        in response["Content-Security-Policy"]
    )


def test_the_form_page_is_chinese_by_default(world, campaign):
    page = Client().get(form_url(campaign)).content.decode()
    assert 'lang="zh-hans"' in page and campaign.name in page and "提交" in page


def test_a_submission_creates_the_lead_and_shows_thanks(world, campaign):
    client = Client(enforce_csrf_checks=True)  # embedded in another site: no CSRF cookie there
    response = client.post(form_url(campaign), lead_data(course=world.python.pk))
    assert response.status_code == 302
    assert response["Location"] == f"{form_url(campaign)}?sent=1"
    customer = Customer.objects.get(phone="+8613900139000")
    assert customer.source == world.source
    assert CampaignLead.objects.get().customer == customer
    thanks = client.get(response["Location"])
    assert b'data-testid="thank-you"' in thanks.content
    assert b'data-testid="lead-form"' not in thanks.content


def test_an_existing_customer_gets_a_note_not_a_copy(world, campaign):
    world.sales_lead.refresh_from_db()
    response = Client().post(form_url(campaign), lead_data(phone=world.sales_lead.phone, name="某某"))
    assert response.status_code == 302
    assert Customer.objects.filter(phone=world.sales_lead.phone).count() == 1
    assert FollowUp.objects.filter(customer=world.sales_lead).exists()
    assert CampaignLead.objects.get().is_duplicate


def test_a_bad_submission_shows_the_errors_and_writes_nothing(world, campaign):
    customers = Customer.objects.count()
    response = Client().post(form_url(campaign), lead_data(phone="12345", name=""))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"phone", "name"}
    assert Customer.objects.count() == customers and not CampaignLead.objects.exists()


def test_the_honeypot_thanks_the_bot_and_writes_nothing(world, campaign):
    customers = Customer.objects.count()
    response = Client().post(form_url(campaign), lead_data(website="http://spam.example"))
    assert response.status_code == 302
    assert Customer.objects.count() == customers and not CampaignLead.objects.exists()


@override_settings(MARKETING_WEB_LEAD_LIMIT_PER_IP=2)
def test_the_form_is_rate_limited(world, campaign):
    client = make_client()
    for number in range(2):
        assert client.post(form_url(campaign), lead_data(phone=f"1390013900{number}")).status_code == 302
    response = client.post(form_url(campaign), lead_data(phone="13900139009"))
    assert response.status_code == 429
    assert "Too many submissions" in response.content.decode()
    assert CampaignLead.objects.count() == 2


@override_settings(CLIENT_IP_PROXY_COUNT=1, MARKETING_WEB_LEAD_LIMIT_PER_IP=2)
def test_behind_a_proxy_the_form_limits_each_visitor_not_the_proxy(world, campaign):
    """Everyone arrives from the proxy's address; the limit counts the visitor's (common.http)."""
    url = reverse("marketing:lead-form", args=[campaign.public_key])

    def submit(forwarded: str, number: int) -> int:
        data = lead_data(phone=f"1390013900{number}")
        return (
            make_client().post(url, data, HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.1").status_code
        )

    assert [submit(f"203.0.113.{number}", number) for number in range(4)] == [302] * 4
    assert [submit("198.51.100.66", number) for number in range(4, 7)] == [302, 302, 429]
    assert CampaignLead.objects.count() == 6


def test_an_unknown_campaign_is_not_found(world):
    response = Client().get(reverse("marketing:lead-form", args=["no-such-key"]))
    assert response.status_code == 404
    assert b'data-testid="lead-closed"' in response.content


@pytest.mark.parametrize("change", ["inactive", "ended", "not started"])
def test_a_closed_campaign_shows_a_clear_page_and_takes_nothing(world, campaign, change):
    today = timezone.localdate()
    if change == "inactive":
        campaign.is_active = False
    elif change == "ended":
        campaign.starts_on, campaign.ends_on = today - timedelta(days=9), today - timedelta(days=1)
    else:
        campaign.starts_on, campaign.ends_on = today + timedelta(days=1), today + timedelta(days=9)
    campaign.save()
    for response in (Client().get(form_url(campaign)), Client().post(form_url(campaign), lead_data())):
        assert response.status_code == 200
        assert b'data-testid="lead-closed"' in response.content
    assert not CampaignLead.objects.exists()


# --- The API ---------------------------------------------------------------------------------
@pytest.fixture
def key(campaign, world) -> str:
    return campaign_api_key_rotate(campaign=campaign, by=world.manager)


def test_the_api_creates_a_lead_from_json(world, campaign, key):
    response = Client(enforce_csrf_checks=True).post(
        api_url(campaign),
        json.dumps(lead_data(course=world.python.pk)),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 201
    assert response.json() == {"status": "created"}
    assert CampaignLead.objects.get().customer.phone == "+8613900139000"


def test_the_api_takes_form_fields_and_the_x_api_key_header(world, campaign, key):
    response = Client().post(api_url(campaign), lead_data(), HTTP_X_API_KEY=key)
    assert response.status_code == 201


def test_the_api_notes_an_existing_customer(world, campaign, key):
    response = Client().post(
        api_url(campaign), lead_data(phone=world.sales_lead.phone), HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert (response.status_code, response.json()) == (201, {"status": "noted"})


def test_the_api_answers_400_with_the_field_errors(world, campaign, key):
    response = Client().post(
        api_url(campaign),
        json.dumps({"name": "", "phone": "123"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"name", "phone"}
    assert not CampaignLead.objects.exists()


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"text"', "\xff"])
def test_the_api_answers_400_to_a_body_that_is_not_an_object(world, campaign, key, body):
    response = Client().post(
        api_url(campaign), body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 400


@pytest.mark.parametrize("header", [{}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_X_API_KEY": ""}])
def test_the_api_answers_401_to_a_missing_or_wrong_key(world, campaign, key, header):
    response = Client().post(api_url(campaign), lead_data(), **header)
    assert response.status_code == 401
    assert not CampaignLead.objects.exists()


def test_a_campaign_without_a_key_refuses_every_call(world, campaign):
    assert Client().post(api_url(campaign), lead_data(), HTTP_AUTHORIZATION="Bearer ").status_code == 401


@override_settings(MARKETING_WEB_LEAD_LIMIT_PER_IP=1, MARKETING_WEB_LEAD_WINDOW_SECONDS=600)
def test_the_api_answers_429_with_retry_after(world, campaign, key):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert Client().post(api_url(campaign), lead_data(), **auth).status_code == 201
    response = Client().post(api_url(campaign), lead_data(phone="13900139001"), **auth)
    assert response.status_code == 429
    assert response["Retry-After"] == "600"


def test_the_api_answers_405_to_a_get_and_404_to_an_unknown_campaign(world, campaign, key):
    response = Client().get(api_url(campaign))
    assert response.status_code == 405 and response["Allow"] == "POST"
    unknown = Client().post(reverse("marketing:lead-api", args=["nope"]), HTTP_AUTHORIZATION=f"Bearer {key}")
    assert unknown.status_code == 404


def test_the_api_answers_409_when_the_campaign_is_closed(world, campaign, key):
    campaign.is_active = False
    campaign.save()
    response = Client().post(api_url(campaign), lead_data(), HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 409


# --- Unsubscribing ---------------------------------------------------------------------------
def test_unsubscribing_asks_first_then_records_the_address(world):
    url = reverse("marketing:unsubscribe", args=[unsubscribe_token(email="Reader@Example.test")])
    client = Client(enforce_csrf_checks=True)  # RFC 8058: the mail client's POST has no token
    page = client.get(url)
    assert b'data-testid="confirm"' in page.content and not Unsubscribe.objects.exists()
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 302
    assert Unsubscribe.objects.get().email == "reader@example.test"
    done = client.get(url)
    assert b'data-testid="done"' in done.content
    assert client.post(url).status_code == 302  # twice is fine
    assert Unsubscribe.objects.count() == 1


@pytest.mark.parametrize("token", ["nonsense", "eyJhIjoxfQ:1abc:def", "a" * 500])
def test_a_bad_unsubscribe_token_gets_a_clear_page(world, token):
    for response in (
        Client().get(reverse("marketing:unsubscribe", args=[token])),
        Client().post(reverse("marketing:unsubscribe", args=[token])),
    ):
        assert response.status_code == 400
        assert b'data-testid="refusal"' in response.content
    assert not Unsubscribe.objects.exists()


def test_the_unsubscribe_path_is_the_one_the_worker_builds(world):
    from marketing.services import UNSUBSCRIBE_PATH

    assert reverse("marketing:unsubscribe", args=["TOKEN"]) == UNSUBSCRIBE_PATH.format(token="TOKEN")
