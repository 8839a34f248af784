"""Marketing in a browser: the sales manager creates a campaign, issues its API key (shown
once), embeds its form in another page where a visitor on a phone sends it, reads the campaign
and the report; writes an email template, previews and test-sends it; finds customers with the
customer filters, saves a mass email, sends it (the worker runs inline in the tests) and reads
each recipient's status; a reader unsubscribes from the link. Screenshots of every page."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from crm.models import Course, Customer, DictItem
from marketing.models import Campaign, CampaignLead, EmailTemplate, Mailing
from marketing.services import unsubscribe_token
from rbac.defaults import SALES_MANAGER
from tests.e2e.conftest import expect_message, open_menu_item

pytestmark = pytest.mark.e2e


@contextmanager
def school_website(form_url: str) -> Iterator[str]:
    """A page of the school's own website, on another site (127.0.0.1, not the live server's
    localhost), that embeds the form: served by a real server, as Chromium lets a page framed
    from a loopback address only into a page from a loopback address."""
    frame = f'<iframe src="{form_url}" width="100%" height="900"></iframe>'
    page = f'<meta charset="utf-8"><h1>学校官网</h1>{frame}'.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def school(staff):
    source = DictItem.objects.create(kind=DictItem.Kind.SOURCE, code="website", label="官方网站", order=1)
    course = Course.objects.create(name="Python全栈开发", default_price=Decimal("19800"))
    manager = staff.users[SALES_MANAGER]
    today = timezone.localdate()
    for number in range(3):
        Customer.objects.create(
            name=f"老客户{number}",
            phone=f"+8613700000{number:03d}",
            email=f"old{number}@example.test",
            source=source,
            consulted_on=today,
            consultant=manager,
        )
    return {"manager": manager, "source": source, "course": course}


def test_a_campaign_from_creation_to_the_report(ui, school, live_server):
    manager = ui.page()
    ui.login(manager, school["manager"].username)
    open_menu_item(manager, "marketing.campaign_list")
    expect(manager).to_have_url(re.compile(r"/marketing/campaigns/$"))
    manager.get_by_test_id("new-campaign").click()
    form = manager.get_by_test_id("record-form")
    today = timezone.localdate()
    form.locator("input[name=name]").fill("春季招生·官网表单")
    form.locator("select[name=channel]").select_option(str(school["source"].pk))
    form.locator("input[name=starts_on]").fill((today - timedelta(days=3)).isoformat())
    form.locator("input[name=ends_on]").fill((today + timedelta(days=30)).isoformat())
    form.locator("input[name=budget]").fill("6000")
    form.locator(f"input[name=target_courses][value='{school['course'].pk}']").check()
    ui.shot(manager, "marketing-campaign-create")
    form.locator("button[type=submit]").click()
    expect(manager).to_have_url(re.compile(r"/marketing/campaigns/\d+/$"))
    campaign = Campaign.objects.get()

    manager.get_by_test_id("rotate-key").click()
    expect_message(manager, "success")
    key = manager.get_by_test_id("new-key").locator("code").inner_text()
    assert key.startswith("ecm_") and key not in Campaign.objects.values_list("api_key_hash", flat=True)
    ui.shot(manager, "marketing-campaign-api-key")
    manager.reload()
    expect(manager.get_by_test_id("new-key")).to_have_count(0)

    # The school's page embeds the form; a visitor on a phone sends it from there.
    visitor = ui.page("phone")
    form_url = f"{live_server.url}/lead/{campaign.public_key}/"
    with school_website(form_url) as school_url:
        visitor.goto(school_url)
        frame = visitor.frame_locator("iframe")
        expect(frame.get_by_test_id("lead-form")).to_be_visible()
        frame.locator("input[name=name]").fill("陈思远")
        frame.locator("input[name=phone]").fill("199 1234 0001")
        frame.locator("select[name=course]").select_option(str(school["course"].pk))
        frame.locator("textarea[name=message]").fill("想了解晚班")
        frame.get_by_test_id("send").click()
        expect(frame.get_by_test_id("thank-you")).to_be_visible()
        ui.shot(visitor, "marketing-lead-embedded-phone")
    assert CampaignLead.objects.get().customer.name == "陈思远"

    phone = ui.page("phone")
    phone.goto(f"/lead/{campaign.public_key}/")
    expect(phone.get_by_test_id("lead-form")).to_be_visible()
    ui.shot(phone, "marketing-lead-form-phone")
    phone.get_by_test_id("send").click()
    expect(phone.locator(".invalid-feedback").first).to_be_visible()
    ui.shot(phone, "marketing-lead-form-errors-phone")
    phone.locator("input[name=name]").fill("刘佳怡")
    phone.locator("input[name=phone]").fill("13700000001")  # an existing customer: noted, not copied
    phone.get_by_test_id("send").click()
    expect(phone.get_by_test_id("thank-you")).to_be_visible()
    ui.shot(phone, "marketing-lead-thanks-phone")
    assert Customer.objects.filter(phone="+8613700000001").count() == 1

    desktop = ui.page()
    desktop.goto(f"/lead/{campaign.public_key}/")
    ui.shot(desktop, "marketing-lead-form")
    desktop.goto("/lead/no-such-form/")
    expect(desktop.get_by_test_id("lead-closed")).to_be_visible()
    ui.shot(desktop, "marketing-lead-closed")

    manager.reload()
    expect(manager.get_by_test_id("lead-row")).to_have_count(2)
    expect(manager.get_by_test_id("figure-leads")).to_have_text("1")
    expect(manager.get_by_test_id("figure-duplicates")).to_have_text("1")
    ui.shot(manager, "marketing-campaign-detail")
    open_menu_item(manager, "marketing.campaign_list")
    expect(manager.get_by_test_id("campaign-row")).to_have_count(1)
    ui.shot(manager, "marketing-campaign-list")
    open_menu_item(manager, "marketing.campaign_report")
    expect(manager.get_by_test_id("report-row")).to_have_count(1)
    expect(manager.get_by_test_id("report-totals")).to_contain_text("¥6,000.00")
    ui.shot(manager, "marketing-campaign-report")
    assert not ui.problems.items


def test_a_mass_email_from_template_to_unsubscribe(ui, school):
    manager = ui.page()
    ui.login(manager, school["manager"].username)
    open_menu_item(manager, "marketing.template_list")
    manager.get_by_test_id("new-template").click()
    form = manager.get_by_test_id("record-form")
    form.locator("input[name=name]").fill("新班开课通知")
    form.locator("input[name=subject]").fill("{{ name }}，新班开课啦")
    form.locator("textarea[name=body]").fill(
        "{{ name }} 您好！\n{{ course }} 新班即将开课。\n顾问：{{ consultant }}"
    )
    ui.shot(manager, "marketing-template-create")
    form.locator("button[type=submit]").click()
    expect(manager.get_by_test_id("preview-subject")).to_contain_text("新班开课啦")
    expect(manager.get_by_test_id("preview-body")).to_contain_text("/marketing/unsubscribe/")
    ui.shot(manager, "marketing-template-preview")
    manager.get_by_test_id("test-send").click()
    expect_message(manager, "success")
    assert [message.to for message in mail.outbox] == [[school["manager"].email]]
    open_menu_item(manager, "marketing.template_list")
    ui.shot(manager, "marketing-template-list")

    # One reader had unsubscribed before.
    reader = ui.page("phone")
    reader.goto(f"/marketing/unsubscribe/{unsubscribe_token(email='old2@example.test')}/")
    ui.shot(reader, "marketing-unsubscribe-phone")
    reader.get_by_test_id("confirm").click()
    expect(reader.get_by_test_id("done")).to_be_visible()
    ui.shot(reader, "marketing-unsubscribed-phone")

    open_menu_item(manager, "marketing.mailing_list")
    manager.get_by_test_id("new-mailing").click()
    filters = manager.get_by_test_id("filter-form")
    filters.locator("select[name=status]").select_option("unsigned")
    filters.locator("button[type=submit]").click()
    expect(manager.get_by_test_id("found")).to_contain_text("3")
    draft = manager.get_by_test_id("mailing-form")
    draft.locator("select[name=template]").select_option(str(EmailTemplate.objects.get().pk))
    ui.shot(manager, "marketing-mailing-create")
    draft.get_by_test_id("save-draft").click()
    expect(manager).to_have_url(re.compile(r"/marketing/mailings/\d+/$"))
    ui.shot(manager, "marketing-mailing-draft")
    mail.outbox.clear()
    manager.get_by_test_id("queue").click()
    expect_message(manager, "success")
    manager.reload()
    expect(manager.get_by_test_id("count-sent")).to_contain_text("2")
    expect(manager.get_by_test_id("count-skipped_unsubscribed")).to_contain_text("1")
    assert sorted(message.to[0] for message in mail.outbox) == ["old0@example.test", "old1@example.test"]
    assert Mailing.objects.get().status == Mailing.Status.DONE
    ui.shot(manager, "marketing-mailing-detail")
    manager.get_by_test_id("count-skipped_unsubscribed").click()
    expect(manager.get_by_test_id("recipient-row")).to_have_count(1)
    open_menu_item(manager, "marketing.mailing_list")
    expect(manager.get_by_test_id("mailing-row")).to_have_count(1)
    ui.shot(manager, "marketing-mailing-list")
    assert not ui.problems.items
