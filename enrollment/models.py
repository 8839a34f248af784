import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.models import ClassList, Customer, DictItem


class EnrollmentQuerySet(models.QuerySet):
    def live(self):
        """Enrollments not in the recycle bin: every list, page, queue and report reads these."""
        return self.filter(is_deleted=False)


class Enrollment(models.Model):
    """A customer joining one class: the link the student fills in, the contract they accept, the
    documents they upload and the review that makes them a student.

    The link's token is signed (django.core.signing) over the enrollment's id and
    `token_version`; regenerating the link increments the version, which revokes every older
    token. Personal data typed by the student lives here until approval copies it to `Student`.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the student")
        SUBMITTED = "submitted", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected, waiting for the student")

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("customer")
    )
    class_list = models.ForeignKey(
        ClassList, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("class")
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("consultant")
    )
    price = models.DecimalField(_("price (CNY)"), max_digits=10, decimal_places=2)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    waitlisted = models.BooleanField(
        _("waitlisted"), default=False, help_text=_("The class was full when the link was made.")
    )
    token_version = models.PositiveIntegerField(default=1, editable=False)
    link_expires_at = models.DateTimeField(_("link expires at"))

    # What the student fills in.
    id_number = models.CharField(_("ID card number"), max_length=18, blank=True)
    gender = models.ForeignKey(
        DictItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": DictItem.Kind.GENDER},
        verbose_name=_("gender"),
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    emergency_contact = models.CharField(_("emergency contact"), max_length=50, blank=True)
    emergency_phone = models.CharField(_("emergency contact's phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)

    # The contract exactly as shown, and its acceptance.
    contract_text = models.TextField(_("contract"), blank=True)
    contract_hash = models.CharField(_("contract SHA-256"), max_length=64, blank=True)
    agreed_at = models.DateTimeField(_("agreed at"), null=True, blank=True)
    agreed_ip = models.GenericIPAddressField(_("agreed from IP"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    is_deleted = models.BooleanField(_("deleted"), default=False)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    objects = EnrollmentQuerySet.as_manager()
    # The contract's text is large and fixed by its hash, which the history keeps.
    history = HistoricalRecords(excluded_fields=["contract_text"])

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Live enrollments only, as for customers' phones: an enrollment deleted by mistake
            # must not stop the consultant from enrolling the customer into that class again
            # (a fresh link and form), and the deleted one stays in the recycle bin as evidence.
            # Restoring it while a live one exists is refused with a message saying so.
            models.UniqueConstraint(
                fields=["customer", "class_list"],
                condition=Q(is_deleted=False),
                name="enrollment_unique_customer_class",
            )
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="enrollment_review_idx"),
            models.Index(fields=["consultant", "-created_at"], name="enrollment_consultant_idx"),
            models.Index(fields=["-deleted_at"], condition=Q(is_deleted=True), name="enrollment_deleted_idx"),
        ]
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")

    def __str__(self) -> str:
        return f"{self.customer} → {self.class_list}"

    @property
    def is_editable_by_student(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.REJECTED)


DOCUMENT_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


def _document_name(instance, filename: str) -> str:
    """A random name under a private folder; the uploaded name is only displayed."""
    extension = DOCUMENT_EXTENSIONS.get(instance.content_type, "bin")
    return f"enrollment-documents/{uuid.uuid4().hex}.{extension}"


class EnrollmentDocument(models.Model):
    class Kind(models.TextChoices):
        ID_FRONT = "id_front", _("ID card, front")
        ID_BACK = "id_back", _("ID card, back")
        OTHER = "other", _("Other document")

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="documents", verbose_name=_("enrollment")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField(_("file"), upload_to=_document_name)
    original_name = models.CharField(_("file name"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("type"), max_length=30)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("enrollment document")
        verbose_name_plural = _("enrollment documents")

    def __str__(self) -> str:
        return self.original_name


class Payment(models.Model):
    """Money for one enrollment, in CNY. Pending until finance confirms or rejects it; a confirmed
    payment is never edited, only balanced by a refund."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        TUITION = "tuition", _("Tuition")
        TRANSFER = "transfer", _("Class transfer")
        REFUND = "refund", _("Refund")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for finance")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="payments", verbose_name=_("enrollment")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(
        _("amount (CNY)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    paid_at = models.DateField(_("paid on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed or rejected by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed or rejected at"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)
    # One per submitted form: a double click or a replay posts the same key and creates nothing.
    request_key = models.UUIDField(unique=True, editable=False)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    # The request key only guards against double submission; it says nothing about the payment.
    history = HistoricalRecords(excluded_fields=["request_key"])

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="payment_queue_idx"),
            # The reports: confirmed money by the day paid, summed from the index alone.
            models.Index(
                fields=["status", "paid_at", "kind", "amount", "enrollment"], name="payment_paid_idx"
            ),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ¥{self.amount}"


class Student(models.Model):
    """A customer who enrolled: their login, their classes and the personal data they gave."""

    class Status(models.TextChoices):
        STUDYING = "studying", _("Studying")
        SUSPENDED = "suspended", _("Suspended")
        GRADUATED = "graduated", _("Graduated")
        DROPPED = "dropped", _("Dropped out")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="student", verbose_name=_("account")
    )
    customer = models.OneToOneField(
        Customer, on_delete=models.PROTECT, related_name="student", verbose_name=_("customer")
    )
    classes = models.ManyToManyField(
        ClassList, blank=True, related_name="students", verbose_name=_("classes")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.STUDYING)
    id_number = models.CharField(_("ID card number"), max_length=18, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("student")
        verbose_name_plural = _("students")

    def __str__(self) -> str:
        return str(self.customer)
