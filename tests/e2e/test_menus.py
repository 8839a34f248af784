"""Each default role signs in and sees exactly the menu items its permissions hold."""

import pytest
from playwright.sync_api import expect

from rbac.defaults import ADMIN, FINANCE, SALES, SALES_MANAGER, STUDENT, TEACHER

pytestmark = pytest.mark.e2e

# What each default role must (and must not) find in its menu, written out by hand so that a
# default role losing an item in the permission dictionary is noticed too.
MUST_HAVE = {
    ADMIN: {
        "crm.campus_list",
        "crm.course_list",
        "crm.class_list",
        "crm.dict_item_list",
        "rbac.department_list",
        "rbac.user_list",
        "rbac.role_list",
    },
    SALES_MANAGER: {"crm.course_list", "crm.class_list", "crm.dict_item_list_sources"},
    SALES: {"crm.course_list", "crm.class_list"},
    FINANCE: set(),
    TEACHER: set(),
    STUDENT: set(),
}
ADMIN_ONLY_ITEMS = {
    "crm.campus_list",
    "crm.dict_item_list",
    "rbac.department_list",
    "rbac.user_list",
    "rbac.role_list",
}


@pytest.mark.parametrize("slug", [ADMIN, SALES_MANAGER, SALES, FINANCE, TEACHER, STUDENT])
def test_each_role_sees_exactly_its_menu(ui, staff, slug):
    page = ui.page()
    ui.login(page, staff.users[slug].username)

    # On a desktop the menu is always there; the phone's menu button is not.
    expect(page.get_by_test_id("sidebar")).to_be_visible()
    expect(page.locator('button[data-bs-toggle="offcanvas"]')).to_be_hidden()
    items = ui.sidebar_items(page)
    assert items == ui.expected_menu(slug)
    assert MUST_HAVE[slug] <= items
    if slug != ADMIN:
        assert not items & ADMIN_ONLY_ITEMS
        assert "access" not in ui.sidebar_groups(page)
    # The home page offers the same shortcuts as the menu, and every menu link opens.
    links = ui.sidebar_links(page)
    cards = page.locator("main a.stat-card").evaluate_all(
        "cards => cards.map(card => card.getAttribute('href'))"
    )
    assert sorted(cards) == sorted(links.values())
    ui.shot(page, f"{slug}-home-desktop")
    for codename, href in sorted(links.items()):
        response = page.goto(href)
        assert response.status == 200, codename
        current = page.get_by_test_id("sidebar").locator(f'[data-menu-item="{codename}"]')
        expect(current).to_have_attribute("aria-current", "page")


def test_admin_edits_a_role_on_the_permission_tree(ui, staff):
    page = ui.page()
    ui.login(page, staff.users[ADMIN].username)
    page.get_by_test_id("sidebar").locator('[data-menu-item="rbac.role_list"]').click()
    expect(page.get_by_test_id("list-table")).to_contain_text(staff.roles[SALES].name)
    ui.shot(page, "role-list-desktop")

    sales = staff.roles[SALES]
    page.locator(f'a[href="/rbac/roles/{sales.pk}/"]').click()
    tree = page.get_by_test_id("permission-tree")
    held = set(sales.permissions.values_list("codename", flat=True))
    checked = tree.locator("input[name=permissions]:checked")
    assert set(checked.evaluate_all("boxes => boxes.map(box => box.dataset.codename)")) == held
    ui.shot(page, "role-form-desktop")

    # Grant the campus list: the consultant sees it on the next click.
    tree.locator('input[data-codename="crm.campus_list"]').check()
    page.get_by_test_id("record-form").locator("button[type=submit]").first.click()
    expect(page).to_have_url(f"{ui.base_url}/rbac/roles/")
    assert "crm.campus_list" in set(sales.permissions.values_list("codename", flat=True))

    consultant = ui.page()
    ui.login(consultant, staff.users[SALES].username)
    assert ui.sidebar_items(consultant) == ui.expected_menu(SALES) | {"crm.campus_list"}
