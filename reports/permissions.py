"""The reports' entries. Whose figures a user sees is the selectors' business
(reports.selectors.consultants_reported_by): a consultant their own, a manager the team's."""

from django.utils.translation import gettext_lazy as _

from rbac.defaults import ADMIN, SALES, SALES_MANAGER
from rbac.registry import register

register(
    "reports.sales_report",
    _("Read the monthly sales report (within the data scope)"),
    "reports:sales-report",
    menu="reports",
    menu_label=_("Monthly sales report"),
    icon="bar-chart-line",
    order=10,
    default_roles=(SALES, SALES_MANAGER, ADMIN),
)
register(
    "reports.targets",
    _("Set consultants' monthly targets"),
    "reports:targets",
    methods=("GET", "POST"),
    menu="reports",
    menu_label=_("Sales targets"),
    icon="bullseye",
    order=20,
    default_roles=(SALES_MANAGER, ADMIN),
)
