"""The service desk's pages: the staff's ticket list, export, creation, detail with its workflow
moves, the deadline settings and the report; and the student's own tickets in the portal.

Every ticket is looked up through the user's scope (tickets.selectors): outside it, a 404. Each
move is one service call; a move the workflow refuses (TicketRefused, or a ticket that moved on
since the page was drawn) comes back as a message on the ticket's page, with nothing written."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from classroom.selectors import student_of
from common.lists import attach_row_urls, filtered_page, simple_page
from crm.selectors import customers_visible_to
from tickets import exports, selectors, services
from tickets.filters import TicketFilter
from tickets.forms import (
    AssignForm,
    CommentForm,
    DeadlineGridForm,
    EmptyForm,
    FeedbackForm,
    ReopenForm,
    ReportForm,
    ResolveForm,
    StudentTicketForm,
    TicketForm,
    WorkflowForm,
    ticket_categories,
)
from tickets.models import Ticket, TicketDeadline
from tickets.services import TicketRefused

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STAFF_MENU = "tickets.ticket_list"
STUDENT_MENU = "tickets.my_tickets"


# --- Staff: the list and its export --------------------------------------------------------------
def _filterset(request) -> TicketFilter:
    return TicketFilter(request.GET, queryset=selectors.tickets_visible_to(request.user), user=request.user)


def ticket_list(request):
    """The tickets of the user's scope, filtered; overdue rows are highlighted. Joins: category,
    assignee, queue, customer, student and the student's account (tickets_visible_to)."""
    context = filtered_page(request, _filterset(request))
    attach_row_urls(context["object_list"], detail="tickets:ticket-detail")
    context.update(
        title=_("Tickets"),
        can_export=request.rbac.allows("tickets:ticket-export"),
        export_query=request.GET.urlencode(),
    )
    return render(request, "tickets/ticket_list.html", context)


