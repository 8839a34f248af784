"""Marketing's entries: campaigns, their report, email templates and mailings are the sales
managers' and administrators'. Campaigns and templates are school-wide; which customers a user
sees among a campaign's leads, and which mailings they reach, is the selectors' business
(marketing.selectors): another user's mailing is a 404 for a department-scoped manager."""

from django.utils.translation import gettext_lazy as _

from rbac.defaults import ADMIN, SALES_MANAGER
from rbac.registry import register

MARKETERS = (SALES_MANAGER, ADMIN)
WRITE = ("GET", "POST")

# --- Campaigns --------------------------------------------------------------------------------
register(
    "marketing.campaign_list",
    _("View marketing campaigns"),
    "marketing:campaign-list",
    menu="marketing",
    menu_label=_("Campaigns"),
    icon="megaphone",
    order=10,
    default_roles=MARKETERS,
)
register(
    "marketing.campaign_detail",
    _("View a campaign's figures, leads and web form"),
    "marketing:campaign-detail",
    parent="marketing.campaign_list",
    default_roles=MARKETERS,
)
for codename, label, url_name in (
    ("campaign_create", _("Create campaigns"), "marketing:campaign-create"),
    ("campaign_update", _("Edit campaigns"), "marketing:campaign-update"),
):
    register(
        f"marketing.{codename}",
        label,
        url_name,
        methods=WRITE,
        parent="marketing.campaign_list",
        default_roles=MARKETERS,
    )
register(
    "marketing.campaign_api_key",
    _("Issue a campaign's API key for the school's website"),
    "marketing:campaign-api-key",
    methods=("POST",),
    parent="marketing.campaign_list",
    default_roles=MARKETERS,
)
register(
    "marketing.campaign_report",
    _("Read the campaign report"),
    "marketing:campaign-report",
    menu="marketing",
    menu_label=_("Campaign report"),
    icon="graph-up-arrow",
    order=20,
    default_roles=MARKETERS,
)

# --- Email templates ----------------------------------------------------------------------------
register(
    "marketing.template_list",
    _("View email templates"),
    "marketing:template-list",
    menu="marketing",
    menu_label=_("Email templates"),
    icon="file-earmark-text",
    order=30,
    default_roles=MARKETERS,
)
for codename, label, url_name in (
    ("template_create", _("Create email templates"), "marketing:template-create"),
    ("template_update", _("Edit email templates"), "marketing:template-update"),
):
    register(
        f"marketing.{codename}",
        label,
        url_name,
        methods=WRITE,
        parent="marketing.template_list",
        default_roles=MARKETERS,
    )
register(
    "marketing.template_preview",
    _("Preview email templates with a customer in scope"),
    "marketing:template-preview",
    parent="marketing.template_list",
    default_roles=MARKETERS,
)
register(
    "marketing.template_test_send",
    _("Send a test email to oneself"),
    "marketing:template-test-send",
    methods=("POST",),
    parent="marketing.template_list",
    default_roles=MARKETERS,
)

# --- Mailings -----------------------------------------------------------------------------------
register(
    "marketing.mailing_list",
    _("View mass emails"),
    "marketing:mailing-list",
    menu="marketing",
    menu_label=_("Mass email"),
    icon="envelope-paper",
    order=40,
    default_roles=MARKETERS,
)
register(
    "marketing.mailing_create",
    _("Prepare mass emails to customers or students"),
    "marketing:mailing-create",
    methods=WRITE,
    parent="marketing.mailing_list",
    default_roles=MARKETERS,
)
register(
    "marketing.mailing_detail",
    _("View a mass email's recipients and their status"),
    "marketing:mailing-detail",
    parent="marketing.mailing_list",
    default_roles=MARKETERS,
)
for codename, label, url_name in (
    ("mailing_queue", _("Send mass emails"), "marketing:mailing-queue"),
    ("mailing_cancel", _("Cancel mass emails"), "marketing:mailing-cancel"),
):
    register(
        f"marketing.{codename}",
        label,
        url_name,
        methods=("POST",),
        parent="marketing.mailing_list",
        default_roles=MARKETERS,
    )
