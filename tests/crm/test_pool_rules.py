"""The pool rules, with the clock under the test's control: the nightly sweep (returns, warnings,
idempotence), follow-up reminders, the private cap, the re-claim cooldown, claim races seen from
the loser's side, and transfers by the manager."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import Notification
from crm import services
from crm.forms import FollowUpForm
from crm.models import Customer, OwnershipEvent
from tests.conftest import make_client
from tests.crm.conftest import customer_data, pool_customers, pool_policy

Kind = OwnershipEvent.Kind
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)

pytestmark = pytest.mark.usefixtures("english")


def site_text(message: str, **values) -> str:
    """A message as notifications and events store it: in the school's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message) % values


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def follow_up(world, customer, by, **data):
    form = FollowUpForm({"channel": world.channel.pk, "content": "电话沟通", **data})
    assert form.is_valid(), form.errors
    return services.follow_up_add(customer=customer, by=by, form=form)


def owner_of(customer) -> int | None:
    return Customer.objects.get(pk=customer.pk).consultant_id


def notifications(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("id"))


@pytest.fixture
def clock():
    """Frozen time from now on; `clock.shift(timedelta)` moves it."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def claimed_now(world, clock):
    """The world's owned leads, owned since this frozen moment and never followed up."""
    Customer.objects.filter(pk__in=[world.sales_lead.pk, world.sales2_lead.pk]).update(
        claimed_at=timezone.now()
    )
    return timezone.now()


# --- The sweep ----------------------------------------------------------------------------------
def test_a_customer_not_followed_up_for_n_days_returns_to_the_pool(world, clock, claimed_now):
    pool_policy(days_without_follow_up=3, days_without_signing=15, warning_days=0)
    Customer.objects.filter(pk=world.sales2_lead.pk).update(status=Customer.Status.SIGNED)

    clock.shift(3 * DAY - MINUTE)
    assert services.pool_sweep().returned == 0
    assert owner_of(world.sales_lead) == world.sales.pk

    clock.shift(2 * MINUTE)
    result = services.pool_sweep()

    assert result.returned == 1
    customer = Customer.objects.get(pk=world.sales_lead.pk)
    assert (customer.consultant_id, customer.claimed_at) == (None, None)
    event = OwnershipEvent.objects.get(customer=customer, kind=Kind.AUTO_RETURN)
    assert (event.from_user_id, event.to_user_id, event.by_id) == (world.sales.pk, None, None)
    assert event.reason == site_text("No follow-up for %(days)s days", days=3)
    assert event.at == timezone.now()
    [notice] = notifications(world.sales)
    assert world.sales_lead.name in notice.text
    assert notice.link == reverse("crm:customer-pool")
    # The signed customer, as old and as neglected, stays.
    assert owner_of(world.sales2_lead) == world.sales2.pk
    assert notifications(world.sales2) == []


def test_the_sweep_is_idempotent(world, clock, claimed_now):
    pool_policy(days_without_follow_up=3, days_without_signing=15, warning_days=1)
    clock.shift(3 * DAY + MINUTE)
    assert services.pool_sweep().returned == 2
    before = (OwnershipEvent.objects.count(), Notification.objects.count())

    again = services.pool_sweep()

    assert (again.returned, again.warned) == (0, 0)
    assert (OwnershipEvent.objects.count(), Notification.objects.count()) == before


def test_one_notification_per_owner_names_all_returned_customers(world, clock, claimed_now):
    pool_policy(days_without_follow_up=3, days_without_signing=15, warning_days=0)
    services.customer_claim(customer=world.pool_lead, by=world.sales)
    clock.shift(3 * DAY + MINUTE)

    assert services.pool_sweep().returned == 3

    [notice] = notifications(world.sales)
    assert world.sales_lead.name in notice.text and world.pool_lead.name in notice.text
    [notice2] = notifications(world.sales2)
    assert world.sales2_lead.name in notice2.text and world.sales_lead.name not in notice2.text