def ticket_export(request):
    """The filtered list as .csv or .xlsx (`?format=`), within the user's scope."""
    file_format = request.GET.get("format", "xlsx")
    filterset = _filterset(request)
    if file_format not in ("xlsx", "csv") or not filterset.is_valid():
        messages.error(request, _("The filters or the format are not valid; nothing was exported."))
        return redirect("tickets:ticket-list")
    tickets = filterset.qs[: exports.EXPORT_LIMIT].iterator(chunk_size=exports.CHUNK)
    rows = exports.ticket_rows(tickets)
    filename = f"tickets-{timezone.localtime():%Y%m%d-%H%M}.{file_format}"
    if file_format == "xlsx":
        response = HttpResponse(exports.as_xlsx(rows), content_type=XLSX_TYPE)
    else:
        response = StreamingHttpResponse(exports.as_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# --- Staff: opening a ticket ------------------------------------------------------------------------
def ticket_create(request):
    """A ticket for the customer (`?customer=`) or the student (`?student=`) the page was opened
    from, each looked up in the user's scope. Without either there is nothing to open it for:
    the page says where to start."""
    # The form carries the subject on (hidden), and it is looked up in the scope again.
    source = request.POST if request.method == "POST" else request.GET
    customer = student = None
    if source.get("student"):
        student = selectors.student_for_ticket(request.user, _number(source["student"]))
    elif source.get("customer"):
        customer = selectors.customer_for_ticket(request.user, _number(source["customer"]))
    subject = student or customer
    form = TicketForm(request.POST or None) if subject is not None else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_create(
                values={**form.cleaned_data, "customer": customer, "student": student}, by=request.user
            )
        except TicketRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Ticket #%(number)s opened.") % {"number": ticket.pk})
            return redirect("tickets:ticket-detail", ticket.pk)
    context = {
        "form": form,
        "title": _("New ticket"),
        "customer": customer,
        "student": student,
    }
    return render(request, "tickets/ticket_form.html", context)


def _number(value: str) -> int:
    """An id from the query string; anything else names no object (404 through the lookup)."""
    return int(value) if value.isdigit() and len(value) < 19 else 0


# --- Staff: a ticket and its moves ----------------------------------------------------------------
ACTION_FORMS = {
    "assign": AssignForm,
    "take": EmptyForm,
    "start": EmptyForm,
    "resolve": ResolveForm,
    "feedback": FeedbackForm,
    "archive": EmptyForm,
    "reopen": ReopenForm,
    "comment": CommentForm,
}
STUDENT_ACTION_NAMES = ("feedback", "reopen", "comment")


def _actions(request, ticket: Ticket, *, url_prefix: str, names=tuple(ACTION_FORMS)) -> dict:
    """The move forms this user may use on this ticket now: the workflow's rules
    (services.ticket_actions_for) and the role's right to the move's URL."""
    allowed = services.ticket_actions_for(ticket, request.user)
    actions = {}
    for name in names:
        url_name = f"tickets:{url_prefix}{name}"
        if name in allowed and request.rbac.allows(url_name):
            form = _action_form(request, name, initial={"seen": ticket.status}, auto_id=f"id_{name}_%s")
            form.url = reverse(url_name, args=[ticket.pk])
            actions[name] = form
    return actions


def _action_form(request, name: str, **kwargs) -> WorkflowForm:
    if name == "assign":
        kwargs["handlers"] = selectors.handlers_for(request.user)
    return ACTION_FORMS[name](**kwargs)


def _page_context(ticket: Ticket, actions: dict) -> dict:
    response, resolution = selectors.ticket_deadlines(ticket)
    return {
        "ticket": ticket,
        "title": str(ticket),
        "timeline": selectors.ticket_timeline(ticket),
        "deadlines": [(_("First response"), response), (_("Resolution"), resolution)],
        "actions": actions,
    }


def ticket_detail(request, pk: int):
    ticket = selectors.ticket_for_detail(request.user, pk)
    context = _page_context(ticket, _actions(request, ticket, url_prefix="ticket-"))
    # The customer's page only when it is in the user's own customer scope (a teacher's student
    # is not): a link to a 404 helps nobody.
    context["can_open_customer"] = (
        ticket.customer_id is not None
        and request.rbac.allows("crm:customer-detail")
        and customers_visible_to(request.user).filter(pk=ticket.customer_id).exists()
    )
    return render(request, "tickets/ticket_detail.html", context)


def _move(request, ticket: Ticket, action: str, call: Callable[[Ticket, dict], None], done: str) -> None:
    """Validate the move's form and make it: a message either way, nothing written on refusal."""
    form = _action_form(request, action, data=request.POST)
    if not form.is_valid():
        errors = [str(error) for field_errors in form.errors.values() for error in field_errors]
        messages.error(request, _("Nothing was changed: %(errors)s") % {"errors": " ".join(errors)})
        return
    seen = form.cleaned_data.get("seen")
    if seen and seen != ticket.status:
        messages.error(
            request,
            _("Nothing was changed: the ticket is now “%(status)s”. Check it again below.")
            % {"status": ticket.get_status_display()},
        )
        return
    try:
        call(ticket, form.cleaned_data)
    except TicketRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, done)


# Each move: the service call, and what is said when it is made.
MOVES: dict[str, tuple[Callable[[Ticket, dict, object], None], Callable[[], str]]] = {
    "assign": (
        lambda ticket, data, by: services.ticket_assign(
            ticket=ticket, to_user=data["assignee"], to_queue=data["queue"], by=by
        ),
        lambda: _("Ticket assigned."),
    ),
    "take": (
        lambda ticket, data, by: services.ticket_take(ticket=ticket, by=by),
        lambda: _("You took the ticket."),
    ),
    "start": (
        lambda ticket, data, by: services.ticket_start(ticket=ticket, by=by),
        lambda: _("Work started."),
    ),
    "resolve": (
        lambda ticket, data, by: services.ticket_resolve(ticket=ticket, note=data["note"], by=by),
        lambda: _("Ticket resolved: the requester is asked for feedback."),
    ),
    "feedback": (
        lambda ticket, data, by: services.ticket_feedback(
            ticket=ticket, rating=data["rating"], comment=data["comment"], by=by
        ),
        lambda: _("Thank you: the feedback was recorded."),
    ),
    "archive": (
        lambda ticket, data, by: services.ticket_archive(ticket=ticket, by=by),
        lambda: _("Ticket archived."),
    ),
    "reopen": (
        lambda ticket, data, by: services.ticket_reopen(ticket=ticket, reason=data["reason"], by=by),
        lambda: _("Ticket reopened."),
    ),
    "comment": (
        lambda ticket, data, by: services.ticket_comment(ticket=ticket, note=data["note"], by=by),
        lambda: _("Comment added."),
    ),
}


