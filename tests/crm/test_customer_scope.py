"""Data scope (IDOR): a consultant reaches the public pool and their own customers, nothing of a
colleague's. Every customer URL answers 404 for a customer outside the scope and writes nothing;
batch actions skip such ids and say so; searches do not reveal them. Managers reach their
department, roles with the "all" scope everything."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Notification
from crm import selectors
from crm.models import Customer, FollowUp, OwnershipEvent
from rbac.models import PermissionEntry, Role
from tests.conftest import make_client
from tests.crm.conftest import customer_data, pool_policy

pytestmark = pytest.mark.usefixtures("english")


def snapshot() -> dict[str, list[tuple]]:
    """Every row of what a customer action may write."""
    return {
        "customers": sorted(Customer.objects.values_list(), key=repr),
        "follow_ups": sorted(FollowUp.objects.values_list(), key=repr),
        "events": sorted(OwnershipEvent.objects.values_list(), key=repr),
        "history": Customer.history.count(),
        "interests": sorted(Customer.interested_courses.through.objects.values_list(), key=repr),
        "notifications": sorted(Notification.objects.values_list(), key=repr),
    }


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def follow_up_data(world) -> dict:
    return {"channel": world.channel.pk, "content": "偷偷跟进"}


def customer_requests(world, pk: int) -> list[tuple[str, str, dict, int]]:
    """(method, url, data, status for the owner) for every customer URL that takes a customer's
    pk and that a consultant holds, in an order in which each request works for the owner."""
    return [
        ("get", reverse("crm:customer-detail", args=[pk]), {}, 200),
        ("get", reverse("crm:customer-update", args=[pk]), {}, 200),
        ("post", reverse("crm:customer-update", args=[pk]), customer_data(world, name="改名"), 302),
        ("get", reverse("crm:followup-create", args=[pk]), {}, 200),
        ("post", reverse("crm:followup-create", args=[pk]), follow_up_data(world), 302),
        ("post", reverse("crm:customer-release", args=[pk]), {"reason": "x"}, 302),
        ("post", reverse("crm:customer-claim", args=[pk]), {}, 302),
        ("post", reverse("crm:customer-delete", args=[pk]), {}, 302),
        ("post", reverse("crm:customer-restore", args=[pk]), {}, 302),
    ]


def test_the_requests_work_for_the_owner(world, client_for):
    """The control for the tests below: each request does its job for sales2 on their own
    customer, so a 404 for sales is the scope's doing, not a broken request."""
    as_sales2 = client_for("sales2")
    pool_policy(cooldown_days=0)
    for method, url, data, status in customer_requests(world, world.sales2_lead.pk):
        assert getattr(as_sales2, method)(url, data).status_code == status, (method, url)
    customer = Customer.objects.get(pk=world.sales2_lead.pk)
    assert (customer.name, customer.consultant_id, customer.is_deleted) == ("改名", world.sales2.pk, False)
    assert customer.phone == "+8613800138000"
    kinds = set(OwnershipEvent.objects.filter(customer=customer).values_list("kind", flat=True))
    assert kinds == {OwnershipEvent.Kind.RELEASE, OwnershipEvent.Kind.CLAIM}
    assert FollowUp.objects.filter(customer=customer).count() == 1
    assert Customer.history.filter(id=customer.pk, is_deleted=True).exists()


def test_a_consultant_gets_404_for_every_url_of_a_colleagues_customer(world, as_sales):
    before = snapshot()
    for method, url, data, _status in customer_requests(world, world.sales2_lead.pk):
        response = getattr(as_sales, method)(url, data)
        assert response.status_code == 404, (method, url, response.status_code)
        assert "萨尔" not in response.content.decode()
    assert snapshot() == before


def test_a_consultant_gets_404_for_a_colleagues_deleted_customer(world, as_sales, client_for):
    client_for("sales2").post(reverse("crm:customer-delete", args=[world.sales2_lead.pk]))
    assert Customer.objects.get(pk=world.sales2_lead.pk).is_deleted
    before = snapshot()
    for method, url, data, _status in customer_requests(world, world.sales2_lead.pk):
        assert getattr(as_sales, method)(url, data).status_code == 404, (method, url)
    page = as_sales.get(reverse("crm:customer-trash")).content.decode()
    assert "萨尔" not in page
    assert world.deleted_lead.name in page  # sales's own deleted lead is there
    assert snapshot() == before