def test_a_followed_up_customer_stays_until_the_signing_deadline(world, clock, claimed_now):
    pool_policy(days_without_follow_up=3, days_without_signing=10, warning_days=0)
    Customer.objects.filter(pk=world.sales2_lead.pk).update(status=Customer.Status.SIGNED)
    for _day in range(4):  # followed up every other day, never signed
        clock.shift(2 * DAY)
        follow_up(world, world.sales_lead, world.sales)
        assert services.pool_sweep().returned == 0
    assert owner_of(world.sales_lead) == world.sales.pk

    clock.shift(2 * DAY + MINUTE)  # day 10 after the claim, followed up 2 days ago
    assert services.pool_sweep().returned == 1

    assert owner_of(world.sales_lead) is None
    event = OwnershipEvent.objects.get(customer=world.sales_lead, kind=Kind.AUTO_RETURN)
    assert event.reason == site_text("Not signed %(days)s days after the claim", days=10)


def test_signed_customers_never_return(world, clock, claimed_now):
    pool_policy(days_without_follow_up=1, days_without_signing=1, warning_days=0)
    Customer.objects.filter(pk__in=[world.sales_lead.pk, world.sales2_lead.pk]).update(
        status=Customer.Status.SIGNED
    )
    clock.shift(400 * DAY)
    result = services.pool_sweep()
    assert (result.returned, result.warned) == (0, 0)
    assert owner_of(world.sales_lead) == world.sales.pk
    assert owner_of(world.sales2_lead) == world.sales2.pk
    assert not OwnershipEvent.objects.filter(kind=Kind.AUTO_RETURN).exists()


def test_deleted_customers_are_not_swept(world, clock, claimed_now):
    pool_policy(days_without_follow_up=1, days_without_signing=1, warning_days=0)
    Customer.objects.filter(pk=world.deleted_lead.pk).update(claimed_at=timezone.now())
    clock.shift(10 * DAY)
    services.pool_sweep()
    assert owner_of(world.deleted_lead) == world.sales.pk
    assert not OwnershipEvent.objects.filter(customer=world.deleted_lead).exists()


def test_the_owner_is_warned_k_days_before_once(world, clock, claimed_now):
    pool_policy(days_without_follow_up=3, days_without_signing=15, warning_days=1)
    Customer.objects.filter(pk=world.sales2_lead.pk).update(status=Customer.Status.SIGNED)

    clock.shift(2 * DAY - MINUTE)  # more than a day before the return
    assert services.pool_sweep().warned == 0
    assert notifications(world.sales) == []

    clock.shift(2 * MINUTE)  # less than a day before
    result = services.pool_sweep()
    assert (result.returned, result.warned) == (0, 1)
    [warning] = notifications(world.sales)
    assert world.sales_lead.name in warning.text
    assert warning.link.startswith(reverse("crm:customer-mine"))

    clock.shift(6 * 60 * MINUTE)
    assert services.pool_sweep().warned == 0
    assert len(notifications(world.sales)) == 1
    assert notifications(world.sales2) == []  # signed: never warned


def test_a_follow_up_arms_the_warning_again(world, clock, claimed_now):
    pool_policy(days_without_follow_up=3, days_without_signing=30, warning_days=1)
    clock.shift(2 * DAY + MINUTE)
    services.pool_sweep()
    follow_up(world, world.sales_lead, world.sales)

    clock.shift(DAY)  # a day after the follow-up: two days before its deadline
    assert services.pool_sweep().warned == 0
    clock.shift(DAY + MINUTE)  # less than a day before the new deadline
    assert services.pool_sweep().warned == 1
    assert len(notifications(world.sales)) == 2


def test_the_sweep_works_through_more_than_one_batch(world, clock, monkeypatch):
    monkeypatch.setattr(services, "SWEEP_BATCH", 7)
    pool_policy(days_without_follow_up=2, days_without_signing=15, warning_days=0)
    leads = pool_customers(world, 20)
    Customer.objects.filter(pk__in=[c.pk for c in leads]).update(
        consultant=world.sales, claimed_at=timezone.now()
    )
    clock.shift(2 * DAY + MINUTE)
    assert services.pool_sweep().returned == 22  # the 20 and the world's two owned leads
    assert Customer.objects.in_pool().filter(pk__in=[c.pk for c in leads]).count() == 20
    assert OwnershipEvent.objects.filter(kind=Kind.AUTO_RETURN).count() == 22
    assert len(notifications(world.sales)) == 1


