"""The sales desk in a browser: consultants enter leads, meet duplicates, follow customers up and
claim stale ones from the public pool; their manager transfers customers and sets the pool rules
and the allocation weights.

The UI language is being translated while these tests are written, so they find elements by test
id, form field name, URL and value, and read only text that is data they created (names, phones).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Department, Notification, User
from crm import services
from crm.models import AllocationWeight, Course, Customer, DictItem, FollowUp, OwnershipEvent, PoolPolicy
from crm.normalize import name_keys, normalize_phone
from rbac.defaults import SALES, SALES_MANAGER

pytestmark = pytest.mark.e2e

SIZES = ["desktop", "phone"]
DETAIL_URL = re.compile(r"/sales/customers/(\d+)/$")


@dataclass
class Desk:
    """The sales team (consultants A-D in one department, their manager, one outsider) and the
    dictionary items and course the forms offer."""

    a: User
    b: User
    c: User
    d: User
    manager: User
    outsider: User
    source: DictItem
    other_source: DictItem
    phone_call: DictItem
    wechat: DictItem
    within_month: DictItem
    male: DictItem
    course: Course
    other_course: Course


def consultant(staff, username: str, display_name: str, department: Department) -> User:
    user = User.objects.create_user(
        username=username,
        password=staff.password,
        email=f"{username}@e2e.example.test",
        display_name=display_name,
        department=department,
    )
    staff.roles[SALES].users.add(user)
    return user


@pytest.fixture
def desk(staff) -> Desk:
    team = Department.objects.create(name="北京销售部", code="bj-sales")
    elsewhere = Department.objects.create(name="上海销售部", code="sh-sales")
    a, manager = staff.users[SALES], staff.users[SALES_MANAGER]
    for user in (a, manager):
        user.department = team
        user.save(update_fields=["department"])

    def item(kind, code, label, order=0):
        return DictItem.objects.create(kind=kind, code=code, label=label, order=order)

    Kind = DictItem.Kind
    item(Kind.INTENT_LEVEL, "watching", "观望中", 2)
    item(Kind.GENDER, "female", "女", 2)
    return Desk(
        a=a,
        b=consultant(staff, "e2e-sales-b", "王顾问", team),
        c=consultant(staff, "e2e-sales-c", "陈顾问", team),
        d=consultant(staff, "e2e-sales-d", "刘顾问", team),
        manager=manager,
        outsider=consultant(staff, "e2e-sales-sh", "林顾问", elsewhere),
        source=item(Kind.SOURCE, "baidu", "百度推广"),
        other_source=item(Kind.SOURCE, "referral", "朋友推荐", 1),
        phone_call=item(Kind.FOLLOW_UP_CHANNEL, "phone", "电话"),
        wechat=item(Kind.FOLLOW_UP_CHANNEL, "wechat", "微信", 1),
        within_month=item(Kind.INTENT_LEVEL, "within-month", "1个月内报名", 1),
        male=item(Kind.GENDER, "male", "男", 1),
        course=Course.objects.create(name="Python全栈开发", default_price=19800),
        other_course=Course.objects.create(name="Java大数据开发", default_price=21800),
    )


def make_customer(
    desk: Desk,
    name: str,
    phone: str,
    owner: User | None,
    *,
    age_days: int = 0,
    claimed_days_ago: int | None = None,
    followed_days_ago: int | None = None,
) -> Customer:
    """A customer entered `age_days` ago, owned by `owner` (claimed `claimed_days_ago`) and last
    followed up `followed_days_ago` (with a follow-up record), straight in the database."""
    now = timezone.now()
    pinyin, initials = name_keys(name)
    claimed_days_ago = age_days if claimed_days_ago is None else claimed_days_ago
    customer = Customer.objects.create(
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        phone=normalize_phone(phone),
        source=desk.source,
        gender=desk.male,
        consulted_on=timezone.localdate() - timedelta(days=age_days),
        created_at=now - timedelta(days=age_days),
        created_by=owner,
        consultant=owner,
        claimed_at=now - timedelta(days=claimed_days_ago) if owner else None,
    )
    customer.interested_courses.add(desk.course)
    if followed_days_ago is not None:
        at = now - timedelta(days=followed_days_ago)
        FollowUp.objects.create(
            customer=customer,
            consultant=owner,
            channel=desk.phone_call,
            intent=desk.within_month,
            content="第一次电话沟通，想了解 Python 课程。",
            at=at,
        )
        Customer.objects.filter(pk=customer.pk).update(last_follow_up_at=at)
        services.follow_up_day_count(consultant_id=owner.pk, at=at)  # as follow_up_add does
        customer.refresh_from_db()
    return customer


def open_menu_item(page: Page, codename: str, size: str) -> None:
    """Follow a sidebar item; on a phone the sidebar hides behind the menu button."""
    item = page.get_by_test_id("sidebar").locator(f'[data-menu-item="{codename}"]')
    if size == "phone":
        page.locator('button[data-bs-toggle="offcanvas"][data-bs-target="#sidebar"]').tap()
        expect(page.locator("#sidebar.show")).to_be_visible()
        item.tap()
    else:
        item.click()


def show_filters(page: Page, size: str):
    """The list's filter form; on a phone it is folded away behind its toggle."""
    form = page.get_by_test_id("filter-form")
    if size == "phone" and not form.is_visible():
        page.locator('button[data-bs-target="#filter-bar"]').tap()
        expect(page.locator("#filter-bar.show")).to_be_visible()
    expect(form).to_be_visible()
    return form


