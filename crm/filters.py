from datetime import timedelta
from functools import cached_property

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import user_choices
from common.filters import (
    SANE_DATES,
    SearchFilterSet,
    StyledFilterSet,
    active_filter,
    prefix_q,
    start_of_day,
    today_bounds,
)
from crm.models import Campus, ClassList, Course, Customer, DictItem
from crm.normalize import phone_or_none


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
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
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


class CustomerFilter(StyledFilterSet):
    """Filters of the three customer lists. Search goes to exact, indexed keys (normalised phone,
    QQ, WeChat, customer number) and to prefixes of the name, its pinyin and its initials, never
    to a `LIKE '%…%'` scan of a million rows."""

    q = django_filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, pinyin, phone, QQ, WeChat")}),
    )
    source = django_filters.ModelChoiceFilter(queryset=DictItem.objects.none(), label=_("Source"))
    status = django_filters.ChoiceFilter(choices=Customer.Status.choices, label=_("Status"))
    consultant = django_filters.ModelChoiceFilter(queryset=User.objects.none(), label=_("Consultant"))
    course = django_filters.ModelChoiceFilter(
        field_name="interested_courses", queryset=Course.objects.none(), label=_("Interested course")
    )
    created_from = django_filters.DateFilter(
        method="filter_created_from",
        validators=SANE_DATES,
        label=_("Created from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    created_to = django_filters.DateFilter(
        method="filter_created_to",
        validators=SANE_DATES,
        label=_("Created until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    stale_days = django_filters.NumberFilter(
        method="filter_stale",
        label=_("No follow-up for more than (days)"),
        min_value=1,
        max_value=3650,
        widget=forms.NumberInput(attrs={"min": 1, "max": 3650}),
    )
    due = django_filters.ChoiceFilter(
        method="filter_due",
        label=_("Follow-up due"),
        choices=(("today", _("Today")), ("overdue", _("Overdue"))),
    )
    # Set by the "view the imported customers" link of an import; not a field of the filter bar.
    imported = django_filters.NumberFilter(field_name="imported_from", widget=forms.HiddenInput)
    o = django_filters.OrderingFilter(
        fields=(
            ("id", "number"),
            ("name_pinyin", "name"),
            ("consulted_on", "consulted"),
            ("last_follow_up_at", "last_follow_up"),
            ("next_follow_up_at", "next_follow_up"),
        )
    )

    class Meta:
        model = Customer
        fields = [
            "q",
            "source",
            "status",
            "consultant",
            "course",
            "created_from",
            "created_to",
            "stale_days",
            "due",
            "imported",
        ]

    def __init__(self, *args, consultants=None, omit: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.consultants = consultants if consultants is not None else User.objects.none()
        filters = self.filters
        filters["source"].queryset = DictItem.objects.filter(kind=DictItem.Kind.SOURCE).order_by(
            "order", "id"
        )
        filters["course"].queryset = Course.objects.filter(is_active=True)
        if consultants is not None:
            filters["consultant"].queryset = consultants
        for name in omit:
            filters.pop(name)

    @cached_property
    def consultant_choices(self) -> list[tuple[int, str]]:
        """The consultants the page offers, read once: the filter's choices and the batch
        transfer's list are the same (a select renders its choices with a query of its own)."""
        return user_choices(self.consultants)

    def prepare_form(self, form) -> None:
        consultant = form.fields.get("consultant")
        if consultant is not None:
            # The page's consultants, read once for this select and the batch transfer.
            consultant.widget.choices = [("", consultant.empty_label), *self.consultant_choices]

    def filter_search(self, queryset, name, value):
        term = value.strip()[:50]
        if not term:
            return queryset
        keys = Q(wechat=term)
        phone = phone_or_none(term)
        if phone:
            keys |= Q(phone=phone)
        if term.isascii() and term.isdigit():
            keys |= Q(qq=term)
            if len(term) <= 12:
                keys |= Q(pk=int(term))
        latin = term.lower().replace(" ", "")
        if latin.isascii() and latin.isalnum():
            keys |= prefix_q("name_pinyin", latin) | prefix_q("name_initials", latin)
        keys |= prefix_q("name", term)
        return queryset.filter(keys)

    def filter_created_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=start_of_day(value))

    def filter_created_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=start_of_day(value + timedelta(days=1)))

    def filter_stale(self, queryset, name, value):
        cutoff = timezone.now() - timedelta(days=int(value))
        return queryset.filter(
            Q(last_follow_up_at__lt=cutoff) | Q(last_follow_up_at__isnull=True, created_at__lt=cutoff)
        )

    def filter_due(self, queryset, name, value):
        start, end = today_bounds()
        if value == "today":
            return queryset.filter(next_follow_up_at__gte=start, next_follow_up_at__lt=end)
        return queryset.filter(next_follow_up_at__lt=start)
