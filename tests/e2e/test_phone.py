"""On a phone (390x844) the menu hides behind the menu button and wide tables scroll sideways."""

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from crm.models import Campus, ClassList, Course
from rbac.defaults import ADMIN, SALES, TEACHER

pytestmark = pytest.mark.e2e


@pytest.fixture
def classes(staff):
    campus = Campus.objects.create(name="上海浦东校区", address="上海市浦东新区张江高科技园区")
    courses = [
        Course.objects.create(
            name="Python全栈开发", default_price=Decimal("19800"), outline="Python\nDjango"
        ),
        Course.objects.create(name="Linux云计算运维工程师", default_price=Decimal("16800")),
    ]
    made = []
    for number, course in enumerate(courses * 2, start=1):
        klass = ClassList.objects.create(
            course=course,
            campus=campus,
            semester=number,
            price=course.default_price,
            start_date=date(2026, number, 1),
            graduate_date=date(2026, number + 6, 1),
        )
        klass.teachers.add(staff.users[TEACHER])
        made.append(klass)
    return made


def page_overflows(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def test_phone_menu_is_an_offcanvas_and_tables_scroll(ui, staff, classes):
    page = ui.page("phone")
    page.goto("/accounts/login/")
    ui.shot(page, "login-phone")
    ui.login(page, staff.users[SALES].username)

    sidebar = page.get_by_test_id("sidebar")
    menu_button = page.locator('button[data-bs-toggle="offcanvas"][data-bs-target="#sidebar"]')
    expect(menu_button).to_be_visible()
    expect(sidebar).to_be_hidden()
    assert not page_overflows(page)
    ui.shot(page, "sales-home-phone")

    menu_button.tap()
    # Bootstrap adds "show" once the slide-in transition has finished.
    expect(page.locator("#sidebar.show")).to_be_visible()
    expect(sidebar.locator('[data-menu-item="crm.class_list"]')).to_be_visible()
    ui.shot(page, "sales-menu-open-phone")

    sidebar.locator('[data-menu-item="crm.class_list"]').tap()
    expect(page).to_have_url(re.compile(r"/setup/classes/$"))
    expect(sidebar).to_be_hidden()

    # The ten-column class list scrolls inside its card; the page itself does not get wider.
    table = page.get_by_test_id("list-table")
    expect(table.locator("tbody tr")).to_have_count(len(classes))
    scroller = page.locator(".table-card")
    sizes = scroller.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert sizes[0] > sizes[1], sizes
    assert not page_overflows(page)
    scroller.evaluate("el => { el.scrollLeft = 200; }")
    assert scroller.evaluate("el => el.scrollLeft") > 0
    scroller.evaluate("el => { el.scrollLeft = 0; }")
    ui.shot(page, "sales-class-list-phone")

    forbidden = page.goto("/setup/campuses/")
    assert forbidden.status == 403
    expect(page.get_by_test_id("forbidden")).to_be_visible()
    ui.shot(page, "forbidden-phone")


def test_admin_pages_fit_a_phone(ui, staff, classes):
    page = ui.page("phone")
    ui.login(page, staff.users[ADMIN].username)
    for path, name in [
        ("/", "admin-home-phone"),
        ("/setup/campuses/", "admin-campus-list-phone"),
        ("/setup/classes/new/", "class-form-phone"),
        (f"/rbac/roles/{staff.roles[SALES].pk}/", "role-form-phone"),
        ("/rbac/users/", "admin-user-list-phone"),
    ]:
        response = page.goto(path)
        assert response.status == 200, path
        assert not page_overflows(page), path
        ui.shot(page, name)
