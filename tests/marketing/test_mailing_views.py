"""Email templates (create, preview with a customer in scope, test send) and mass email pages
(find the recipients, save a draft, queue it to the worker, follow each recipient, cancel)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crm.models import Customer
from marketing.models import EmailTemplate, Mailing, MailingRecipient
from marketing.services import mailing_queue, unsubscribe_token
from tests.conftest import assert_form_refused, make_client

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def template(world) -> EmailTemplate:
    return EmailTemplate.objects.create(
        name="开课通知",
        subject="{{ name }}，{{ course }} 新班开课",
        body="{{ name }} 您好，\n顾问 {{ consultant }}",
        created_by=world.manager,
    )


def customers_with_email(world, count: int, consultant) -> list[Customer]:
    today = timezone.localdate()
    return Customer.objects.bulk_create(
        Customer(
            name=f"客户{n}",
            email=f"c{n}@example.test",
            phone=f"+8613700{n:06d}",
            source=world.source,
            consulted_on=today,
            consultant=consultant,
        )
        for n in range(count)
    )


# --- Templates -------------------------------------------------------------------------------
def test_a_template_is_created_then_previewed(world):
    response = make_client(world.manager).post(
        reverse("marketing:template-create"),
        {"name": "通知", "subject": "{{ name }} 您好", "body": "正文 {{ unsubscribe_url }}"},
    )
    template = EmailTemplate.objects.get()
    assert response["Location"] == reverse("marketing:template-preview", args=[template.pk])
    assert template.created_by == world.manager


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"body": "{{ customer.phone }}"}, "body"),
        ({"subject": "{% if %}"}, "subject"),
        ({"body": "{% include 'base.html' %}"}, "body"),
        ({"body": "{% debug %}"}, "body"),
    ],
)
def test_a_bad_template_is_refused(world, changes, field):
    data = {"name": "通知", "subject": "主题", "body": "正文", **changes}
    response = make_client(world.manager).post(reverse("marketing:template-create"), data)
    assert_form_refused(response, field)
    assert not EmailTemplate.objects.exists()


def test_the_preview_fills_the_template_with_a_customer_in_scope(world, template):
    url = reverse("marketing:template-preview", args=[template.pk])
    response = make_client(world.manager).get(url, {"customer": world.sales_lead.pk})
    email = response.context["email"]
    assert email.subject.startswith(world.sales_lead.name)
    assert "/marketing/unsubscribe/" in email.body
    page = response.content.decode()
    assert "{{ consultant }}" in page and "{{ unsubscribe_url }}" in page  # the variables listed


def test_the_preview_of_a_customer_outside_the_scope_is_not_found(world, template):
    outside = Customer.objects.create(
        name="隔壁客户", source=world.source, consulted_on=timezone.localdate(), consultant=world.admin
    )
    url = reverse("marketing:template-preview", args=[template.pk])
    assert make_client(world.manager).get(url, {"customer": outside.pk}).status_code == 404
    assert make_client(world.manager).get(url, {"customer": "x"}).status_code == 404
    assert make_client(world.admin).get(url, {"customer": outside.pk}).status_code == 200


def test_a_test_email_goes_to_the_users_own_address(world, template):
    response = make_client(world.manager).post(reverse("marketing:template-test-send", args=[template.pk]))
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == [world.manager.email]
    assert message.subject.startswith("[Test]")


def test_a_user_without_an_address_is_told_so(world, template):
    world.manager.email = ""
    world.manager.save()
    response = make_client(world.manager).post(
        reverse("marketing:template-test-send", args=[template.pk]), follow=True
    )
    assert "no email address" in response.content.decode()
    assert mail.outbox == []


# --- Mailings --------------------------------------------------------------------------------
def test_the_page_counts_what_the_customer_filter_finds(world, template):
    customers_with_email(world, 3, world.manager)
    url = reverse("marketing:mailing-create")
    response = make_client(world.manager).get(url, {"segment": "customers", "consultant": world.manager.pk})
    assert response.context["found"] == 3
    assert response.context["form"]["segment_query"].value() == f"consultant={world.manager.pk}"
    bad = make_client(world.manager).get(url, {"created_from": "2026-99-01"})
    assert bad.status_code == 200 and bad.context["found"] is None


def test_the_page_counts_students_by_class(world, template):
    response = make_client(world.manager).get(
        reverse("marketing:mailing-create"), {"segment": "students", "class_list": world.class_a.pk}
    )
    assert response.context["found"] == 0
    assert response.context["form"]["segment_query"].value() == f"class_list={world.class_a.pk}"


def test_a_draft_is_saved_with_the_filter(world, template):
    response = make_client(world.manager).post(
        reverse("marketing:mailing-create"),
        {"template": template.pk, "segment": "customers", "segment_query": "status=unsigned"},
    )
    mailing = Mailing.objects.get()
    assert response["Location"] == reverse("marketing:mailing-detail", args=[mailing.pk])
    assert (mailing.status, mailing.created_by, mailing.segment_query) == (
        "draft",
        world.manager,
        "status=unsigned",
    )


def test_a_filter_reaching_outside_the_scope_is_refused_and_nothing_written(world, template):
    """The manager's filter cannot name a consultant outside their department: an ignored filter
    would mail everyone, so the draft is refused."""
    response = make_client(world.manager).post(
        reverse("marketing:mailing-create"),
        {"template": template.pk, "segment": "customers", "segment_query": f"consultant={world.admin.pk}"},
    )
    assert_form_refused(response, "__all__")
    assert not Mailing.objects.exists()


def test_queueing_sends_in_the_worker_and_the_detail_follows_each_recipient(
    world, template, django_capture_on_commit_callbacks
):
    customers = customers_with_email(world, 3, world.manager)
    Customer.objects.filter(pk=customers[2].pk).update(email="")
    client = make_client(world.manager)
    client.post(  # unsubscribed before the mailing: skipped
        reverse("marketing:unsubscribe", args=[unsubscribe_token(email="c1@example.test")])
    )
    mailing = Mailing.objects.create(
        template=template, segment_query=f"consultant={world.manager.pk}", created_by=world.manager
    )
    detail = client.get(reverse("marketing:mailing-detail", args=[mailing.pk]))
    assert detail.context["found"] == 3 and detail.context["may_queue"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("marketing:mailing-queue", args=[mailing.pk]))
    assert response.status_code == 302
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DONE
    assert [message.to for message in mail.outbox] == [["c0@example.test"]]
    assert "http://testserver/marketing/unsubscribe/" in mail.outbox[0].body
    detail = client.get(reverse("marketing:mailing-detail", args=[mailing.pk]))
    counts = {value: count for value, _label, count in detail.context["counts"]}
    assert counts == {
        "pending": 0,
        "sent": 1,
        "failed": 0,
        "skipped_unsubscribed": 1,
        "skipped_no_email": 1,
    }
    only_sent = client.get(reverse("marketing:mailing-detail", args=[mailing.pk]), {"status": "sent"})
    assert [r.email for r in only_sent.context["object_list"]] == ["c0@example.test"]
    assert not detail.context["may_cancel"]
    # A finished mailing is not sent again.
    again = client.post(reverse("marketing:mailing-queue", args=[mailing.pk]), follow=True)
    assert "Only a draft can be sent" in again.content.decode()


def test_a_failed_recipient_shows_the_servers_error(world, template):
    mailing = Mailing.objects.create(template=template, created_by=world.manager, status="done")
    MailingRecipient.objects.create(
        mailing=mailing, email="x@example.test", status="failed", error="550 no such user"
    )
    page = (
        make_client(world.manager)
        .get(reverse("marketing:mailing-detail", args=[mailing.pk]))
        .content.decode()
    )
    assert "550 no such user" in page


def test_cancelling_stops_a_queued_mailing(world, template):
    mailing = Mailing.objects.create(template=template, created_by=world.manager)
    mailing_queue(mailing=mailing, base_url="http://testserver/")  # on_commit never runs here
    response = make_client(world.manager).post(reverse("marketing:mailing-cancel", args=[mailing.pk]))
    assert response.status_code == 302
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.CANCELLED


def test_another_managers_mailing_is_not_found_but_the_whole_school_sees_it(world, template):
    mailing = Mailing.objects.create(template=template, created_by=world.admin)
    for name in ("marketing:mailing-detail",):
        assert make_client(world.manager).get(reverse(name, args=[mailing.pk])).status_code == 404
    for name in ("marketing:mailing-queue", "marketing:mailing-cancel"):
        assert make_client(world.manager).post(reverse(name, args=[mailing.pk])).status_code == 404
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.DRAFT
    assert (
        mailing
        not in make_client(world.manager).get(reverse("marketing:mailing-list")).context["object_list"]
    )
    assert (
        make_client(world.admin).get(reverse("marketing:mailing-detail", args=[mailing.pk])).status_code
        == 200
    )


def test_the_customer_list_offers_to_mail_what_it_shows(world, template):
    """The manager's all-customers list links to the mailing page with its current filter; the
    pool and own lists (a narrower set than the mailing's scope) do not offer it."""
    page = make_client(world.manager).get(reverse("crm:customer-list"), {"status": "unsigned", "page": "2"})
    link = f"{reverse('marketing:mailing-create')}?status=unsigned&amp;segment=customers"
    assert link in page.content.decode()
    for url_name in ("crm:customer-mine", "crm:customer-pool"):
        assert (
            b'data-testid="mail-customers"' not in make_client(world.manager).get(reverse(url_name)).content
        )
    assert (
        b'data-testid="mail-customers"'
        not in make_client(world.sales).get(reverse("crm:customer-mine")).content
    )