def customer_row(page: Page, customer_id: int):
    return page.get_by_test_id("list-table").locator(f'tr[data-customer="{customer_id}"]')


def expect_success(page: Page, *texts: str) -> None:
    alert = page.locator(".messages .alert-success")
    expect(alert).to_be_visible()
    for text in texts:
        expect(alert).to_contain_text(text)


def page_overflows(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


# --- 1. A consultant enters a lead ------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
def test_consultant_enters_a_lead_and_finds_it_in_my_customers(ui, desk, size):
    a = desk.a
    page = ui.page(size)
    ui.login(page, a.username)

    open_menu_item(page, "crm.customer_mine", size)
    expect(page).to_have_url(re.compile(r"/sales/customers/mine/$"))
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    page.get_by_test_id("new-customer").click()
    expect(page).to_have_url(re.compile(r"/sales/customers/new/$"))

    form = page.get_by_test_id("record-form")
    # Only the customer sources are offered as sources, and the course as a checkbox.
    source_values = form.locator("select[name=source] option").evaluate_all(
        "options => options.map(option => option.value).filter(Boolean)"
    )
    assert source_values == [str(desk.source.pk), str(desk.other_source.pk)]
    form.locator("input[name=name]").fill("张伟")
    form.locator("select[name=gender]").select_option(str(desk.male.pk))
    form.locator("select[name=source]").select_option(str(desk.source.pk))
    expect(form.locator("input[name=consulted_on]")).to_have_value(timezone.localdate().isoformat())
    form.locator("input[name=phone]").fill("138 0013 8000")
    form.locator(f'input[name=interested_courses][value="{desk.course.pk}"]').check()
    form.locator("input[name=school]").fill("北京工业大学")
    form.locator("textarea[name=note]").fill("在百度搜索 Python 培训进来的，晚上方便接电话。")
    ui.shot(page, f"sales-1-enter-lead-{size}")
    form.locator("button[type=submit]").click()

    # The new customer's page: A's, with the phone as people read it.
    expect(page).to_have_url(DETAIL_URL)
    customer_id = int(DETAIL_URL.search(page.url).group(1))
    expect_success(page, "张伟")
    expect(page.locator("main h1")).to_contain_text("张伟")
    expect(page.get_by_test_id("contacts").get_by_test_id("phone")).to_have_text("138 0013 8000")
    expect(page.get_by_test_id("masked")).to_have_count(0)
    expect(page.get_by_test_id("in-pool")).to_have_count(0)
    expect(page.locator("main")).to_contain_text(desk.course.name)
    expect(page.locator("main")).to_contain_text(desk.source.label)
    expect(page.get_by_test_id("timeline").locator('li[data-kind="ownership"]')).to_have_count(1)
    expect(page.get_by_test_id("follow-up-form")).to_be_visible()
    assert not page_overflows(page)
    ui.shot(page, f"sales-1-lead-detail-{size}")

    # In A's customers, and among the unsigned ones.
    open_menu_item(page, "crm.customer_mine", size)
    expect(page).to_have_url(re.compile(r"/sales/customers/mine/$"))
    show_filters(page, size).locator("select[name=status]").select_option(Customer.Status.UNSIGNED)
    page.get_by_test_id("filter-form").locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/sales/customers/mine/\?.*status=unsigned"))
    row = customer_row(page, customer_id)
    expect(row).to_contain_text("张伟")
    expect(row.get_by_test_id("phone")).to_have_text("138 0013 8000")
    expect(row).to_contain_text(desk.source.label)
    expect(row.locator(".badge.text-bg-success")).to_have_count(0)
    expect(page.get_by_test_id("list-table").locator("tbody tr")).to_have_count(1)
    assert not page_overflows(page)
    ui.shot(page, f"sales-1-my-customers-{size}")

    # Signed customers only: the lead is not among them.
    show_filters(page, size).locator("select[name=status]").select_option(Customer.Status.SIGNED)
    page.get_by_test_id("filter-form").locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"status=signed"))
    expect(page.get_by_test_id("empty-state")).to_be_visible()

    customer = Customer.objects.get()
    assert customer.pk == customer_id
    assert customer.name == "张伟"
    assert customer.phone == "+8613800138000"
    assert customer.consultant == a
    assert customer.created_by == a
    assert customer.claimed_at is not None
    assert customer.status == Customer.Status.UNSIGNED
    assert customer.source == desk.source
    assert customer.gender == desk.male
    assert list(customer.interested_courses.all()) == [desk.course]
    assert (customer.name_pinyin, customer.name_initials) == ("zhangwei", "zw")
    assert list(OwnershipEvent.objects.values_list("kind", "to_user", "by")) == [
        (OwnershipEvent.Kind.CREATE, a.pk, a.pk)
    ]


