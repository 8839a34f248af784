"""Marketing campaigns: where leads come from (the web-to-lead form), mass email to a segment of
customers or students, and who asked never to be mailed again.

The link between a lead and its campaign lives here (`CampaignLead`), not on the customer: crm
does not know about marketing (marketing -> enrollment -> crm -> rbac -> accounts).
"""

import secrets

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Course, Customer, DictItem
from enrollment.models import Student


def new_public_key() -> str:
    return secrets.token_urlsafe(16)


class Campaign(models.Model):
    """A campaign on one channel (a customer source) over a period, with a budget.

    `public_key` names the campaign in the embeddable form's URL (it is not a secret: it is in
    the school's web pages). The API key of the school's website is a secret: only its SHA-256
    and its first characters (to recognise it) are stored; `campaign_api_key_rotate` shows the
    key once.
    """

    name = models.CharField(_("name"), max_length=100)
    channel = models.ForeignKey(
        DictItem,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": DictItem.Kind.SOURCE},
        verbose_name=_("channel"),
        help_text=_("The customer source given to the leads of this campaign."),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    budget = models.DecimalField(
        _("budget (CNY)"), max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    target_courses = models.ManyToManyField(
        Course, blank=True, related_name="campaigns", verbose_name=_("target courses")
    )
    is_active = models.BooleanField(_("active"), default=True)
    public_key = models.CharField(
        _("public key"), max_length=32, unique=True, default=new_public_key, editable=False
    )
    api_key_prefix = models.CharField(_("API key starts with"), max_length=8, blank=True, editable=False)
    api_key_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="campaign_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="campaign_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def runs_on(self, day) -> bool:
        return self.is_active and self.starts_on <= day <= self.ends_on


class CampaignLead(models.Model):
    """One web-form submission and the customer it reached.

    Not unique per campaign and customer: a person may send the form twice, and each submission
    is a row (the second with `is_duplicate`), so the consultant sees every message. The report
    counts people, not rows. `is_duplicate` is set when the form met a customer who already
    existed (entered by anyone, through any channel); otherwise this campaign created them.
    """

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="leads", verbose_name=_("campaign")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="campaign_leads", verbose_name=_("customer")
    )
    is_duplicate = models.BooleanField(_("existing customer"), default=False)
    message = models.TextField(_("message"), blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The report counts each campaign's new and repeated people.
            models.Index(fields=["campaign", "is_duplicate", "customer"], name="campaignlead_report_idx"),
            models.Index(fields=["customer"], name="campaignlead_customer_idx"),
        ]
        verbose_name = _("campaign lead")
        verbose_name_plural = _("campaign leads")

    def __str__(self) -> str:
        return f"{self.campaign}: {self.customer}"


class RateLimitCounter(models.Model):
    """Hits of one key (an IP, a campaign) in one fixed window, shared by every process.

    The project's cache is Django's default local-memory cache: each gunicorn worker would count
    on its own, so a limit of N would let N per worker through. These rows are counted in the
    database with one conditional UPDATE each, like everything else that must hold across
    processes."""

    key = models.CharField(max_length=100)
    window_start = models.DateTimeField()
    expires_at = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="ratelimitcounter_unique_window"),
        ]
        indexes = [models.Index(fields=["expires_at"], name="ratelimitcounter_expiry_idx")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%Y-%m-%d %H:%M}: {self.hits}"


class EmailTemplate(models.Model):
    """A mass email's subject and plain-text body, Django template syntax with only the variables
    listed in `marketing.services.TEMPLATE_VARIABLES`."""

    name = models.CharField(_("name"), max_length=100)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Variables: {{ name }}, {{ course }}, {{ consultant }}, {{ unsubscribe_url }}. "
            "The unsubscribe link is added at the end when the text does not use it."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("email template")
        verbose_name_plural = _("email templates")

    def __str__(self) -> str:
        return self.name


class Mailing(models.Model):
    """One mass email to a segment: the customers a customer-list filter finds (its query string,
    as the customer list's URL carries it), or students (by class and status).

    The segment is read when the mailing is prepared (`mailing_prepare` writes one
    `MailingRecipient` per address); the worker then sends it in throttled batches."""

    class Segment(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        STUDENTS = "students", _("Students")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        DONE = "done", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mailings",
        verbose_name=_("campaign"),
    )
    template = models.ForeignKey(
        EmailTemplate, on_delete=models.PROTECT, related_name="mailings", verbose_name=_("template")
    )
    segment = models.CharField(
        _("recipients"), max_length=10, choices=Segment.choices, default=Segment.CUSTOMERS
    )
    segment_query = models.TextField(_("filter"), blank=True)
    # The site's address, from the request that queued the mailing: the worker has no request,
    # and each unsubscribe link must be absolute.
    base_url = models.URLField(_("site address"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)
    sent_count = models.PositiveIntegerField(_("sent"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")

    def __str__(self) -> str:
        return f"{self.template} ({self.get_status_display()})"


class MailingRecipient(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED_UNSUBSCRIBED = "skipped_unsubscribed", _("Skipped: unsubscribed")
        SKIPPED_NO_EMAIL = "skipped_no_email", _("Skipped: no email address")

    mailing = models.ForeignKey(
        Mailing, on_delete=models.CASCADE, related_name="recipients", verbose_name=_("mailing")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("student")
    )
    # Lower-case; empty for those skipped for having no address (one such row per person, so the
    # unique constraint below covers only real addresses).
    email = models.EmailField(_("email"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailing", "email"], condition=~Q(email=""), name="mailingrecipient_unique_email"
            ),
        ]
        indexes = [
            # The worker takes the next batch of one mailing's waiting recipients in id order.
            models.Index(fields=["mailing", "status", "id"], name="mailingrecipient_queue_idx"),
        ]
        verbose_name = _("mailing recipient")
        verbose_name_plural = _("mailing recipients")

    def __str__(self) -> str:
        return self.email or str(self.customer or self.student)


class Unsubscribe(models.Model):
    """An address that asked for no more mass email. Honoured by every later preparation and
    re-checked when each email is sent."""

    email = models.EmailField(_("email"), unique=True)
    at = models.DateTimeField(_("unsubscribed at"), default=timezone.now)
    mailing = models.ForeignKey(
        Mailing,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from the mailing"),
    )

    class Meta:
        ordering = ["-at"]
        verbose_name = _("unsubscribed address")
        verbose_name_plural = _("unsubscribed addresses")

    def __str__(self) -> str:
        return self.email