def _move_view(action: str, *, lookup, detail_url: str):
    """The POST view of one move: the ticket looked up in the user's scope (`lookup`), the move
    made or refused, back to the ticket's page."""
    call, done = MOVES[action]

    @require_POST
    def view(request, pk: int):
        ticket = lookup(request.user, pk)
        _move(request, ticket, action, lambda ticket, data: call(ticket, data, request.user), done())
        return redirect(detail_url, ticket.pk)

    view.__name__ = f"{detail_url.split(':')[1].removesuffix('-detail').replace('-', '_')}_{action}"
    return view


STAFF_ACTIONS = {
    action: _move_view(action, lookup=selectors.ticket_for_detail, detail_url="tickets:ticket-detail")
    for action in MOVES
}


# --- Staff: deadlines and the report ------------------------------------------------------------
def deadlines(request):
    """The grid of response and resolution hours, by category and priority."""
    categories = list(ticket_categories())
    current = {
        (row.category_id, row.priority): (row.response_hours, row.resolve_hours)
        for row in TicketDeadline.objects.all()
    }
    form = DeadlineGridForm(request.POST or None, categories=categories, current=current)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.ticket_deadlines_save(hours=form.hours())
            except TicketRefused as refusal:
                messages.error(request, str(refusal))
            else:
                messages.success(request, _("Deadlines saved. They apply to tickets opened from now on."))
                return redirect("tickets:deadlines")
        else:
            messages.error(request, _("Nothing was saved; see the messages below."))
    return render(request, "tickets/deadlines.html", {"form": form, "title": _("Ticket deadlines")})


def report(request):
    """Tickets opened in a period (this month by default), within the user's scope: by category
    and by handler, with average response and resolution hours and the satisfaction."""
    start, end = ReportForm.default_period()
    form = ReportForm(request.GET or None, initial={"date_from": start, "date_to": end})
    context = {"form": form, "title": _("Service report"), "report": None}
    if form.is_bound:
        if not form.is_valid():
            messages.error(request, _("The report was not made: correct the period below."))
            return render(request, "tickets/report.html", context)
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    context.update(
        report=selectors.ticket_report(date_from=start, date_to=end, scope_user=request.user),
        date_from=start,
        date_to=end,
    )
    context["tables"] = [
        (_("By category"), context["report"].by_category, "by-category"),
        (_("By handler"), context["report"].by_handler, "by-handler"),
    ]
    return render(request, "tickets/report.html", context)


# --- Students: their own tickets ------------------------------------------------------------------
def my_ticket_list(request):
    tickets = selectors.tickets_visible_to(request.user).filter(requester=request.user)
    page = simple_page(request, tickets)
    attach_row_urls(page.object_list, detail="tickets:my-ticket-detail")
    context = {
        "page_obj": page,
        "object_list": page.object_list,
        "title": _("My tickets"),
        "is_student": student_of(request.user) is not None,
    }
    return render(request, "tickets/my_ticket_list.html", context)


def my_ticket_create(request):
    """A student asks for help. An account without a student record (not enrolled yet) has
    nothing to ask about here: the page says so."""
    request.rbac.lead_from(STUDENT_MENU)
    student = student_of(request.user)
    form = StudentTicketForm(request.POST or None) if student is not None else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_create_by_student(student=student, values=form.cleaned_data)
        except TicketRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request, _("Thank you: your ticket #%(number)s was sent.") % {"number": ticket.pk}
            )
            return redirect("tickets:my-ticket-detail", ticket.pk)
    return render(request, "tickets/my_ticket_form.html", {"form": form, "title": _("Ask for help")})


def my_ticket_detail(request, pk: int):
    request.rbac.lead_from(STUDENT_MENU)
    ticket = selectors.ticket_for_requester(request.user, pk)
    actions = _actions(request, ticket, url_prefix="my-ticket-", names=STUDENT_ACTION_NAMES)
    context = _page_context(ticket, actions) | {"portal": True}
    return render(request, "tickets/my_ticket_detail.html", context)


STUDENT_ACTIONS = {
    action: _move_view(action, lookup=selectors.ticket_for_requester, detail_url="tickets:my-ticket-detail")
    for action in STUDENT_ACTION_NAMES
}
