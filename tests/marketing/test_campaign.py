"""Campaigns: the public key, the hashed API key shown once, and the database's checks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from marketing.models import Campaign
from marketing.selectors import campaign_for_public_form
from marketing.services import campaign_api_key_matches, campaign_api_key_rotate


def test_each_campaign_gets_its_own_url_safe_public_key(world, campaign):
    other = Campaign.objects.create(
        name="秋季",
        channel=world.source,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        created_by=world.manager,
    )
    assert campaign.public_key != other.public_key
    assert len(campaign.public_key) >= 20 and campaign.public_key.replace("-", "").replace("_", "").isalnum()
    assert campaign_for_public_form(campaign.public_key) == campaign
    assert campaign_for_public_form("no-such-key") is None


def test_the_api_key_is_shown_once_and_stored_hashed(world, campaign):
    assert not campaign_api_key_matches(campaign=campaign, key="")
    key = campaign_api_key_rotate(campaign=campaign, by=world.manager)

    stored = Campaign.objects.get(pk=campaign.pk)
    assert key not in (stored.api_key_hash, stored.public_key) and len(stored.api_key_hash) == 64
    assert stored.api_key_prefix == key[:8]
    assert campaign_api_key_matches(campaign=stored, key=key)
    assert not campaign_api_key_matches(campaign=stored, key=key[:-1])
    assert not campaign_api_key_matches(campaign=stored, key="")

    new_key = campaign_api_key_rotate(campaign=stored, by=world.manager)
    assert new_key != key
    assert not campaign_api_key_matches(campaign=stored, key=key)
    assert campaign_api_key_matches(campaign=stored, key=new_key)


@pytest.mark.parametrize(
    "changes", [{"ends_on": -1}, {"budget": Decimal("-0.01")}], ids=["ends-before-start", "negative-budget"]
)
def test_the_database_refuses_an_impossible_campaign(world, campaign, changes):
    if "ends_on" in changes:
        campaign.ends_on = campaign.starts_on + timedelta(days=changes["ends_on"])
    else:
        campaign.budget = changes["budget"]
    with pytest.raises(IntegrityError), transaction.atomic():
        campaign.save()
