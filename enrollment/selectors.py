"""Reads of enrollment, scoped to the user: an enrollment is visible to whoever may see its
customer (the sales data scope), and to those who review enrollments."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from crm.models import ClassList
from crm.selectors import visible_customer_filter
from enrollment.models import Enrollment, EnrollmentDocument, Payment
from enrollment.services import classes_with_seats

REVIEWER_CODENAME = "enrollment.enrollment_review"


def enrollments_visible_to(user, *, reviews_all: bool) -> QuerySet[Enrollment]:
    enrollments = Enrollment.objects.select_related(
        "customer", "class_list__course", "class_list__campus", "consultant"
    )
    if reviews_all:
        return enrollments
    return enrollments.filter(visible_customer_filter(user, "customer__"))


def enrollment_for_detail(user, pk: int, *, reviews_all: bool) -> Enrollment:
    return get_object_or_404(enrollments_visible_to(user, reviews_all=reviews_all), pk=pk)


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
    """Every payment, for finance (which works for the whole school)."""
    return Payment.objects.select_related(
        "enrollment__customer",
        "enrollment__class_list__course",
        "enrollment__class_list__campus",
        "consultant",
        "confirmed_by",
    )


def enrollments_of_student(user) -> QuerySet[Enrollment]:
    """The signed-in student's own enrollments (none for anyone who is not a student)."""
    return Enrollment.objects.filter(customer__student__user=user).select_related(
        "class_list__course", "class_list__campus", "consultant"
    )
