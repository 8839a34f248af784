"""Customers at the sales desk: entering and editing (normalised phone and QQ, duplicates refused
with the owner and the date), notifying the owner, the recycle bin, search and filters, masked
contact details, follow-ups, the timeline, the consultant's day, and the pool rules and
allocation weights pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from crm.models import AllocationWeight, Customer, DictItem, FollowUp, OwnershipEvent, PoolPolicy
from tests.conftest import assert_form_refused
from tests.crm.conftest import customer_data

Kind = OwnershipEvent.Kind
DAY = timedelta(days=1)

pytestmark = pytest.mark.usefixtures("english")


def snapshot() -> dict[str, list[tuple]]:
    """Every row a customer page may write: a refused form must leave this unchanged."""
    return {
        "customers": sorted(Customer.objects.values_list(), key=repr),
        "events": sorted(OwnershipEvent.objects.values_list(), key=repr),
        "follow_ups": sorted(FollowUp.objects.values_list(), key=repr),
        "history": Customer.history.count(),
    }


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def listed(response) -> list[int]:
    """The customer numbers on a list page."""
    assert response.status_code == 200
    return [customer.pk for customer in response.context["object_list"]]


def owned_since(customer: Customer) -> str:
    """The date of the duplicate message: the local day the owner took the customer."""
    return timezone.localtime(customer.claimed_at).date().isoformat()


def create(client, world, **changes):
    return client.post(reverse("crm:customer-create"), customer_data(world, **changes))


# --- Entering customers -------------------------------------------------------------------------
def test_a_new_customer_is_saved_normalised_and_owned_by_whoever_entered_it(world, as_sales):
    response = create(as_sales, world, phone="138 0013 8000", qq=" 1234 5678 ", wechat="zs_wx")

    customer = Customer.objects.get(name="张三")
    assert response["Location"] == reverse("crm:customer-detail", args=[customer.pk])
    assert (customer.phone, customer.qq, customer.wechat) == ("+8613800138000", "12345678", "zs_wx")
    assert (customer.name_pinyin, customer.name_initials) == ("zhangsan", "zs")
    assert (customer.consultant_id, customer.created_by_id) == (world.sales.pk, world.sales.pk)
    assert customer.claimed_at is not None
    event = OwnershipEvent.objects.get(customer=customer)
    assert (event.kind, event.to_user_id, event.by_id) == (Kind.CREATE, world.sales.pk, world.sales.pk)


def test_a_customer_entered_to_the_pool_has_no_owner(world, as_sales):
    create(as_sales, world, to_pool="on")
    customer = Customer.objects.get(name="张三")
    assert (customer.consultant_id, customer.claimed_at, customer.created_by_id) == (
        None,
        None,
        world.sales.pk,
    )
    assert OwnershipEvent.objects.get(customer=customer).to_user_id is None


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("138 0013 8000", "+86-138-0013-8000"),
        ("13800138000", "+86 138 0013 8000"),
        ("+8613800138000", "138-0013-8000"),
        ("(+86) 13800138000", "0086 138 0013 8000"),
    ],
)
def test_one_phone_number_typed_two_ways_is_one_customer(world, as_sales, first, second):
    create(as_sales, world, phone=first)
    before = snapshot()
    response = create(as_sales, world, name="张叁", phone=second)
    assert_form_refused(response, "phone")
    assert snapshot() == before
    assert Customer.objects.filter(phone="+8613800138000").count() == 1


def test_one_qq_number_typed_two_ways_is_one_customer(world, as_sales):
    create(as_sales, world, phone="", qq="12345678")
    before = snapshot()
    assert_form_refused(create(as_sales, world, name="张叁", phone="", qq="1234 5678"), "qq")
    assert snapshot() == before


def test_at_least_one_way_to_reach_the_customer_is_required(world, as_sales):
    before = snapshot()
    response = create(as_sales, world, phone="", qq="", wechat="", email="zs@example.test")
    assert_form_refused(response, "__all__")
    assert "Enter at least one way to reach the customer" in response.context["form"].non_field_errors()[0]
    assert snapshot() == before


@pytest.mark.parametrize("contact", [{"phone": "13800138000"}, {"qq": "12345"}, {"wechat": "zs_wx"}])
def test_any_one_contact_is_enough(world, as_sales, contact):
    data = {"phone": "", "qq": "", "wechat": "", **contact}
    assert create(as_sales, world, **data).status_code == 302
    assert Customer.objects.filter(name="张三").count() == 1


def test_a_twelve_digit_qq_typed_with_spaces_is_accepted(world, as_sales):
    """QQ numbers have up to 12 digits and spaces are dropped (crm.normalize), so the length
    limit must apply to the digits, not to what was typed."""
    response = create(as_sales, world, phone="", qq="1234 5678 9012")
    assert response.status_code == 302, response.context["form"].errors
    assert Customer.objects.get(name="张三").qq == "123456789012"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phone": "12345"}, "phone", "Enter a valid phone number"),
        ({"phone": "phone"}, "phone", "Enter a valid phone number"),
        ({"phone": "138 0013 800"}, "phone", "Enter a valid phone number"),
        ({"phone": "138001380001"}, "phone", "Enter a valid phone number"),
        ({"phone": "+1 555"}, "phone", "Enter a valid phone number"),
        ({"qq": "0123456"}, "qq", "A QQ number has 5 to 12 digits"),
        ({"qq": "1234"}, "qq", "A QQ number has 5 to 12 digits"),
        ({"qq": "1234567890123"}, "qq", "A QQ number has 5 to 12 digits"),
        ({"qq": "12a45"}, "qq", "A QQ number has 5 to 12 digits"),
        ({"qq": "-12345"}, "qq", "A QQ number has 5 to 12 digits"),
    ],
)
def test_a_bad_phone_or_qq_is_refused_with_a_clear_error_and_writes_nothing(
    world, as_sales, changes, field, message
):
    before = snapshot()
    response = create(as_sales, world, **changes)
    assert_form_refused(response, field)
    assert response.context["form"].errors[field][0].startswith(message)
    assert snapshot() == before
    # The same on the edit page.
    response = as_sales.post(
        reverse("crm:customer-update", args=[world.sales_lead.pk]), customer_data(world, **changes)
    )
    assert_form_refused(response, field)
    assert snapshot() == before


# --- Duplicates ---------------------------------------------------------------------------------
def test_a_duplicate_of_a_colleagues_customer_names_the_owner_and_the_date(world, as_sales):
    lead = Customer.objects.get(pk=world.sales2_lead.pk)
    before = snapshot()

    response = create(as_sales, world, phone="138 0000 0003")

    assert_form_refused(response, "phone")
    assert response.context["form"].errors["phone"] == [
        f"This customer already exists: 萨尔 (No. {lead.pk}), owned by {world.sales2} "
        f"since {owned_since(lead)}."
    ]
    assert response.context["may_notify_owner"] is True
    assert 'data-testid="notify-owner"' in response.content.decode()
    assert snapshot() == before


def test_a_duplicate_qq_names_the_owner_on_the_qq_field(world, as_sales):
    response = create(as_sales, world, phone="", qq="100003")
    assert_form_refused(response, "qq")
    assert f"owned by {world.sales2} since" in response.context["form"].errors["qq"][0]


def test_a_duplicate_of_a_pool_customer_says_it_is_in_the_pool(world, as_sales):
    before = snapshot()
    response = create(as_sales, world, phone="+86 138 0000 0001")
    assert_form_refused(response, "phone")
    assert response.context["form"].errors["phone"] == [
        f"This customer already exists: 池塘 (No. {world.pool_lead.pk}), in the public pool."
    ]
    assert response.context["may_notify_owner"] is False
    assert snapshot() == before


def test_a_duplicate_of_ones_own_customer_offers_no_notification(world, as_sales):
    response = create(as_sales, world, phone="13800000002")
    assert_form_refused(response, "phone")
    assert response.context["may_notify_owner"] is False
    assert 'data-testid="notify-owner"' not in response.content.decode()


def test_editing_into_a_duplicate_is_refused_naming_the_owner(world, as_sales):
    lead = Customer.objects.get(pk=world.sales2_lead.pk)
    before = snapshot()
    response = as_sales.post(
        reverse("crm:customer-update", args=[world.sales_lead.pk]),
        customer_data(world, name="萨乐", phone="138-0000-0003"),
    )
    assert_form_refused(response, "phone")
    assert response.context["form"].errors["phone"] == [
        f"This customer already exists: 萨尔 (No. {lead.pk}), owned by {world.sales2} "
        f"since {owned_since(lead)}."
    ]
    assert snapshot() == before


def test_editing_keeps_the_customers_own_phone(world, as_sales):
    response = as_sales.post(
        reverse("crm:customer-update", args=[world.sales_lead.pk]),
        customer_data(world, name="萨乐乐", phone="138 0000 0002", qq="100002"),
    )
    assert response["Location"] == reverse("crm:customer-detail", args=[world.sales_lead.pk])
    customer = Customer.objects.get(pk=world.sales_lead.pk)
    assert (customer.name, customer.name_pinyin, customer.phone) == ("萨乐乐", "salele", "+8613800000002")


def test_a_deleted_customers_phone_may_be_entered_again(world, as_sales):
    assert create(as_sales, world, phone="13800000004").status_code == 302
    assert Customer.objects.live().filter(phone="+8613800000004").count() == 1


# --- Notify the owner ---------------------------------------------------------------------------
def test_notify_the_owner_sends_one_notification_an_hour(world, as_sales):
    url = reverse("crm:customer-notify-owner")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        response = as_sales.post(url, {"phone": "138 0000 0003", "qq": ""})
        assert response["Location"] == reverse("crm:customer-create")
        assert messages_of(response) == [f"{world.sales2} was notified."]
        [notice] = Notification.objects.filter(recipient=world.sales2)
        assert notice.link == reverse("crm:customer-detail", args=[world.sales2_lead.pk])
        assert "138****0003" in notice.text and "萨尔" in notice.text and str(world.sales) in notice.text
        assert "13800000003" not in notice.text and "0000 0003" not in notice.text

        for _again in range(3):
            clock.shift(timedelta(minutes=19))
            as_sales.post(url, {"phone": "+86 13800000003", "qq": ""})
        assert Notification.objects.filter(recipient=world.sales2).count() == 1

        clock.shift(timedelta(minutes=10))  # 67 minutes after the first
        as_sales.post(url, {"phone": "", "qq": "100003"})
        assert Notification.objects.filter(recipient=world.sales2).count() == 2
    assert Notification.objects.count() == 2


@pytest.mark.parametrize(
    "post",
    [
        {"phone": "13800000001"},  # the pool: nobody to notify
        {"phone": "13800000002"},  # one's own customer
        {"phone": "13800000004"},  # a deleted customer
        {"phone": "13900000000"},  # nobody has it
        {"phone": "not a phone", "qq": "100003"},
        {},
    ],
)
def test_notify_the_owner_without_an_owner_to_notify_sends_nothing(world, as_sales, post):
    response = as_sales.post(reverse("crm:customer-notify-owner"), post)
    assert response.status_code == 302
    assert messages_of(response) == ["There is no owner to notify for this phone or QQ."]
    assert not Notification.objects.exists()


# --- Recycle bin --------------------------------------------------------------------------------
def test_delete_moves_to_the_recycle_bin_and_restore_brings_back(world, as_sales):
    pk = world.sales_lead.pk
    response = as_sales.post(reverse("crm:customer-delete", args=[pk]))
    assert response["Location"] == reverse("crm:customer-mine")
    customer = Customer.objects.get(pk=pk)
    assert customer.is_deleted and customer.deleted_at is not None
    assert pk not in listed(as_sales.get(reverse("crm:customer-mine")))
    assert as_sales.get(reverse("crm:customer-detail", args=[pk])).status_code == 404
    trash = as_sales.get(reverse("crm:customer-trash"))
    assert pk in [c.pk for c in trash.context["object_list"]]

    response = as_sales.post(reverse("crm:customer-restore", args=[pk]))
    assert response["Location"] == reverse("crm:customer-trash")
    customer = Customer.objects.get(pk=pk)
    assert (customer.is_deleted, customer.deleted_at, customer.consultant_id) == (False, None, world.sales.pk)
    assert pk in listed(as_sales.get(reverse("crm:customer-mine")))


def test_restore_is_refused_when_a_live_customer_took_the_phone(world, as_sales):
    # Someone entered the deleted lead's phone again meanwhile.
    create(as_sales, world, name="新人", phone="138 0000 0004")
    newcomer = Customer.objects.get(name="新人")
    before = snapshot()

    response = as_sales.post(reverse("crm:customer-restore", args=[world.deleted_lead.pk]))

    assert response["Location"] == reverse("crm:customer-trash")
    assert Customer.objects.get(pk=world.deleted_lead.pk).is_deleted is True
    assert snapshot() == before
    expected = f"This customer already exists: 新人 (No. {newcomer.pk}), owned by {world.sales} since "
    assert any(text.startswith(expected) for text in messages_of(response)), messages_of(response)


def test_restore_is_refused_when_a_live_customer_took_the_qq(world, as_sales):
    create(as_sales, world, name="新人", phone="", qq="100004")
    response = as_sales.post(reverse("crm:customer-restore", args=[world.deleted_lead.pk]))
    assert Customer.objects.get(pk=world.deleted_lead.pk).is_deleted is True
    assert any(text.startswith("This customer already exists: 新人") for text in messages_of(response))


# --- Search -------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["zhangsan", "zs", "zhang", "ZhangSan", "zhang san", "张三", "张"])
def test_pinyin_and_name_search_finds_a_chinese_name(world, as_sales, query):
    create(as_sales, world)
    create(as_sales, world, name="李四", phone="139 0013 9000")
    zhang = Customer.objects.get(name="张三")
    assert listed(as_sales.get(reverse("crm:customer-mine"), {"q": query})) == [zhang.pk]


@pytest.mark.parametrize("query", ["chitang", "chi", "ct", "池塘", "池"])
def test_the_pool_is_searched_by_pinyin_too(world, as_sales, query):
    assert listed(as_sales.get(reverse("crm:customer-pool"), {"q": query})) == [world.pool_lead.pk]


@pytest.mark.parametrize("query", ["lisi", "zhangsanfeng", "x", "萨尔"])
def test_search_without_a_match_lists_nothing(world, as_sales, query):
    create(as_sales, world)
    assert listed(as_sales.get(reverse("crm:customer-mine"), {"q": query})) == []


@pytest.mark.parametrize(
    "query", ["13800000002", "138 0000 0002", "+86-138-0000-0002", "+8613800000002", " 138-0000-0002 "]
)
def test_search_by_phone_in_any_format(world, as_sales, query):
    assert listed(as_sales.get(reverse("crm:customer-mine"), {"q": query})) == [world.sales_lead.pk]


def test_search_by_qq_wechat_and_customer_number(world, as_sales):
    Customer.objects.filter(pk=world.sales_lead.pk).update(wechat="sale_wx88")
    mine = reverse("crm:customer-mine")
    assert listed(as_sales.get(mine, {"q": "100002"})) == [world.sales_lead.pk]
    assert listed(as_sales.get(mine, {"q": "sale_wx88"})) == [world.sales_lead.pk]
    assert listed(as_sales.get(mine, {"q": str(world.sales_lead.pk)})) == [world.sales_lead.pk]
    assert listed(as_sales.get(reverse("crm:customer-pool"), {"q": str(world.pool_lead.pk)})) == [
        world.pool_lead.pk
    ]


@pytest.mark.parametrize(
    "query", ["%", "_", "'", '"', "\\", "a" * 300, "😀", "１２３", "١٢٣", "99999999999999999999", "²", "③"]
)
def test_odd_search_input_lists_quietly(world, as_manager, query):
    """Digits of other scripts, wildcards and overlong input: a page, never a 500."""
    for list_name in ("crm:customer-list", "crm:customer-pool", "crm:customer-mine"):
        assert as_manager.get(reverse(list_name), {"q": query}).status_code == 200, list_name


# --- Filters ------------------------------------------------------------------------------------
@pytest.fixture
def filter_world(world):
    """Customers the manager's list tells apart by each filter."""
    now = timezone.now()
    other_source = DictItem.objects.create(kind=DictItem.Kind.SOURCE, code="fair", label="招聘会")
    signed = Customer.objects.create(
        name="签约",
        phone="+8613900000001",
        source=other_source,
        consulted_on=now.date(),
        consultant=world.sales,
        status=Customer.Status.SIGNED,
        claimed_at=now,
    )
    signed.interested_courses.add(world.python)
    Customer.objects.filter(pk=world.sales_lead.pk).update(
        created_at=now - 30 * DAY, last_follow_up_at=now - 10 * DAY
    )
    Customer.objects.filter(pk=world.sales2_lead.pk).update(
        created_at=now - 30 * DAY, last_follow_up_at=now - DAY
    )
    Customer.objects.filter(pk=world.pool_lead.pk).update(created_at=now - 8 * DAY)
    return signed, other_source


