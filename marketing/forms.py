"""Validation of the public web-to-lead form (the embeddable page and the website's API endpoint
both use `WebLeadForm`), of email templates, campaigns, draft mailings and the report's period."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.filters import SANE_DATES
from crm.models import Course, DictItem
from crm.normalize import normalize_phone, normalize_qq
from marketing.models import Campaign, EmailTemplate, Mailing
from marketing.services import MarketingRefused, template_compile

# The honeypot's name: a field people never see (hidden by the page's CSS) and bots fill in.
HONEYPOT_FIELD = "website"


class WebLeadForm(forms.Form):
    """What a visitor of the school's website sends: phone and QQ are normalised exactly as the
    customer form does, so the duplicate check finds the customer however the number was typed.
    A filled honeypot does not make the form invalid (a bot must not learn it was caught);
    `is_bot` tells the service to accept without writing."""

    name = forms.CharField(label=_("full name"), max_length=50)
    phone = forms.CharField(
        label=_("phone"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    qq = forms.CharField(
        label=_("QQ"), max_length=30, required=False, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    wechat = forms.CharField(label=_("WeChat"), max_length=50, required=False)
    email = forms.EmailField(label=_("email"), required=False)
    course = forms.ModelChoiceField(
        label=_("Course of interest"), queryset=Course.objects.none(), required=False
    )
    message = forms.CharField(
        label=_("message"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["course"].queryset = campaign.target_courses.filter(is_active=True)

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get(HONEYPOT_FIELD))

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter your name."), code="required")
        return name

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data.get("phone", ""))

    def clean_qq(self) -> str:
        return normalize_qq(self.cleaned_data.get("qq", ""))

    def clean_email(self) -> str:
        return self.cleaned_data.get("email", "").strip().lower()


class EmailTemplateForm(forms.ModelForm):
    """An email template; one that does not compile, or uses a tag that is not allowed, is
    refused on the field it is in."""

    class Meta:
        model = EmailTemplate
        fields = ["name", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}

    def clean_subject(self) -> str:
        return _compiled(self.cleaned_data["subject"])

    def clean_body(self) -> str:
        return _compiled(self.cleaned_data["body"])


def _compiled(text: str) -> str:
    try:
        template_compile(text)
    except MarketingRefused as refusal:
        raise forms.ValidationError(str(refusal), code="template") from refusal
    return text


class CampaignForm(forms.ModelForm):
    """A campaign: its channel is a customer source, its courses active ones."""

    class Meta:
        model = Campaign
        fields = ["name", "channel", "starts_on", "ends_on", "budget", "target_courses", "is_active"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "target_courses": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = DictItem.objects.filter(kind=DictItem.Kind.SOURCE, is_active=True)
        self.fields["target_courses"].queryset = Course.objects.filter(is_active=True).order_by("name")

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The campaign must end on or after its first day."))
        return data


class MailingForm(forms.Form):
    """A draft mass email: the template, the campaign it belongs to (if any), and the segment the
    page's filter found (carried in hidden fields: the service validates the filter again)."""

    template = forms.ModelChoiceField(label=_("Template"), queryset=EmailTemplate.objects.all())
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.all(), required=False)
    segment = forms.ChoiceField(choices=Mailing.Segment.choices, widget=forms.HiddenInput)
    segment_query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d")


class ReportPeriodForm(forms.Form):
    """The campaign report's period: campaigns that ran on at least one of its days."""

    starts_on = forms.DateField(label=_("From"), validators=SANE_DATES, widget=_date_input())
    ends_on = forms.DateField(label=_("Until"), validators=SANE_DATES, widget=_date_input())

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The end of the period must not be before its start."))
        return data
