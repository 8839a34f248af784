from datetime import timedelta

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from crm import imports
from crm.models import (
    AllocationWeight,
    Campus,
    ClassList,
    Course,
    Customer,
    CustomerImport,
    DictItem,
    FollowUp,
    PoolPolicy,
)
from crm.normalize import normalize_phone, normalize_qq
from crm.selectors import find_duplicate
from crm.services import duplicate_message


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


def dictionary_choices(kind: str, current: int | None = None):
    """Active items of one dictionary kind, plus the record's current item (its id) if it was
    deactivated."""
    keep = Q(pk=current) if current is not None else Q(pk__in=[])
    return DictItem.objects.filter(Q(kind=kind, is_active=True) | keep).order_by("order", "id")


class DictionaryFieldsMixin:
    """Limit each dictionary foreign key of a model form to its kind's active items. The options
    shown come from one query for all the form's kinds (a query per select otherwise); a posted
    value is still checked against its own field's queryset."""

    dictionary_fields: dict[str, str] = {}

    def limit_dictionary_fields(self) -> None:
        kinds = {name: kind for name, kind in self.dictionary_fields.items() if name in self.fields}
        current = {
            name: getattr(self.instance, self.instance._meta.get_field(name).attname)
            if self.instance.pk
            else None
            for name in kinds
        }
        items = list(
            DictItem.objects.filter(
                Q(kind__in=set(kinds.values()), is_active=True)
                | Q(pk__in=[pk for pk in current.values() if pk])
            ).order_by("order", "id")
        )
        for name, kind in kinds.items():
            field = self.fields[name]
            field.queryset = dictionary_choices(kind, current[name])
            options = [
                (item.pk, field.label_from_instance(item))
                for item in items
                if (item.kind == kind and item.is_active) or item.pk == current[name]
            ]
            field.choices = ([("", field.empty_label)] if field.empty_label is not None else []) + options


class ReferrerField(forms.ModelChoiceField):
    """The referrer is picked by customer number: a select of a million customers would not load."""

    widget = forms.NumberInput
    default_error_messages = {"invalid_choice": _("No customer has this number.")}

    def prepare_value(self, value):
        return value.pk if isinstance(value, Customer) else value


