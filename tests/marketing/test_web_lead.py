"""The public web-to-lead form: validation of every field, the honeypot, closed campaigns,
duplicates (however the phone was typed, by QQ, never a deleted customer) and auto-allocation."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import Notification
from crm.models import AllocationWeight, Customer, DictItem, FollowUp, OwnershipEvent
from marketing.forms import WebLeadForm
from marketing.models import CampaignLead
from marketing.services import MarketingRefused, web_lead_submit
from tests.marketing.conftest import IP, lead_data, submit, valid_form

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": None}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "名" * 51}, "name"),
        ({"phone": None}, "phone"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "not a phone"}, "phone"),
        ({"qq": "0123456"}, "qq"),
        ({"qq": "12a45"}, "qq"),
        ({"wechat": "w" * 51}, "wechat"),
        ({"email": "not-an-email"}, "email"),
        ({"course": "999999"}, "course"),
        ({"message": "字" * 1001}, "message"),
    ],
)
def test_the_form_refuses_each_bad_field(world, campaign, changes, field):
    form = WebLeadForm(lead_data(**changes), campaign=campaign)
    assert not form.is_valid()
    assert list(form.errors) == [field], form.errors


def test_the_form_offers_only_the_campaigns_active_target_courses(world, campaign):
    assert not WebLeadForm(lead_data(course=world.linux.pk), campaign=campaign).is_valid()
    world.python.is_active = False
    world.python.save()
    assert not WebLeadForm(lead_data(course=world.python.pk), campaign=campaign).is_valid()


def test_the_form_normalises_like_the_customer_form(world, campaign):
    form = valid_form(campaign, phone="+86-139-0013-9000", qq=" 12345 678 ", email=" Tom@Example.COM ")
    assert form.cleaned_data["phone"] == "+8613900139000"
    assert form.cleaned_data["qq"] == "12345678"
    assert form.cleaned_data["email"] == "tom@example.com"


def test_a_new_person_becomes_a_pool_customer_of_the_campaigns_channel(world, campaign):
    outcome = submit(campaign, course=world.python.pk, wechat="wx_1", email="a@example.com")

    customer = Customer.objects.get(phone="+8613900139000")
    assert outcome.created and not outcome.duplicate and outcome.customer == customer
    assert outcome.owner_id is None  # no allocation weights: it waits in the pool
    assert customer.consultant_id is None and customer.source_id == world.source.pk
    assert (customer.name, customer.wechat, customer.email, customer.note) == (
        "网友甲",
        "wx_1",
        "a@example.com",
        "想了解一下",
    )
    assert list(customer.interested_courses.all()) == [world.python]
    assert customer.name_pinyin == "wangyoujia"
    assert OwnershipEvent.objects.filter(customer=customer, kind=OwnershipEvent.Kind.CREATE).count() == 1
    lead = CampaignLead.objects.get()
    assert (lead.campaign, lead.customer, lead.is_duplicate, lead.ip) == (campaign, customer, False, IP)


def test_a_filled_honeypot_is_accepted_and_writes_nothing(world, campaign):
    counts = Customer.objects.count(), FollowUp.objects.count(), Notification.objects.count()
    outcome = submit(campaign, website="http://spam.example")
    assert outcome.customer is None and not outcome.created
    assert (Customer.objects.count(), FollowUp.objects.count(), Notification.objects.count()) == counts
    assert not CampaignLead.objects.exists()


@pytest.mark.parametrize(
    ("change", "value"),
    [("is_active", False), ("ends_on", -1), ("starts_on", 1)],
    ids=["inactive", "ended", "not-started"],
)
def test_a_closed_campaign_refuses_and_writes_nothing(world, campaign, change, value):
    today = timezone.localdate()
    if change == "is_active":
        campaign.is_active = value
    elif change == "ends_on":
        campaign.starts_on, campaign.ends_on = today - timedelta(days=20), today + timedelta(days=value)
    else:
        campaign.starts_on = campaign.ends_on = today + timedelta(days=value)
    campaign.save()
    with pytest.raises(MarketingRefused, match="not running"):
        submit(campaign)
    assert not Customer.objects.filter(phone="+8613900139000").exists()
    assert not CampaignLead.objects.exists()


def test_the_campaigns_last_day_still_accepts(world, campaign):
    campaign.ends_on = timezone.localdate()
    campaign.save()
    assert submit(campaign).created


def test_an_owned_customer_typed_differently_gets_a_note_for_the_owner(world, campaign):
    """World's sales_lead is +8613800000002, owned by sales1."""
    before = Customer.objects.get(pk=world.sales_lead.pk).last_follow_up_at
    outcome = submit(campaign, phone="138-0000-0002", message="还想报名")

    assert outcome.duplicate and not outcome.created
    assert (outcome.customer, outcome.owner_id) == (world.sales_lead, world.sales.pk)
    assert Customer.objects.filter(phone="+8613800000002").count() == 1
    note = FollowUp.objects.get(customer=world.sales_lead)
    assert note.consultant == world.sales
    assert note.channel == DictItem.objects.get(kind=DictItem.Kind.FOLLOW_UP_CHANNEL, code="web_form")
    assert campaign.name in note.content and "还想报名" in note.content
    # Nobody contacted the customer: the pool's follow-up clock is not reset by their own form.
    assert Customer.objects.get(pk=world.sales_lead.pk).last_follow_up_at == before
    notice = Notification.objects.get(recipient=world.sales)
    assert world.sales_lead.name in notice.text and notice.link.endswith(f"/{world.sales_lead.pk}/")
    lead = CampaignLead.objects.get()
    assert (lead.customer, lead.is_duplicate, lead.message) == (world.sales_lead, True, "还想报名")


