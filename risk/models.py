"""At-risk warnings: the thresholds (one policy row) and which warning opened which ticket.

The warnings themselves are not stored: `risk.selectors` computes them from the classroom,
enrollment and crm records each time, so they are never stale."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import ClassList, DictItem
from enrollment.models import Student
from tickets.models import Priority, Ticket


class StudentRisk(models.TextChoices):
    ABSENCE = "absence", _("Absent or late in a row")
    HOMEWORK = "homework", _("Homework missing in a row")
    GRADES = "grades", _("Falling grades")
    PAYMENT = "payment", _("Overdue payment")


class CustomerRisk(models.TextChoices):
    POOL_RETURN = "pool_return", _("About to return to the pool")
    HIGH_INTENT = "high_intent", _("High intent, no follow-up")


class RiskPolicy(models.Model):
    """The thresholds; one row (pk=1), made by a migration with the defaults (or on first use).

    - absence: the last `absence_streak` lessons whose roll was taken were all absent or late;
    - homework: the last `homework_streak` lessons with homework whose deadline passed (without a
      deadline: whose day passed) got nothing handed in;
    - grades: the last `falling_scores` graded scores (N/A left out) each lower than the one before;
    - payment: an approved enrollment whose confirmed payments less confirmed refunds stay below
      its price `payment_grace_days` days after the class started;
    - customers: the pool rules' own warning window (crm.PoolPolicy.warning_days), and an unsigned
      customer whose latest follow-up had one of `high_intent_levels` and who has had no follow-up
      for `high_intent_days` days.
    """

    absence_streak = models.PositiveSmallIntegerField(
        _("absent or late lessons in a row"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    homework_streak = models.PositiveSmallIntegerField(
        _("missed homework in a row"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    falling_scores = models.PositiveSmallIntegerField(
        _("graded scores each lower than the one before"),
        default=3,
        validators=[MinValueValidator(2), MaxValueValidator(10)],
        help_text=_("3: the last three scores fell twice in a row."),
    )
    payment_grace_days = models.PositiveSmallIntegerField(
        _("days after the class starts before unpaid tuition is overdue"),
        default=14,
        validators=[MaxValueValidator(365)],
    )
    high_intent_days = models.PositiveSmallIntegerField(
        _("days without follow-up for a high-intent customer"),
        default=2,
        help_text=_("Shorter than the pool rules' days without follow-up."),
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    high_intent_levels = models.ManyToManyField(
        DictItem,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": DictItem.Kind.INTENT_LEVEL},
        verbose_name=_("intent levels that count as high"),
    )
    auto_ticket = models.BooleanField(
        _("open a ticket for the class adviser automatically"),
        default=False,
        help_text=_("The periodic risk sweep opens one ticket per student warning."),
    )
    ticket_category = models.ForeignKey(
        DictItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": DictItem.Kind.TICKET_CATEGORY, "is_active": True},
        verbose_name=_("ticket category"),
    )
    ticket_priority = models.CharField(
        _("ticket priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )

    class Meta:
        verbose_name = _("at-risk thresholds")
        verbose_name_plural = _("at-risk thresholds")

    def __str__(self) -> str:
        return str(_("At-risk thresholds"))

    @classmethod
    def current(cls) -> "RiskPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class RiskTicket(models.Model):
    """The ticket one warning occurrence opened. `since` names the occurrence: the first lesson of
    the streak (absence, homework), the lesson of the first fall (grades) or the enrollment
    (payment), so a streak that grows stays the same occurrence and never opens a second ticket,
    while a new streak after a good lesson is a new one."""

    kind = models.CharField(_("warning"), max_length=20, choices=StudentRisk.choices)
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="+", verbose_name=_("student")
    )
    class_list = models.ForeignKey(
        ClassList, on_delete=models.CASCADE, related_name="+", verbose_name=_("class")
    )
    occurrence = models.PositiveIntegerField(_("occurrence"))
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    created_at = models.DateTimeField(_("opened at"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "student", "class_list", "occurrence"], name="risk_ticket_unique_occurrence"
            )
        ]
        verbose_name = _("ticket opened for a warning")
        verbose_name_plural = _("tickets opened for warnings")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.ticket_id}"
