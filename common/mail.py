"""Plain-text emails rendered from a subject template and a body template."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string


def send_templated_mail(*, subject_template: str, body_template: str, context: dict, to: list[str]) -> None:
    # A subject is one line: a stored name holding a line break (a course called "x\r\nBcc: …")
    # would make Django refuse the header, and the email is sent after the request has committed.
    subject = " ".join(render_to_string(subject_template, context).split())
    body = render_to_string(body_template, context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