def test_manage_py_pool_sweep_runs(world, clock, claimed_now):
    pool_policy(days_without_follow_up=3, days_without_signing=15, warning_days=1)
    Customer.objects.filter(pk=world.sales2_lead.pk).update(next_follow_up_at=timezone.now())
    clock.shift(3 * DAY + MINUTE)
    out = StringIO()
    call_command("pool_sweep", stdout=out)
    assert out.getvalue().strip() == "Returned to the pool: 2; owners warned about: 0; follow-up reminders: 0"
    assert Customer.objects.in_pool().filter(pk__in=[world.sales_lead.pk, world.sales2_lead.pk]).count() == 2


# --- Follow-up reminders ------------------------------------------------------------------------
def test_follow_up_reminders_notify_once(world, clock):
    today_evening = timezone.localtime().replace(hour=23, minute=0, second=0, microsecond=0)
    Customer.objects.filter(pk=world.sales_lead.pk).update(next_follow_up_at=today_evening)
    Customer.objects.filter(pk=world.sales2_lead.pk).update(next_follow_up_at=today_evening + DAY)

    assert services.follow_up_reminders() == 1
    [reminder] = notifications(world.sales)
    assert world.sales_lead.name in reminder.text
    assert reminder.link == reverse("crm:customer-mine") + "?due=today"
    assert notifications(world.sales2) == []

    assert services.follow_up_reminders() == 0
    assert len(notifications(world.sales)) == 1


def test_overdue_follow_ups_are_reminded_and_a_new_follow_up_rearms_the_reminder(world, clock):
    Customer.objects.filter(pk=world.sales_lead.pk).update(next_follow_up_at=timezone.now() - 3 * DAY)
    assert services.follow_up_reminders() == 1
    next_at = timezone.localtime() + DAY
    follow_up(world, world.sales_lead, world.sales, next_at=next_at.strftime("%Y-%m-%dT%H:%M"))
    assert services.follow_up_reminders() == 0  # due tomorrow
    clock.shift(DAY)
    assert services.follow_up_reminders() == 1
    assert len(notifications(world.sales)) == 2


def test_pool_and_deleted_customers_get_no_reminders(world, clock):
    Customer.objects.filter(pk__in=[world.pool_lead.pk, world.deleted_lead.pk]).update(
        next_follow_up_at=timezone.now()
    )
    assert services.follow_up_reminders() == 0
    assert not Notification.objects.exists()


# --- The private cap ----------------------------------------------------------------------------
def test_claiming_beyond_the_private_cap_is_refused(world, as_sales):
    pool_policy(private_cap=1)  # sales holds one unsigned customer already

    response = as_sales.post(reverse("crm:customer-claim", args=[world.pool_lead.pk]))

    assert response.status_code == 302
    assert "You already hold 1 unsigned customers; the limit is 1. Sign or release some first." in (
        messages_of(response)
    )
    assert owner_of(world.pool_lead) is None
    assert not OwnershipEvent.objects.filter(kind=Kind.CLAIM).exists()


def test_signed_and_deleted_customers_do_not_count_against_the_cap(world, as_sales):
    pool_policy(private_cap=1)
    Customer.objects.filter(pk=world.sales_lead.pk).update(status=Customer.Status.SIGNED)
    as_sales.post(reverse("crm:customer-claim", args=[world.pool_lead.pk]))
    assert owner_of(world.pool_lead) == world.sales.pk


def test_a_batch_claim_stops_at_the_cap_and_says_so(world, as_sales):
    pool_policy(private_cap=3)
    leads = pool_customers(world, 4)
    response = as_sales.post(reverse("crm:customer-batch"), {"action": "claim", "ids": [c.pk for c in leads]})
    owned = Customer.objects.filter(pk__in=[c.pk for c in leads], consultant=world.sales).count()
    assert owned == 2
    refusals = [text for text in messages_of(response) if "the limit is 3" in text]
    assert len(refusals) == 2


def test_entering_a_customer_beyond_the_cap_is_refused_unless_it_goes_to_the_pool(world, as_sales):
    pool_policy(private_cap=1)
    before = Customer.objects.count()
    response = as_sales.post(reverse("crm:customer-create"), customer_data(world))
    assert response.status_code == 200
    assert "the limit is 1" in " ".join(response.context["form"].non_field_errors())
    assert Customer.objects.count() == before

    response = as_sales.post(reverse("crm:customer-create"), customer_data(world, to_pool="on"))
    assert response.status_code == 302
    assert Customer.objects.get(phone="+8613800138000").consultant_id is None


