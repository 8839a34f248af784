import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.filters import SearchFilterSet, active_filter
from crm.models import Campus, ClassList, Course, DictItem


class CampusFilter(SearchFilterSet):
    search_fields = ("name", "address", "phone")
    is_active = active_filter()
    o = django_filters.OrderingFilter(fields=(("name", "name"), ("class_count", "classes")))

    class Meta:
        model = Campus
        fields = ["q", "is_active"]


class CourseFilter(SearchFilterSet):
    search_fields = ("name", "outline")
    is_active = active_filter()
    o = django_filters.OrderingFilter(
        fields=(("name", "name"), ("default_price", "price"), ("class_count", "classes"))
    )

    class Meta:
        model = Course
        fields = ["q", "is_active"]


class ClassListFilter(SearchFilterSet):
    search_fields = ("course__name", "campus__name", "adviser__display_name", "adviser__username")
    course = django_filters.ModelChoiceFilter(queryset=Course.objects.all(), label=_("Course"))
    campus = django_filters.ModelChoiceFilter(queryset=Campus.objects.all(), label=_("Campus"))
    teacher = django_filters.ModelChoiceFilter(
        field_name="teachers",
        queryset=User.objects.filter(teaching_classes__isnull=False).distinct(),
        label=_("Teacher"),
    )
    start_after = django_filters.DateFilter(
        field_name="start_date",
        lookup_expr="gte",
        label=_("Starts on or after"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    is_active = active_filter()
    o = django_filters.OrderingFilter(
        fields=(
            ("course__name", "course"),
            ("campus__name", "campus"),
            ("semester", "semester"),
            ("start_date", "start"),
            ("price", "price"),
        )
    )

    class Meta:
        model = ClassList
        fields = ["q", "course", "campus", "teacher", "start_after", "is_active"]


class DictItemFilter(SearchFilterSet):
    search_fields = ("code", "label")
    kind = django_filters.ChoiceFilter(choices=DictItem.Kind.choices, label=_("Kind"))
    is_active = active_filter()
    o = django_filters.OrderingFilter(fields=(("kind", "kind"), ("order", "order"), ("label", "label")))

    class Meta:
        model = DictItem
        fields = ["q", "kind", "is_active"]
