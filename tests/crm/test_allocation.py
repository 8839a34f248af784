"""Auto-allocation of pool leads: smooth weighted round-robin whose state lives in the database,
daily caps, who takes part, and two OS processes allocating at once."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from crm.models import AllocationWeight, Customer, OwnershipEvent
from crm.services import customers_allocate
from tests.crm.conftest import manage_py_command, pool_customers

Kind = OwnershipEvent.Kind

pytestmark = pytest.mark.usefixtures("english")


def set_weights(*rows) -> None:
    """rows of (user, weight, daily cap or None)."""
    AllocationWeight.objects.bulk_create(
        AllocationWeight(consultant=user, weight=weight, daily_cap=cap) for user, weight, cap in rows
    )


def assert_within_one(counts: Counter, expected: dict) -> None:
    for user, share in expected.items():
        assert abs(counts[user.pk] - share) <= 1, (user, counts[user.pk], share, counts)
    assert sum(counts.values()) == sum(expected.values()), counts


def test_a_thousand_leads_split_five_three_two(world):
    customers = pool_customers(world, 1000)
    set_weights((world.sales, 5, None), (world.sales2, 3, None), (world.manager, 2, None))

    allocated = customers_allocate(customer_ids=[c.pk for c in customers], by=world.manager)

    assert set(allocated) == {c.pk for c in customers}
    assert_within_one(Counter(allocated.values()), {world.sales: 500, world.sales2: 300, world.manager: 200})
    owners = dict(Customer.objects.filter(pk__in=allocated).values_list("pk", "consultant_id"))
    assert owners == allocated
    assert not Customer.objects.filter(pk__in=allocated, claimed_at__isnull=True).exists()
    events = OwnershipEvent.objects.filter(kind=Kind.ALLOCATE)
    assert events.count() == 1000
    assert dict(events.values_list("customer_id", "to_user_id")) == allocated
    assert set(events.values_list("by_id", flat=True)) == {world.manager.pk}


def test_the_turn_carries_over_between_calls(world):
    """The round-robin state is in the database: 40 calls of 25 leads split like one call."""
    customers = pool_customers(world, 1000)
    set_weights((world.sales, 5, None), (world.sales2, 3, None), (world.manager, 2, None))
    allocated = {}
    for start in range(0, 1000, 25):
        allocated.update(customers_allocate(customer_ids=[c.pk for c in customers[start : start + 25]]))
    assert_within_one(Counter(allocated.values()), {world.sales: 500, world.sales2: 300, world.manager: 200})


def test_small_batches_are_still_spread_by_weight(world):
    """Each lead of a one-lead call goes to the next in turn, not always to the heaviest."""
    customers = pool_customers(world, 10)
    set_weights((world.sales, 5, None), (world.sales2, 3, None), (world.manager, 2, None))
    owners = [customers_allocate(customer_ids=[c.pk])[c.pk] for c in customers]
    assert Counter(owners) == {world.sales.pk: 5, world.sales2.pk: 3, world.manager.pk: 2}


def test_daily_caps_are_honoured_and_the_rest_stay_in_the_pool(world):
    customers = pool_customers(world, 100)
    set_weights((world.sales, 5, 10), (world.sales2, 3, 20), (world.manager, 2, None))
    ids = [c.pk for c in customers]

    allocated = customers_allocate(customer_ids=ids[:50])
    counts = Counter(allocated.values())
    assert counts[world.sales.pk] == 10
    assert counts[world.sales2.pk] == 20
    assert counts[world.manager.pk] == 20
    assert len(allocated) == 50

    # Caps are per day: a later call the same day gives the capped consultants nothing more.
    set_cap = AllocationWeight.objects.filter(consultant=world.manager)
    set_cap.update(daily_cap=25)
    later = customers_allocate(customer_ids=ids[50:])
    assert Counter(later.values()) == {world.manager.pk: 5}
    assert Customer.objects.in_pool().filter(pk__in=ids).count() == 45
    assert OwnershipEvent.objects.filter(kind=Kind.ALLOCATE).count() == 55
    weights = {w.consultant_id: w for w in AllocationWeight.objects.all()}
    assert (weights[world.sales.pk].allocated_today, weights[world.sales.pk].allocated_on) == (
        10,
        timezone.localdate(),
    )


def test_caps_start_again_the_next_day(world):
    customers = pool_customers(world, 30)
    set_weights((world.sales, 1, 5), (world.sales2, 1, 5))
    ids = [c.pk for c in customers]
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert len(customers_allocate(customer_ids=ids)) == 10
        assert customers_allocate(customer_ids=ids) == {}
        traveller.shift(timedelta(days=1))
        assert Counter(customers_allocate(customer_ids=ids).values()) == {
            world.sales.pk: 5,
            world.sales2.pk: 5,
        }
    assert Customer.objects.in_pool().filter(pk__in=ids).count() == 10


def test_without_weights_nothing_is_allocated(world):
    customers = pool_customers(world, 20)
    assert customers_allocate(customer_ids=[c.pk for c in customers]) == {}
    assert Customer.objects.in_pool().filter(pk__in=[c.pk for c in customers]).count() == 20
    assert not OwnershipEvent.objects.filter(kind=Kind.ALLOCATE).exists()


def test_weight_zero_takes_no_leads(world):
    customers = pool_customers(world, 20)
    set_weights((world.sales, 0, None), (world.sales2, 1, None))
    allocated = customers_allocate(customer_ids=[c.pk for c in customers])
    assert Counter(allocated.values()) == {world.sales2.pk: 20}


def test_only_zero_weights_allocate_nothing(world):
    customers = pool_customers(world, 5)
    set_weights((world.sales, 0, None), (world.sales2, 0, None))
    assert customers_allocate(customer_ids=[c.pk for c in customers]) == {}
    assert Customer.objects.in_pool().filter(pk__in=[c.pk for c in customers]).count() == 5


def test_inactive_consultants_take_no_leads(world):
    customers = pool_customers(world, 20)
    set_weights((world.sales, 5, None), (world.sales2, 3, None))
    world.sales.is_active = False
    world.sales.save(update_fields=["is_active"])
    allocated = customers_allocate(customer_ids=[c.pk for c in customers])
    assert Counter(allocated.values()) == {world.sales2.pk: 20}


def test_only_pool_customers_are_allocated(world):
    """Owned, deleted and unknown ids in the list are left alone, and use up nobody's turn."""
    set_weights(
        (world.sales2, 1, None),
    )
    ids = [world.sales_lead.pk, world.deleted_lead.pk, world.pool_lead.pk, 999_999]
    assert customers_allocate(customer_ids=ids) == {world.pool_lead.pk: world.sales2.pk}
    assert Customer.objects.get(pk=world.sales_lead.pk).consultant_id == world.sales.pk
    deleted = Customer.objects.get(pk=world.deleted_lead.pk)
    assert (deleted.consultant_id, deleted.is_deleted) == (world.sales.pk, True)
    assert AllocationWeight.objects.get(consultant=world.sales2).allocated_today == 1


