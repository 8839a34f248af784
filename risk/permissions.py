"""The at-risk warnings' entries. Whose warnings a user sees is the selectors' business
(risk.selectors): teachers and advisers their classes' students, managers their team's students
and customers, consultants their own customers, administrators every student."""

from django.utils.translation import gettext_lazy as _

from rbac.defaults import ADMIN, SALES, SALES_MANAGER, TEACHER
from rbac.registry import register

WRITE = ("GET", "POST")

register(
    "risk.student_warnings",
    _("See at-risk students (own classes, the team's students, or all)"),
    "risk:student-warnings",
    menu="warnings",
    menu_label=_("Students at risk"),
    icon="exclamation-triangle",
    order=10,
    default_roles=(TEACHER, SALES_MANAGER, ADMIN),
)
register(
    "risk.student_ticket",
    _("Open a ticket for the class adviser about an at-risk student"),
    "risk:student-ticket",
    methods=("POST",),
    parent="risk.student_warnings",
    default_roles=(TEACHER, SALES_MANAGER, ADMIN),
)
register(
    "risk.customer_warnings",
    _("See customers at risk (own customers, or the team's)"),
    "risk:customer-warnings",
    menu="warnings",
    menu_label=_("Customers at risk"),
    icon="person-exclamation",
    order=20,
    default_roles=(SALES, SALES_MANAGER),
)
register(
    "risk.student_thresholds",
    _("Edit the student warning thresholds"),
    "risk:student-thresholds",
    methods=WRITE,
    menu="warnings",
    menu_label=_("Student thresholds"),
    icon="sliders",
    order=30,
    default_roles=(ADMIN,),
)
register(
    "risk.customer_thresholds",
    _("Edit the customer warning thresholds"),
    "risk:customer-thresholds",
    methods=WRITE,
    menu="warnings",
    menu_label=_("Customer thresholds"),
    icon="sliders2",
    order=40,
    default_roles=(SALES_MANAGER, ADMIN),
)