def test_filters_of_the_all_customers_list(world, as_manager, filter_world):
    signed, other_source = filter_world
    url = reverse("crm:customer-list")
    today = timezone.localdate()
    pool, mine, theirs = world.pool_lead.pk, world.sales_lead.pk, world.sales2_lead.pk

    assert listed(as_manager.get(url, {"source": other_source.pk})) == [signed.pk]
    assert listed(as_manager.get(url, {"source": world.source.pk})) == [theirs, mine, pool]
    assert listed(as_manager.get(url, {"status": "signed"})) == [signed.pk]
    assert listed(as_manager.get(url, {"status": "unsigned"})) == [theirs, mine, pool]
    assert listed(as_manager.get(url, {"consultant": world.sales.pk})) == [signed.pk, mine]
    assert listed(as_manager.get(url, {"consultant": world.sales2.pk})) == [theirs]
    assert listed(as_manager.get(url, {"course": world.python.pk})) == [signed.pk]
    assert listed(as_manager.get(url, {"created_from": today.isoformat()})) == [signed.pk]
    assert listed(as_manager.get(url, {"created_to": (today - 20 * DAY).isoformat()})) == [theirs, mine]
    window = {"created_from": (today - 9 * DAY).isoformat(), "created_to": (today - DAY).isoformat()}
    assert listed(as_manager.get(url, window)) == [pool]
    # Not followed up for more than 5 days: followed up 10 days ago, or never and entered 8 days ago.
    assert listed(as_manager.get(url, {"stale_days": "5"})) == [mine, pool]
    assert listed(as_manager.get(url, {"stale_days": "20"})) == []
    assert listed(as_manager.get(url, {"stale_days": "5", "consultant": world.sales.pk})) == [mine]