# --- 2. A duplicate: the owner is named and notified ------------------------------------------
def test_duplicate_lead_names_the_owner_who_is_notified(ui, desk):
    a, d = desk.a, desk.d
    existing = make_customer(desk, "张伟", "138 0013 8000", a, age_days=2)

    page = ui.page()
    ui.login(page, d.username)
    page.goto("/sales/customers/new/")
    form = page.get_by_test_id("record-form")
    form.locator("input[name=name]").fill("张小伟")
    form.locator("select[name=source]").select_option(str(desk.other_source.pk))
    form.locator("input[name=phone]").fill("+86-138-0013-8000")
    form.locator("button[type=submit]").click()

    # Refused: the form comes back with what D typed, the warning names A and the customer.
    expect(page).to_have_url(re.compile(r"/sales/customers/new/$"))
    duplicate = page.get_by_test_id("duplicate")
    expect(duplicate).to_be_visible()
    expect(duplicate).to_contain_text(str(a))
    phone = form.locator("input[name=phone]")
    expect(phone).to_have_value("+86-138-0013-8000")
    expect(phone).to_have_class(re.compile(r"\bis-invalid\b"))
    error = form.locator("[id^=error_][id$=_id_phone]")
    expect(error).to_contain_text(existing.name)
    expect(error).to_contain_text(str(a))
    expect(error).to_contain_text(str(existing.pk))
    # Nothing of the existing customer's contact details beyond the number D typed.
    expect(page.locator("main")).not_to_contain_text("138 0013 8000")
    ui.shot(page, "sales-2-duplicate-desktop")
    assert Customer.objects.count() == 1
    assert not Notification.objects.exists()

    notify = page.get_by_test_id("notify-owner")
    expect(notify).to_contain_text(str(a))
    notify.click()
    expect(page).to_have_url(re.compile(r"/sales/customers/new/$"))
    expect_success(page, str(a))
    ui.shot(page, "sales-2-owner-notified-desktop")

    notification = Notification.objects.get()
    assert notification.recipient == a
    assert notification.link == f"/sales/customers/{existing.pk}/"
    assert notification.read_at is None
    assert str(d) in notification.text
    assert existing.name in notification.text
    assert "138****8000" in notification.text
    assert Customer.objects.count() == 1
    assert Customer.objects.get().consultant == a

    # A signs in: the bell counts one unread notification, which leads to the customer.
    owner_page = ui.page()
    ui.login(owner_page, a.username)
    bell = owner_page.get_by_test_id("bell")
    unread = bell.get_by_test_id("unread-count")
    expect(unread).to_be_visible()
    assert unread.evaluate("badge => badge.firstChild.textContent.trim()") == "1"
    ui.shot(owner_page, "sales-2-bell-desktop")
    bell.click()
    expect(owner_page).to_have_url(re.compile(r"/notifications/$"))
    items = owner_page.get_by_test_id("notification-list").locator("li")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text(str(d))
    expect(items.first).to_contain_text(existing.name)
    expect(items.first).to_contain_text("138****8000")
    ui.shot(owner_page, "sales-2-notifications-desktop")
    items.first.locator(f'form[action$="/notifications/{notification.pk}/open/"] button').click()
    expect(owner_page).to_have_url(re.compile(rf"/sales/customers/{existing.pk}/$"))
    expect(owner_page.get_by_test_id("unread-count")).to_have_count(0)
    notification.refresh_from_db()
    assert notification.read_at is not None