def test_transfer_is_refused_to_a_consultant_without_the_right(world, as_sales):
    before = snapshot()
    url = reverse("crm:customer-transfer", args=[world.sales2_lead.pk])
    assert as_sales.get(url).status_code == 403
    assert as_sales.post(url, {"to": world.sales.pk}).status_code == 403
    response = as_sales.post(
        reverse("crm:customer-batch"),
        {"action": "transfer", "to": world.sales.pk, "ids": [world.sales2_lead.pk]},
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_a_consultant_given_the_transfer_right_still_cannot_reach_a_colleagues_customer(world):
    """The right says which action; the data scope still says which customers."""
    role = world.roles["sales"]
    role.permissions.add(
        *PermissionEntry.objects.filter(codename__in=["crm.customer_transfer", "crm.customer_batch_transfer"])
    )
    as_sales = make_client(world.sales)
    before = snapshot()
    url = reverse("crm:customer-transfer", args=[world.sales2_lead.pk])
    assert as_sales.get(url).status_code == 404
    assert as_sales.post(url, {"to": world.sales.pk}).status_code == 404
    response = as_sales.post(
        reverse("crm:customer-batch"),
        {"action": "transfer", "to": world.sales.pk, "ids": [world.sales2_lead.pk]},
    )
    assert response.status_code == 302
    assert snapshot() == before


@pytest.mark.parametrize("action", ["claim", "release", "delete"])
def test_batch_actions_skip_a_colleagues_customer_and_say_so(world, as_sales, action):
    before = snapshot()
    response = as_sales.post(reverse("crm:customer-batch"), {"action": action, "ids": [world.sales2_lead.pk]})
    assert response.status_code == 302
    assert snapshot() == before
    assert messages_of(response) == [
        "1 of the selected customers were not found or are out of your reach; nothing was done to them."
    ]


def test_a_batch_with_mixed_ids_acts_only_on_those_in_reach(world, as_sales):
    response = as_sales.post(
        reverse("crm:customer-batch"),
        {"action": "release", "ids": [world.sales_lead.pk, world.sales2_lead.pk, 999_999]},
    )
    assert Customer.objects.get(pk=world.sales_lead.pk).consultant_id is None
    assert Customer.objects.get(pk=world.sales2_lead.pk).consultant_id == world.sales2.pk
    assert OwnershipEvent.objects.filter(customer=world.sales2_lead).count() == 0
    assert any("2 of the selected customers were not found" in text for text in messages_of(response))


@pytest.mark.parametrize(
    "query", ["13800000003", "+86 138 0000 0003", "138-0000-0003", "100003", "saer", "se", "萨尔", "萨"]
)
@pytest.mark.parametrize("list_name", ["crm:customer-pool", "crm:customer-mine"])
def test_searching_does_not_reveal_a_colleagues_customer(world, as_sales, query, list_name):
    response = as_sales.get(reverse(list_name), {"q": query})
    assert response.status_code == 200
    assert world.sales2_lead.pk not in [customer.pk for customer in response.context["object_list"]]
    assert f'data-customer="{world.sales2_lead.pk}"' not in response.content.decode()


def test_searching_by_a_colleagues_customer_number_does_not_reveal_it(world, as_sales):
    for list_name in ("crm:customer-pool", "crm:customer-mine"):
        response = as_sales.get(reverse(list_name), {"q": str(world.sales2_lead.pk)})
        assert list(response.context["object_list"]) == []


def test_a_consultant_cannot_open_the_all_customers_list(world, as_sales):
    assert as_sales.get(reverse("crm:customer-list"), {"q": "saer"}).status_code == 403


def test_the_manager_sees_both_consultants_customers(world, as_manager):
    response = as_manager.get(reverse("crm:customer-list"))
    shown = {customer.pk for customer in response.context["object_list"]}
    assert shown == {world.pool_lead.pk, world.sales_lead.pk, world.sales2_lead.pk}
    for lead in (world.sales_lead, world.sales2_lead):
        assert as_manager.get(reverse("crm:customer-detail", args=[lead.pk])).status_code == 200
    response = as_manager.get(reverse("crm:customer-list"), {"q": "13800000003"})
    assert [customer.pk for customer in response.context["object_list"]] == [world.sales2_lead.pk]


def test_a_manager_moved_to_another_department_no_longer_sees_its_customers(world):
    world.manager.department = world.departments["finance"]
    world.manager.save(update_fields=["department"])
    as_manager = make_client(world.manager)
    before = snapshot()
    for lead in (world.sales_lead, world.sales2_lead):
        assert as_manager.get(reverse("crm:customer-detail", args=[lead.pk])).status_code == 404
        url = reverse("crm:customer-transfer", args=[lead.pk])
        assert as_manager.post(url, {"to": world.manager.pk}).status_code == 404
    response = as_manager.get(reverse("crm:customer-list"))
    assert {customer.pk for customer in response.context["object_list"]} == {world.pool_lead.pk}
    assert snapshot() == before


def test_a_role_with_the_all_scope_sees_everything(world):
    Role.objects.filter(pk=world.roles["sales"].pk).update(data_scope=Role.DataScope.ALL)
    as_sales = make_client(world.sales)
    for lead in (world.sales2_lead, world.pool_lead, world.sales_lead):
        assert as_sales.get(reverse("crm:customer-detail", args=[lead.pk])).status_code == 200
    response = as_sales.post(reverse("crm:customer-release", args=[world.sales2_lead.pk]))
    assert response.status_code == 302
    assert Customer.objects.get(pk=world.sales2_lead.pk).consultant_id is None


def test_the_superuser_sees_everything(world, as_superuser):
    for lead in (world.sales2_lead, world.pool_lead, world.sales_lead):
        assert as_superuser.get(reverse("crm:customer-detail", args=[lead.pk])).status_code == 200
    response = as_superuser.get(reverse("crm:customer-list"))
    assert {c.pk for c in response.context["object_list"]} == {
        world.pool_lead.pk,
        world.sales_lead.pk,
        world.sales2_lead.pk,
    }


def test_people_without_sales_roles_reach_no_customer(world, client_for):
    for role in ("teacher", "student", "outsider"):
        client = client_for(role)
        for url_name in ("crm:customer-detail", "crm:customer-claim"):
            response = client.post(reverse(url_name, args=[world.pool_lead.pk]))
            assert response.status_code == 403, (role, url_name)
    assert Customer.objects.get(pk=world.pool_lead.pk).consultant_id is None


def test_a_consultant_may_view_and_claim_a_pool_customer_but_not_edit_or_delete_it(world, as_sales):
    pk = world.pool_lead.pk
    before = snapshot()
    assert as_sales.get(reverse("crm:customer-update", args=[pk])).status_code == 404
    assert as_sales.post(reverse("crm:customer-update", args=[pk]), customer_data(world)).status_code == 404
    assert as_sales.post(reverse("crm:customer-delete", args=[pk])).status_code == 404
    response = as_sales.post(reverse("crm:customer-batch"), {"action": "delete", "ids": [pk]})
    assert any("1 of the selected customers were not found" in text for text in messages_of(response))
    assert snapshot() == before
    response = as_sales.get(reverse("crm:customer-detail", args=[pk]))
    assert (response.context["can_edit"], response.context["can_delete"], response.context["can_claim"]) == (
        False,
        False,
        True,
    )


@pytest.mark.parametrize("role", ["sales", "sales2", "manager", "admin", "finance"])
def test_the_editable_check_for_one_customer_agrees_with_the_editable_list(world, role):
    """The customer page decides "editable" without a query; it must say what the list says."""
    user = world.users[role]
    editable = set(selectors.customers_editable_by(user).values_list("pk", flat=True))
    visible = list(selectors.customers_visible_to(user))
    assert visible
    for customer in visible:
        assert selectors.is_editable_by(user, customer) == (customer.pk in editable), customer
