"""The warning pages' filters. Warnings are computed rows, not a queryset, so these are plain
forms whose cleaned values the selectors apply in SQL (see risk.selectors)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from risk.models import CustomerRisk, StudentRisk


class StudentWarningFilter(forms.Form):
    kind = forms.ChoiceField(
        label=_("Warning"), required=False, choices=[("", _("All")), *StudentRisk.choices]
    )
    class_list = forms.ModelChoiceField(label=_("Class"), required=False, queryset=None, empty_label=_("All"))

    def __init__(self, *args, classes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_list"].queryset = classes
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"

    @property
    def form(self):
        # filter_bar.html reads a FilterSet's `form`; this filter is its own form.
        return self


class CustomerWarningFilter(forms.Form):
    kind = forms.ChoiceField(
        label=_("Warning"), required=False, choices=[("", _("All")), *CustomerRisk.choices]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.attrs["class"] = "form-select form-select-sm"

    @property
    def form(self):
        return self
