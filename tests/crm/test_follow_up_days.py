"""The per-day follow-up counts the monthly report adds up (DESIGN.md section 8): kept by the
follow-up service, by the school's calendar day, never losing a count; filled from the existing
follow-ups by the migration that made them; added to in bulk by the demo generator."""

from __future__ import annotations

import datetime
import importlib
from zoneinfo import ZoneInfo

import time_machine
from django.apps import apps
from django.urls import reverse

from crm.demo import generate_customers
from crm.models import FollowUp, FollowUpDay
from crm.services import follow_up_day_count, follow_up_days_add

SHANGHAI = ZoneInfo("Asia/Shanghai")


def days_of(user) -> dict[datetime.date, int]:
    return dict(FollowUpDay.objects.filter(consultant=user).values_list("day", "count"))


def test_each_follow_up_counts_on_its_day(world, as_sales):
    url = reverse("crm:followup-create", args=[world.sales_lead.pk])
    # 23:50 in Shanghai is 15:50 UTC: the follow-up belongs to the school's day, not UTC's.
    with time_machine.travel(datetime.datetime(2026, 11, 30, 23, 50, tzinfo=SHANGHAI), tick=False):
        for content in ("电话", "微信"):
            response = as_sales.post(url, {"channel": world.channel.pk, "content": content})
            assert response.status_code == 302
    with time_machine.travel(datetime.datetime(2026, 12, 1, 0, 10, tzinfo=SHANGHAI), tick=False):
        as_sales.post(url, {"channel": world.channel.pk, "content": "短信"})
    assert days_of(world.sales) == {datetime.date(2026, 11, 30): 2, datetime.date(2026, 12, 1): 1}
    assert FollowUp.objects.filter(consultant=world.sales).count() == 3


def test_a_refused_follow_up_is_not_counted(world, as_sales):
    as_sales.post(reverse("crm:followup-create", args=[world.sales_lead.pk]), {"content": "无渠道"})
    as_sales.post(reverse("crm:followup-create", args=[world.pool_lead.pk]), {"channel": world.channel.pk})
    assert not FollowUpDay.objects.exists()


def test_counting_adds_to_the_days_row_in_the_database(world):
    """The increment is an UPDATE of count + 1, so a count read before another request's write
    is never written back over it."""
    at = datetime.datetime(2026, 11, 2, 9, tzinfo=SHANGHAI)
    follow_up_day_count(consultant_id=world.sales.pk, at=at)
    stale = FollowUpDay.objects.get(consultant=world.sales)
    follow_up_day_count(consultant_id=world.sales.pk, at=at)
    stale.refresh_from_db()
    assert stale.count == 2
    assert FollowUpDay.objects.count() == 1


def test_bulk_counts_add_to_what_is_there(world):
    day = datetime.date(2026, 11, 2)
    follow_up_day_count(consultant_id=world.sales.pk, at=datetime.datetime(2026, 11, 2, 9, tzinfo=SHANGHAI))
    follow_up_days_add({(world.sales.pk, day): 5, (world.sales2.pk, day): 3})
    follow_up_days_add({(world.sales.pk, day): 1})
    follow_up_days_add({})
    assert days_of(world.sales) == {day: 7}
    assert days_of(world.sales2) == {day: 3}


def test_the_migration_counts_the_follow_ups_already_logged(world):
    for hour in (9, 23):  # 23:00 on the 1st in UTC is the 2nd in Shanghai
        FollowUp.objects.create(
            customer=world.sales_lead,
            consultant=world.sales,
            channel=world.channel,
            content="跟进",
            at=datetime.datetime(2026, 11, 1, hour, tzinfo=datetime.UTC),
        )
    FollowUpDay.objects.all().delete()
    migration = importlib.import_module("crm.migrations.0006_follow_up_days")
    migration.count_existing_follow_ups(apps, None)
    assert days_of(world.sales) == {datetime.date(2026, 11, 1): 1, datetime.date(2026, 11, 2): 1}


def test_the_demo_generator_counts_its_follow_ups(world):
    generate_customers(40, consultants=[world.sales, world.sales2], start_number=500_000)
    logged = FollowUp.objects.filter(consultant__in=[world.sales, world.sales2]).count()
    assert logged > 0
    assert sum(FollowUpDay.objects.values_list("count", flat=True)) == logged