class CustomerForm(DictionaryFieldsMixin, forms.ModelForm):
    """Create and edit a customer. Phone and QQ are normalised and checked against live customers;
    the database constraint backs the check when two people save at once."""

    dictionary_fields = {
        "gender": DictItem.Kind.GENDER,
        "source": DictItem.Kind.SOURCE,
        "education": DictItem.Kind.EDUCATION,
        "experience": DictItem.Kind.EXPERIENCE,
        "work_status": DictItem.Kind.WORK_STATUS,
    }
    # Longer than the stored values: people type spaces and dashes, which normalising removes.
    phone = forms.CharField(
        label=_("phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    qq = forms.CharField(
        label=_("QQ"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    referrer = ReferrerField(
        queryset=Customer.objects.live(),
        required=False,
        label=_("Referred by (customer number)"),
    )

    class Meta:
        model = Customer
        fields = [
            "name",
            "gender",
            "phone",
            "qq",
            "wechat",
            "email",
            "source",
            "consulted_on",
            "interested_courses",
            "education",
            "school",
            "major",
            "experience",
            "work_status",
            "company",
            "salary",
            "referrer",
            "note",
        ]
        widgets = {
            "consulted_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "interested_courses": forms.CheckboxSelectMultiple,
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_dictionary_fields()
        self.fields["interested_courses"].queryset = Course.objects.filter(
            Q(is_active=True) | Q(pk__in=self.instance.interested_courses.all() if self.instance.pk else [])
        )
        if not self.instance.pk:
            self.initial.setdefault("consulted_on", timezone.localdate())
        self.duplicate: Customer | None = None

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data.get("phone", ""))

    def clean_qq(self) -> str:
        return normalize_qq(self.cleaned_data.get("qq", ""))

    def clean_referrer(self):
        referrer = self.cleaned_data.get("referrer")
        if referrer is not None and self.instance.pk and referrer.pk == self.instance.pk:
            raise forms.ValidationError(_("A customer cannot refer themselves."))
        return referrer

    def clean(self):
        data = super().clean()
        phone, qq = data.get("phone", ""), data.get("qq", "")
        if (
            not (phone or qq or data.get("wechat"))
            and not self.has_error("phone")
            and not self.has_error("qq")
        ):
            raise forms.ValidationError(
                _("Enter at least one way to reach the customer: phone, QQ or WeChat.")
            )
        duplicate = find_duplicate(phone=phone, qq=qq, exclude_pk=self.instance.pk)
        if duplicate is not None:
            self.show_duplicate(duplicate)
        return data

    def show_duplicate(self, existing: Customer) -> None:
        """Refuse with who owns the existing customer and since when (also used by the view when
        the database constraint catches a race the check above could not see)."""
        self.duplicate = existing
        field = "phone" if existing.phone and existing.phone == self.cleaned_data.get("phone") else "qq"
        self.add_error(field, duplicate_message(existing))


class CustomerCreateForm(CustomerForm):
    to_pool = forms.BooleanField(
        label=_("Put in the public pool instead of my customers"),
        required=False,
    )


class FollowUpForm(DictionaryFieldsMixin, forms.ModelForm):
    dictionary_fields = {"channel": DictItem.Kind.FOLLOW_UP_CHANNEL, "intent": DictItem.Kind.INTENT_LEVEL}

    class Meta:
        model = FollowUp
        fields = ["channel", "intent", "content", "next_at"]
        widgets = {
            "content": forms.Textarea(attrs={"rows": 3}),
            "next_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_dictionary_fields()
        self.fields["next_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]

    def clean_next_at(self):
        next_at = self.cleaned_data.get("next_at")
        if next_at is not None:
            now = timezone.now()
            if next_at < now - timedelta(minutes=5):
                raise forms.ValidationError(_("The next follow-up must be in the future."))
            if next_at > now + timedelta(days=366):
                raise forms.ValidationError(_("Plan the next follow-up within a year."))
        return next_at


class TransferForm(forms.Form):
    to = forms.ModelChoiceField(queryset=User.objects.none(), label=_("New consultant"))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, consultants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = consultants


class BatchTransferChoiceForm(forms.Form):
    """The batch bar's "transfer to" select, listing the consultants (id, name) the page has read (a widget
    renders a hundred options faster than a template loop). The batch view checks the choice."""

    to = forms.ChoiceField(label=_("New consultant"), required=False)

    def __init__(self, *args, consultants: list[tuple[int, str]], **kwargs):
        super().__init__(*args, auto_id=False, **kwargs)
        field = self.fields["to"]
        field.choices = [("", _("Transfer to…")), *consultants]
        field.widget.attrs.update(
            {
                "class": "form-select form-select-sm w-auto",
                "aria-label": _("New consultant"),
                "data-testid": "batch-transfer-to",
            }
        )


class ReleaseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class PoolPolicyForm(forms.ModelForm):
    class Meta:
        model = PoolPolicy
        fields = [
            "days_without_follow_up",
            "days_without_signing",
            "warning_days",
            "private_cap",
            "cooldown_days",
        ]

    def clean(self):
        data = super().clean()
        warning = data.get("warning_days")
        shortest = min(
            (days for days in (data.get("days_without_follow_up"), data.get("days_without_signing")) if days),
            default=None,
        )
        if warning is not None and shortest is not None and warning >= shortest:
            self.add_error("warning_days", _("Warn fewer days ahead than the shortest return rule."))
        return data


class AllocationWeightsForm(forms.Form):
    """One weight and one daily cap per consultant. A blank weight removes the consultant from
    auto-allocation; with no weights at all, new leads stay in the pool."""

    def __init__(self, *args, consultants, weights: dict[int, AllocationWeight], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for consultant in consultants:
            current = weights.get(consultant.pk)
            weight = forms.IntegerField(
                label=_("Weight"),
                required=False,
                min_value=0,
                max_value=1000,
                initial=current.weight if current else None,
                widget=forms.NumberInput(
                    attrs={"class": "form-control form-control-sm", "min": 0, "max": 1000}
                ),
            )
            cap = forms.IntegerField(
                label=_("Daily cap"),
                required=False,
                min_value=1,
                max_value=100_000,
                initial=current.daily_cap if current else None,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "min": 1}),
            )
            self.fields[f"weight_{consultant.pk}"] = weight
            self.fields[f"cap_{consultant.pk}"] = cap
            self.rows.append(
                (consultant, current, self[f"weight_{consultant.pk}"], self[f"cap_{consultant.pk}"])
            )

    def settings(self) -> dict[int, tuple[int | None, int | None]]:
        """consultant id -> (weight or None to remove, daily cap or None)."""
        return {
            consultant.pk: (
                self.cleaned_data[f"weight_{consultant.pk}"],
                self.cleaned_data[f"cap_{consultant.pk}"],
            )
            for consultant, *_rest in self.rows
        }


class CustomerImportUploadForm(forms.Form):
    """The spreadsheet to import. Checked here as a whole (type, size, encoding, rows) so a bad
    file is refused at once; its rows are checked one by one by the worker."""

    file = forms.FileField(
        label=_("Spreadsheet (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.CUSTOMER_IMPORT_MAX_BYTES:  # refused before reading it
            raise forms.ValidationError(imports.too_large_message())
        self.data_bytes = upload.read()
        try:
            self.table = imports.read_table(self.data_bytes, upload.name)
        except imports.ImportFileError as error:
            raise forms.ValidationError(str(error)) from error
        return upload


class CustomerImportMappingForm(forms.Form):
    """Which field each column holds, where the new customers go, and the source of rows
    without one. One select per column, pre-set from the guessed mapping."""

    owner = forms.ChoiceField(label=_("New customers go to"), widget=forms.RadioSelect)
    default_source = forms.ModelChoiceField(
        queryset=DictItem.objects.none(),
        required=False,
        label=_("Source for rows without one"),
        help_text=_("Rows whose source is empty get this one; left empty, such rows are reported as errors."),
    )

    def __init__(self, *args, customer_import: CustomerImport, may_allocate: bool, **kwargs):
        super().__init__(*args, **kwargs)
        owners = CustomerImport.Owner
        self.fields["owner"].choices = [
            (value, label) for value, label in owners.choices if may_allocate or value != owners.ALLOCATE
        ]
        self.fields["owner"].initial = owners.ME
        if (
            may_allocate
            and not AllocationWeight.objects.filter(weight__gt=0, consultant__is_active=True).exists()
        ):
            self.fields["owner"].help_text = _(
                "No consultant has an allocation weight yet: auto-allocated customers would stay in the pool."
            )
        self.fields["default_source"].queryset = dictionary_choices(DictItem.Kind.SOURCE)
        field_choices = [("", _("— not imported —"))] + [(f.name, f.label) for f in imports.IMPORT_FIELDS]
        self.columns = []
        for column, header in enumerate(customer_import.headers):
            name = f"column_{column}"
            self.fields[name] = forms.ChoiceField(
                label=header or _("Column %(number)s") % {"number": column + 1},
                choices=field_choices,
                required=False,
                initial=customer_import.mapping.get(str(column), ""),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            samples = [row[column] for row in customer_import.preview if column < len(row) and row[column]]
            self.columns.append((self[name], samples[:3]))

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("column_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("column_") and value
        }

    def clean(self):
        data = super().clean()
        chosen = [value for name, value in data.items() if name.startswith("column_") and value]
        for field_name in {value for value in chosen if chosen.count(value) > 1}:
            raise forms.ValidationError(
                _("“%(field)s” is chosen for more than one column.")
                % {"field": imports.FIELDS_BY_NAME[field_name].label}
            )
        if "name" not in chosen:
            raise forms.ValidationError(_("Choose the column that holds the full name."))
        if not {"phone", "qq", "wechat"} & set(chosen):
            raise forms.ValidationError(_("Choose at least one column with a phone, QQ or WeChat."))
        if "source" not in chosen and data.get("default_source") is None:
            self.add_error("default_source", _("No column holds the source: choose one for all rows."))
        return data