# --- 3. A follow-up -------------------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
def test_consultant_logs_a_follow_up(ui, desk, size):
    c = desk.c
    customer = make_customer(desk, "李娜", "139 1234 5678", c, age_days=20, followed_days_ago=2)
    next_at = (timezone.localtime() + timedelta(days=3)).replace(hour=10, minute=30, second=0, microsecond=0)
    shown_next = next_at.strftime("%Y-%m-%d %H:%M")

    page = ui.page(size)
    ui.login(page, c.username)
    open_menu_item(page, "crm.customer_mine", size)
    row = customer_row(page, customer.pk)
    expect(row.get_by_test_id("phone")).to_have_text("139 1234 5678")
    row.locator(f'td a[href="/sales/customers/{customer.pk}/"]').click()
    expect(page).to_have_url(re.compile(rf"/sales/customers/{customer.pk}/$"))
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator('li[data-kind="follow_up"]')).to_have_count(1)
    expect(page.get_by_test_id("next-follow-up")).to_have_text("—")

    form = page.get_by_test_id("follow-up-form")
    form.locator("select[name=channel]").select_option(str(desk.wechat.pk))
    form.locator("select[name=intent]").select_option(str(desk.within_month.pk))
    form.locator("textarea[name=content]").fill("微信发了课程大纲和学费分期方案，周末来校区试听。")
    form.locator("input[name=next_at]").fill(next_at.strftime("%Y-%m-%dT%H:%M"))
    ui.shot(page, f"sales-3-follow-up-form-{size}")
    form.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"/sales/customers/{customer.pk}/$"))
    expect_success(page)
    entries = timeline.locator('li[data-kind="follow_up"]')
    expect(entries).to_have_count(2)
    newest = entries.first
    expect(newest).to_contain_text("周末来校区试听")
    expect(newest).to_contain_text(desk.wechat.label)
    expect(newest).to_contain_text(desk.within_month.label)
    expect(newest).to_contain_text(str(c))
    expect(newest).to_contain_text(shown_next)
    expect(page.get_by_test_id("next-follow-up")).to_have_text(shown_next)
    # The form is empty again for the next call.
    expect(form.locator("textarea[name=content]")).to_have_value("")
    assert not page_overflows(page)
    ui.shot(page, f"sales-3-followed-up-{size}")

    customer.refresh_from_db()
    follow_up = FollowUp.objects.filter(customer=customer).first()
    assert follow_up.content == "微信发了课程大纲和学费分期方案，周末来校区试听。"
    assert (follow_up.consultant, follow_up.channel, follow_up.intent) == (c, desk.wechat, desk.within_month)
    assert follow_up.next_at == next_at
    assert timezone.now() - customer.last_follow_up_at < timedelta(minutes=2)
    assert customer.last_follow_up_at == follow_up.at
    assert customer.next_follow_up_at == next_at
    assert customer.consultant == c

    # The list shows the new dates too.
    open_menu_item(page, "crm.customer_mine", size)
    row = customer_row(page, customer.pk)
    expect(row).to_contain_text(timezone.localdate().isoformat())
    expect(row).to_contain_text(next_at.strftime("%m-%d %H:%M"))