# --- Two OS processes -------------------------------------------------------------------------
ALLOCATE_IN_CHUNKS = """
import json, os, sys, time
from pathlib import Path
from crm.services import customers_allocate

ids = json.loads(os.environ["ALLOCATE_IDS"])
sync = Path(os.environ["ALLOCATE_SYNC"])
(sync / ("ready-" + os.environ["ALLOCATE_NAME"])).touch()
deadline = time.monotonic() + 60
while not (sync / "go").exists():
    if time.monotonic() > deadline:
        sys.exit("no go signal")
    time.sleep(0.002)
allocated = {}
started = time.time()
for start in range(0, len(ids), 20):
    allocated.update(customers_allocate(customer_ids=ids[start : start + 20]))
print(json.dumps({"allocated": allocated, "started": started, "ended": time.time()}))
"""


def test_two_processes_allocating_at_once_allocate_each_lead_once(shared_db, world, tmp_path):
    """Process A walks the first 600 leads forwards, process B the last 600 backwards: they meet
    in the 200 both were given. Each lead is allocated once, and the turn is shared, so the
    whole 1,000 still split 5:3:2."""
    customers = pool_customers(world, 1000)
    set_weights((world.sales, 5, None), (world.sales2, 3, None), (world.manager, 2, None))
    ids = [c.pk for c in customers]
    plans = {"a": ids[:600], "b": ids[400:][::-1]}
    processes = {}
    for name, plan in plans.items():
        env = shared_db.subprocess_env()
        env.update(ALLOCATE_IDS=json.dumps(plan), ALLOCATE_SYNC=str(tmp_path), ALLOCATE_NAME=name)
        processes[name] = subprocess.Popen(
            manage_py_command(ALLOCATE_IN_CHUNKS),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready-{name}").exists() for name in plans):
        assert time.monotonic() < deadline, "the processes did not start"
        assert all(p.poll() is None for p in processes.values()), [
            p.communicate() for p in processes.values()
        ]
        time.sleep(0.01)
    (tmp_path / "go").touch()
    results = {}
    for name, process in processes.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results[name] = json.loads(out.strip().splitlines()[-1])

    a, b = ({int(pk): owner for pk, owner in results[name]["allocated"].items()} for name in "ab")
    # They really ran at the same time; each allocated the leads only it was given.
    assert results["a"]["started"] < results["b"]["ended"] and results["b"]["started"] < results["a"]["ended"]
    assert set(ids[:400]) <= set(a) and set(ids[600:]) <= set(b)
    assert not set(a) & set(b), "a lead was allocated by both processes"
    allocated = a | b
    assert set(allocated) == set(ids)
    assert_within_one(Counter(allocated.values()), {world.sales: 500, world.sales2: 300, world.manager: 200})
    assert dict(Customer.objects.filter(pk__in=ids).values_list("pk", "consultant_id")) == allocated
    events = Counter(OwnershipEvent.objects.filter(kind=Kind.ALLOCATE).values_list("customer_id", flat=True))
    assert set(events) == set(ids)
    assert set(events.values()) == {1}
    assert sum(w.allocated_today for w in AllocationWeight.objects.all()) == 1000