def test_due_today_and_overdue_filters(world, as_sales):
    today_late = timezone.localtime().replace(hour=23, minute=59, second=0, microsecond=0)
    yesterday = today_late - DAY
    Customer.objects.filter(pk=world.sales_lead.pk).update(next_follow_up_at=today_late)
    create(as_sales, world, name="逾期", phone="139 0000 0009")
    overdue = Customer.objects.get(name="逾期")
    Customer.objects.filter(pk=overdue.pk).update(next_follow_up_at=yesterday)
    Customer.objects.filter(pk=world.sales2_lead.pk).update(next_follow_up_at=today_late)
    mine = reverse("crm:customer-mine")
    assert listed(as_sales.get(mine, {"due": "today"})) == [world.sales_lead.pk]
    assert listed(as_sales.get(mine, {"due": "overdue"})) == [overdue.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"stale_days": "abc"},
        {"stale_days": "0"},
        {"stale_days": "-3"},
        {"stale_days": "99999999999999999999"},
        {"stale_days": "NaN"},
        {"stale_days": "Infinity"},
        {"created_from": "2026-13-45"},
        {"created_to": "yesterday"},
        {"created_from": "2026-02-30", "created_to": "2026-02-31"},
        {"source": "999999"},
        {"source": "abc"},
        {"consultant": "abc"},
        {"consultant": "999999"},
        {"course": "-1"},
        {"status": "maybe"},
        {"due": "later"},
        {"o": "password"},
        {"page": "abc"},
        {"page": "99999"},
        {"size": "100000"},
    ],
)
def test_invalid_filter_values_give_a_page_not_a_500(world, as_manager, params):
    for list_name in ("crm:customer-list", "crm:customer-pool", "crm:customer-mine"):
        response = as_manager.get(reverse(list_name), params)
        assert response.status_code == 200, list_name


