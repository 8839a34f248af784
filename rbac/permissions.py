"""Permission entries for the accounts and roles pages (accounts sits below rbac, so rbac declares
them) and the menu groups shared by every app."""

from django.utils.translation import gettext_lazy as _

from rbac.defaults import ADMIN
from rbac.registry import menu_group, register

menu_group("sales", _("Sales"), icon="people", order=20)
menu_group("enrollment", _("Enrollment"), icon="person-check", order=30)
menu_group("classroom", _("Teaching"), icon="easel", order=40)
menu_group("service", _("Service"), icon="life-preserver", order=45)
menu_group("warnings", _("At-risk warnings"), icon="exclamation-triangle", order=47)
menu_group("reports", _("Reports"), icon="bar-chart", order=50)
menu_group("marketing", _("Marketing"), icon="megaphone", order=55)
menu_group("setup", _("School setup"), icon="building", order=80)
menu_group("access", _("Accounts and roles"), icon="shield-lock", order=90)

ADMIN_ONLY = (ADMIN,)
WRITE = ("GET", "POST")

# Users
register(
    "rbac.user_list",
    _("View users"),
    "rbac:user-list",
    menu="access",
    menu_label=_("Users"),
    icon="person-badge",
    order=10,
    default_roles=ADMIN_ONLY,
)
register(
    "rbac.user_create",
    _("Create users"),
    "rbac:user-create",
    methods=WRITE,
    parent="rbac.user_list",
    default_roles=ADMIN_ONLY,
)
register(
    "rbac.user_update",
    _("Edit users and their roles"),
    "rbac:user-update",
    methods=WRITE,
    parent="rbac.user_list",
    default_roles=ADMIN_ONLY,
)
register(
    "rbac.user_set_active",
    _("Deactivate and reactivate users"),
    "rbac:user-set-active",
    methods=("POST",),
    parent="rbac.user_list",
    default_roles=ADMIN_ONLY,
)
register(
    "rbac.user_approve",
    _("Approve registrations"),
    "rbac:user-approve",
    methods=("POST",),
    parent="rbac.user_list",
    default_roles=ADMIN_ONLY,
)
register(
    "rbac.user_password_link",
    _("Send password links"),
    "rbac:user-password-link",
    methods=("POST",),
    parent="rbac.user_list",
    default_roles=ADMIN_ONLY,
)

# Roles
register(
    "rbac.role_list",
    _("View roles"),
    "rbac:role-list",
    menu="access",
    menu_label=_("Roles and permissions"),
    icon="shield-check",
    order=20,
    default_roles=ADMIN_ONLY,
)
register(
    "rbac.role_create",
    _("Create roles"),
    "rbac:role-create",
    methods=WRITE,
    parent="rbac.role_list",
    default_roles=ADMIN_ONLY,
)
register(
    "rbac.role_update",
    _("Edit roles"),
    "rbac:role-update",
    methods=WRITE,
    parent="rbac.role_list",
    default_roles=ADMIN_ONLY,
)
register(
    "rbac.role_delete",
    _("Delete roles"),
    "rbac:role-delete",
    methods=("POST",),
    parent="rbac.role_list",
    default_roles=ADMIN_ONLY,
)

# Departments
register(
    "rbac.department_list",
    _("View departments"),
    "rbac:department-list",
    menu="setup",
    menu_label=_("Departments"),
    icon="diagram-3",
    order=50,
    default_roles=ADMIN_ONLY,
)
register(
    "rbac.department_create",
    _("Create departments"),
    "rbac:department-create",
    methods=WRITE,
    parent="rbac.department_list",
    default_roles=ADMIN_ONLY,
)
register(
    "rbac.department_update",
    _("Edit departments"),
    "rbac:department-update",
    methods=WRITE,
    parent="rbac.department_list",
    default_roles=ADMIN_ONLY,
)
register(
    "rbac.department_set_active",
    _("Deactivate departments"),
    "rbac:department-set-active",
    methods=("POST",),
    parent="rbac.department_list",
    default_roles=ADMIN_ONLY,
)
