from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, User
from common.formsets import row_formset
from crm.models import Campus
from reports.periods import EARLIEST_YEAR, Month


class MonthField(forms.CharField):
    """A month as "YYYY-MM" (the browser's month picker), cleaned to a Month."""

    widget = forms.TextInput(attrs={"type": "month"})

    def __init__(self, **kwargs):
        super().__init__(max_length=7, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        month = Month.parse(value)
        if month is None:
            raise forms.ValidationError(
                _("Pick a month between %(first)s and %(last)s, written like 2026-11."),
                params={"first": f"{EARLIEST_YEAR}-01", "last": Month.current().shift(12)},
            )
        return month


class ObjectChoiceField(forms.ChoiceField):
    """A choice among objects the view has already read: showing and checking it asks the
    database nothing. Cleans to the object; a value that is not one of them is refused with
    the message of Django's ModelChoiceField."""

    default_error_messages = {
        "invalid_choice": forms.ModelChoiceField.default_error_messages["invalid_choice"]
    }

    def __init__(self, *, empty_label, **kwargs):
        super().__init__(**kwargs)
        self.empty_label = empty_label
        self.objects: list = []
        self._by_value: dict[str, object] = {}

    def set_objects(self, objects) -> None:
        self.objects = list(objects)
        self._by_value = {str(item.pk): item for item in self.objects}
        self.choices = [("", self.empty_label), *((str(item.pk), str(item)) for item in self.objects)]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self._by_value[str(value)]
        except KeyError:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None

    def validate(self, value):
        # Only the required check: to_python already refused anything that is not a choice.
        forms.Field.validate(self, value)


class ReportFilterForm(forms.Form):
    """Month and scope of the sales report. The choices offered are exactly what the user may
    see, so a team, consultant or campus edited into the URL is refused, never widened. The view
    passes the consultants (read once for the scope too) and their teams; the campuses are one
    query here."""

    month = MonthField(label=_("Month"), required=False)
    team = ObjectChoiceField(label=_("Team"), required=False, empty_label=_("All my teams"))
    consultant = ObjectChoiceField(label=_("Consultant"), required=False, empty_label=_("Everyone"))
    campus = ObjectChoiceField(label=_("Campus"), required=False, empty_label=_("All campuses"))

    def __init__(self, *args, consultants: list[User], teams: list[Department], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].set_objects(teams)
        self.fields["consultant"].set_objects(consultants)
        self.fields["campus"].set_objects(Campus.objects.order_by("name"))
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select form-select-sm")
        self.fields["month"].widget.attrs["class"] = "form-control form-control-sm"


class TargetForm(forms.Form):
    consultant = forms.IntegerField(widget=forms.HiddenInput)
    new_leads = forms.IntegerField(label=_("New leads"), min_value=0, max_value=1_000_000, required=False)
    signings = forms.IntegerField(label=_("Signings"), min_value=0, max_value=100_000, required=False)
    revenue = forms.DecimalField(
        label=_("Revenue (CNY)"), min_value=0, max_value=9_999_999_999, decimal_places=2, required=False
    )


def target_formset(consultants, targets: dict, data=None):
    """One row per consultant the manager may set targets for; any other id refuses the page."""

    def initial_of(user) -> dict:
        target = targets.get(user.pk)
        return {
            "new_leads": target.new_leads if target else None,
            "signings": target.signings if target else None,
            "revenue": target.revenue if target else None,
        }

    return row_formset(
        TargetForm,
        consultants,
        key="consultant",
        changed_message=_("The list of consultants changed; reload the page and try again."),
        prefix="targets",
        initial_of=initial_of,
        data=data,
    )
