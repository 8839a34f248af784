"""Fixtures of the marketing tests, on top of tests/conftest.py's world: a running campaign
aimed at the Python course, web-form posts, and crm's English and shared-database fixtures."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketing.forms import WebLeadForm
from marketing.models import Campaign
from marketing.services import web_lead_submit
from tests.crm.conftest import english, shared_db  # noqa: F401 (fixtures used by these tests)

IP = "203.0.113.5"


@pytest.fixture
def campaign(world) -> Campaign:
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        name="春季招生",
        channel=world.source,
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=10),
        budget=Decimal("1000"),
        created_by=world.manager,
    )
    campaign.target_courses.add(world.python)
    return campaign


def lead_data(**changes) -> dict:
    """A valid web-form post; `None` values are left out."""
    data = {
        "name": "网友甲",
        "phone": "139 0013 9000",
        "qq": "",
        "wechat": "",
        "email": "",
        "course": "",
        "message": "想了解一下",
        "website": "",
        **changes,
    }
    return {key: value for key, value in data.items() if value is not None}


def valid_form(campaign: Campaign, **changes) -> WebLeadForm:
    form = WebLeadForm(lead_data(**changes), campaign=campaign)
    assert form.is_valid(), form.errors
    return form


def submit(campaign: Campaign, *, ip: str = IP, now=None, **changes):
    return web_lead_submit(campaign=campaign, form=valid_form(campaign, **changes), ip=ip, now=now)
