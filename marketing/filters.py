"""The student segment of a mass email (the customer segment is crm's CustomerFilter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from crm.models import ClassList
from enrollment.models import Student


class StudentSegmentFilter(django_filters.FilterSet):
    class_list = django_filters.ModelChoiceFilter(
        field_name="classes", queryset=ClassList.objects.all(), label=_("Class")
    )
    status = django_filters.ChoiceFilter(choices=Student.Status.choices, label=_("Status"))

    class Meta:
        model = Student
        fields = ["class_list", "status"]
