"""Browser tests: Playwright drives the system Chromium against pytest-django's live server.

The fixtures here are self-contained: every test starts from a flushed database (live_server
implies transactional_db), re-syncs the permission dictionary and creates one user per default
role. Browser contexts use a Chinese locale unless a test asks otherwise; the UI language itself
comes from the school's default or the language switch, never from the browser.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from accounts.models import User
from rbac.defaults import ADMIN, FINANCE, SALES, SALES_MANAGER, STUDENT, TEACHER
from rbac.models import Role
from rbac.registry import registry
from rbac.services import permissions_sync

PASSWORD = "E2e-Journey-Pass-42"
ROLE_SLUGS = (ADMIN, SALES_MANAGER, SALES, FINANCE, TEACHER, STUDENT)
DISPLAY_NAMES = {
    ADMIN: "赵管理",
    SALES_MANAGER: "钱经理",
    SALES: "孙顾问",
    FINANCE: "李财务",
    TEACHER: "周老师",
    STUDENT: "吴同学",
}
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def expected_menu(slug: str) -> set[str]:
    """The menu items a default role holds: every registry entry with a menu place naming it."""
    return {
        entry.codename for entry in registry.entries() if entry.is_menu_item and slug in entry.default_roles
    }


def open_menu_item(page: Page, codename: str, phone: bool = False) -> None:
    """Click a sidebar item; on a phone, open the off-canvas sidebar first."""
    item = page.get_by_test_id("sidebar").locator(f'[data-menu-item="{codename}"]')
    if phone:
        page.locator('button[data-bs-toggle="offcanvas"][data-bs-target="#sidebar"]').tap()
        expect(page.locator("#sidebar.show")).to_be_visible()
        item.tap()
    else:
        item.click()


def expect_message(page: Page, kind: str, *texts: str) -> None:
    """A flash message of `kind` (success, error...) containing all `texts`."""
    alert = page.locator(f".messages .alert-{kind}").filter(has_text=texts[0] if texts else "")
    expect(alert.first).to_be_visible()
    for text in texts:
        expect(alert.first).to_contain_text(text)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the browser tests, stopped after the last of them.

    The Playwright sync API keeps an event loop running in the test thread while it is started, so
    Django would refuse the ORM calls the tests make between browser steps (they are still plain
    synchronous code). Package scope ends the loop, and the permission, before other tests run.
    """
    executable = chromium_path()
    if executable is None:
        pytest.fail(
            "Browser tests need the system Chromium: apt-get install chromium (or set CHROMIUM_PATH)."
        )
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class Staff:
    users: dict[str, User]
    roles: dict[str, Role]
    password: str = PASSWORD


@pytest.fixture
def staff(transactional_db, live_server) -> Staff:
    """One active user per default role, each holding only that role, and a second teacher."""
    permissions_sync()  # a flush between tests may have emptied the roles
    roles = {role.slug: role for role in Role.objects.all()}
    users = {}
    for slug in ROLE_SLUGS:
        user = User.objects.create_user(
            username=f"e2e-{slug.replace('_', '-')}",
            password=PASSWORD,
            email=f"{slug}@e2e.example.test",
            display_name=DISPLAY_NAMES[slug],
        )
        roles[slug].users.add(user)
        users[slug] = user
    # A second teacher to be a class adviser: classes take their teachers and advisers from the
    # users whose roles teach.
    users["adviser"] = User.objects.create_user(
        username="e2e-adviser", password=PASSWORD, email="adviser@e2e.example.test", display_name="冯班主任"
    )
    roles[TEACHER].users.add(users["adviser"])
    return Staff(users=users, roles=roles)


class PageProblems:
    """Static files that failed to load and JavaScript errors, seen by the pages of one test."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.items.append(f"JS error on {page.url}: {error}"))
        page.on("response", self._response)
        page.on("requestfailed", self._failed)

    def _response(self, response) -> None:
        if "/static/" in response.url and response.status >= 400:
            self.items.append(f"{response.status} {response.url}")

    def _failed(self, request) -> None:
        # ERR_ABORTED is the browser cancelling a load because the page moved on (a click that
        # navigates before the favicon arrives); a missing file shows up as a 404 response instead.
        if "/static/" in request.url and request.failure != "net::ERR_ABORTED":
            self.items.append(f"failed {request.url}: {request.failure}")


class UI:
    """What the browser tests do again and again: open pages, sign in, read the menu, save shots."""

    password = PASSWORD

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []
        self.problems = PageProblems()

    def page(self, size: str = "desktop", locale: str = "zh-CN") -> Page:
        """A page in a fresh browser context (its own cookies) at desktop or phone size."""
        mobile = size == "phone"
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport=PHONE if mobile else DESKTOP,
            is_mobile=mobile,
            has_touch=mobile,
            locale=locale,
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        self.problems.watch(page)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()

    @staticmethod
    def login(page: Page, username: str, password: str = PASSWORD) -> None:
        """Sign in through the real login form and land on the home page."""
        page.goto("/accounts/login/")
        form = page.get_by_test_id("login-form")
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill(password)
        form.locator("button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"^[^?]*://[^/]+/$"))
        expect(page.get_by_test_id("user-menu")).to_be_visible()

    @staticmethod
    def sidebar_items(page: Page) -> set[str]:
        """The codenames of the sidebar's menu items."""
        items = page.get_by_test_id("sidebar").locator("[data-menu-item]")
        return set(items.evaluate_all("links => links.map(link => link.dataset.menuItem)"))

    @staticmethod
    def sidebar_links(page: Page) -> dict[str, str]:
        """Menu item codename -> the address it links to."""
        items = page.get_by_test_id("sidebar").locator("[data-menu-item]")
        pairs = items.evaluate_all(
            "links => links.map(link => [link.dataset.menuItem, link.getAttribute('href')])"
        )
        return dict(pairs)

    @staticmethod
    def sidebar_groups(page: Page) -> set[str]:
        groups = page.get_by_test_id("sidebar").locator("[data-menu-group]")
        return set(groups.evaluate_all("sections => sections.map(section => section.dataset.menuGroup)"))

    @staticmethod
    def shot(page: Page, name: str) -> Path:
        """A full-page PNG under var/screenshots/ (git-ignored)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        # From the top: a page scrolled by an earlier click would draw the sticky navbar mid-page.
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=True)
        return path

    expected_menu = staticmethod(expected_menu)


@pytest.fixture
def ui(browser, live_server) -> Iterator[UI]:
    helper = UI(browser, live_server.url)
    yield helper
    helper.close()
    assert not helper.problems.items, "\n".join(helper.problems.items)