# --- The cooldown -------------------------------------------------------------------------------
def test_a_released_customer_cannot_be_reclaimed_by_the_same_consultant_within_the_cooldown(
    world, clock, as_sales
):
    pool_policy(cooldown_days=7)
    as_sales.post(reverse("crm:customer-release", args=[world.sales_lead.pk]), {"reason": "不感兴趣"})
    assert owner_of(world.sales_lead) is None

    clock.shift(7 * DAY - MINUTE)
    as_sales = make_client(world.sales)  # the session of a week ago has expired
    response = as_sales.post(reverse("crm:customer-claim", args=[world.sales_lead.pk]))
    assert response.status_code == 302
    assert owner_of(world.sales_lead) is None
    assert any(text.startswith("You gave this customer up recently") for text in messages_of(response))

    clock.shift(2 * MINUTE)
    response = make_client(world.sales).post(reverse("crm:customer-claim", args=[world.sales_lead.pk]))
    assert response["Location"] == reverse("crm:customer-detail", args=[world.sales_lead.pk])
    assert owner_of(world.sales_lead) == world.sales.pk


def test_the_cooldown_binds_only_the_previous_owner(world, as_sales, client_for):
    pool_policy(cooldown_days=7)
    as_sales.post(reverse("crm:customer-release", args=[world.sales_lead.pk]))
    client_for("sales2").post(reverse("crm:customer-claim", args=[world.sales_lead.pk]))
    assert owner_of(world.sales_lead) == world.sales2.pk


def test_an_automatic_return_starts_the_cooldown_too(world, clock, claimed_now):
    pool_policy(days_without_follow_up=3, days_without_signing=15, warning_days=0, cooldown_days=2)
    clock.shift(3 * DAY + MINUTE)
    services.pool_sweep()
    customer = Customer.objects.get(pk=world.sales_lead.pk)
    with pytest.raises(services.CustomerRefused, match="You gave this customer up recently"):
        services.customer_claim(customer=customer, by=world.sales)
    clock.shift(2 * DAY + MINUTE)
    services.customer_claim(customer=customer, by=world.sales)
    assert owner_of(customer) == world.sales.pk


def test_no_cooldown_when_it_is_zero(world, as_sales):
    pool_policy(cooldown_days=0)
    as_sales.post(reverse("crm:customer-release", args=[world.sales_lead.pk]))
    as_sales.post(reverse("crm:customer-claim", args=[world.sales_lead.pk]))
    assert owner_of(world.sales_lead) == world.sales.pk


# --- Claims, releases and who lost the race -----------------------------------------------------
def test_claim_sets_the_owner_and_writes_the_event(world, as_sales):
    response = as_sales.post(reverse("crm:customer-claim", args=[world.pool_lead.pk]))
    assert response["Location"] == reverse("crm:customer-detail", args=[world.pool_lead.pk])
    customer = Customer.objects.get(pk=world.pool_lead.pk)
    assert customer.consultant_id == world.sales.pk and customer.claimed_at is not None
    event = OwnershipEvent.objects.get(customer=customer, kind=Kind.CLAIM)
    assert (event.from_user_id, event.to_user_id, event.by_id) == (None, world.sales.pk, world.sales.pk)


def test_claiming_an_already_claimed_customer_names_the_owner(world):
    seen_in_the_pool = Customer.objects.get(pk=world.pool_lead.pk)
    services.customer_claim(customer=world.pool_lead, by=world.sales)
    with pytest.raises(services.CustomerRefused) as refusal:
        services.customer_claim(customer=seen_in_the_pool, by=world.sales2)
    assert str(refusal.value) == f"Already claimed by {world.sales}."
    assert owner_of(world.pool_lead) == world.sales.pk
    assert OwnershipEvent.objects.filter(kind=Kind.CLAIM).count() == 1


