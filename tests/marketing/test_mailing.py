"""Mass email: templates (compile errors, allowed variables, no autoescaping of plain text),
the signed unsubscribe token, preparing a segment in chunks, sending in batches that honour an
unsubscribe arriving mid-mailing and survive SMTP errors, and 5,000 recipients with a query
count that follows the chunks, not the people."""

from __future__ import annotations

import math
import smtplib
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.core import signing
from django.core.mail import EmailMessage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Customer
from marketing import services
from marketing.forms import EmailTemplateForm
from marketing.models import EmailTemplate, Mailing, MailingRecipient, Unsubscribe
from marketing.services import (
    MarketingRefused,
    mailing_prepare,
    mailing_preview,
    mailing_queue,
    mailing_send_batch,
    mailing_test_send,
    template_compile,
    unsubscribe,
    unsubscribe_token,
)

pytestmark = pytest.mark.usefixtures("english")

Status = MailingRecipient.Status
BASE_URL = "https://crm.school.test/"


@pytest.fixture
def template(world) -> EmailTemplate:
    return EmailTemplate.objects.create(
        name="开班通知",
        subject="{{ name }}，{{ course }}开班了",
        body="{{ name }}您好：\n{{ course }}下月开班，顾问{{ consultant }}。\n退订：{{ unsubscribe_url }}\n",
        created_by=world.manager,
    )


def customers_with_emails(world, count: int, *, prefix: str = "m", **fields) -> list[Customer]:
    today = timezone.localdate()
    return Customer.objects.bulk_create(
        Customer(
            name=f"客户{n}",
            email=f"{prefix}{n}@example.test",
            source=world.source,
            consulted_on=today,
            **fields,
        )
        for n in range(count)
    )


def make_mailing(world, template, query: dict | None = None, **fields) -> Mailing:
    fields = {"created_by": world.manager, **fields}
    return Mailing.objects.create(
        template=template,
        segment_query=urlencode(query or {}),
        status=Mailing.Status.QUEUED,
        base_url=BASE_URL,
        **fields,
    )


def statuses(mailing) -> dict[str, str]:
    return dict(MailingRecipient.objects.filter(mailing=mailing).values_list("email", "status"))


# --- Templates -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{% if name %}unclosed", "has an error"),
        ("{{ name|nosuchfilter }}", "has an error"),
        ("{% load static %}", "has an error"),
        ("{{ password }}", "Unknown variable {{ password }}"),
        ("{{ customer.consultant.password }}", "Unknown variable"),
        ("{% debug %}", "not allowed"),
        ('{% include "base.html" %}', "not allowed"),
    ],
)
def test_a_bad_template_is_refused(text, message):
    with pytest.raises(MarketingRefused, match=message.replace("{", r"\{").replace("}", r"\}")):
        template_compile(text)


def test_the_template_form_reports_the_error_on_its_field(world):
    form = EmailTemplateForm({"name": "x", "subject": "{{ name }}", "body": "{% if %}"})
    assert not form.is_valid()
    assert list(form.errors) == ["body"]
    assert EmailTemplateForm(
        {"name": "x", "subject": "Hi {{ name|upper }}", "body": "{{ course }}"}
    ).is_valid()


def test_variables_are_filled_and_not_escaped(world, template):
    customer = customers_with_emails(world, 1)[0]
    customer.name = '<Tom & "Jerry">'
    customer.consultant = world.sales
    customer.save()
    customer.interested_courses.add(world.python, world.linux)

    email = mailing_preview(template=template, customer=customer, base_url=BASE_URL)

    assert email.body.startswith('<Tom & "Jerry">您好：\n')
    assert (
        "Linux运维、Python全栈开发下月开班" in email.body or "Python全栈开发、Linux运维下月开班" in email.body
    )
    assert f"顾问{world.sales}。" in email.body
    assert f"退订：{BASE_URL}marketing/unsubscribe/" in email.body
    assert email.subject.startswith('<Tom & "Jerry">，')


def test_the_unsubscribe_link_is_added_when_the_text_forgets_it(world, template):
    template.body = "Hello {{ name }}"
    template.subject = "Line one\nline two"
    customer = customers_with_emails(world, 1)[0]
    email = mailing_preview(template=template, customer=customer, base_url=BASE_URL)
    assert email.body.startswith("Hello 客户0\n\nUnsubscribe: https://crm.school.test/marketing/unsubscribe/")
    assert email.subject == "Line one line two"