@pytest.mark.parametrize(
    "params",
    [{"created_to": "9999-12-31"}, {"created_from": "0001-01-01"}, {"created_from": "1-01-01"}],
)
def test_dates_at_the_ends_of_the_calendar_give_a_page_not_a_500(world, as_manager, params):
    for list_name in ("crm:customer-list", "crm:customer-pool", "crm:customer-mine"):
        assert as_manager.get(reverse(list_name), params).status_code == 200, list_name


def test_an_invalid_filter_lists_nothing_and_says_why(world, as_manager):
    response = as_manager.get(reverse("crm:customer-list"), {"stale_days": "abc"})
    assert listed(response) == []
    assert "stale_days" in response.context["filter"].form.errors


# --- Masked contact details ---------------------------------------------------------------------
def phone_cell(response, pk: int) -> str:
    """The phone cell of one row of a list page."""
    page = response.content.decode()
    row = page[page.index(f'data-customer="{pk}"') :]
    row = row[row.index('data-testid="phone">') + len('data-testid="phone">') :]
    return row[: row.index("<")]


def detail_phone(response) -> str:
    page = response.content.decode()
    rest = page[page.index('<dd class="col-8" data-testid="phone">') :]
    return rest[rest.index(">") + 1 : rest.index("</dd>")]


