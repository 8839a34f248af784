"""The roles every new installation starts with. Admins may rename them and change their rights;
`slug` stays the stable key that permission entries name in `default_roles`."""

from django.utils.translation import gettext_lazy as _

from rbac.models import Role

ADMIN = "admin"
SALES_MANAGER = "sales_manager"
SALES = "sales"
FINANCE = "finance"
TEACHER = "teacher"
STUDENT = "student"

DEFAULT_ROLES = [
    (
        ADMIN,
        _("Administrator"),
        _("Sets up the school: campuses, courses, classes, accounts, roles."),
        Role.DataScope.ALL,
    ),
    (
        SALES_MANAGER,
        _("Sales manager"),
        _("Runs the sales team, its customers and reports."),
        Role.DataScope.DEPARTMENT,
    ),
    (SALES, _("Sales consultant"), _("Works leads, the public pool and own customers."), Role.DataScope.OWN),
    (FINANCE, _("Finance"), _("Reviews contracts and confirms payments and refunds."), Role.DataScope.ALL),
    (
        TEACHER,
        _("Teacher"),
        _("Teaches own classes: lessons, roll call, homework, grades."),
        Role.DataScope.OWN,
    ),
    (STUDENT, _("Student"), _("Sees own contract, classes, homework and grades."), Role.DataScope.OWN),
]
STAFF_ROLES = (ADMIN, SALES_MANAGER, SALES, FINANCE, TEACHER)
