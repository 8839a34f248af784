"""The ticket list's filters, over the user's scoped tickets (tickets_visible_to)."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, User
from common.filters import SANE_DATES, AllYesNoSelect, StyledFilterSet, prefix_q, start_of_day
from crm.models import DictItem
from crm.normalize import phone_or_none
from tickets.models import Priority, Ticket
from tickets.selectors import handlers_for, overdue_condition, queues_for

MINE_CHOICES = (
    ("assigned", _("Assigned to me")),
    ("created", _("Created by me")),
    ("queue", _("In my queue")),
)
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TicketFilter(StyledFilterSet):
    q = django_filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("No., title, customer, phone")}),
    )
    mine = django_filters.ChoiceFilter(choices=MINE_CHOICES, method="filter_mine", label=_("Mine"))
    status = django_filters.ChoiceFilter(choices=Ticket.Status.choices, label=_("Status"))
    category = django_filters.ModelChoiceFilter(
        queryset=DictItem.objects.filter(kind=DictItem.Kind.TICKET_CATEGORY).order_by("order", "pk"),
        label=_("Category"),
    )
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("Priority"))
    assignee = django_filters.ModelChoiceFilter(queryset=User.objects.none(), label=_("Assignee"))
    queue = django_filters.ModelChoiceFilter(queryset=Department.objects.none(), label=_("Queue"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"), widget=AllYesNoSelect)
    created_from = django_filters.DateFilter(
        method="filter_created_from", label=_("Created from"), widget=DATE_WIDGET, validators=SANE_DATES
    )
    created_to = django_filters.DateFilter(
        method="filter_created_to", label=_("Created to"), widget=DATE_WIDGET, validators=SANE_DATES
    )
    o = django_filters.OrderingFilter(
        fields=(
            ("created_at", "created"),
            ("resolve_due_at", "due"),
            ("priority", "priority"),
            ("status", "status"),
        )
    )

    class Meta:
        model = Ticket
        fields = [
            "q",
            "mine",
            "status",
            "category",
            "priority",
            "assignee",
            "queue",
            "overdue",
            "created_from",
            "created_to",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Only the people and queues the user's scope reaches are offered.
        self.filters["assignee"].queryset = handlers_for(user)
        self.filters["queue"].queryset = queues_for(user)

    def filter_search(self, queryset, name, value):
        """A number (with or without #) is a ticket's; a phone is the customer's (normalised, an
        exact match on its index); anything else the start of the customer's name or a word of
        the title."""
        value = value.strip()
        if not value:
            return queryset
        number = value.removeprefix("#")
        if number.isdigit() and len(number) < 10:
            return queryset.filter(pk=int(number))
        phone = phone_or_none(value)
        if phone:
            return queryset.filter(customer__phone=phone)
        return queryset.filter(prefix_q("customer__name", value) | Q(title__icontains=value))

    def filter_mine(self, queryset, name, value):
        if value == "assigned":
            return queryset.filter(assignee=self.user)
        if value == "created":
            return queryset.filter(created_by=self.user)
        if value == "queue":
            return (
                queryset.filter(queue_id=self.user.department_id)
                if self.user.department_id
                else queryset.none()
            )
        return queryset

    def filter_overdue(self, queryset, name, value):
        condition = overdue_condition(timezone.now())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_created_from(self, queryset, name, value: datetime.date):
        return queryset.filter(created_at__gte=start_of_day(value))

    def filter_created_to(self, queryset, name, value: datetime.date):
        return queryset.filter(created_at__lt=start_of_day(value + datetime.timedelta(days=1)))
