"""The page measurements on the test world, with a couple of requests each: every page answers
and is recorded, the floors fetch the page's own rows, claims are undone, the setup is
idempotent, and the Django admin peer is guarded like the project's own admin, served only by
the benchmark's URLconf and shown the same rows. The timings themselves mean nothing here."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from bench.pages import (
    FOLLOW_UPS_ON_DETAIL,
    QUERY_BUDGET,
    Listing,
    bench_environment,
    customer_pages,
    list_rows,
    measure_claim,
    measure_pages,
    prepare,
)
from bench.peer_admin import comparisons, measure_peer
from bench.results import Results
from crm.models import Customer, OwnershipEvent, PoolPolicy
from tests.conftest import make_client

REQUESTS = 2


@pytest.fixture
def cast(world):
    return prepare(
        consultant=world.sales,
        claimer=world.sales2,
        manager=world.manager,
        teacher=world.teacher,
        student=world.student,
    )


@pytest.fixture
def in_bench():
    with bench_environment():
        yield


def add_pool_customers(world, n: int) -> list[Customer]:
    now = timezone.now()
    return Customer.objects.bulk_create(
        Customer(
            name=f"池{i}",
            name_pinyin=f"chi{i}",
            phone=f"+8613700{i:06d}",
            qq=str(300000 + i),
            source=world.source,
            consulted_on=now.date(),
        )
        for i in range(n)
    )


def test_the_setup_is_idempotent(world, cast):
    again = prepare(
        consultant=world.sales,
        claimer=world.sales2,
        manager=world.manager,
        teacher=world.teacher,
        student=world.student,
    )

    assert again.customer == cast.customer == world.sales_lead
    assert cast.customer.follow_ups.count() == FOLLOW_UPS_ON_DETAIL
    assert again.superuser == cast.superuser
    assert cast.superuser.is_superuser and not cast.superuser.has_usable_password()
    assert PoolPolicy.current().private_cap == 100_000
    assert cast.class_list == world.class_a


def test_every_page_is_measured_with_its_budget_and_query_checks(world, cast, in_bench):
    added = add_pool_customers(world, 10)
    results = Results(size="S", database="test")

    measure_pages(results, cast, requests=REQUESTS, warmup=1)

    pages = results.measurements["pages"]
    assert set(pages) == {page.name for page in customer_pages(cast)} | {"claim"}
    for name, figures in pages.items():
        assert figures["p95_ms"] >= figures["p50_ms"] > 0, name
        assert figures["within_budget"] == (figures["p95_ms"] <= figures["budget_ms"]), name
        budget_check = next(check for check in results.checks if check["name"].startswith(f"{name}: at most"))
        assert budget_check["passed"] == (figures["queries"] <= QUERY_BUDGET), name
    listed = [page.name for page in customer_pages(cast) if page.listing is not None]
    assert set(results.measurements["floors"]) == {*listed, "hello"}
    assert results.measurements["floors"]["hello"]["queries"] == 0
    for name in listed:
        size_check = next(check for check in results.checks if check["name"].startswith(f"{name}: the same"))
        assert size_check["passed"], size_check
    assert {"name": "claim: every request claimed its customer", "passed": True, "detail": "4 of 4"} in (
        results.checks
    )
    # The claims were undone: the pool is as it was.
    assert Customer.objects.in_pool().count() == len(added) + 1
    assert not OwnershipEvent.objects.filter(kind=OwnershipEvent.Kind.CLAIM).exists()


def test_a_pool_too_small_to_claim_from_is_a_failed_check(world, cast, in_bench):
    results = Results(size="S", database="test")

    measure_claim(results, cast, requests=REQUESTS, warmup=1)

    assert {"name": "claim: enough pool customers to claim", "passed": False, "detail": "1 of 4"} in (
        results.checks
    )


@pytest.mark.parametrize(
    "listing",
    [
        Listing("pool", {"size": "20", "page": "2"}),
        Listing("all", {"stale_days": "30"}),
        Listing("all", {"q": "chi1"}),
    ],
    ids=["pool page 2", "stale", "pinyin"],
)
def test_the_floor_fetches_the_rows_the_page_shows(world, cast, listing):
    add_pool_customers(world, 30)
    Customer.objects.filter(consultant__isnull=True).update(created_at=timezone.now() - timedelta(days=60))
    user = cast.consultant if listing.kind == "pool" else cast.manager

    shown = make_client(user).get(listing.url).context["object_list"]

    assert list(list_rows(listing, user)) == list(shown)
    assert len(shown) > 1


def test_hello_exists_only_in_the_benchmark_urlconf(db, in_bench):
    response = make_client().get("/bench/hello/")

    assert response.status_code == 200
    assert response.content == b"hello"
    with pytest.raises(Resolver404):
        resolve("/bench/hello/", urlconf="config.urls")


def test_only_superusers_open_the_peer(world, cast, in_bench):
    url = reverse("peer_admin:crm_customer_changelist")

    assert make_client(cast.superuser).get(url).status_code == 200
    assert make_client(world.admin).get(url).status_code == 403
    assert make_client().get(url).status_code == 302


def test_the_peer_is_not_in_the_site_urlconf():
    with pytest.raises(Resolver404):
        resolve("/bench/peer-admin/crm/customer/", urlconf="config.urls")


def test_each_comparison_shows_the_admin_the_same_rows(world, cast, in_bench):
    admin = make_client(cast.superuser)
    for comparison in comparisons(cast):
        if comparison.name == "filtered all customers":
            continue  # the admin has no "never followed up" half of the stale filter
        educrm = make_client(comparison.user).get(comparison.listing.url).context["object_list"]
        response = admin.get(reverse("peer_admin:crm_customer_changelist"), comparison.admin_params)
        assert response.status_code == 200, comparison.name
        assert list(response.context["cl"].result_list) == list(educrm), comparison.name


def test_the_peer_is_measured_against_educrm(world, cast, in_bench):
    results = Results(size="S", database="test")

    measure_peer(results, cast, requests=REQUESTS, warmup=1)

    measured = results.measurements["peer"]
    assert set(measured) == {comparison.name for comparison in comparisons(cast)}
    for name, figures in measured.items():
        assert figures["admin_p50_ms"] > 0 and figures["educrm_p50_ms"] > 0, name
        assert isinstance(figures["meets_goal"], bool), name
    assert results.failed_checks == []
