"""The service desk's forms: opening a ticket, each workflow move, the deadline grid and the
report's period. They validate input; the workflow's own rules are the services'."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, User
from common.filters import SANE_DATES
from crm.models import DictItem
from tickets.models import DEFAULT_DEADLINE_HOURS, Priority, Ticket


def ticket_categories():
    return DictItem.objects.filter(kind=DictItem.Kind.TICKET_CATEGORY, is_active=True).order_by("order", "pk")


class TicketForm(forms.ModelForm):
    """A staff member opens a ticket (the customer or student comes from the page it was opened
    from, not from this form)."""

    class Meta:
        model = Ticket
        fields = ["category", "priority", "title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ticket_categories()
        self.fields["category"].empty_label = None


class StudentTicketForm(TicketForm):
    """A student asks for help: the priority is the desk's to judge."""

    class Meta(TicketForm.Meta):
        fields = ["category", "title", "description"]
        labels = {"title": _("What is it about?"), "description": _("Tell us more")}


class WorkflowForm(forms.Form):
    """Every workflow move carries the status the user saw: if the ticket moved on since the page
    was drawn, the move is refused rather than applied to a ticket the user did not see."""

    seen = forms.ChoiceField(choices=Ticket.Status.choices, required=False, widget=forms.HiddenInput)


class AssignForm(WorkflowForm):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label=_("Person"), empty_label=_("(queue only)")
    )
    queue = forms.ModelChoiceField(
        queryset=Department.objects.none(), required=False, label=_("Queue"), empty_label=_("(no queue)")
    )

    def __init__(self, *args, handlers, **kwargs):
        super().__init__(*args, **kwargs)
        # People: those of the user's scope (tickets.selectors.handlers_for). Queues: any open
        # department, since passing a ticket to the team that can solve it (finance for a
        # refund) is what a queue is for.
        self.fields["assignee"].queryset = handlers
        self.fields["assignee"].label_from_instance = lambda user: f"{user} · {user.department}"
        self.fields["queue"].queryset = Department.objects.filter(is_active=True).order_by("name")

    def clean(self):
        data = super().clean()
        if not data.get("assignee") and not data.get("queue"):
            raise forms.ValidationError(_("Choose a person or a queue to assign the ticket to."))
        return data


class ResolveForm(WorkflowForm):
    note = forms.CharField(
        label=_("What was done"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class FeedbackForm(WorkflowForm):
    rating = forms.TypedChoiceField(
        label=_("Rating"),
        coerce=int,
        choices=[(number, str(number)) for number in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(WorkflowForm):
    reason = forms.CharField(
        label=_("Why reopen it?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CommentForm(WorkflowForm):
    note = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class EmptyForm(WorkflowForm):
    """Take, start and archive need nothing but the status seen."""


class ReportForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"),
        validators=SANE_DATES,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To"),
        validators=SANE_DATES,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    @staticmethod
    def default_period() -> tuple[date, date]:
        """This month so far."""
        today = timezone.localdate()
        return today.replace(day=1), today

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (end - start).days > 366 * 3:
                raise forms.ValidationError(_("Choose a period of at most three years."))
        return data


class DeadlineGridForm(forms.Form):
    """The deadline table: for each category (and the default row, first) and each priority, the
    response and resolution hours. A category's empty cell follows the default of its priority."""

    def __init__(self, *args, categories, current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for category in [None, *categories]:
            key = "default" if category is None else str(category.pk)
            cells = []
            for priority in Priority:
                names = []
                for part, index in (("response", 0), ("resolve", 1)):
                    name = f"{key}-{priority.value}-{part}"
                    value = current.get((getattr(category, "pk", None), priority.value))
                    # A category's empty cell shows the default it follows.
                    default = current.get((None, priority.value)) or DEFAULT_DEADLINE_HOURS[priority]
                    self.fields[name] = forms.IntegerField(
                        widget=forms.NumberInput(attrs={"placeholder": default[index] if category else ""}),
                        min_value=1,
                        max_value=24 * 365,
                        required=category is None,
                        label=f"{category or _('Default')} · {priority.label} · "
                        + str(_("respond within (hours)") if index == 0 else _("resolve within (hours)")),
                        initial=value[index] if value else None,
                    )
                    names.append(name)
                cells.append((priority, names))
            self.rows.append((category, key, cells))

    def clean(self):
        data = super().clean()
        for category, _key, cells in self.rows:
            for _priority, (response, resolve) in cells:
                if category is not None and (data.get(response) is None) != (data.get(resolve) is None):
                    self.add_error(response, _("Fill both hours, or neither to follow the default."))
                elif data.get(response) and data.get(resolve) and data[response] > data[resolve]:
                    self.add_error(
                        resolve, _("The resolution deadline cannot come before the response deadline.")
                    )
        return data

    def hours(self) -> dict:
        data = self.cleaned_data
        result = {}
        for category, _key, cells in self.rows:
            for priority, (response, resolve) in cells:
                value = None if data.get(response) is None else (data[response], data[resolve])
                result[(getattr(category, "pk", None), priority.value)] = value
        return result

    def grid(self):
        """Rows of (category, [(priority, response field, resolve field)]) for the template."""
        return [
            (category, [(priority, self[response], self[resolve]) for priority, (response, resolve) in cells])
            for category, _key, cells in self.rows
        ]
