"""Writes of the service desk: creating tickets and moving them through their workflow.

The workflow lives in one table, `TRANSITIONS`: each action, the statuses it may start from and
what it says when the ticket is in any other. Every action is one conditional UPDATE (`WHERE
status = <the status the caller saw>`, plus the action's object rule, e.g. "assignee = you")
whose row count says whether it happened: SELECT ... FOR UPDATE does nothing on SQLite, and two
people acting at once must give one winner and one clear refusal, never a 500. The action's
`TicketEvent` (the timeline) and its history row are written in the same transaction.

Who may act is decided in two places. The views (next round) check the role's codename; these
services check the object rules:

- assign: anyone the view lets in (a dispatcher); the new assignee must be active, and a person
  assigned together with a queue must belong to it;
- take: a member of the ticket's queue (same department), while nobody has taken it;
- start, resolve: the assignee only;
- feedback: the requester. A customer without an account has no requester; their feedback,
  given by phone or in person, is recorded by the staff member who created the ticket or by a
  manager (a data scope wider than "own records");
- archive: staff on the ticket (creator, assignee, queue member, manager), not the requester;
- reopen: the requester, or staff on the ticket;
- comment: any party of the ticket (requester, creator, assignee, queue member, manager).

Callers pass tickets already looked up through the user's scope (`tickets.selectors`); services
never widen it. Deadlines are wall-clock hours from creation, read from `TicketDeadline` when the
ticket is created (a later change of the table does not move existing tickets' deadlines).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy, gettext_noop, ngettext

from accounts.models import Department, User
from accounts.services import notification_send, site_gettext
from common.history import history_record_rows
from crm.models import Customer, DictItem
from enrollment.models import Student
from rbac.models import Role
from rbac.selectors import data_scope_for
from tickets.models import DEFAULT_DEADLINE_HOURS, Priority, Ticket, TicketDeadline, TicketEvent
from tickets.selectors import OPEN_STATUSES, overdue_condition

Status = Ticket.Status
Event = TicketEvent.Kind
ARCHIVE_BATCH = 500


class TicketRefused(Exception):
    """The workflow or its rules refuse this action; `str(error)` is the message to show, and
    nothing was written."""


@dataclass(frozen=True)
class Transition:
    from_statuses: tuple[str, ...]
    refusal: str


# The state machine: action -> the statuses it may start from, and the refusal otherwise.
TRANSITIONS: dict[str, Transition] = {
    "assign": Transition(OPEN_STATUSES, gettext_lazy("Only an open ticket can be assigned.")),
    "take": Transition((Status.ASSIGNED,), gettext_lazy("Only a ticket waiting in a queue can be taken.")),
    "start": Transition((Status.ASSIGNED,), gettext_lazy("Only an assigned ticket can be started.")),
    "resolve": Transition(
        (Status.ASSIGNED, Status.IN_PROGRESS),
        gettext_lazy("Only an assigned ticket or one in progress can be resolved."),
    ),
    "feedback": Transition((Status.RESOLVED,), gettext_lazy("Only a resolved ticket can receive feedback.")),
    "archive": Transition((Status.FEEDBACK,), gettext_lazy("Only a ticket with feedback can be archived.")),
    "archive_stale": Transition(
        (Status.RESOLVED,), gettext_lazy("Only a resolved ticket waiting for feedback is archived unrated.")
    ),
    "reopen": Transition((Status.FEEDBACK,), gettext_lazy("Only a ticket with feedback can be reopened.")),
    "comment": Transition(
        (*OPEN_STATUSES, Status.RESOLVED, Status.FEEDBACK),
        gettext_lazy("An archived ticket takes no more comments."),
    ),
}


# --- Who is who on a ticket -------------------------------------------------------------------
def _is_manager(user: User) -> bool:
    return data_scope_for(user) in (Role.DataScope.DEPARTMENT, Role.DataScope.ALL)


def _is_queue_member(ticket: Ticket, user: User) -> bool:
    return ticket.queue_id is not None and user.department_id == ticket.queue_id


def _is_staff_party(ticket: Ticket, user: User) -> bool:
    if user.pk == ticket.requester_id:
        return False
    return (
        user.pk in (ticket.created_by_id, ticket.assignee_id)
        or _is_queue_member(ticket, user)
        or _is_manager(user)
    )


def _is_party(ticket: Ticket, user: User) -> bool:
    return user.pk == ticket.requester_id or _is_staff_party(ticket, user)


def _may_give_feedback(ticket: Ticket, user: User) -> bool:
    if ticket.requester_id is not None:
        return user.pk == ticket.requester_id
    return user.pk == ticket.created_by_id or _is_manager(user)


def ticket_actions_for(ticket: Ticket, user: User) -> frozenset[str]:
    """The actions of `TRANSITIONS` that `user` may take on `ticket` as it is now, by the status
    table and the same object rules the actions check: the buttons a page offers (the views add
    the role's right). The actions stay the judges: a move refused meanwhile is still refused."""
    rules = {
        # assign: any dispatcher the view lets in, except the person who asked.
        "assign": user.pk != ticket.requester_id,
        "take": ticket.assignee_id is None and _is_queue_member(ticket, user),
        "start": ticket.assignee_id == user.pk,
        "resolve": ticket.assignee_id == user.pk,
        "feedback": _may_give_feedback(ticket, user),
        "archive": _is_staff_party(ticket, user),
        "reopen": _is_party(ticket, user),
        "comment": _is_party(ticket, user),
    }
    return frozenset(
        action
        for action, allowed in rules.items()
        if allowed and ticket.status in TRANSITIONS[action].from_statuses
    )


# --- The one way a ticket changes -------------------------------------------------------------
def _changed_message(ticket: Ticket) -> str:
    """Why a conditional UPDATE matched nothing: the ticket moved on since the caller saw it."""
    current = Ticket.objects.filter(pk=ticket.pk).first()
    if current is None:
        return gettext("This ticket was deleted.")
    return gettext("This ticket changed meanwhile: it is now “%(status)s”. Reload the page.") % {
        "status": current.get_status_display()
    }


def _apply(
    ticket: Ticket,
    action: str,
    *,
    by: User | None,
    event: str,
    changes: dict,
    where: Q | None = None,
    note: str = "",
    now: datetime | None = None,
    refusal: Callable[[], str] | None = None,
) -> None:
    """Run `action` on `ticket` as one conditional UPDATE from the status the caller saw (and
    `where`, the action's object rule), then write its event and history row; refuse with the
    table's message if that status does not allow the action, or with `refusal()` (default: "it
    changed meanwhile") when the row no longer matches. `ticket` is reloaded afterwards."""
    transition = TRANSITIONS[action]
    if ticket.status not in transition.from_statuses:
        raise TicketRefused(str(transition.refusal))
    now = now or timezone.now()
    seen = ticket.status
    updated = Ticket.objects.filter(where or Q(), pk=ticket.pk, status=seen).update(**changes, updated_at=now)
    if updated != 1:
        raise TicketRefused(refusal() if refusal else _changed_message(ticket))
    history_record_rows(Ticket.objects.filter(pk=ticket.pk), by=by, at=now, reason=event)
    TicketEvent.objects.create(
        ticket_id=ticket.pk,
        kind=event,
        from_status=seen,
        to_status=changes.get("status", seen),
        by=by,
        at=now,
        note=note,
    )
    ticket.refresh_from_db()


def ticket_link(ticket: Ticket, user: User) -> str:
    """Where a notification about `ticket` takes `user`: the requester's own page in the student
    portal, everyone else's the staff page (which the user's scope reaches: they are a party)."""
    if ticket.requester_id is not None and user.pk == ticket.requester_id:
        return reverse("tickets:my-ticket-detail", args=[ticket.pk])
    return reverse("tickets:ticket-detail", args=[ticket.pk])


def _notify(users, text: str, ticket: Ticket) -> None:
    for user in users:
        notification_send(recipient=user, text=text, link=ticket_link(ticket, user))


def _queue_members(queue_id: int):
    return User.objects.filter(department_id=queue_id, is_active=True)


# --- Creating ---------------------------------------------------------------------------------
def deadline_hours(*, category: DictItem, priority: str) -> tuple[int, int]:
    """(response hours, resolution hours) for a category and priority: the category's own row,
    else the default row for the priority, else the built-in default."""
    row = (
        TicketDeadline.objects.filter(Q(category=category) | Q(category__isnull=True), priority=priority)
        .order_by(F("category").asc(nulls_last=True))
        .values_list("response_hours", "resolve_hours")
        .first()
    )
    return row or DEFAULT_DEADLINE_HOURS[priority]


def _check_values(values: dict) -> None:
    category = values.get("category")
    if (
        not isinstance(category, DictItem)
        or category.kind != DictItem.Kind.TICKET_CATEGORY
        or not category.is_active
    ):
        raise TicketRefused(gettext("Choose an active ticket category."))
    if values.get("priority", Priority.NORMAL) not in Priority.values:
        raise TicketRefused(gettext("Choose a priority."))
    if not (values.get("title") or "").strip():
        raise TicketRefused(gettext("A ticket needs a title."))


def _create(
    *, values: dict, by: User, customer: Customer | None, student: Student | None, internal: bool = False
) -> Ticket:
    _check_values(values)
    if customer is not None and customer.is_deleted:
        raise TicketRefused(gettext("This customer was deleted."))
    now = timezone.now()
    priority = values.get("priority", Priority.NORMAL)
    response_hours, resolve_hours = deadline_hours(category=values["category"], priority=priority)
    ticket = Ticket(
        category=values["category"],
        priority=priority,
        title=values["title"].strip(),
        description=values.get("description", ""),
        customer=customer,
        student=student,
        requester=student.user if student is not None and not internal else None,
        created_by=by,
        created_at=now,
        response_due_at=now + timedelta(hours=response_hours),
        resolve_due_at=now + timedelta(hours=resolve_hours),
    )
    ticket._history_user = by
    ticket.save()
    TicketEvent.objects.create(ticket=ticket, kind=Event.CREATED, to_status=Status.CREATED, by=by, at=now)
    return ticket


@transaction.atomic
def ticket_create(*, values: dict, by: User, internal: bool = False) -> Ticket:
    """A staff member opens a ticket for a customer or a student (`values`: category, priority,
    title, description, and customer and/or student). A student's ticket, or a customer's who
    is a student, gets the student's account as requester, so they rate it from their portal;
    an `internal` one (staff talking about the student, an at-risk warning say) has no
    requester: the student never sees it, and the creator or a manager gives the feedback."""
    customer, student = values.get("customer"), values.get("student")
    if customer is None and student is None:
        raise TicketRefused(gettext("Choose the customer or the student the ticket is for."))
    if student is None:
        student = Student.objects.filter(customer=customer).select_related("user").first()
    elif customer is None:
        customer = student.customer
    elif student.customer_id != customer.pk:
        raise TicketRefused(gettext("This student is not that customer."))
    return _create(values=values, by=by, customer=customer, student=student, internal=internal)


@transaction.atomic
def ticket_create_by_student(*, student: Student, values: dict) -> Ticket:
    """A student opens a ticket from their portal: they are its requester and creator."""
    return _create(values=values, by=student.user, customer=student.customer, student=student)


# --- The workflow -----------------------------------------------------------------------------
@transaction.atomic
def ticket_assign(
    *, ticket: Ticket, to_user: User | None = None, to_queue: Department | None = None, by: User
) -> None:
    """Assign (or reassign) an open ticket to a person, to a queue whose members may take it, or
    to a person of a queue. It becomes `assigned` (a reassigned ticket in progress waits for its
    new assignee to start it); the assignee, or else the queue's members, are notified."""
    if to_user is None and to_queue is None:
        raise TicketRefused(gettext("Choose a person or a queue to assign the ticket to."))
    if to_user is not None and not to_user.is_active:
        raise TicketRefused(
            gettext("%(user)s cannot take tickets: the account is inactive.") % {"user": to_user}
        )
    if to_queue is not None and not to_queue.is_active:
        raise TicketRefused(gettext("The queue %(queue)s is closed.") % {"queue": to_queue})
    if to_user is not None and to_queue is not None and to_user.department_id != to_queue.pk:
        raise TicketRefused(
            gettext("%(user)s is not a member of %(queue)s.") % {"user": to_user, "queue": to_queue}
        )
    if (
        to_user is not None
        and to_user.pk == ticket.assignee_id
        and ticket.queue_id == getattr(to_queue, "pk", None)
    ):
        raise TicketRefused(gettext("%(user)s is already assigned this ticket.") % {"user": to_user})
    target = to_user if to_user is not None else to_queue
    _apply(
        ticket,
        "assign",
        by=by,
        event=Event.ASSIGNED,
        changes={"status": Status.ASSIGNED, "assignee": to_user, "queue": to_queue},
        note=str(target),
    )
    text = site_gettext(
        gettext_noop("%(by)s assigned you the ticket #%(number)s: %(title)s"),
        by=by,
        number=ticket.pk,
        title=ticket.title,
    )
    if to_user is not None:
        _notify([to_user], text, ticket)
    else:
        text = site_gettext(
            gettext_noop("A ticket is waiting in the queue %(queue)s: #%(number)s %(title)s"),
            queue=to_queue,
            number=ticket.pk,
            title=ticket.title,
        )
        _notify(_queue_members(to_queue.pk).exclude(pk=by.pk), text, ticket)


def _taken_message(ticket: Ticket) -> str:
    current = Ticket.objects.filter(pk=ticket.pk).select_related("assignee").first()
    if current is not None and current.assignee is not None:
        return gettext("Already taken by %(user)s.") % {"user": current.assignee}
    return _changed_message(ticket)


@transaction.atomic
def ticket_take(*, ticket: Ticket, by: User) -> None:
    """A member of the ticket's queue takes it while nobody has: they become its assignee. Of
    two members taking it at once, one gets it and the other "already taken by X"."""
    if not _is_queue_member(ticket, by):
        raise TicketRefused(gettext("Only a member of the ticket's queue can take it."))
    if ticket.assignee_id is not None and ticket.status in TRANSITIONS["take"].from_statuses:
        raise TicketRefused(_taken_message(ticket))
    _apply(
        ticket,
        "take",
        by=by,
        event=Event.ASSIGNED,
        changes={"assignee": by},
        where=Q(assignee__isnull=True, queue_id=by.department_id),
        note=str(by),
        refusal=lambda: _taken_message(ticket),
    )


def _only_assignee(ticket: Ticket, by: User) -> None:
    if ticket.assignee_id != by.pk:
        raise TicketRefused(gettext("Only the ticket's assignee can do this."))


@transaction.atomic
def ticket_start(*, ticket: Ticket, by: User) -> None:
    """The assignee starts work; the first response is now, unless there was one."""
    _only_assignee(ticket, by)
    now = timezone.now()
    _apply(
        ticket,
        "start",
        by=by,
        event=Event.STARTED,
        changes={"status": Status.IN_PROGRESS, "first_response_at": Coalesce(F("first_response_at"), now)},
        where=Q(assignee=by),
        now=now,
    )


@transaction.atomic
def ticket_resolve(*, ticket: Ticket, note: str, by: User) -> None:
    """The assignee resolves the ticket with a note saying what was done; the requester (or, for
    a customer without an account, the ticket's creator) is asked for feedback."""
    _only_assignee(ticket, by)
    note = (note or "").strip()
    if not note:
        raise TicketRefused(gettext("Say how the ticket was resolved."))
    now = timezone.now()
    _apply(
        ticket,
        "resolve",
        by=by,
        event=Event.RESOLVED,
        changes={
            "status": Status.RESOLVED,
            "resolution_note": note,
            "resolved_at": now,
            "first_response_at": Coalesce(F("first_response_at"), now),
        },
        where=Q(assignee=by),
        note=note,
        now=now,
    )
    asked = ticket.requester if ticket.requester_id is not None else ticket.created_by
    _notify(
        [asked],
        site_gettext(
            gettext_noop("The ticket #%(number)s (%(title)s) was resolved. Please rate how it was handled."),
            number=ticket.pk,
            title=ticket.title,
        ),
        ticket,
    )


@transaction.atomic
def ticket_feedback(*, ticket: Ticket, rating: int, comment: str = "", by: User) -> None:
    """The requester rates the handling 1-5 with an optional comment (for a customer without an
    account: the ticket's creator or a manager, on their behalf). The assignee is told."""
    if not _may_give_feedback(ticket, by):
        if ticket.requester_id is not None:
            raise TicketRefused(gettext("Only the person who asked can rate this ticket."))
        raise TicketRefused(
            gettext("Only the ticket's creator or a manager can record the customer's feedback.")
        )
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise TicketRefused(gettext("Rate from 1 to 5."))
    comment = (comment or "").strip()
    _apply(
        ticket,
        "feedback",
        by=by,
        event=Event.FEEDBACK,
        changes={"status": Status.FEEDBACK, "rating": rating, "feedback_comment": comment},
        note=f"{rating}/5 {comment}".strip(),
    )
    if ticket.assignee_id is not None and ticket.assignee_id != by.pk:
        _notify(
            [ticket.assignee],
            site_gettext(
                gettext_noop("The ticket #%(number)s (%(title)s) was rated %(rating)s out of 5."),
                number=ticket.pk,
                title=ticket.title,
                rating=rating,
            ),
            ticket,
        )


@transaction.atomic
def ticket_archive(*, ticket: Ticket, by: User) -> None:
    """Close a ticket whose feedback was given (staff on the ticket)."""
    if not _is_staff_party(ticket, by):
        raise TicketRefused(gettext("Only staff working on the ticket can archive it."))
    now = timezone.now()
    _apply(
        ticket,
        "archive",
        by=by,
        event=Event.ARCHIVED,
        changes={"status": Status.ARCHIVED, "archived_at": now},
        now=now,
    )


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, reason: str, by: User) -> None:
    """Reopen a ticket after its feedback (the requester, or staff on the ticket), with a reason.
    It goes back to its assignee (`assigned`), or to `created` if it has none; the resolution
    time and the rating are cleared, since they will be given again, and the assignee is told.
    The deadlines stay: a reopened ticket is as late as it was."""
    if not _is_party(ticket, by):
        raise TicketRefused(gettext("Only the person who asked or staff on the ticket can reopen it."))
    reason = (reason or "").strip()
    if not reason:
        raise TicketRefused(gettext("Say why the ticket is reopened."))
    status = Status.ASSIGNED if ticket.assignee_id is not None else Status.CREATED
    _apply(
        ticket,
        "reopen",
        by=by,
        event=Event.REOPENED,
        changes={"status": status, "resolved_at": None, "rating": None, "feedback_comment": ""},
        note=reason,
    )
    if ticket.assignee_id is not None and ticket.assignee_id != by.pk:
        _notify(
            [ticket.assignee],
            site_gettext(
                gettext_noop("%(by)s reopened the ticket #%(number)s (%(title)s): %(reason)s"),
                by=by,
                number=ticket.pk,
                title=ticket.title,
                reason=reason,
            ),
            ticket,
        )


