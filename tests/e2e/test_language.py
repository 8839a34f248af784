"""Chinese by default; the language switch turns the pages into English."""

import pytest
from django.utils import translation
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def chinese(text: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(text)


def test_chinese_by_default_and_the_switch_turns_english(ui, staff):
    # An English browser still gets the school's language until the user picks another.
    page = ui.page(locale="en-US")
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    submit = page.get_by_test_id("login-form").locator("button[type=submit]")
    expect(submit).to_have_text(chinese("Log in"))

    page.get_by_test_id("language-switch").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(submit).to_have_text("Log in")
    ui.shot(page, "login-english-desktop")

    # The choice sticks for the session: signed in, the menu is English too.
    ui.login(page, staff.users["admin"].username)
    expect(page.get_by_test_id("sidebar")).to_contain_text("School setup")
    expect(page.get_by_test_id("language-switch").get_by_role("button")).to_have_text("简体中文")
    ui.shot(page, "admin-home-english-desktop")


def test_a_french_browser_gets_chinese_too(ui, staff):
    page = ui.page(locale="fr-FR")
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("login-form").locator("button[type=submit]")).to_have_text(chinese("Log in"))
