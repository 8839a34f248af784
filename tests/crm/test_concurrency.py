"""Races on the sales desk, with real threads, each on its own database connection, against a
database every connection shares (a file on SQLite, the test database on PostgreSQL): one claim
wins, one of two identical leads is entered, and nobody sees "database is locked" or a 500."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import translation

from crm import services
from crm.forms import CustomerCreateForm
from crm.models import Customer, OwnershipEvent
from tests.conftest import make_client
from tests.crm.conftest import customer_data, make_consultants

Kind = OwnershipEvent.Kind

pytestmark = pytest.mark.usefixtures("english")


def run_together(targets) -> list:
    """Run each callable in its own thread, released at the same moment; returns what each
    returned or raised, in order. Every thread closes its database connection when it ends."""
    barrier = threading.Barrier(len(targets))
    outcomes: list = [None] * len(targets)

    def run(index, target):
        try:
            barrier.wait(timeout=10)
            with translation.override("en"):  # threads start in the site language
                outcomes[index] = target()
        except BaseException as error:  # reported to the test, not lost in the thread
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, target)) for index, target in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcomes


def test_the_shared_database_is_really_shared_with_other_threads(shared_db, world):
    """The precondition of the races below: another thread's connection sees the test's rows and
    its writes are seen here (on SQLite through a file, not the in-memory test database)."""
    if shared_db.vendor == "sqlite":
        assert connection.settings_dict["NAME"] == str(shared_db.path)
        assert not connection.is_in_memory_db()

    def rename():
        return Customer.objects.filter(pk=world.pool_lead.pk).update(name="线程")

    assert run_together([rename]) == [1]
    assert Customer.objects.get(pk=world.pool_lead.pk).name == "线程"


def test_twenty_consultants_claiming_one_customer_at_once_give_one_owner(shared_db, world):
    consultants = make_consultants(world, 20)
    pool_lead = world.pool_lead

    def claim_as(user):
        def claim():
            # Each thread looked the customer up before the race, as the view does.
            customer = Customer.objects.get(pk=pool_lead.pk)
            services.customer_claim(customer=customer, by=user)
            return "won"

        return claim

    outcomes = run_together([claim_as(user) for user in consultants])

    winners = [user for user, outcome in zip(consultants, outcomes, strict=True) if outcome == "won"]
    assert len(winners) == 1, outcomes
    losers = [outcome for outcome in outcomes if outcome != "won"]
    assert all(isinstance(outcome, services.CustomerRefused) for outcome in losers), losers
    assert {str(outcome) for outcome in losers} == {f"Already claimed by {winners[0]}."}
    assert not any("locked" in str(outcome).lower() for outcome in outcomes)
    customer = Customer.objects.get(pk=pool_lead.pk)
    assert customer.consultant_id == winners[0].pk
    claims = OwnershipEvent.objects.filter(customer=customer, kind=Kind.CLAIM)
    assert list(claims.values_list("to_user_id", flat=True)) == [winners[0].pk]


def test_one_consultant_claiming_in_twenty_tabs_at_once_claims_once(shared_db, world):
    pool_lead = world.pool_lead

    def claim():
        services.customer_claim(customer=Customer.objects.get(pk=pool_lead.pk), by=world.sales)
        return "won"

    outcomes = run_together([claim] * 20)

    assert outcomes.count("won") == 1, outcomes
    assert {str(outcome) for outcome in outcomes if outcome != "won"} == {
        f"Already claimed by {world.sales}."
    }
    assert OwnershipEvent.objects.filter(customer=pool_lead, kind=Kind.CLAIM).count() == 1
    assert Customer.objects.get(pk=pool_lead.pk).consultant_id == world.sales.pk


def test_two_consultants_entering_one_phone_at_once_enter_one_customer(shared_db, world):
    """Both forms pass the duplicate check before either saves; the database constraint decides
    and the loser gets the duplicate refusal naming the winner."""
    forms = [
        CustomerCreateForm(customer_data(world, name=name, phone=phone))
        for name, phone in [("张三", "138 0013 8000"), ("张叁", "+86-138-0013-8000")]
    ]
    assert all(form.is_valid() for form in forms), [form.errors for form in forms]
    users = [world.sales, world.sales2]

    def create(form, user):
        return lambda: services.customer_create(form=form, by=user)

    outcomes = run_together([create(form, user) for form, user in zip(forms, users, strict=True)])

    created = [outcome for outcome in outcomes if isinstance(outcome, Customer)]
    refused = [outcome for outcome in outcomes if not isinstance(outcome, Customer)]
    assert len(created) == 1 and len(refused) == 1, outcomes
    assert isinstance(refused[0], services.DuplicateCustomer), refused
    assert refused[0].existing.pk == created[0].pk
    assert f"owned by {created[0].consultant}" in str(refused[0])
    assert list(Customer.objects.filter(phone="+8613800138000").values_list("pk", flat=True)) == [
        created[0].pk
    ]
    assert OwnershipEvent.objects.filter(kind=Kind.CREATE).count() == 1


def test_two_clients_posting_one_phone_at_once_get_one_customer_and_one_refusal(shared_db, world):
    clients = [make_client(world.sales), make_client(world.sales2)]
    posts = [
        customer_data(world, name="李四", phone="139 0013 9000"),
        customer_data(world, name="李肆", phone="+86 139-0013-9000"),
    ]

    def post(client, data):
        return lambda: client.post(reverse("crm:customer-create"), data)

    responses = run_together([post(client, data) for client, data in zip(clients, posts, strict=True)])

    assert not any(isinstance(response, BaseException) for response in responses), responses
    assert sorted(response.status_code for response in responses) == [200, 302]
    refused = next(response for response in responses if response.status_code == 200)
    assert "phone" in refused.context["form"].errors
    assert "This customer already exists" in refused.context["form"].errors["phone"][0]
    assert Customer.objects.filter(phone="+8613900139000").count() == 1
    assert Counter(OwnershipEvent.objects.values_list("kind", flat=True))[Kind.CREATE] == 1