def test_a_consultant_sees_pool_phones_masked_in_the_list_and_the_detail(world, as_sales):
    response = as_sales.get(reverse("crm:customer-pool"))
    assert phone_cell(response, world.pool_lead.pk) == "138****0001"
    page = response.content.decode()
    assert "0000 0001" not in page and "13800000001" not in page and "100001" not in page

    response = as_sales.get(reverse("crm:customer-detail", args=[world.pool_lead.pk]))
    assert detail_phone(response) == "138****0001"
    assert response.context["contacts"].masked is True
    page = response.content.decode()
    assert "0000 0001" not in page and "13800000001" not in page and "100001" not in page


def test_the_owner_sees_the_full_phone(world, as_sales):
    response = as_sales.get(reverse("crm:customer-mine"))
    assert phone_cell(response, world.sales_lead.pk) == "138 0000 0002"
    response = as_sales.get(reverse("crm:customer-detail", args=[world.sales_lead.pk]))
    assert detail_phone(response) == "138 0000 0002"
    assert response.context["contacts"].qq == "100002"


def test_the_manager_sees_every_phone_in_full(world, as_manager):
    response = as_manager.get(reverse("crm:customer-list"))
    assert phone_cell(response, world.pool_lead.pk) == "138 0000 0001"
    assert phone_cell(response, world.sales2_lead.pk) == "138 0000 0003"
    response = as_manager.get(reverse("crm:customer-pool"))
    assert phone_cell(response, world.pool_lead.pk) == "138 0000 0001"
    response = as_manager.get(reverse("crm:customer-detail", args=[world.pool_lead.pk]))
    assert detail_phone(response) == "138 0000 0001"


