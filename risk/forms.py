from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import DictItem, PoolPolicy
from risk.models import RiskPolicy, StudentRisk


class StudentThresholdsForm(forms.ModelForm):
    class Meta:
        model = RiskPolicy
        fields = [
            "absence_streak",
            "homework_streak",
            "falling_scores",
            "payment_grace_days",
            "auto_ticket",
            "ticket_category",
            "ticket_priority",
        ]

    def clean(self):
        data = super().clean()
        if data.get("auto_ticket") and not data.get("ticket_category"):
            self.add_error("ticket_category", _("Choose the category of the tickets opened automatically."))
        return data


class CustomerThresholdsForm(forms.ModelForm):
    class Meta:
        model = RiskPolicy
        fields = ["high_intent_levels", "high_intent_days"]
        widgets = {"high_intent_levels": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["high_intent_levels"].queryset = DictItem.objects.filter(
            kind=DictItem.Kind.INTENT_LEVEL, is_active=True
        ).order_by("order", "id")

    def clean_high_intent_days(self):
        days = self.cleaned_data["high_intent_days"]
        pool_days = PoolPolicy.current().days_without_follow_up
        if days >= pool_days:
            # The pool sweep would take the customer away before the warning could help.
            raise forms.ValidationError(
                _(
                    "Make it shorter than the pool rules' %(days)s days without follow-up: by then "
                    "the customer is back in the public pool."
                )
                % {"days": pool_days}
            )
        return days


class TicketRequestForm(forms.Form):
    """Which warning of the student a "ticket for the adviser" button names (see RiskTicket)."""

    kind = forms.ChoiceField(choices=StudentRisk.choices)
    class_list = forms.IntegerField(min_value=1)
    occurrence = forms.IntegerField(min_value=0)
