"""The student segment of a mass email (the customer segment is crm's CustomerFilter), and the
filter of a mailing's recipient list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from common.filters import StyledFilterSet
from crm.models import ClassList
from enrollment.models import Student
from marketing.models import MailingRecipient


class StudentSegmentFilter(StyledFilterSet):
    class_list = django_filters.ModelChoiceFilter(
        field_name="classes", queryset=ClassList.objects.select_related("course", "campus"), label=_("Class")
    )
    status = django_filters.ChoiceFilter(choices=Student.Status.choices, label=_("Status"))

    class Meta:
        model = Student
        fields = ["class_list", "status"]


class RecipientFilter(StyledFilterSet):
    status = django_filters.ChoiceFilter(choices=MailingRecipient.Status.choices, label=_("Status"))

    class Meta:
        model = MailingRecipient
        fields = ["status"]
