"""History rows for the customers' bulk writes: every ownership change and follow-up that goes
through `QuerySet.update()` writes exactly one history row per changed customer, with who acted,
when, and the values after the change; and the customer's timeline shows a claim once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.forms import FollowUpForm
from crm.models import AllocationWeight, Customer, OwnershipEvent
from crm.selectors import customer_timeline, customers_in_pool
from tests.conftest import make_client
from tests.crm.conftest import pool_customers, pool_policy

pytestmark = pytest.mark.usefixtures("english")


def history_of(customer):
    """The customer's history rows, oldest first."""
    return list(Customer.history.filter(id=customer.pk).order_by("history_date", "history_id"))


def new_history(customer, before: int):
    return history_of(customer)[before:]


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def test_a_claim_writes_one_history_row_with_the_claimer_and_the_new_owner(world, clock):
    before = len(history_of(world.pool_lead))
    services.customer_claim(customer=world.pool_lead, by=world.sales)

    [row] = new_history(world.pool_lead, before)
    assert (row.history_type, row.history_user_id, row.history_date) == ("~", world.sales.pk, timezone.now())
    assert (row.consultant_id, row.claimed_at) == (world.sales.pk, timezone.now())
    assert row.name == world.pool_lead.name


def test_a_refused_claim_writes_no_history(world):
    services.customer_claim(customer=world.pool_lead, by=world.sales)
    before = len(history_of(world.pool_lead))
    with pytest.raises(services.CustomerRefused):
        services.customer_claim(customer=world.pool_lead, by=world.sales2)
    assert new_history(world.pool_lead, before) == []


def test_a_release_writes_one_row_with_the_reason(world, clock):
    before = len(history_of(world.sales_lead))
    services.customer_release(customer=world.sales_lead, by=world.sales, reason="不感兴趣")

    [row] = new_history(world.sales_lead, before)
    assert (row.history_type, row.history_user_id, row.history_date) == ("~", world.sales.pk, timezone.now())
    assert (row.consultant_id, row.claimed_at, row.history_change_reason) == (None, None, "不感兴趣")


def test_a_transfer_writes_one_row_by_the_manager(world, clock):
    before = len(history_of(world.sales_lead))
    services.customer_transfer(customer=world.sales_lead, to=world.sales2, by=world.manager, reason="调岗")

    [row] = new_history(world.sales_lead, before)
    assert (row.history_user_id, row.consultant_id, row.history_date) == (
        world.manager.pk,
        world.sales2.pk,
        timezone.now(),
    )


def test_a_batch_claim_writes_one_row_per_claimed_customer(world, clock):
    customers = pool_customers(world, 3)
    before = {c.pk: len(history_of(c)) for c in customers}
    result = services.customers_batch(
        services.customer_claim, customers_in_pool(), [c.pk for c in customers], by=world.sales
    )
    assert len(result.done) == 3
    for customer in customers:
        [row] = new_history(customer, before[customer.pk])
        assert (row.history_user_id, row.consultant_id) == (world.sales.pk, world.sales.pk)


def test_a_follow_up_writes_one_row_with_the_new_dates(world, clock):
    before = len(history_of(world.sales_lead))
    next_at = (timezone.localtime() + timedelta(days=2)).replace(second=0, microsecond=0)
    form = FollowUpForm(
        {"channel": world.channel.pk, "content": "电话沟通", "next_at": next_at.strftime("%Y-%m-%dT%H:%M")}
    )
    assert form.is_valid(), form.errors
    services.follow_up_add(customer=world.sales_lead, by=world.sales, form=form)

    [row] = new_history(world.sales_lead, before)
    assert (row.history_user_id, row.history_date) == (world.sales.pk, timezone.now())
    assert (row.last_follow_up_at, row.next_follow_up_at) == (timezone.now(), next_at)


