"""Service tickets: a question, complaint or request from a customer or student, worked by staff
through a fixed workflow (see `tickets.services.TRANSITIONS`), with deadlines per category and
priority and a timeline of every step."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from crm.models import DictItem


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


# (response hours, resolution hours) by priority: the seeded default rows of TicketDeadline, and
# the fallback when an administrator deleted the default row of a priority.
DEFAULT_DEADLINE_HOURS = {
    Priority.URGENT: (1, 8),
    Priority.HIGH: (4, 24),
    Priority.NORMAL: (8, 72),
    Priority.LOW: (24, 168),
}


class Ticket(models.Model):
    class Status(models.TextChoices):
        # "Created" alone is also a column heading ("created at"): the context keeps them apart.
        CREATED = "created", pgettext_lazy("ticket status", "Created")
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")
        FEEDBACK = "feedback", _("Feedback given")
        ARCHIVED = "archived", _("Archived")

    Priority = Priority

    category = models.ForeignKey(
        DictItem,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": DictItem.Kind.TICKET_CATEGORY},
        verbose_name=_("category"),
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    customer = models.ForeignKey(
        "crm.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("customer"),
    )
    student = models.ForeignKey(
        "enrollment.Student",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("student"),
    )
    # The account that asked: the student's when a student opened the ticket; None for a
    # customer without an account (staff then record the feedback on their behalf).
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requested_tickets",
        verbose_name=_("requester"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="created_tickets",
        verbose_name=_("created by"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
        db_index=False,  # ticket_assignee_idx leads with it
    )
    # Assigned to a queue: any member of this department may take the ticket.
    queue = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("queue"),
        db_index=False,  # ticket_queue_idx leads with it
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.CREATED)
    resolution_note = models.TextField(_("resolution"), blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    feedback_comment = models.TextField(_("feedback"), blank=True)
    response_due_at = models.DateTimeField(_("respond by"))
    resolve_due_at = models.DateTimeField(_("resolve by"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    # Set when the assignee was told the ticket is overdue, so each ticket is reported once.
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "overdue_notified_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | Q(student__isnull=False),
                name="ticket_has_customer_or_student",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="ticket_rating_1_to_5",
            ),
        ]
        indexes = [
            # The open tickets by deadline (the overdue job and the "due soon" list).
            models.Index(fields=["status", "resolve_due_at"], name="ticket_due_idx"),
            # A handler's tickets and a queue's tickets, by status.
            models.Index(fields=["assignee", "status"], name="ticket_assignee_idx"),
            models.Index(fields=["queue", "status"], name="ticket_queue_idx"),
            # The report: a period's tickets.
            models.Index(fields=["created_at"], name="ticket_created_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class TicketEvent(models.Model):
    """One step of a ticket's timeline, written in the transaction of the step itself."""

    class Kind(models.TextChoices):
        CREATED = "created", pgettext_lazy("ticket event", "Created")
        ASSIGNED = "assigned", _("Assigned")
        STARTED = "started", _("Started")
        RESOLVED = "resolved", _("Resolved")
        FEEDBACK = "feedback", _("Feedback given")
        ARCHIVED = "archived", _("Archived")
        REOPENED = "reopened", _("Reopened")
        COMMENTED = "commented", _("Commented")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    from_status = models.CharField(_("from"), max_length=20, choices=Ticket.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Ticket.Status.choices, blank=True)
    # None: the system acted (the archive job).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="ticketevent_ticket_idx")]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.ticket_id}"


class TicketDeadline(models.Model):
    """How long a ticket of a category and priority may wait for its first response and its
    resolution. A row without a category is the default for its priority."""

    category = models.ForeignKey(
        DictItem,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": DictItem.Kind.TICKET_CATEGORY},
        verbose_name=_("category"),
        help_text=_("Leave empty for the default of every category."),
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    response_hours = models.PositiveIntegerField(
        _("respond within (hours)"), validators=[MinValueValidator(1)]
    )
    resolve_hours = models.PositiveIntegerField(
        _("resolve within (hours)"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["category__order", "priority"]
        verbose_name = _("ticket deadline")
        verbose_name_plural = _("ticket deadlines")
        constraints = [
            # NULLs are distinct in a unique constraint, so the default rows need their own.
            models.UniqueConstraint(
                fields=["category", "priority"],
                condition=Q(category__isnull=False),
                name="ticketdeadline_unique_category_priority",
            ),
            models.UniqueConstraint(
                fields=["priority"], condition=Q(category__isnull=True), name="ticketdeadline_unique_default"
            ),
            models.CheckConstraint(
                condition=Q(response_hours__gte=1, resolve_hours__gte=1), name="ticketdeadline_positive_hours"
            ),
        ]

    def __str__(self) -> str:
        category = self.category if self.category_id else _("Any category")
        return f"{category} / {self.get_priority_display()}"