def test_a_qq_match_is_a_duplicate_too(world, campaign):
    outcome = submit(campaign, phone="139 1111 2222", qq="100003")
    assert outcome.duplicate and outcome.customer == world.sales2_lead
    assert not Customer.objects.filter(phone="+8613911112222").exists()
    assert FollowUp.objects.get().consultant == world.sales2


def test_a_deleted_customer_does_not_count(world, campaign):
    outcome = submit(campaign, phone=world.deleted_lead.phone)
    assert outcome.created and outcome.customer != world.deleted_lead
    assert Customer.objects.live().filter(phone=world.deleted_lead.phone).count() == 1


def test_a_pool_customer_met_again_is_allocated_and_noted(world, campaign):
    AllocationWeight.objects.create(consultant=world.sales2, weight=1)
    outcome = submit(campaign, phone=world.pool_lead.phone)
    assert outcome.duplicate and outcome.owner_id == world.sales2.pk
    assert Customer.objects.get(pk=world.pool_lead.pk).consultant == world.sales2
    assert FollowUp.objects.get(customer=world.pool_lead).consultant == world.sales2
    assert Notification.objects.filter(recipient=world.sales2).count() == 1


def test_a_pool_customer_nobody_can_take_keeps_the_message_on_the_lead(world, campaign):
    outcome = submit(campaign, phone=world.pool_lead.phone, message="请回电")
    assert outcome.duplicate and outcome.owner_id is None
    assert Customer.objects.get(pk=world.pool_lead.pk).consultant_id is None
    assert not FollowUp.objects.exists()
    assert CampaignLead.objects.get().message == "请回电"


def test_the_same_person_twice_is_one_customer_and_two_submissions(world, campaign):
    first = submit(campaign, phone="13900139000")
    second = submit(campaign, phone="+86 139 0013 9000")
    assert first.created and second.duplicate and second.customer == first.customer
    assert list(CampaignLead.objects.order_by("id").values_list("is_duplicate", flat=True)) == [False, True]


def test_new_leads_are_allocated_by_the_weights(world, campaign):
    AllocationWeight.objects.bulk_create(
        [
            AllocationWeight(consultant=world.sales, weight=3),
            AllocationWeight(consultant=world.sales2, weight=1),
        ]
    )
    owners = Counter(submit(campaign, phone=f"139 0000 {number:04d}").owner_id for number in range(8))
    assert owners == {world.sales.pk: 6, world.sales2.pk: 2}
    assert (
        Counter(
            Customer.objects.filter(source=world.source, phone__startswith="+86139").values_list(
                "consultant_id", flat=True
            )
        )
        == owners
    )
    assert OwnershipEvent.objects.filter(kind=OwnershipEvent.Kind.ALLOCATE).count() == 8
    assert Notification.objects.filter(recipient=world.sales).count() == 6


def test_the_daily_cap_leaves_the_rest_in_the_pool(world, campaign):
    AllocationWeight.objects.create(consultant=world.sales, weight=1, daily_cap=2)
    owners = [submit(campaign, phone=f"139 0000 {number:04d}").owner_id for number in range(3)]
    assert owners == [world.sales.pk, world.sales.pk, None]


def test_a_race_lost_at_the_database_constraint_joins_the_winner(world, campaign):
    """Both checks passed before the other submission saved (simulated: the lookups see nobody);
    the unique constraint on live phones decides and this submission becomes a duplicate."""
    form = valid_form(campaign, phone=world.sales_lead.phone)
    with (
        mock.patch("marketing.services.find_duplicate", return_value=None),
        mock.patch("crm.forms.find_duplicate", return_value=None),
    ):
        outcome = web_lead_submit(campaign=campaign, form=form, ip=IP)
    assert outcome.duplicate and outcome.customer == world.sales_lead
    assert Customer.objects.filter(phone=world.sales_lead.phone).count() == 1
    assert CampaignLead.objects.get().is_duplicate