def test_a_test_send_goes_to_the_given_address_only(world, template, mailoutbox):
    mailing_test_send(template=template, to_email="me@example.test", by=world.manager, base_url=BASE_URL)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["me@example.test"]
    assert mailoutbox[0].subject.startswith("[Test] ")


# --- Unsubscribe token --------------------------------------------------------------------------
def test_unsubscribe_records_the_address_once(world, template):
    mailing = make_mailing(world, template)
    token = unsubscribe_token(email="Tom@Example.test", mailing=mailing)
    assert unsubscribe(token=token) == "tom@example.test"
    assert unsubscribe(token=token) == "tom@example.test"
    record = Unsubscribe.objects.get()
    assert (record.email, record.mailing) == ("tom@example.test", mailing)


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        signing.dumps(["tom@example.test", None], salt="enrollment.link", compress=True),
        signing.dumps(["tom@example.test", None], compress=True),
    ],
    ids=["garbage", "other-salt", "no-salt"],
)
def test_a_bad_token_is_refused_and_writes_nothing(db, token):
    with pytest.raises(MarketingRefused, match="not valid"):
        unsubscribe(token=token)
    assert not Unsubscribe.objects.exists()


def test_a_tampered_token_is_refused(world):
    token = unsubscribe_token(email="tom@example.test")
    _payload, rest = token.split(":", 1)
    tampered = signing.dumps(["victim@example.test", None], salt=services.UNSUBSCRIBE_SALT, compress=True)
    forged = tampered.split(":", 1)[0] + ":" + rest
    with pytest.raises(MarketingRefused):
        unsubscribe(token=forged)
    with pytest.raises(MarketingRefused):
        unsubscribe(token=token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert not Unsubscribe.objects.exists()


# --- Preparing ------------------------------------------------------------------------------------
def test_prepare_skips_the_unsubscribed_and_those_without_email(world, template):
    kept, gone = customers_with_emails(world, 2)
    Unsubscribe.objects.create(email=gone.email)
    twin = customers_with_emails(world, 1)[0]  # same address as `kept`, in capitals
    Customer.objects.filter(pk=twin.pk).update(email=kept.email.upper())
    mailing = make_mailing(world, template, {"source": world.source.pk})

    mailing_prepare(mailing=mailing)

    rows = MailingRecipient.objects.filter(mailing=mailing)
    assert dict(rows.exclude(email="").values_list("email", "status")) == {
        kept.email: Status.PENDING,
        gone.email: Status.SKIPPED_UNSUBSCRIBED,
    }
    # The world's four live customers have no email; the deleted one is not in the segment.
    no_email = rows.filter(status=Status.SKIPPED_NO_EMAIL)
    assert set(no_email.values_list("customer_id", flat=True)) == {
        world.pool_lead.pk,
        world.sales_lead.pk,
        world.sales2_lead.pk,
    }
    mailing.refresh_from_db()
    assert (mailing.status, mailing.recipient_count, mailing.skipped_count) == (Mailing.Status.SENDING, 5, 4)


def test_prepare_applies_the_customer_filter(world, template):
    python_fans = customers_with_emails(world, 2, prefix="py")
    customers_with_emails(world, 2, prefix="other")
    for customer in python_fans:
        customer.interested_courses.add(world.python)
    mailing = make_mailing(world, template, {"course": world.python.pk})
    mailing_prepare(mailing=mailing)
    assert set(statuses(mailing)) == {c.email for c in python_fans}


def test_an_invalid_filter_is_refused_not_ignored(world, template):
    customers_with_emails(world, 3)
    mailing = make_mailing(world, template, {"status": "no-such-status"})
    with pytest.raises(MarketingRefused, match="filter is not valid"):
        mailing_prepare(mailing=mailing)
    assert not MailingRecipient.objects.exists()
    assert Mailing.objects.get(pk=mailing.pk).status == Mailing.Status.QUEUED


def test_the_segment_stays_inside_the_creators_scope(world, template):
    """A consultant's mailing reaches the pool and their own customers, not a colleague's."""
    mine, pool, theirs = customers_with_emails(world, 3)
    Customer.objects.filter(pk=mine.pk).update(consultant=world.sales)
    Customer.objects.filter(pk=theirs.pk).update(consultant=world.sales2)
    mailing = make_mailing(world, template)
    mailing.created_by = world.sales
    mailing.save()
    mailing_prepare(mailing=mailing)
    assert set(statuses(mailing)) - {""} == {mine.email, pool.email}


def test_only_a_queued_mailing_is_prepared(world, template):
    mailing = make_mailing(world, template)
    mailing_prepare(mailing=mailing)
    with pytest.raises(MarketingRefused):
        mailing_prepare(mailing=mailing)


# --- Sending ---------------------------------------------------------------------------------------
def test_a_batch_sends_rendered_emails_with_a_working_unsubscribe_link(world, template, mailoutbox):
    customers = customers_with_emails(world, 3)
    mailing = make_mailing(world, template, {"q": "客户"})
    mailing_prepare(mailing=mailing)

    assert mailing_send_batch(mailing=mailing, limit=2) == 2
    assert [m.to for m in mailoutbox] == [[customers[0].email], [customers[1].email]]
    message = mailoutbox[0]
    assert message.subject == "客户0，开班了"
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert f"退订：{link}\n" in message.body
    assert unsubscribe(token=link.rsplit("/", 2)[-2]) == customers[0].email
    mailing.refresh_from_db()
    assert (mailing.status, mailing.sent_count) == (Mailing.Status.SENDING, 2)

    assert mailing_send_batch(mailing=mailing, limit=2) == 1
    mailing.refresh_from_db()
    assert (mailing.status, mailing.sent_count) == (Mailing.Status.DONE, 3)
    assert mailing.finished_at is not None
    assert mailing_send_batch(mailing=mailing, limit=2) == 0


def test_an_unsubscribe_arriving_mid_mailing_is_honoured(world, template, mailoutbox):
    first, second, third = customers_with_emails(world, 3)
    mailing = make_mailing(world, template, {"q": "客户"})
    mailing_prepare(mailing=mailing)
    mailing_send_batch(mailing=mailing, limit=1)
    unsubscribe(token=unsubscribe_token(email=third.email.upper()))

    mailing_send_batch(mailing=mailing, limit=10)

    assert [m.to[0] for m in mailoutbox] == [first.email, second.email]
    assert statuses(mailing) == {
        first.email: Status.SENT,
        second.email: Status.SENT,
        third.email: Status.SKIPPED_UNSUBSCRIBED,
    }
    # And every later mailing skips the address when it is prepared.
    later = make_mailing(world, template, {"q": "客户"})
    mailing_prepare(mailing=later)
    assert statuses(later)[third.email] == Status.SKIPPED_UNSUBSCRIBED


def test_an_smtp_error_marks_that_recipient_failed_and_the_batch_goes_on(world, template, mailoutbox):
    customers = customers_with_emails(world, 3)
    mailing = make_mailing(world, template, {"q": "客户"})
    mailing_prepare(mailing=mailing)
    real_send = EmailMessage.send

    def send(message, *args, **kwargs):
        if message.to == [customers[1].email]:
            raise smtplib.SMTPRecipientsRefused({customers[1].email: (550, b"mailbox unavailable")})
        return real_send(message, *args, **kwargs)

    with mock.patch.object(EmailMessage, "send", send):
        assert mailing_send_batch(mailing=mailing, limit=10) == 3

    assert [m.to[0] for m in mailoutbox] == [customers[0].email, customers[2].email]
    failed = MailingRecipient.objects.get(mailing=mailing, email=customers[1].email)
    assert failed.status == Status.FAILED and "mailbox unavailable" in failed.error
    mailing.refresh_from_db()
    assert (mailing.status, mailing.sent_count, mailing.failed_count) == (Mailing.Status.DONE, 2, 1)


def test_a_cancelled_mailing_sends_nothing_more(world, template, mailoutbox):
    customers_with_emails(world, 3)
    mailing = make_mailing(world, template, {"q": "客户"})
    mailing_prepare(mailing=mailing)
    services.mailing_cancel(mailing=mailing)
    assert mailing_send_batch(mailing=mailing, limit=10) == 0
    assert mailoutbox == []


def test_students_are_a_segment_too(world, template, mailoutbox):
    from enrollment.models import Student

    student = Student.objects.create(user=world.student, customer=world.sales_lead)
    student.classes.add(world.class_a)
    mailing = make_mailing(
        world, template, {"class_list": world.class_a.pk}, segment=Mailing.Segment.STUDENTS
    )
    mailing_prepare(mailing=mailing)
    mailing_send_batch(mailing=mailing, limit=10)
    assert [m.to for m in mailoutbox] == [[world.student.email]]
    assert mailoutbox[0].subject == f"{world.sales_lead.name}，{world.python.name}开班了"


def test_the_student_segment_keeps_to_the_creators_scope(world, template, mailoutbox):
    """A consultant's mailing to a class reaches the students whose customer they own, not a
    colleague's student in the same class."""
    from accounts.models import User
    from enrollment.models import Student

    own = Student.objects.create(user=world.student, customer=world.sales_lead)
    other_user = User.objects.create_user(username="other-student", email="other@example.test")
    colleagues = Student.objects.create(user=other_user, customer=world.sales2_lead)
    for student in (own, colleagues):
        student.classes.add(world.class_a)
    mailing = make_mailing(
        world,
        template,
        {"class_list": world.class_a.pk},
        segment=Mailing.Segment.STUDENTS,
        created_by=world.sales,
    )
    mailing_prepare(mailing=mailing)
    mailing_send_batch(mailing=mailing, limit=10)
    assert [m.to for m in mailoutbox] == [[world.student.email]]


# --- Thousands of recipients --------------------------------------------------------------------------
def test_five_thousand_recipients_in_chunks_and_batches(world, template, mailoutbox, settings, monkeypatch):
    customers_with_emails(world, 5000)
    mailing = make_mailing(world, template, {"q": "客户"})
    written: list[int] = []
    real_write = services._write_recipients
    monkeypatch.setattr(
        services,
        "_write_recipients",
        lambda m, o, chunk: (written.append(len(chunk)), real_write(m, o, chunk)),
    )

    with CaptureQueriesContext(connection) as prepared:
        mailing_prepare(mailing=mailing)

    # Read and written a chunk at a time, never the whole segment at once...
    assert written == [1000] * 5
    assert MailingRecipient.objects.filter(mailing=mailing, status=Status.PENDING).count() == 5000
    # ...and the statements follow the chunks: the segment is one SELECT, each chunk one lookup
    # of unsubscribed addresses and its INSERTs (as many as the backend's parameter limit
    # needs), plus a fixed number of statements whatever the count.
    sql = [q["sql"] for q in prepared.captured_queries]
    assert len([s for s in sql if 'FROM "crm_customer"' in s]) == 1
    assert len([s for s in sql if 'FROM "marketing_unsubscribe"' in s]) == 5
    fields = [f for f in MailingRecipient._meta.concrete_fields if not f.primary_key]
    per_insert = connection.ops.bulk_batch_size(fields, [None] * 1000)
    inserts = [s for s in sql if "INSERT" in s and "marketing_mailingrecipient" in s]
    assert len(inserts) == 5 * math.ceil(1000 / per_insert)
    assert len(sql) - len(inserts) - 5 <= 15

    def batch_queries(limit: int) -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as sent:
            assert mailing_send_batch(mailing=mailing, limit=limit) == limit
        return len(sent.captured_queries), [q["sql"] for q in sent.captured_queries]

    small, _sql = batch_queries(10)
    large, sql = batch_queries(100)
    assert small == large  # no query per recipient
    loads = [s for s in sql if s.startswith('SELECT "marketing_mailingrecipient"."id", ')]
    # The recipients are read once, at most `limit` of them.
    assert [load.rsplit("LIMIT", 1)[-1].strip() for load in loads] == ["100"]
    assert len(mailoutbox) == 110

    settings.MARKETING_MAILING_BATCH = 1000
    from marketing.tasks import mailing_run

    mailing_run.call(mailing.pk)
    mailing.refresh_from_db()
    assert (mailing.status, mailing.sent_count, len(mailoutbox)) == (Mailing.Status.DONE, 5000, 5000)
    assert len({m.to[0] for m in mailoutbox}) == 5000


def test_queueing_a_draft_runs_it_through_the_worker(
    world, template, mailoutbox, django_capture_on_commit_callbacks
):
    customers_with_emails(world, 3)
    mailing = make_mailing(world, template, {"q": "客户"})
    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.DRAFT)
    mailing.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        mailing_queue(mailing=mailing, base_url="https://other.test/")
    mailing.refresh_from_db()
    assert (mailing.status, mailing.sent_count, mailing.base_url) == (
        Mailing.Status.DONE,
        3,
        "https://other.test/",
    )
    assert len(mailoutbox) == 3 and "https://other.test/marketing/unsubscribe/" in mailoutbox[0].body
    with pytest.raises(MarketingRefused):
        mailing_queue(mailing=mailing, base_url=BASE_URL)
