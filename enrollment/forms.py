from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.forms import dictionary_choices
from crm.models import ClassList, DictItem
from crm.normalize import format_phone, normalize_phone
from enrollment.models import Enrollment, EnrollmentDocument, Payment
from enrollment.services import STUDENT_FIELDS
from enrollment.validators import birthday_from_id, normalize_id_number


class ClassChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, class_list):
        left = class_list.capacity - class_list.seats_taken
        return _("%(class)s · starts %(date)s · %(left)s of %(capacity)s seats left") % {
            "class": class_list,
            "date": class_list.start_date.isoformat(),
            "left": max(left, 0),
            "capacity": class_list.capacity,
        }


class EnrollmentCreateForm(forms.Form):
    class_list = ClassChoiceField(
        queryset=ClassList.objects.none(),
        label=_("Class"),
        widget=forms.RadioSelect(attrs={"class": "form-check-input mt-1"}),
        error_messages={"required": _("Pick the class the customer joins.")},
    )

    def __init__(self, *args, classes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_list"].queryset = classes


class EnrollmentApplyForm(forms.ModelForm):
    """What the student fills in on the link page. Only STUDENT_FIELDS exist here: the name,
    class, price and consultant are shown from the database and never read from the POST."""

    agree = forms.BooleanField(label=_("I have read the contract above and agree to it."))

    class Meta:
        model = Enrollment
        fields = list(STUDENT_FIELDS)
        widgets = {
            "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
            "emergency_phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("id_number", "gender", "birthday", "emergency_contact", "emergency_phone", "address"):
            self.fields[name].required = True
        self.fields["gender"].queryset = dictionary_choices(DictItem.Kind.GENDER, self.instance.gender_id)
        if self.instance.emergency_phone and not self.is_bound:
            self.initial["emergency_phone"] = format_phone(self.instance.emergency_phone)

    def clean_id_number(self) -> str:
        return normalize_id_number(self.cleaned_data["id_number"])

    def clean_emergency_phone(self) -> str:
        return normalize_phone(self.cleaned_data["emergency_phone"])

    def clean_birthday(self):
        birthday = self.cleaned_data["birthday"]
        if birthday and birthday > timezone.localdate():
            raise forms.ValidationError(_("The birthday cannot be in the future."))
        return birthday

    def clean(self):
        data = super().clean()
        id_number, birthday = data.get("id_number"), data.get("birthday")
        if id_number and birthday and birthday_from_id(id_number) != birthday:
            self.add_error("birthday", _("The birthday does not match the ID card number."))
        return data


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(choices=EnrollmentDocument.Kind.choices, label=_("Document type"))
    file = forms.FileField(
        label=_("Photo or PDF"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the student sees it)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class PaymentForm(forms.ModelForm):
    """A payment as the consultant records it. `request_key` is made when the form is shown and
    posted back, so a double click or a replay records it once."""

    request_key = forms.UUIDField(widget=forms.HiddenInput)

    class Meta:
        model = Payment
        fields = ["kind", "amount", "paid_at", "note"]
        widgets = {"paid_at": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs.update(min="0.01", step="0.01")
        self.initial.setdefault("paid_at", timezone.localdate())

    def clean_paid_at(self):
        paid_at = self.cleaned_data["paid_at"]
        if paid_at > timezone.localdate():
            raise forms.ValidationError(_("A payment cannot be dated in the future."))
        return paid_at


class PaymentRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
