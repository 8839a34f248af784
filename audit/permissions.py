from django.utils.translation import gettext_lazy as _

from rbac.defaults import ADMIN
from rbac.registry import register

register(
    "audit.access_log",
    _("Read the access log (who was shown ID numbers, documents and full contact details)"),
    "audit:access-log",
    menu="access",
    menu_label=_("Access log"),
    icon="eye",
    order=40,
    default_roles=(ADMIN,),
)
