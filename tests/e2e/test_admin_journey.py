"""An administrator sets up a campus, a course and a class, then creates a sales consultant, who
chooses a password from the emailed link and sees only the sales menu."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import User
from crm.models import Campus, ClassList, Course
from rbac.defaults import SALES, TEACHER

pytestmark = pytest.mark.e2e

CAMPUS = "北京海淀校区"
COURSE = "Python全栈开发"
SYLLABUS = "第一阶段：Python 基础\n第二阶段：Django Web 开发\n第三阶段：项目实战"
NEW_USER = "e2e-new-sales"


def submit_record_form(page):
    page.get_by_test_id("record-form").locator("button[type=submit]").click()


def test_admin_sets_up_the_school_and_a_sales_consultant_signs_in(ui, staff, mailoutbox):
    admin = staff.users["admin"]
    teacher, adviser = staff.users[TEACHER], staff.users["adviser"]
    page = ui.page()

    page.goto("/accounts/login/")
    ui.shot(page, "login-desktop")
    ui.login(page, admin.username)
    ui.shot(page, "admin-home-desktop")

    # School setup > Campuses, from the sidebar.
    sidebar = page.get_by_test_id("sidebar")
    sidebar.locator('[data-menu-item="crm.campus_list"]').click()
    expect(page).to_have_url(re.compile(r"/setup/campuses/$"))
    expect(sidebar.locator('[data-menu-item="crm.campus_list"]')).to_have_class(re.compile(r"\bactive\b"))
    page.locator('a[href="/setup/campuses/new/"]').click()
    page.locator("#id_name").fill(CAMPUS)
    page.locator("#id_address").fill("北京市海淀区中关村大街 1 号")
    page.locator("#id_phone").fill("010-88886666")
    ui.shot(page, "campus-form-desktop")
    submit_record_form(page)
    expect(page).to_have_url(re.compile(r"/setup/campuses/$"))
    expect(page.get_by_test_id("list-table")).to_contain_text(CAMPUS)
    ui.shot(page, "admin-campus-list-desktop")

    # A course: name, default price, syllabus.
    sidebar.locator('[data-menu-item="crm.course_list"]').click()
    expect(page).to_have_url(re.compile(r"/setup/courses/$"))
    page.locator('a[href="/setup/courses/new/"]').click()
    page.locator("#id_name").fill(COURSE)
    page.locator("#id_default_price").fill("19800")
    page.locator("#id_outline").fill(SYLLABUS)
    ui.shot(page, "course-form-desktop")
    submit_record_form(page)
    expect(page).to_have_url(re.compile(r"/setup/courses/$"))
    expect(page.get_by_test_id("list-table")).to_contain_text(COURSE)
    ui.shot(page, "admin-course-list-desktop")

    # A class of that course at that campus, with a teacher and an adviser.
    sidebar.locator('[data-menu-item="crm.class_list"]').click()
    expect(page).to_have_url(re.compile(r"/setup/classes/$"))
    page.locator('a[href="/setup/classes/new/"]').click()
    page.locator("#id_course").select_option(label=COURSE)
    page.locator("#id_campus").select_option(label=CAMPUS)
    page.locator("#id_semester").fill("9")
    page.locator("#id_price").fill("18800")
    page.locator("#id_start_date").fill("2026-09-01")
    page.locator("#id_graduate_date").fill("2027-03-01")
    page.locator("#id_capacity").fill("45")
    page.locator("#id_teachers").select_option(label=str(teacher))
    page.locator("#id_adviser").select_option(label=str(adviser))
    ui.shot(page, "class-form-desktop")
    submit_record_form(page)
    expect(page).to_have_url(re.compile(r"/setup/classes/$"))
    table = page.get_by_test_id("list-table")
    expect(table).to_contain_text(COURSE)
    expect(table).to_contain_text(CAMPUS)
    expect(table).to_contain_text(str(teacher))
    ui.shot(page, "admin-class-list-desktop")

    made = ClassList.objects.get()
    assert made.course == Course.objects.get(name=COURSE)
    assert made.campus == Campus.objects.get(name=CAMPUS)
    assert (made.semester, made.price, made.capacity) == (9, Decimal("18800"), 45)
    assert (made.start_date.isoformat(), made.graduate_date.isoformat()) == ("2026-09-01", "2027-03-01")
    assert list(made.teachers.all()) == [teacher]
    assert made.adviser == adviser

    table.get_by_role("link", name=COURSE).click()
    expect(page).to_have_url(re.compile(rf"/setup/classes/{made.pk}/$"))
    expect(page.locator("main")).to_contain_text("Django Web 开发")
    ui.shot(page, "class-detail-desktop")

    # Accounts and roles > Users: a new sales consultant.
    sidebar.locator('[data-menu-item="rbac.user_list"]').click()
    expect(page).to_have_url(re.compile(r"/rbac/users/$"))
    page.locator('a[href="/rbac/users/new/"]').click()
    page.locator("#id_username").fill(NEW_USER)
    page.locator("#id_display_name").fill("郑顾问")
    page.locator("#id_email").fill("zheng@e2e.example.test")
    sales_box = page.locator(f'input[name="roles"][value="{staff.roles[SALES].pk}"]')
    sales_box.check()
    ui.shot(page, "user-form-desktop")
    submit_record_form(page)
    expect(page).to_have_url(re.compile(r"/rbac/users/$"))
    row = page.locator(f'tr[data-username="{NEW_USER}"]')
    expect(row).to_contain_text(staff.roles[SALES].name)
    ui.shot(page, "admin-user-list-desktop")

    created = User.objects.get(username=NEW_USER)
    assert not created.has_usable_password()
    assert set(created.roles.values_list("slug", flat=True)) == {SALES}

    # The welcome email carries the link to choose a password; follow it in a fresh browser.
    assert [message.to for message in mailoutbox] == [["zheng@e2e.example.test"]]
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", mailoutbox[0].body).group(0)
    sales_page = ui.page()
    sales_page.goto(link)
    sales_page.locator("#id_new_password1").fill("Zheng-Chooses-This-77")
    sales_page.locator("#id_new_password2").fill("Zheng-Chooses-This-77")
    sales_page.locator("form:has(#id_new_password1) button[type=submit]").click()
    expect(sales_page).to_have_url(re.compile(r"/accounts/password/reset/complete/$"))

    ui.login(sales_page, NEW_USER, "Zheng-Chooses-This-77")
    assert ui.sidebar_items(sales_page) == ui.expected_menu(SALES)
    assert {"crm.course_list", "crm.class_list"} <= ui.sidebar_items(sales_page)
    assert "access" not in ui.sidebar_groups(sales_page)
    assert "crm.campus_list" not in ui.sidebar_items(sales_page)
    ui.shot(sales_page, "sales-home-desktop")

    # An admin page opened by hand: the styled 403 page.
    response = sales_page.goto("/setup/campuses/new/")
    assert response.status == 403
    expect(sales_page.get_by_test_id("forbidden")).to_be_visible()
    ui.shot(sales_page, "forbidden-desktop")
    assert not Campus.objects.exclude(name=CAMPUS).exists()
