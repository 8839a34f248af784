from django.utils.translation import gettext_lazy as _

from crm.selectors import OWNER_CODENAME
from rbac.defaults import ADMIN, FINANCE, SALES, SALES_MANAGER, STUDENT
from rbac.registry import register

CONSULTANTS = (SALES_MANAGER, SALES)
REVIEWERS = (FINANCE, ADMIN)
WRITE = ("GET", "POST")

register(
    "enrollment.enrollment_list",
    _("View enrollments"),
    "enrollment:enrollment-list",
    menu="enrollment",
    menu_label=_("Enrollments"),
    icon="person-check",
    order=10,
    default_roles=(*CONSULTANTS, *REVIEWERS),
)
register(
    "enrollment.enrollment_detail",
    _("View an enrollment, its link and documents"),
    "enrollment:enrollment-detail",
    parent="enrollment.enrollment_list",
    default_roles=(*CONSULTANTS, *REVIEWERS),
)
register(
    "enrollment.enrollment_document",
    _("Download enrollment documents"),
    "enrollment:enrollment-document",
    parent="enrollment.enrollment_list",
    default_roles=(*CONSULTANTS, *REVIEWERS),
)
register(
    "enrollment.enrollment_create",
    _("Enroll customers (make enrollment links)"),
    "enrollment:enrollment-create",
    methods=WRITE,
    parent=OWNER_CODENAME,
    default_roles=CONSULTANTS,
)
register(
    "enrollment.enrollment_link_regenerate",
    _("Make a new enrollment link"),
    "enrollment:enrollment-link-regenerate",
    methods=("POST",),
    parent="enrollment.enrollment_list",
    default_roles=CONSULTANTS,
)
# Deleting an enrollment made by mistake: its consultant, or whoever may edit its customer (the
# selectors' scope); the service refuses approved enrollments and confirmed money.
register(
    "enrollment.enrollment_delete",
    _("Delete enrollments made by mistake (to the recycle bin)"),
    "enrollment:enrollment-delete",
    methods=("POST",),
    parent="enrollment.enrollment_list",
    default_roles=CONSULTANTS,
)
register(
    "enrollment.enrollment_trash",
    _("View deleted enrollments"),
    "enrollment:enrollment-trash",
    menu="enrollment",
    menu_label=_("Recycle bin"),
    icon="trash",
    order=15,
    default_roles=CONSULTANTS,
)
register(
    "enrollment.enrollment_restore",
    _("Restore deleted enrollments"),
    "enrollment:enrollment-restore",
    methods=("POST",),
    parent="enrollment.enrollment_trash",
    default_roles=CONSULTANTS,
)
# Reviewing sees every enrollment (finance works for the whole school), whatever the data scope.
register(
    "enrollment.enrollment_review",
    _("Review enrollments (see all of them)"),
    "enrollment:enrollment-review-list",
    menu="enrollment",
    menu_label=_("Review queue"),
    icon="clipboard-check",
    order=20,
    default_roles=REVIEWERS,
)
# Sales managers may approve too, within their data scope: a class at capacity needs them (or
# an administrator) to take one more student.
for action, label in (("approve", _("Approve enrollments")), ("reject", _("Reject enrollments"))):
    register(
        f"enrollment.enrollment_{action}",
        label,
        f"enrollment:enrollment-{action}",
        methods=("POST",),
        parent="enrollment.enrollment_review",
        default_roles=(*REVIEWERS, SALES_MANAGER),
    )
register(
    "enrollment.enrollment_approve_over_capacity",
    _("Approve enrollments beyond a class's capacity"),
    "enrollment:enrollment-approve",
    methods=(),
    parent="enrollment.enrollment_review",
    default_roles=(ADMIN, SALES_MANAGER),
)

# Payments: consultants record them (pending); finance confirms or rejects each one.
register(
    "enrollment.payment_create",
    _("Record payments"),
    "enrollment:payment-create",
    methods=WRITE,
    parent="enrollment.enrollment_list",
    default_roles=CONSULTANTS,
)
register(
    "enrollment.payment_queue",
    _("View payments to confirm"),
    "enrollment:payment-queue",
    menu="enrollment",
    menu_label=_("Payments to confirm"),
    icon="cash-coin",
    order=30,
    default_roles=REVIEWERS,
)
for action, label in (("confirm", _("Confirm payments")), ("reject", _("Reject payments"))):
    register(
        f"enrollment.payment_{action}",
        label,
        f"enrollment:payment-{action}",
        methods=("POST",),
        parent="enrollment.payment_queue",
        default_roles=REVIEWERS,
    )

# The student's own enrollments and accepted contracts (the selector only returns their own).
register(
    "enrollment.my_enrollments",
    _("See own enrollments and contracts (students)"),
    "enrollment:my-enrollments",
    menu="enrollment",
    menu_label=_("My enrollments"),
    icon="file-earmark-text",
    order=40,
    default_roles=(STUDENT,),
)
register(
    "enrollment.my_contract",
    _("Read and print own contracts (students)"),
    "enrollment:my-contract",
    parent="enrollment.my_enrollments",
    default_roles=(STUDENT,),
)