def test_a_claimed_customer_is_shown_in_full_to_the_new_owner(world, as_sales):
    as_sales.post(reverse("crm:customer-claim", args=[world.pool_lead.pk]))
    response = as_sales.get(reverse("crm:customer-detail", args=[world.pool_lead.pk]))
    assert detail_phone(response) == "138 0000 0001"


def test_a_released_customers_timeline_does_not_reveal_old_contact_details(world, as_sales, client_for):
    as_sales.post(
        reverse("crm:customer-update", args=[world.sales_lead.pk]),
        customer_data(world, name="萨乐", phone="139 1111 2222", qq="100002"),
    )
    as_sales.post(reverse("crm:customer-release", args=[world.sales_lead.pk]))

    response = client_for("sales2").get(reverse("crm:customer-detail", args=[world.sales_lead.pk]))

    page = response.content.decode()
    assert "139****2222" in page  # the change is listed, masked
    for secret in ("1111", "13911112222", "0000 0002", "13800000002"):
        assert secret not in page, secret


# --- Follow-ups ---------------------------------------------------------------------------------
def test_a_follow_up_moves_the_last_and_next_follow_up_dates(world, as_sales):
    next_at = (timezone.localtime() + DAY).replace(hour=10, minute=30, second=0, microsecond=0)
    with time_machine.travel(timezone.now(), tick=False):
        response = as_sales.post(
            reverse("crm:followup-create", args=[world.sales_lead.pk]),
            {
                "channel": world.channel.pk,
                "content": "约了试听",
                "next_at": next_at.strftime("%Y-%m-%dT%H:%M"),
            },
        )
        now = timezone.now()
    assert response["Location"] == reverse("crm:customer-detail", args=[world.sales_lead.pk])
    follow_up = FollowUp.objects.get(customer=world.sales_lead)
    assert (follow_up.consultant_id, follow_up.content, follow_up.at, follow_up.next_at) == (
        world.sales.pk,
        "约了试听",
        now,
        next_at,
    )
    customer = Customer.objects.get(pk=world.sales_lead.pk)
    assert (customer.last_follow_up_at, customer.next_follow_up_at) == (now, next_at)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"content": ""}, "content"),
        ({"channel": ""}, "channel"),
        ({"next_at": "2000-01-01T10:00"}, "next_at"),
        ({"next_at": "2999-01-01T10:00"}, "next_at"),
        ({"next_at": "tomorrow"}, "next_at"),
    ],
)
def test_a_bad_follow_up_writes_nothing(world, as_sales, changes, field):
    before = snapshot()
    data = {"channel": world.channel.pk, "content": "电话", **changes}
    response = as_sales.post(reverse("crm:followup-create", args=[world.sales_lead.pk]), data)
    assert_form_refused(response, field)
    assert snapshot() == before


def test_a_pool_customer_cannot_be_followed_up(world, as_sales):
    before = snapshot()
    url = reverse("crm:followup-create", args=[world.pool_lead.pk])
    assert as_sales.get(url).status_code == 404
    assert as_sales.post(url, {"channel": world.channel.pk, "content": "电话"}).status_code == 404
    response = as_sales.get(reverse("crm:customer-detail", args=[world.pool_lead.pk]))
    assert response.context["can_follow_up"] is False
    assert 'data-testid="follow-up-form"' not in response.content.decode()
    assert snapshot() == before


