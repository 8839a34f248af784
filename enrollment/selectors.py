"""Reads of enrollment, scoped to the user: an enrollment is visible to whoever may see its
customer (the sales data scope), and to those who review enrollments. Deleted enrollments (the
recycle bin) are left out of everything but the recycle bin."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from crm.models import ClassList
from crm.selectors import (
    classes_taught_by,
    editable_customer_filter,
    is_editable_by,
    visible_customer_filter,
)
from enrollment.models import Enrollment, EnrollmentDocument, Payment, Student
from enrollment.services import classes_with_seats
from rbac.models import Role
from rbac.selectors import data_scope_for

REVIEWER_CODENAME = "enrollment.enrollment_review"


def enrollments_visible_to(user, *, reviews_all: bool) -> QuerySet[Enrollment]:
    enrollments = Enrollment.objects.live().select_related(
        "customer", "class_list__course", "class_list__campus", "consultant"
    )
    if reviews_all:
        return enrollments
    return enrollments.filter(visible_customer_filter(user, "customer__"))


def enrollment_for_detail(user, pk: int, *, reviews_all: bool) -> Enrollment:
    return get_object_or_404(enrollments_visible_to(user, reviews_all=reviews_all), pk=pk)


def _deletable_filter(user) -> Q:
    """The enrollments `user` may delete and restore: those they made, and those of customers
    they may edit (their own, or their department's or everyone's by data scope)."""
    return Q(consultant=user) | editable_customer_filter(user, "customer__")


def may_delete(user, enrollment: Enrollment) -> bool:
    """`_deletable_filter` for one enrollment already loaded, plus the state the service refuses
    first (an approved enrollment stays), for showing the delete button."""
    return enrollment.status != Enrollment.Status.APPROVED and (
        enrollment.consultant_id == user.pk or is_editable_by(user, enrollment.customer)
    )


def enrollments_deletable_by(user) -> QuerySet[Enrollment]:
    """Live enrollments `user` may move to the recycle bin (the service checks their state)."""
    return Enrollment.objects.live().filter(_deletable_filter(user)).select_related("customer", "class_list")


def enrollments_deleted_visible_to(user) -> QuerySet[Enrollment]:
    """The recycle bin: deleted enrollments `user` may restore, most recently deleted first."""
    return (
        Enrollment.objects.filter(_deletable_filter(user), is_deleted=True)
        .select_related("customer", "class_list__course", "class_list__campus", "consultant")
        .order_by("-deleted_at", "-id")
    )


def documents_with_enrollment() -> QuerySet[EnrollmentDocument]:
    """Documents with what names their enrollment (the access log's label) joined."""
    return EnrollmentDocument.objects.select_related(
        "enrollment__customer", "enrollment__class_list__course", "enrollment__class_list__campus"
    )


def classes_open_for_enrollment() -> QuerySet[ClassList]:
    """Active classes with their seats taken, soonest start first."""
    return classes_with_seats(
        ClassList.objects.filter(is_active=True)
        .select_related("course", "campus")
        .order_by("start_date", "id")
    )


def payments_for_review() -> QuerySet[Payment]:
    """Every payment of a live enrollment, for finance (which works for the whole school)."""
    return Payment.objects.filter(enrollment__is_deleted=False).select_related(
        "enrollment__customer",
        "enrollment__class_list__course",
        "enrollment__class_list__campus",
        "consultant",
        "confirmed_by",
    )


def enrollments_of_student(user) -> QuerySet[Enrollment]:
    """The signed-in student's own enrollments (none for anyone who is not a student)."""
    return (
        Enrollment.objects.live()
        .filter(customer__student__user=user)
        .select_related("class_list__course", "class_list__campus", "consultant")
    )


def student_scope_filter(user, *, class_field: str, customer: str) -> Q:
    """The (student, class) pairs `user` reaches, on a model naming the class by `class_field`
    and the student's customer by the prefix `customer`: the classes they teach or advise, and
    the students whose customer they own within their customer data scope (a manager: the
    team's); every pair for no user (a periodic job) or a data scope of "all"."""
    if user is None or data_scope_for(user) == Role.DataScope.ALL:
        return Q()
    taught = Q(**{f"{class_field}__in": classes_taught_by(user).values("pk")})
    owned = visible_customer_filter(user, customer) & Q(**{f"{customer}consultant__isnull": False})
    return taught | owned


def students_visible_to(user) -> QuerySet[Student]:
    """The students `user` reaches in some class (student_scope_filter)."""
    scope = student_scope_filter(user, class_field="classes", customer="customer__")
    return Student.objects.filter(pk__in=Student.objects.filter(scope).values("pk"))
