"""Emails are plain text, so stored markup is inert in them; what can hurt is a line break in a
subject built from stored names (a header injection, or Django refusing to send and the request
failing after its transaction committed)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from enrollment import services
from tests.conftest import make_client
from tests.enrollment.conftest import ID_NUMBER, approve, submit

HOSTILE_COURSE = "Python\r\nBcc: thief@evil.example\r\n\r\n<script>alert(1)</script>"


def test_a_course_name_with_line_breaks_cannot_add_headers_to_the_approval_email(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    world.class_a.course.name = HOSTILE_COURSE
    world.class_a.course.save(update_fields=["name"])
    enrollment = services.enrollment_create(
        customer=world.sales_lead, class_list=world.class_a, by=world.sales
    )
    values = dict.fromkeys(services.STUDENT_FIELDS, "")
    values.update(gender=None, birthday=None, id_number=ID_NUMBER, email="student@example.test")
    assert submit(enrollment, values)
    with django_capture_on_commit_callbacks(execute=True):
        approve(enrollment, world.finance)
    [email] = mailoutbox
    assert "\r" not in email.subject and "\n" not in email.subject
    assert "Bcc" in email.subject  # kept as words of the subject, not made a header
    assert email.bcc == []
    message = email.message()
    assert message["Bcc"] is None
    assert email.to == ["student@example.test"]


# Markup, an entity, a quote and a line break that would add a header: in a display name
# (at most 50 characters) and in the course name that the approval email carries.
HOSTILE_NAME = '<b>x</b>"&amp;\r\nBcc: thief@evil.example'


def _password_reset(world, client_for, mailoutbox):
    response = make_client().post(reverse("accounts:password-reset"), {"email": world.sales2.email})
    assert response.status_code == 302


def _password_link(world, client_for, mailoutbox):
    url = reverse("rbac:user-password-link", args=[world.sales2.pk])
    assert client_for("admin").post(url).status_code == 302


EMAILS = {"password-reset": _password_reset, "password-link": _password_link}


@pytest.mark.parametrize("email_kind", EMAILS)
def test_every_email_is_plain_text_with_one_line_subject_and_no_added_header(
    world, client_for, mailoutbox, django_capture_on_commit_callbacks, email_kind
):
    """No email has an HTML part, so a name's markup is inert text in it (and must not be
    HTML-escaped into `&lt;` either); a line break in a name adds no header and no recipient.
    The approval email is the test above."""
    world.sales2.display_name = HOSTILE_NAME
    world.sales2.save(update_fields=["display_name"])
    with django_capture_on_commit_callbacks(execute=True):
        EMAILS[email_kind](world, client_for, mailoutbox)
    [email] = mailoutbox
    assert email.alternatives == [] and email.content_subtype == "plain"
    assert "\r" not in email.subject and "\n" not in email.subject
    assert email.to == [world.sales2.email] and email.bcc == [] and email.cc == []
    message = email.message()
    assert message["Bcc"] is None and message.get_content_type() == "text/plain"
    assert HOSTILE_NAME in email.body
    assert "&lt;" not in email.body


def test_the_approval_email_body_is_plain_text_holding_the_course_name_as_typed(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    test_a_course_name_with_line_breaks_cannot_add_headers_to_the_approval_email(
        world, mailoutbox, django_capture_on_commit_callbacks
    )
    [email] = mailoutbox
    assert email.alternatives == [] and email.content_subtype == "plain"
    assert "<script>alert(1)</script>" in email.body and "&lt;" not in email.body