@transaction.atomic
def ticket_comment(*, ticket: Ticket, note: str, by: User) -> TicketEvent:
    """Add a note to the timeline (any party of the ticket, until it is archived). The assignee's
    first note is the ticket's first response."""
    if not _is_party(ticket, by):
        raise TicketRefused(gettext("Only the people on this ticket can comment on it."))
    note = (note or "").strip()
    if not note:
        raise TicketRefused(gettext("Write a comment first."))
    transition = TRANSITIONS["comment"]
    if ticket.status not in transition.from_statuses:
        raise TicketRefused(str(transition.refusal))
    now = timezone.now()
    changes = {"updated_at": now}
    if ticket.assignee_id == by.pk and ticket.first_response_at is None:
        changes["first_response_at"] = Coalesce(F("first_response_at"), now)
    # Any status but archived: a comment does not care whether the status moved meanwhile.
    updated = Ticket.objects.filter(pk=ticket.pk, status__in=transition.from_statuses).update(**changes)
    if updated != 1:
        raise TicketRefused(_changed_message(ticket))
    if "first_response_at" in changes:
        history_record_rows(Ticket.objects.filter(pk=ticket.pk), by=by, at=now, reason=Event.COMMENTED)
    current = Ticket.objects.filter(pk=ticket.pk).values_list("status", "first_response_at").get()
    ticket.status, ticket.first_response_at = current
    return TicketEvent.objects.create(
        ticket_id=ticket.pk,
        kind=Event.COMMENTED,
        from_status=ticket.status,
        to_status=ticket.status,
        by=by,
        at=now,
        note=note,
    )


