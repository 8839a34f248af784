"""The service desk's entries. Which tickets a user reaches is the selectors' business
(tickets.selectors.tickets_visible_to): outside it every ticket URL is a 404; which workflow move
a user may make on a ticket they reach is the services' (tickets.services)."""

from django.utils.translation import gettext_lazy as _

from rbac.defaults import ADMIN, FINANCE, SALES, SALES_MANAGER, STUDENT, TEACHER
from rbac.registry import register

# The staff roles that handle tickets; each sees the tickets of their data scope.
HANDLERS = (SALES, SALES_MANAGER, TEACHER, FINANCE, ADMIN)
MANAGERS = (SALES_MANAGER, ADMIN)
POST = ("POST",)
WRITE = ("GET", "POST")

# --- Staff -------------------------------------------------------------------------------------
register(
    "tickets.ticket_list",
    _("Read service tickets (within the data scope)"),
    "tickets:ticket-list",
    menu="service",
    menu_label=_("Tickets"),
    icon="life-preserver",
    order=10,
    default_roles=HANDLERS,
)
register(
    "tickets.ticket_detail",
    _("Open a service ticket and its timeline"),
    "tickets:ticket-detail",
    parent="tickets.ticket_list",
    default_roles=HANDLERS,
)
register(
    "tickets.ticket_export",
    _("Export the ticket list (CSV or Excel)"),
    "tickets:ticket-export",
    parent="tickets.ticket_list",
    default_roles=HANDLERS,
)
register(
    "tickets.ticket_create",
    _("Open tickets for customers and students"),
    "tickets:ticket-create",
    methods=WRITE,
    parent="tickets.ticket_list",
    default_roles=HANDLERS,
)
for codename, label, url_name in (
    ("ticket_assign", _("Assign tickets to a person or a queue"), "tickets:ticket-assign"),
    ("ticket_take", _("Take tickets from own department's queue"), "tickets:ticket-take"),
    ("ticket_start", _("Start work on own tickets"), "tickets:ticket-start"),
    ("ticket_resolve", _("Resolve own tickets"), "tickets:ticket-resolve"),
    ("ticket_feedback", _("Record a customer's feedback on a ticket"), "tickets:ticket-feedback"),
    ("ticket_archive", _("Archive tickets after their feedback"), "tickets:ticket-archive"),
    ("ticket_reopen", _("Reopen tickets after their feedback"), "tickets:ticket-reopen"),
    ("ticket_comment", _("Comment on tickets"), "tickets:ticket-comment"),
):
    register(
        f"tickets.{codename}",
        label,
        url_name,
        methods=POST,
        parent="tickets.ticket_list",
        default_roles=HANDLERS,
    )
register(
    "tickets.deadlines",
    _("Set the response and resolution deadlines of tickets"),
    "tickets:deadlines",
    methods=WRITE,
    menu="service",
    menu_label=_("Ticket deadlines"),
    icon="alarm",
    order=20,
    default_roles=MANAGERS,
)
register(
    "tickets.report",
    _("Read the service report (within the data scope)"),
    "tickets:report",
    menu="service",
    menu_label=_("Service report"),
    icon="clipboard-data",
    order=30,
    default_roles=MANAGERS,
)

# --- Students: their own tickets only (the views look them up among the student's) --------------
register(
    "tickets.my_tickets",
    _("Ask for help and follow own tickets"),
    "tickets:my-ticket-list",
    menu="service",
    menu_label=_("My tickets"),
    icon="chat-square-text",
    order=40,
    default_roles=(STUDENT,),
)
register(
    "tickets.my_ticket_create",
    _("Open own tickets"),
    "tickets:my-ticket-create",
    methods=WRITE,
    parent="tickets.my_tickets",
    default_roles=(STUDENT,),
)
register(
    "tickets.my_ticket_detail",
    _("Open own tickets and their timeline"),
    "tickets:my-ticket-detail",
    parent="tickets.my_tickets",
    default_roles=(STUDENT,),
)
for codename, label, url_name in (
    ("my_ticket_feedback", _("Rate own resolved tickets"), "tickets:my-ticket-feedback"),
    ("my_ticket_reopen", _("Reopen own tickets"), "tickets:my-ticket-reopen"),
    ("my_ticket_comment", _("Comment on own tickets"), "tickets:my-ticket-comment"),
):
    register(
        f"tickets.{codename}",
        label,
        url_name,
        methods=POST,
        parent="tickets.my_tickets",
        default_roles=(STUDENT,),
    )