def test_the_claim_button_on_a_stale_pool_page_says_who_claimed_it(world, as_sales, client_for):
    """sales2's pool page still shows the lead that sales claimed a moment ago. The design: "the
    loser gets 'already claimed by X'", not a 404, and lands on a page they may open."""
    as_sales.post(reverse("crm:customer-claim", args=[world.pool_lead.pk]))
    as_sales2 = client_for("sales2")

    response = as_sales2.post(reverse("crm:customer-claim", args=[world.pool_lead.pk]))

    assert response.status_code == 302
    assert f"Already claimed by {world.sales}." in messages_of(response)
    assert as_sales2.get(response["Location"]).status_code == 200
    assert owner_of(world.pool_lead) == world.sales.pk


def test_a_release_writes_the_event_with_the_reason(world, as_sales):
    response = as_sales.post(
        reverse("crm:customer-release", args=[world.sales_lead.pk]), {"reason": "预算不足"}
    )
    assert response["Location"] == reverse("crm:customer-mine")
    event = OwnershipEvent.objects.get(customer=world.sales_lead, kind=Kind.RELEASE)
    assert (event.from_user_id, event.to_user_id, event.by_id, event.reason) == (
        world.sales.pk,
        None,
        world.sales.pk,
        "预算不足",
    )


def test_signed_customers_cannot_be_released(world, as_sales):
    Customer.objects.filter(pk=world.sales_lead.pk).update(status=Customer.Status.SIGNED)
    response = as_sales.post(reverse("crm:customer-release", args=[world.sales_lead.pk]))
    assert "Signed customers stay with their consultant." in messages_of(response)
    assert owner_of(world.sales_lead) == world.sales.pk
    assert not OwnershipEvent.objects.filter(kind=Kind.RELEASE).exists()


# --- Transfers ----------------------------------------------------------------------------------
def test_the_manager_transfers_a_customer_and_the_new_owner_is_told(world, as_manager):
    pool_policy(private_cap=1)  # a rule for claiming; a deliberate transfer is not bound by it
    response = as_manager.post(
        reverse("crm:customer-transfer", args=[world.sales_lead.pk]),
        {"to": world.sales2.pk, "reason": "休假"},
    )
    assert response["Location"] == reverse("crm:customer-detail", args=[world.sales_lead.pk])
    customer = Customer.objects.get(pk=world.sales_lead.pk)
    assert customer.consultant_id == world.sales2.pk
    event = OwnershipEvent.objects.get(customer=customer, kind=Kind.TRANSFER)
    assert (event.from_user_id, event.to_user_id, event.by_id, event.reason) == (
        world.sales.pk,
        world.sales2.pk,
        world.manager.pk,
        "休假",
    )
    [notice] = notifications(world.sales2)
    assert world.sales_lead.name in notice.text
    assert notice.link == reverse("crm:customer-detail", args=[customer.pk])
    assert notifications(world.sales) == []


def test_the_manager_transfers_a_pool_customer(world, as_manager):
    as_manager.post(reverse("crm:customer-transfer", args=[world.pool_lead.pk]), {"to": world.sales.pk})
    assert owner_of(world.pool_lead) == world.sales.pk
    event = OwnershipEvent.objects.get(customer=world.pool_lead, kind=Kind.TRANSFER)
    assert (event.from_user_id, event.to_user_id) == (None, world.sales.pk)


def test_a_transfer_to_the_current_owner_or_outside_the_department_changes_nothing(world, as_manager):
    url = reverse("crm:customer-transfer", args=[world.sales_lead.pk])
    response = as_manager.post(url, {"to": world.sales.pk})
    assert f"{world.sales} already owns this customer." in messages_of(response)

    response = as_manager.post(url, {"to": world.teacher.pk})  # no consultant, other department
    assert response.status_code == 200
    assert "to" in response.context["form"].errors

    assert owner_of(world.sales_lead) == world.sales.pk
    assert not OwnershipEvent.objects.filter(kind=Kind.TRANSFER).exists()
    assert not Notification.objects.exists()


def test_batch_transfer_by_the_manager(world, as_manager):
    response = as_manager.post(
        reverse("crm:customer-batch"),
        {"action": "transfer", "to": world.sales2.pk, "ids": [world.sales_lead.pk, world.pool_lead.pk]},
    )
    assert response.status_code == 302
    assert owner_of(world.sales_lead) == owner_of(world.pool_lead) == world.sales2.pk
    assert OwnershipEvent.objects.filter(kind=Kind.TRANSFER, to_user=world.sales2).count() == 2
    assert len(notifications(world.sales2)) == 2
