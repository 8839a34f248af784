import datetime
from functools import reduce
from operator import or_

import django_filters
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Dates outside these overflow datetime arithmetic (9999-12-31 + 1 day) or time-zone conversion.
SANE_DATES = [
    MinValueValidator(datetime.date(1900, 1, 1)),
    MaxValueValidator(datetime.date(2999, 12, 31)),
]


class AllYesNoSelect(forms.NullBooleanSelect):
    """A yes/no filter whose empty choice reads "All" rather than Django's "Unknown"."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("unknown", _("All")), ("true", _("Yes")), ("false", _("No")))


def read_choices_once(field: forms.Field) -> None:
    """A model choice field's options as a plain list, read with one ordinary query. The field
    would iterate its queryset with .iterator(), which on PostgreSQL declares a server-side cursor
    (three round trips, held past the transaction) for a few dozen rows. Validation still looks
    the chosen value up in the queryset."""
    if not isinstance(field, forms.ModelChoiceField) or isinstance(field.widget.choices, list):
        return
    empty = [] if field.empty_label is None else [("", field.empty_label)]
    field.widget.choices = [
        *empty,
        *((field.prepare_value(item), field.label_from_instance(item)) for item in field.queryset),
    ]


def style_widget(widget: forms.Widget) -> None:
    """Bootstrap's small form controls on a filter widget."""
    css = "form-select form-select-sm" if isinstance(widget, forms.Select) else "form-control form-control-sm"
    widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class StyledFilterSet(django_filters.FilterSet):
    """A FilterSet whose form has Bootstrap's small controls and reads each model choice list with
    one plain query. `prepare_form(form)` runs once, before that, for choices set by hand."""

    def prepare_form(self, form) -> None:
        """Subclasses set choices they have read themselves here."""

    @property
    def form(self):
        form = super().form
        if not getattr(form, "_educrm_styled", False):
            self.prepare_form(form)
            for field in form.fields.values():
                style_widget(field.widget)
                read_choices_once(field)
            form._educrm_styled = True
        return form


class SearchFilterSet(StyledFilterSet):
    """A FilterSet with a free-text `q` over `search_fields` (small setup tables only; the big
    customer table searches normalised keys and a full-text index instead) and Bootstrap widgets."""

    search_fields: tuple[str, ...] = ()

    # A search term longer than any name is a mistake or an attack; SQLite also refuses a LIKE
    # pattern of more than 50,000 characters ("pattern too complex").
    q = django_filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Search…")}),
    )

    def filter_search(self, queryset, name, value):
        for term in value.split()[:5]:
            queryset = queryset.filter(
                reduce(or_, (Q(**{f"{field}__icontains": term}) for field in self.search_fields))
            )
        return queryset


def active_filter(label=None):
    return django_filters.BooleanFilter(
        field_name="is_active", label=label or _("Active"), widget=AllYesNoSelect
    )


def prefix_q(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`. On SQLite as a code-point range, which an ordinary index
    answers (its LIKE is case-insensitive and skips the index); elsewhere as LIKE 'x%', because
    a linguistic collation does not order code points and the range would miss rows."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})
    return Q(**{f"{field}__startswith": prefix})


def start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight of `day` in the school's time zone, for date filters on datetime columns (a
    `__date` lookup would convert every row, and on SQLite call Python for each)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def today_bounds() -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) of today in the school's time zone."""
    today = timezone.localdate()
    return start_of_day(today), start_of_day(today + datetime.timedelta(days=1))