def test_the_sweep_writes_one_row_per_returned_customer_without_a_user(world, clock):
    pool_policy(days_without_follow_up=3, days_without_signing=15, warning_days=0)
    Customer.objects.filter(pk__in=[world.sales_lead.pk, world.sales2_lead.pk]).update(
        claimed_at=timezone.now()
    )
    before = {c.pk: len(history_of(c)) for c in (world.sales_lead, world.sales2_lead)}
    clock.shift(timedelta(days=3, minutes=1))

    assert services.pool_sweep().returned == 2

    for customer in (world.sales_lead, world.sales2_lead):
        [row] = new_history(customer, before[customer.pk])
        assert (row.history_user_id, row.consultant_id, row.history_date) == (None, None, timezone.now())
        assert row.history_change_reason == OwnershipEvent.objects.get(customer=customer).reason
    # A second run at the same moment changes nothing, so it writes nothing either.
    services.pool_sweep()
    assert all(len(history_of(c)) == before[c.pk] + 1 for c in (world.sales_lead, world.sales2_lead))


def test_the_warning_and_the_reminder_write_no_history(world, clock):
    """Their columns are housekeeping, excluded from the history."""
    pool_policy(days_without_follow_up=3, days_without_signing=15, warning_days=1)
    Customer.objects.filter(pk=world.sales_lead.pk).update(
        claimed_at=timezone.now(), next_follow_up_at=timezone.now()
    )
    before = len(history_of(world.sales_lead))
    clock.shift(timedelta(days=2, minutes=1))
    assert services.pool_sweep().warned == 2
    assert services.follow_up_reminders() == 1
    assert new_history(world.sales_lead, before) == []


def test_allocation_writes_one_row_per_allocated_customer(world, clock):
    customers = pool_customers(world, 4)
    AllocationWeight.objects.create(consultant=world.sales, weight=1)
    AllocationWeight.objects.create(consultant=world.sales2, weight=1)
    before = {c.pk: len(history_of(c)) for c in customers}

    allocated = services.customers_allocate(customer_ids=[c.pk for c in customers], by=world.manager)

    assert len(allocated) == 4
    for customer in customers:
        [row] = new_history(customer, before[customer.pk])
        assert (row.history_user_id, row.consultant_id, row.history_date) == (
            world.manager.pk,
            allocated[customer.pk],
            timezone.now(),
        )


def test_the_timeline_shows_a_claim_once_as_an_ownership_event(world):
    """The claim's history row changes only the owner, which the ownership event shows: it makes
    no "change" entry of its own (an edit before it gives the history a row to compare with)."""
    customer = world.pool_lead
    customer.school = "北京大学"
    customer._history_user = world.manager
    customer.save()
    services.customer_claim(customer=customer, by=world.sales)

    items = customer_timeline(Customer.objects.get(pk=customer.pk), full_contacts=True)

    assert [item.kind for item in items] == ["ownership"]
    assert items[0].record.kind == OwnershipEvent.Kind.CLAIM
    page = make_client(world.sales).get(reverse("crm:customer-detail", args=[customer.pk])).content.decode()
    assert page.count('data-kind="ownership"') == 1
    assert 'data-kind="change"' not in page


def test_the_timeline_still_shows_an_edit_next_to_ownership_history(world):
    """Ownership rows in the history do not hide a real change made between them."""
    services.customer_claim(customer=world.pool_lead, by=world.sales)
    customer = Customer.objects.get(pk=world.pool_lead.pk)
    customer.school = "北京大学"
    customer._history_user = world.sales
    customer.save()
    services.customer_release(customer=customer, by=world.sales)

    items = customer_timeline(Customer.objects.get(pk=customer.pk), full_contacts=True)

    changes = [item for item in items if item.kind == "change"]
    assert len(changes) == 1
    assert [(str(label), new) for label, _old, new in changes[0].changes] == [("school", "北京大学")]
    assert [item.record.kind for item in items if item.kind == "ownership"] == [
        OwnershipEvent.Kind.RELEASE,
        OwnershipEvent.Kind.CLAIM,
    ]
