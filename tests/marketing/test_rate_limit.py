"""The web form's rate limit: per IP address (across campaigns, IPv6 by /64), per campaign,
fixed windows that expire, counted in the database so every process shares the count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache

from marketing.models import Campaign, RateLimitCounter
from marketing.services import web_lead_rate_limited

START = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def limits(settings):
    settings.MARKETING_WEB_LEAD_LIMIT_PER_IP = 3
    settings.MARKETING_WEB_LEAD_LIMIT_PER_CAMPAIGN = 5
    settings.MARKETING_WEB_LEAD_WINDOW_SECONDS = 600


def hits(campaign, ip, count, now=START) -> list[bool]:
    return [web_lead_rate_limited(campaign=campaign, ip=ip, now=now) for _ in range(count)]


def test_one_ip_is_limited_and_others_are_not(campaign):
    assert hits(campaign, "198.51.100.1", 4) == [False, False, False, True]
    assert hits(campaign, "198.51.100.2", 1) == [False]


def test_the_ip_limit_holds_across_campaigns(world, campaign):
    other = Campaign.objects.create(
        name="秋季",
        channel=world.source,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        created_by=world.manager,
    )
    assert hits(campaign, "198.51.100.1", 2) + hits(other, "198.51.100.1", 2) == [False, False, False, True]


def test_a_campaign_is_limited_whatever_the_ip(world, campaign):
    allowed = [web_lead_rate_limited(campaign=campaign, ip=f"198.51.100.{n}", now=START) for n in range(1, 7)]
    assert allowed == [False] * 5 + [True]
    other = Campaign.objects.create(
        name="秋季",
        channel=world.source,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        created_by=world.manager,
    )
    assert hits(other, "198.51.100.99", 1) == [False]


def test_a_blocked_ip_does_not_use_up_the_campaigns_allowance(campaign):
    hits(campaign, "198.51.100.1", 20)
    assert RateLimitCounter.objects.get(key=f"campaign:{campaign.pk}").hits == 3
    assert [web_lead_rate_limited(campaign=campaign, ip=f"192.0.2.{n}", now=START) for n in (1, 2)] == [
        False,
        False,
    ]


def test_ipv6_addresses_of_one_subscriber_share_a_limit(campaign):
    addresses = ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::9", "2001:db8:1:2::4"]
    assert [web_lead_rate_limited(campaign=campaign, ip=ip, now=START) for ip in addresses] == [False] * 3 + [
        True
    ]
    assert hits(campaign, "2001:db8:1:3::1", 1) == [False]


def test_the_window_expires(campaign):
    with time_machine.travel(START, tick=False):
        assert hits(campaign, "198.51.100.1", 4, now=None) == [False, False, False, True]
    with time_machine.travel(START + timedelta(seconds=599), tick=False):
        assert hits(campaign, "198.51.100.1", 1, now=None) == [True]
    with time_machine.travel(START + timedelta(seconds=600), tick=False):
        assert hits(campaign, "198.51.100.1", 1, now=None) == [False]
        # The expired windows' rows are gone: the table does not grow with every visitor.
        assert not RateLimitCounter.objects.filter(window_start__lt=START + timedelta(seconds=600)).exists()


def test_the_count_lives_in_the_database_not_in_the_process_cache(campaign):
    """Another gunicorn worker has its own local-memory cache: clearing ours changes nothing."""
    hits(campaign, "198.51.100.1", 3)
    cache.clear()
    assert hits(campaign, "198.51.100.1", 1) == [True]
