from datetime import timedelta

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import user_choices
from audit.models import AccessRecord
from common.filters import SANE_DATES, StyledFilterSet, prefix_q, start_of_day

# The largest id the database's big integer columns hold.
MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """A whole, positive id (django-filter's NumberFilter takes decimals)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput, **kwargs)


def _date_filter(method: str, label) -> django_filters.DateFilter:
    return django_filters.DateFilter(
        method=method,
        validators=SANE_DATES,
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class AccessRecordFilter(StyledFilterSet):
    """The access log's filters. The search matches the start of the record's label (a customer's
    name), from an index, never a `LIKE '%…%'` scan of a log that only grows."""

    q = django_filters.CharFilter(
        method="filter_label",
        label=_("Concerning"),
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name (its start)")}),
    )
    user = django_filters.ModelChoiceFilter(queryset=User.objects.none(), label=_("Who"))
    action = django_filters.ChoiceFilter(choices=AccessRecord.Action.choices, label=_("What"))
    date_from = _date_filter("filter_date_from", _("Shown from"))
    date_to = _date_filter("filter_date_to", _("Shown until"))
    # Set by a row's "this record's history" link; not fields of the filter bar.
    content_type = IdFilter(field_name="content_type")
    object_id = IdFilter(field_name="object_id")

    class Meta:
        model = AccessRecord
        fields = ["q", "user", "action", "date_from", "date_to", "content_type", "object_id"]

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.users = users
        self.filters["user"].queryset = users

    def prepare_form(self, form) -> None:
        # The accounts read once, as (id, name) rows; validation still looks the choice up.
        user = form.fields["user"]
        user.widget.choices = [("", user.empty_label), *user_choices(self.users)]

    def filter_label(self, queryset, name, value):
        term = value.strip()
        return queryset.filter(prefix_q("label", term)) if term else queryset

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(at__gte=start_of_day(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(at__lt=start_of_day(value + timedelta(days=1)))