# --- The timeline -------------------------------------------------------------------------------
def test_the_timeline_shows_follow_ups_ownership_events_and_field_changes(world, as_sales, as_manager):
    create(as_sales, world, school="")
    customer = Customer.objects.get(name="张三")
    as_sales.post(
        reverse("crm:customer-update", args=[customer.pk]),
        customer_data(world, school="清华大学", education=world.education.pk),
    )
    as_sales.post(
        reverse("crm:followup-create", args=[customer.pk]),
        {"channel": world.channel.pk, "content": "约了试听"},
    )
    as_manager.post(
        reverse("crm:customer-transfer", args=[customer.pk]), {"to": world.sales2.pk, "reason": "调岗"}
    )

    response = as_manager.get(reverse("crm:customer-detail", args=[customer.pk]))

    timeline = response.context["timeline"]
    kinds = [item.kind for item in timeline]
    assert sorted(kinds) == ["change", "follow_up", "ownership", "ownership"]
    assert [item.at for item in timeline] == sorted((item.at for item in timeline), reverse=True)
    [change] = [item for item in timeline if item.kind == "change"]
    assert change.who == world.sales
    rows = {str(label): (old, new) for label, old, new in change.changes}
    assert rows == {"school": ("—", "清华大学"), "education": ("—", "本科")}
    events = [item.record for item in timeline if item.kind == "ownership"]
    assert [(e.kind, e.to_user_id) for e in events] == [
        (Kind.TRANSFER, world.sales2.pk),
        (Kind.CREATE, world.sales.pk),
    ]
    page = response.content.decode()
    for text in ("约了试听", "清华大学", "本科", "调岗", str(world.sales2)):
        assert text in page, text


# --- The consultant's day -----------------------------------------------------------------------
def test_the_home_page_lists_follow_ups_due_today_and_overdue(world, as_sales):
    today_late = timezone.localtime().replace(hour=23, minute=59, second=0, microsecond=0)
    Customer.objects.filter(pk=world.sales_lead.pk).update(next_follow_up_at=today_late)
    create(as_sales, world, name="逾期", phone="139 0000 0009")
    overdue = Customer.objects.get(name="逾期")
    Customer.objects.filter(pk=overdue.pk).update(next_follow_up_at=today_late - 3 * DAY)
    create(as_sales, world, name="明天", phone="139 0000 0008")
    Customer.objects.filter(name="明天").update(next_follow_up_at=today_late + DAY)
    Customer.objects.filter(pk=world.sales2_lead.pk).update(next_follow_up_at=today_late)

    response = as_sales.get(reverse("home"))

    # The follow-ups are part of the consultant's panel (reports.dashboards).
    day = response.context["panels"]["consultant"]
    assert [c.pk for c in day["due_today"]] == [world.sales_lead.pk]
    assert [c.pk for c in day["overdue"]] == [overdue.pk]
    page = response.content.decode()
    cards = page[page.index('data-testid="follow-ups-due"') :]
    due_today = cards[cards.index('data-testid="due-today"') : cards.index('data-testid="overdue"')]
    overdue_card = cards[cards.index('data-testid="overdue"') :]
    assert "萨乐" in due_today and "逾期" not in due_today
    assert "逾期" in overdue_card and "萨乐" not in overdue_card
    assert "明天" not in cards and "萨尔" not in cards


def test_the_home_page_of_a_non_consultant_has_no_follow_ups(world, as_teacher):
    response = as_teacher.get(reverse("home"))
    assert 'data-testid="follow-ups-due"' not in response.content.decode()


# --- Pool rules and allocation pages ------------------------------------------------------------
def policy_data(**changes) -> dict:
    return {
        "days_without_follow_up": "5",
        "days_without_signing": "20",
        "warning_days": "2",
        "private_cap": "100",
        "cooldown_days": "3",
        **changes,
    }


def test_the_pool_rules_page_saves(world, as_manager):
    response = as_manager.post(reverse("crm:poolpolicy-update"), policy_data())
    assert response["Location"] == reverse("crm:poolpolicy-update")
    policy = PoolPolicy.current()
    assert (
        policy.days_without_follow_up,
        policy.days_without_signing,
        policy.warning_days,
        policy.private_cap,
        policy.cooldown_days,
    ) == (5, 20, 2, 100, 3)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"warning_days": "5"}, "warning_days"),  # as long as the shortest rule
        ({"warning_days": "6"}, "warning_days"),
        ({"days_without_signing": "2", "warning_days": "2"}, "warning_days"),
        ({"days_without_follow_up": "0"}, "days_without_follow_up"),
        ({"days_without_follow_up": "366"}, "days_without_follow_up"),
        ({"days_without_signing": ""}, "days_without_signing"),
        ({"private_cap": "0"}, "private_cap"),
        ({"cooldown_days": "-1"}, "cooldown_days"),
        ({"warning_days": "abc"}, "warning_days"),
    ],
)
def test_bad_pool_rules_are_refused_and_change_nothing(world, as_manager, changes, field):
    PoolPolicy.current()
    before = list(PoolPolicy.objects.values_list())
    assert_form_refused(as_manager.post(reverse("crm:poolpolicy-update"), policy_data(**changes)), field)
    assert list(PoolPolicy.objects.values_list()) == before


