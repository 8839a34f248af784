from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import User
from crm.models import Campus, ClassList, Course, DictItem


def campuses_for_list() -> QuerySet[Campus]:
    return Campus.objects.annotate(class_count=Count("classes")).order_by("name")


def courses_for_list() -> QuerySet[Course]:
    return Course.objects.annotate(class_count=Count("classes")).order_by("name")


def classes_for_list() -> QuerySet[ClassList]:
    """Classes with course, campus and adviser joined and teachers prefetched (two queries a page)."""
    return ClassList.objects.select_related("course", "campus", "adviser").prefetch_related(
        Prefetch("teachers", queryset=User.objects.order_by("username"))
    )


def classes_taught_by(user) -> QuerySet[ClassList]:
    """Classes the user teaches or advises (the object hook "teaches this class" asks this too)."""
    return ClassList.objects.filter(Q(teachers=user) | Q(adviser=user)).distinct()


def class_cards_for_teacher(user) -> QuerySet[ClassList]:
    """The active classes on a teacher's home page, newest first, course and campus joined."""
    return (
        classes_taught_by(user)
        .filter(is_active=True)
        .select_related("course", "campus")
        .order_by("-start_date")
    )


def dict_items_for_list() -> QuerySet[DictItem]:
    return DictItem.objects.order_by("kind", "order", "id")
