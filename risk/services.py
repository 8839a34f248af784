"""Writes of the at-risk warnings: the thresholds, and tickets for the class adviser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from crm.models import ClassList
from enrollment.models import Student
from risk.models import RiskPolicy, RiskTicket
from risk.selectors import StudentWarning, student_warnings
from tickets.models import Ticket
from tickets.services import TicketRefused, ticket_assign, ticket_create


class RiskRefused(Exception):
    """The ticket cannot be opened; `str(error)` is the message to show, and nothing was written."""


def risk_policy_save(*, form) -> RiskPolicy:
    """Save a thresholds form (student or customer part of the one policy row)."""
    return form.save()


def _description(warning: StudentWarning) -> str:
    return _("%(student)s, %(class)s: %(kind)s. %(facts)s (since %(since)s)") % {
        "student": warning.student_name,
        "class": warning.class_label,
        "kind": warning.kind_label,
        "facts": warning.facts,
        "since": warning.since.isoformat(),
    }


def risk_ticket_open(*, warning: StudentWarning, by: User | None, policy: RiskPolicy | None = None) -> Ticket:
    """Open a ticket for the class adviser about one warning occurrence, assigned to them, with
    the policy's category and priority and the facts in the description. `by` None: the sweep,
    which opens it in the adviser's name. A second call for the same occurrence (a double click,
    two people, the sweep) is refused with the ticket opened first: the unique constraint on
    RiskTicket decides, inside the same transaction as the ticket."""
    policy = policy or RiskPolicy.current()
    if policy.ticket_category_id is None or not policy.ticket_category.is_active:
        raise RiskRefused(_("Choose an active ticket category on the student thresholds page first."))
    class_list = ClassList.objects.select_related("adviser").get(pk=warning.class_id)
    adviser = class_list.adviser
    if adviser is None:
        raise RiskRefused(_("%(class)s has no class adviser to open a ticket for.") % {"class": class_list})
    existing = _existing(warning)
    if existing is not None:
        raise RiskRefused(_("Ticket #%(ticket)s was opened for this warning already.") % {"ticket": existing})
    author = by or adviser
    values = {
        "category": policy.ticket_category,
        "priority": policy.ticket_priority,
        "title": _("At risk: %(student)s (%(kind)s)")
        % {"student": warning.student_name, "kind": warning.kind_label},
        "description": _description(warning),
        "student": Student.objects.select_related("customer", "user").get(pk=warning.student_id),
    }
    try:
        with transaction.atomic():
            # The student must not read the staff's notes about them, nor be asked to rate them.
            ticket = ticket_create(values=values, by=author, internal=True)
            ticket_assign(ticket=ticket, to_user=adviser, by=author)
            RiskTicket.objects.create(
                kind=warning.kind,
                student_id=warning.student_id,
                class_list=class_list,
                occurrence=warning.occurrence,
                ticket=ticket,
                opened_by=by,
            )
    except TicketRefused as error:
        raise RiskRefused(str(error)) from error
    except IntegrityError as error:
        raise RiskRefused(
            _("Ticket #%(ticket)s was opened for this warning already.") % {"ticket": _existing(warning)}
        ) from error
    warning.ticket_id = ticket.pk
    return ticket


def _existing(warning: StudentWarning) -> int | None:
    return (
        RiskTicket.objects.filter(
            kind=warning.kind,
            student_id=warning.student_id,
            class_list_id=warning.class_id,
            occurrence=warning.occurrence,
        )
        .values_list("ticket_id", flat=True)
        .first()
    )


@dataclass
class SweepResult:
    opened: int = 0
    skipped: int = 0  # warnings of classes without an adviser, or refused by the tickets


def risk_sweep(*, now: datetime | None = None) -> SweepResult:
    """When the policy says so, open a ticket for the class adviser for every current student
    warning that has none. Idempotent: a second run opens nothing new. Texts in the site's
    language, as the adviser reads them later."""
    result = SweepResult()
    policy = RiskPolicy.current()
    if not policy.auto_ticket or policy.ticket_category_id is None:
        return result
    with translation.override(settings.LANGUAGE_CODE):
        for warning in student_warnings(None, now=now):
            if warning.ticket_id is not None:
                continue
            try:
                risk_ticket_open(warning=warning, by=None, policy=policy)
            except RiskRefused:
                result.skipped += 1
            else:
                result.opened += 1
    return result