def _overdue_list_link() -> str:
    return f"{reverse('tickets:ticket-list')}?mine=assigned&overdue=true"


# --- Deadline settings ------------------------------------------------------------------------
@transaction.atomic
def ticket_deadlines_save(*, hours: dict[tuple[int | None, str], tuple[int, int] | None]) -> None:
    """Save the deadline grid: `hours` maps (category id, or None for the default row, priority)
    to (response hours, resolution hours), or to None for a category that follows the default of
    the priority (its own row is removed). Every priority keeps a default row. Existing tickets
    keep the deadlines they were given."""
    for (category_id, priority), value in hours.items():
        if priority not in Priority.values:
            raise TicketRefused(gettext("Choose a priority."))
        if value is None:
            if category_id is None:
                raise TicketRefused(gettext("Every priority needs its default deadlines."))
            TicketDeadline.objects.filter(category_id=category_id, priority=priority).delete()
            continue
        response, resolve = value
        if response < 1 or resolve < 1:
            raise TicketRefused(gettext("Deadlines are at least one hour."))
        TicketDeadline.objects.update_or_create(
            category_id=category_id,
            priority=priority,
            defaults={"response_hours": response, "resolve_hours": resolve},
        )


# --- Periodic work ----------------------------------------------------------------------------
def tickets_notify_overdue(*, now: datetime | None = None) -> int:
    """Tell each assignee once about each of their overdue tickets, in one notification per
    assignee. Idempotent (`overdue_notified_at`): a second run tells nobody anything. Overdue
    tickets nobody was assigned are left for the lists' highlighting; they are reported to
    their assignee once they get one. Returns how many tickets were reported."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            Ticket.objects.filter(
                overdue_condition(now), assignee__isnull=False, overdue_notified_at__isnull=True
            )
            .select_for_update()
            .order_by("pk")
            .values_list("pk", "assignee_id", "title")
        )
        Ticket.objects.filter(pk__in=[pk for pk, _assignee, _title in rows]).update(overdue_notified_at=now)
    titles_by_assignee: dict[int, list[str]] = defaultdict(list)
    links_by_assignee: dict[int, str] = {}
    for pk, assignee_id, title in rows:
        titles_by_assignee[assignee_id].append(f"#{pk} {title}")
        # One ticket: its page; several: the assignee's overdue tickets in the list.
        links_by_assignee[assignee_id] = (
            reverse("tickets:ticket-detail", args=[pk])
            if assignee_id not in links_by_assignee
            else _overdue_list_link()
        )
    for assignee_id, titles in titles_by_assignee.items():
        shown = "、".join(titles[:5]) + ("…" if len(titles) > 5 else "")
        with translation.override(settings.LANGUAGE_CODE):
            text = ngettext(
                "%(count)s of your tickets is overdue: %(tickets)s",
                "%(count)s of your tickets are overdue: %(tickets)s",
                len(titles),
            ) % {"count": len(titles), "tickets": shown}
        notification_send(recipient=User(pk=assignee_id), text=text, link=links_by_assignee[assignee_id])
    return len(rows)


def tickets_archive_stale(now: datetime | None = None) -> int:
    """Archive resolved tickets left without feedback for settings.TICKET_FEEDBACK_DAYS days, as
    the system (no user on the event or the history row). Idempotent. Returns how many."""
    now = now or timezone.now()
    stale = Q(status__in=TRANSITIONS["archive_stale"].from_statuses) & Q(
        resolved_at__lt=now - timedelta(days=settings.TICKET_FEEDBACK_DAYS)
    )
    reason = gettext_noop("No feedback")
    archived = 0
    while True:
        with transaction.atomic():
            ids = list(
                Ticket.objects.filter(stale)
                .select_for_update()
                .order_by("pk")
                .values_list("pk", flat=True)[:ARCHIVE_BATCH]
            )
            if not ids:
                return archived
            Ticket.objects.filter(stale, pk__in=ids).update(
                status=Status.ARCHIVED, archived_at=now, updated_at=now
            )
            history_record_rows(Ticket.objects.filter(pk__in=ids), by=None, at=now, reason=Event.ARCHIVED)
            TicketEvent.objects.bulk_create(
                TicketEvent(
                    ticket_id=pk,
                    kind=Event.ARCHIVED,
                    from_status=Status.RESOLVED,
                    to_status=Status.ARCHIVED,
                    at=now,
                    note=site_gettext(reason),
                )
                for pk in ids
            )
            archived += len(ids)