# --- 4. Stale customers return to the pool and are claimed --------------------------------------
@pytest.mark.parametrize("size", SIZES)
def test_consultant_claims_stale_customers_from_the_pool(ui, desk, size):
    a, b = desk.a, desk.b
    stale = [
        make_customer(desk, name, phone, a, age_days=60, claimed_days_ago=45, followed_days_ago=40)
        for name, phone in [("赵敏", "139 0000 0001"), ("钱多多", "139 0000 0002"), ("孙悦", "139 0000 0003")]
    ]
    fresh_lead = make_customer(desk, "周新", "137 0000 0004", None)  # in the pool, entered today
    kept = make_customer(  # A's, followed up yesterday: stays with A
        desk, "吴勤", "136 0000 0005", a, age_days=10, claimed_days_ago=1, followed_days_ago=1
    )

    swept = services.pool_sweep()
    assert swept.returned == 3
    in_pool = set(Customer.objects.in_pool().values_list("pk", flat=True))
    assert in_pool == {customer.pk for customer in [*stale, fresh_lead]}
    assert OwnershipEvent.objects.filter(kind=OwnershipEvent.Kind.AUTO_RETURN, from_user=a).count() == 3

    page = ui.page(size)
    ui.login(page, b.username)
    open_menu_item(page, "crm.customer_pool", size)
    expect(page).to_have_url(re.compile(r"/sales/customers/pool/$"))
    table = page.get_by_test_id("list-table")
    expect(table.locator("tbody tr")).to_have_count(4)
    expect(customer_row(page, kept.pk)).to_have_count(0)

    filters = show_filters(page, size)
    filters.locator("input[name=stale_days]").fill("30")
    filters.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/sales/customers/pool/\?.*stale_days=30"))
    expect(page.get_by_test_id("filter-form").locator("input[name=stale_days]")).to_have_value("30")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(customer_row(page, fresh_lead.pk)).to_have_count(0)
    for customer in stale:
        row = customer_row(page, customer.pk)
        expect(row).to_contain_text(customer.name)
        expect(row.get_by_test_id("phone")).to_have_text(f"139****000{customer.phone[-1]}")
    expect(table).not_to_contain_text("139 0000 000")
    assert not page_overflows(page)
    ui.shot(page, f"sales-4-pool-stale-{size}")

    for customer in stale:
        customer_row(page, customer.pk).locator(f'input[name=ids][value="{customer.pk}"]').check()
    page.get_by_test_id("batch-claim").click()

    # Back on the filtered pool, now empty; the claim is reported by name.
    expect(page).to_have_url(re.compile(r"/sales/customers/pool/\?.*stale_days=30"))
    expect_success(page, *(customer.name for customer in stale))
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    ui.shot(page, f"sales-4-claimed-{size}")

    for customer in stale:
        customer.refresh_from_db()
        assert customer.consultant == b
        assert customer.claimed_at is not None
    assert OwnershipEvent.objects.filter(kind=OwnershipEvent.Kind.CLAIM, to_user=b, by=b).count() == 3
    fresh_lead.refresh_from_db()
    kept.refresh_from_db()
    assert (fresh_lead.consultant, kept.consultant) == (None, a)

    # B's customers now, with the full phone numbers.
    open_menu_item(page, "crm.customer_mine", size)
    expect(page).to_have_url(re.compile(r"/sales/customers/mine/$"))
    expect(page.get_by_test_id("list-table").locator("tbody tr")).to_have_count(3)
    for customer in stale:
        row = customer_row(page, customer.pk)
        expect(row).to_contain_text(customer.name)
        expect(row.get_by_test_id("phone")).to_have_text(f"139 0000 000{customer.phone[-1]}")
    assert not page_overflows(page)
    ui.shot(page, f"sales-4-my-customers-{size}")


