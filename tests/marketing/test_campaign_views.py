"""The campaign pages: create and edit, the detail (figures, leads, snippet, API key shown once)
and the report's period and totals."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Customer
from marketing import views
from marketing.models import Campaign, CampaignLead
from marketing.services import campaign_api_key_matches
from tests.conftest import assert_form_refused, make_client
from tests.marketing.test_report import data_set  # noqa: F401 (the report's hand-built data set)

pytestmark = pytest.mark.usefixtures("english")


def campaign_post(world, **changes) -> dict:
    return {
        "name": "暑期班推广",
        "channel": world.source.pk,
        "starts_on": "2026-07-01",
        "ends_on": "2026-08-31",
        "budget": "5000",
        "target_courses": [world.python.pk],
        "is_active": "on",
        **changes,
    }


def test_a_manager_creates_a_campaign(world):
    response = make_client(world.manager).post(reverse("marketing:campaign-create"), campaign_post(world))
    campaign = Campaign.objects.get()
    assert response["Location"] == reverse("marketing:campaign-detail", args=[campaign.pk])
    assert (campaign.created_by, campaign.budget) == (world.manager, Decimal("5000"))
    assert list(campaign.target_courses.all()) == [world.python]
    assert campaign.public_key and not campaign.api_key_hash


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_on": "2026-06-30"}, "ends_on"),
        ({"budget": "-1"}, "budget"),
        ({"channel": "999999"}, "channel"),
        ({"name": ""}, "name"),
        ({"starts_on": "2026-02-30"}, "starts_on"),
    ],
)
def test_a_bad_campaign_is_refused_and_nothing_written(world, changes, field):
    response = make_client(world.manager).post(
        reverse("marketing:campaign-create"), campaign_post(world, **changes)
    )
    assert_form_refused(response, field)
    assert not Campaign.objects.exists()


def test_the_channel_must_be_a_customer_source(world):
    response = make_client(world.manager).post(
        reverse("marketing:campaign-create"), campaign_post(world, channel=world.education.pk)
    )
    assert_form_refused(response, "channel")


def test_editing_keeps_the_creator_and_the_keys(world, campaign):
    key = campaign.public_key
    response = make_client(world.admin).post(
        reverse("marketing:campaign-update", args=[campaign.pk]), campaign_post(world, name="改名")
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.created_by, campaign.public_key) == ("改名", world.manager, key)


def test_the_detail_shows_figures_snippet_and_leads_naming_only_customers_in_scope(world, campaign):
    outside = Customer.objects.create(
        name="隔壁客户", source=world.source, consulted_on=timezone.localdate(), consultant=world.admin
    )
    CampaignLead.objects.create(
        campaign=campaign, customer=world.sales_lead, is_duplicate=True, message="再问问"
    )
    CampaignLead.objects.create(campaign=campaign, customer=outside, message="别人的留言")
    response = make_client(world.manager).get(reverse("marketing:campaign-detail", args=[campaign.pk]))
    page = response.content.decode()
    assert response.context["row"].duplicates == 1
    assert f"&lt;iframe src=&quot;http://testserver/lead/{campaign.public_key}/&quot;" in page
    assert f"/api/leads/{campaign.public_key}/" in page
    assert world.sales_lead.name in page and "再问问" in page
    assert reverse("crm:customer-detail", args=[world.sales_lead.pk]) in page
    assert "隔壁客户" not in page and "别人的留言" not in page
    assert "Outside your data scope" in page
    # The whole-school scope sees them all (admins hold no customer pages: no link).
    page = (
        make_client(world.admin)
        .get(reverse("marketing:campaign-detail", args=[campaign.pk]))
        .content.decode()
    )
    assert "隔壁客户" in page
    assert reverse("crm:customer-detail", args=[outside.pk]) not in page


def test_a_new_api_key_is_shown_once_and_only_its_digest_is_stored(world, campaign):
    client = make_client(world.manager)
    response = client.post(reverse("marketing:campaign-api-key", args=[campaign.pk]), follow=True)
    key = response.context["new_key"]
    assert key and key in response.content.decode()
    campaign.refresh_from_db()
    assert key not in (campaign.api_key_hash, campaign.api_key_prefix)
    assert campaign_api_key_matches(campaign=campaign, key=key)
    again = client.get(reverse("marketing:campaign-detail", args=[campaign.pk]))
    assert again.context["new_key"] is None and key not in again.content.decode()
    # Nothing server-side holds it: not the session, not the campaign.
    assert key not in str(dict(client.session))
    assert campaign.api_key_prefix in again.content.decode()
    # A second key replaces the first.
    client.post(reverse("marketing:campaign-api-key", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert not campaign_api_key_matches(campaign=campaign, key=key)


def test_a_forged_or_stale_key_cookie_is_not_shown(world, campaign):
    client = make_client(world.manager)
    client.post(reverse("marketing:campaign-api-key", args=[campaign.pk]))
    client.post(
        reverse("marketing:campaign-api-key", args=[campaign.pk])
    )  # replaced: the cookie's is current
    response = client.get(reverse("marketing:campaign-detail", args=[campaign.pk]))
    assert response.context["new_key"] is not None
    client.cookies[views.NEW_KEY_COOKIE] = "ecm_made-up"
    response = client.get(reverse("marketing:campaign-detail", args=[campaign.pk]))
    assert response.context["new_key"] is None


def test_the_api_key_is_rotated_by_post_only(world, campaign):
    response = make_client(world.manager).get(reverse("marketing:campaign-api-key", args=[campaign.pk]))
    assert response.status_code == 405
    campaign.refresh_from_db()
    assert not campaign.api_key_hash


def test_the_report_shows_each_campaign_and_the_totals(world, data_set):  # noqa: F811
    spring, summer, autumn = data_set
    response = make_client(world.manager).get(
        reverse("marketing:campaign-report"), {"starts_on": "2026-01-01", "ends_on": "2026-12-31"}
    )
    assert [row.campaign for row in response.context["rows"]] == [autumn, summer, spring]
    totals = response.context["totals"]
    assert totals == {
        "budget": Decimal("1300"),
        "leads": 11,
        "duplicates": 2,
        "signed": 1,
        "revenue": Decimal("7500.00"),
        "cost_per_lead": Decimal("118.18"),  # 1300 / 11
        "cost_per_signing": Decimal("1300.00"),
        "return_on_spend": Decimal("4.7692"),  # (7500 - 1300) / 1300
    }
    page = response.content.decode()
    assert "¥7,500.00" in page and "+476.9%" in page and "¥118.18" in page


def test_the_report_period_narrows_the_campaigns(world, data_set):  # noqa: F811
    spring, _summer, _autumn = data_set
    response = make_client(world.admin).get(
        reverse("marketing:campaign-report"), {"starts_on": "2026-03-15", "ends_on": "2026-04-30"}
    )
    assert [row.campaign for row in response.context["rows"]] == [spring]


def test_the_report_defaults_to_this_year(world):
    today = timezone.localdate()
    Campaign.objects.create(
        name="今年", channel=world.source, starts_on=today, ends_on=today, created_by=world.manager
    )
    Campaign.objects.create(
        name="去年",
        channel=world.source,
        starts_on=date(today.year - 1, 1, 1),
        ends_on=date(today.year - 1, 1, 2),
        created_by=world.manager,
    )
    response = make_client(world.manager).get(reverse("marketing:campaign-report"))
    assert [row.campaign.name for row in response.context["rows"]] == ["今年"]


@pytest.mark.parametrize(
    "query",
    [
        {"starts_on": "2026-13-01", "ends_on": "2026-12-31"},
        {"starts_on": "2026-12-31", "ends_on": "2026-01-01"},
        {"starts_on": "0001-01-01", "ends_on": "9999-12-31"},
        {"starts_on": ""},
    ],
)
def test_a_bad_period_is_a_message_not_a_500(world, query):
    response = make_client(world.manager).get(reverse("marketing:campaign-report"), query)
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "correct the period" in response.content.decode()


def test_the_list_shows_each_campaigns_state(world, campaign):
    today = timezone.localdate()
    Campaign.objects.create(
        name="已结束",
        channel=world.source,
        starts_on=today - timedelta(days=9),
        ends_on=today - timedelta(days=1),
        created_by=world.manager,
    )
    page = make_client(world.manager).get(reverse("marketing:campaign-list")).content.decode()
    assert "Running" in page and "Ended" in page