def test_a_consultant_cannot_change_the_pool_rules_or_weights(world, as_sales):
    assert as_sales.post(reverse("crm:poolpolicy-update"), policy_data()).status_code == 403
    assert (
        as_sales.post(reverse("crm:allocation-update"), {f"weight_{world.sales.pk}": "9"}).status_code == 403
    )
    assert not AllocationWeight.objects.exists()


def weights() -> dict[int, tuple]:
    return {w.consultant_id: (w.weight, w.daily_cap) for w in AllocationWeight.objects.all()}


def test_the_allocation_page_sets_weights_and_a_blank_weight_removes_the_row(world, as_manager):
    url = reverse("crm:allocation-update")
    sales, sales2, manager = world.sales.pk, world.sales2.pk, world.manager.pk
    response = as_manager.post(
        url, {f"weight_{sales}": "5", f"cap_{sales}": "30", f"weight_{sales2}": "0", f"weight_{manager}": ""}
    )
    assert response["Location"] == url
    assert weights() == {sales: (5, 30), sales2: (0, None)}

    # Saving keeps the round-robin state of the rows it does not remove.
    AllocationWeight.objects.filter(consultant_id=sales).update(current=-4, allocated_today=7)
    as_manager.post(url, {f"weight_{sales}": "5", f"cap_{sales}": "30", f"weight_{sales2}": ""})
    assert weights() == {sales: (5, 30)}
    row = AllocationWeight.objects.get(consultant_id=sales)
    assert (row.current, row.allocated_today) == (-4, 7)

    as_manager.post(url, {f"weight_{sales}": ""})
    assert weights() == {}


@pytest.mark.parametrize(
    ("value", "field"),
    [("-1", "weight"), ("1001", "weight"), ("abc", "weight"), ("1.5", "weight"), ("0", "cap"), ("-5", "cap")],
)
def test_bad_allocation_weights_are_refused_and_change_nothing(world, as_manager, value, field):
    url = reverse("crm:allocation-update")
    as_manager.post(url, {f"weight_{world.sales.pk}": "3", f"weight_{world.sales2.pk}": "2"})
    before = weights()
    data = {f"weight_{world.sales.pk}": "3", f"weight_{world.sales2.pk}": "2"}
    data[f"{field}_{world.sales2.pk}"] = value
    response = as_manager.post(url, data)
    assert response.status_code == 200
    assert f"{field}_{world.sales2.pk}" in response.context["form"].errors
    assert weights() == before


def test_the_allocation_page_ignores_consultants_outside_the_managers_reach(world, as_manager):
    as_manager.post(reverse("crm:allocation-update"), {f"weight_{world.teacher.pk}": "9"})
    assert world.teacher.pk not in weights()


def test_the_edit_form_cannot_change_the_owner_or_the_status(world, as_sales):
    as_sales.post(
        reverse("crm:customer-update", args=[world.sales_lead.pk]),
        customer_data(
            world,
            name="萨乐",
            phone="13800000002",
            consultant=world.sales2.pk,
            status="signed",
            claimed_at="2000-01-01 00:00",
            is_deleted="on",
            created_by=world.sales2.pk,
        ),
    )
    customer = Customer.objects.get(pk=world.sales_lead.pk)
    assert (customer.consultant_id, customer.status, customer.is_deleted, customer.created_by_id) == (
        world.sales.pk,
        Customer.Status.UNSIGNED,
        False,
        None,
    )
    assert customer.claimed_at.year > 2000


@pytest.mark.parametrize(
    ("role", "lead", "crumb"),
    [
        ("sales", "pool_lead", "Public pool"),
        ("sales", "sales_lead", "My customers"),
        ("manager", "sales_lead", "All customers"),
    ],
)
def test_customer_detail_leads_back_to_the_list_it_belongs_to(world, client_for, role, lead, crumb):
    response = client_for(role).get(reverse("crm:customer-detail", args=[getattr(world, lead).pk]))
    labels = [label for label, _url in response.context["rbac"].breadcrumb]
    assert labels == ["Sales", crumb]
    menu = response.context["rbac"].menu
    assert [item.label for section in menu for item in section.items if item.active] == [crumb]


def test_the_consultant_filter_and_transfer_list_offer_the_same_consultants(world, as_manager):
    response = as_manager.get(reverse("crm:customer-list"), {"consultant": world.sales.pk})
    html = response.content.decode()
    selected = f'<option value="{world.sales.pk}" selected>{world.sales}</option>'
    assert selected in html
    consultant_select = html.split('name="consultant"', 1)[1].split("</select>", 1)[0]
    transfer_select = html.split('name="to"', 1)[1].split("</select>", 1)[0]
    offered = re.findall(r'<option value="(\d+)"', transfer_select)
    assert str(world.sales.pk) in offered
    assert re.findall(r'<option value="(\d+)"', consultant_select) == offered
