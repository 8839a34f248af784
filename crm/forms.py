from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from crm.models import Campus, ClassList, Course, DictItem


class CampusForm(forms.ModelForm):
    class Meta:
        model = Campus
        fields = ["name", "address", "phone", "is_active"]


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = ["name", "default_price", "outline", "contract_template", "is_active"]
        widgets = {
            "outline": forms.Textarea(attrs={"rows": 8}),
            "contract_template": forms.Textarea(attrs={"rows": 8}),
        }


class ClassListForm(forms.ModelForm):
    class Meta:
        model = ClassList
        fields = [
            "course",
            "campus",
            "semester",
            "price",
            "start_date",
            "graduate_date",
            "capacity",
            "teachers",
            "adviser",
            "is_active",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "graduate_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "teachers": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keep = self.instance.pk
        # Offer active records, plus whatever an existing class already points at (only for an
        # existing class: classes__pk=None would match every record without classes).
        offered = (Q(is_active=True) | Q(classes__pk=keep)) if keep else Q(is_active=True)
        self.fields["course"].queryset = Course.objects.filter(offered).distinct()
        self.fields["campus"].queryset = Campus.objects.filter(offered).distinct()
        # Anyone whose roles let them see the classes they teach can teach or advise one.
        can_teach = User.objects.filter(is_active=True, roles__permissions__codename="crm.class_detail_own")
        if keep:
            can_teach = can_teach | User.objects.filter(
                Q(teaching_classes__pk=keep) | Q(advised_classes__pk=keep)
            )
        can_teach = can_teach.distinct().order_by("username")
        self.fields["teachers"].queryset = can_teach
        self.fields["adviser"].queryset = can_teach
        self.fields["price"].required = False
        self.fields["price"].help_text = _("Leave empty to use the course's default price.")

    def clean(self):
        cleaned = super().clean()
        start, graduate = cleaned.get("start_date"), cleaned.get("graduate_date")
        if start and graduate and graduate < start:
            self.add_error("graduate_date", _("Graduation cannot be before the start date."))
        if cleaned.get("price") is None and cleaned.get("course"):
            cleaned["price"] = cleaned["course"].default_price
            self.instance.price = cleaned["price"]
        return cleaned


class DictItemForm(forms.ModelForm):
    class Meta:
        model = DictItem
        fields = ["kind", "code", "label", "order", "is_active"]