# --- 5. The manager: a transfer, the pool rules, the allocation weights -------------------------
def test_manager_transfers_a_customer_and_sets_pool_rules_and_allocation(ui, desk):
    a, d, manager = desk.a, desk.d, desk.manager
    customer = make_customer(desk, "黄磊", "135 0000 1111", a, age_days=5, followed_days_ago=3)

    page = ui.page()
    ui.login(page, manager.username)
    open_menu_item(page, "crm.customer_list", "desktop")
    expect(page).to_have_url(re.compile(r"/sales/customers/$"))
    row = customer_row(page, customer.pk)
    expect(row).to_contain_text(str(a))
    expect(row.get_by_test_id("phone")).to_have_text("135 0000 1111")  # a manager sees them all
    row.locator(f'td a[href="/sales/customers/{customer.pk}/"]').click()
    expect(page).to_have_url(re.compile(rf"/sales/customers/{customer.pk}/$"))
    expect(page.locator("main")).to_contain_text(str(a))

    page.get_by_test_id("transfer").click()
    expect(page).to_have_url(re.compile(rf"/sales/customers/{customer.pk}/transfer/$"))
    form = page.get_by_test_id("record-form")
    offered = form.locator("select[name=to] option").evaluate_all(
        "options => options.map(option => option.value).filter(Boolean)"
    )
    # The department's consultants (the manager is one too), not the other department's.
    assert set(offered) == {str(user.pk) for user in (a, desk.b, desk.c, d, manager)}
    form.locator("select[name=to]").select_option(str(d.pk))
    form.locator("input[name=reason]").fill("孙顾问休产假，交给刘顾问跟进")
    ui.shot(page, "sales-5-transfer-form-desktop")
    form.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"/sales/customers/{customer.pk}/$"))
    expect_success(page, customer.name, str(d))
    transfer_entry = page.get_by_test_id("timeline").locator('li[data-kind="ownership"]').first
    expect(transfer_entry).to_contain_text(f"{a} → {d}")
    expect(transfer_entry).to_contain_text("孙顾问休产假")
    expect(transfer_entry).to_contain_text(str(manager))
    ui.shot(page, "sales-5-transferred-desktop")

    customer.refresh_from_db()
    assert customer.consultant == d
    event = OwnershipEvent.objects.get(customer=customer)
    assert (event.kind, event.from_user, event.to_user, event.by) == (
        OwnershipEvent.Kind.TRANSFER,
        a,
        d,
        manager,
    )
    assert event.reason == "孙顾问休产假，交给刘顾问跟进"
    assert Notification.objects.filter(recipient=d, link=f"/sales/customers/{customer.pk}/").count() == 1

    # The pool rules: a warning as long as the shortest rule is refused, then a valid set saved.
    open_menu_item(page, "crm.poolpolicy_update", "desktop")
    expect(page).to_have_url(re.compile(r"/sales/pool-rules/$"))
    form = page.get_by_test_id("record-form")
    expect(form.locator("input[name=days_without_follow_up]")).to_have_value("3")
    rules = {
        "days_without_follow_up": "5",
        "days_without_signing": "20",
        "warning_days": "5",
        "private_cap": "80",
        "cooldown_days": "10",
    }
    for name, value in rules.items():
        form.locator(f"input[name={name}]").fill(value)
    form.locator("button[type=submit]").click()
    expect(form.locator("input[name=warning_days]")).to_have_class(re.compile(r"\bis-invalid\b"))
    ui.shot(page, "sales-5-pool-rules-refused-desktop")
    policy = PoolPolicy.current()
    assert (policy.days_without_follow_up, policy.warning_days, policy.private_cap) == (3, 1, 150)

    form.locator("input[name=warning_days]").fill("2")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/sales/pool-rules/$"))
    expect_success(page)
    for name, value in {**rules, "warning_days": "2"}.items():
        expect(form.locator(f"input[name={name}]")).to_have_value(value)
    ui.shot(page, "sales-5-pool-rules-desktop")
    policy = PoolPolicy.objects.get()
    assert (
        policy.days_without_follow_up,
        policy.days_without_signing,
        policy.warning_days,
        policy.private_cap,
        policy.cooldown_days,
    ) == (5, 20, 2, 80, 10)

    # Allocation: A gets three shares capped at 20 a day, D one share without a cap.
    open_menu_item(page, "crm.allocation_update", "desktop")
    expect(page).to_have_url(re.compile(r"/sales/allocation/$"))
    form = page.get_by_test_id("record-form")
    expect(form.locator(f"input[name=weight_{desk.outsider.pk}]")).to_have_count(0)
    for user in (a, desk.b, desk.c, d, manager):
        expect(form.locator(f"input[name=weight_{user.pk}]")).to_have_value("")
    form.locator(f"input[name=weight_{a.pk}]").fill("3")
    form.locator(f"input[name=cap_{a.pk}]").fill("20")
    form.locator(f"input[name=weight_{d.pk}]").fill("1")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/sales/allocation/$"))
    expect_success(page)
    expect(form.locator(f"input[name=weight_{a.pk}]")).to_have_value("3")
    expect(form.locator(f"input[name=cap_{a.pk}]")).to_have_value("20")
    expect(form.locator(f"input[name=weight_{d.pk}]")).to_have_value("1")
    expect(form.locator(f"input[name=cap_{d.pk}]")).to_have_value("")
    ui.shot(page, "sales-5-allocation-desktop")
    weights = {w.consultant_id: (w.weight, w.daily_cap) for w in AllocationWeight.objects.all()}
    assert weights == {a.pk: (3, 20), d.pk: (1, None)}

    # A blank weight takes a consultant out again.
    form.locator(f"input[name=weight_{d.pk}]").fill("")
    form.locator("button[type=submit]").click()
    expect_success(page)
    expect(form.locator(f"input[name=weight_{d.pk}]")).to_have_value("")
    weights = {w.consultant_id: (w.weight, w.daily_cap) for w in AllocationWeight.objects.all()}
    assert weights == {a.pk: (3, 20)}
