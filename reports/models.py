from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Target(models.Model):
    """What a sales manager expects of one consultant in one month."""

    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sales_targets",
        verbose_name=_("consultant"),
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    new_leads = models.PositiveIntegerField(
        _("new leads"), default=0, validators=[MaxValueValidator(1_000_000)]
    )
    signings = models.PositiveIntegerField(_("signings"), default=0, validators=[MaxValueValidator(100_000)])
    revenue = models.DecimalField(
        _("revenue (CNY)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("9999999999"))],
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("set by")
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["-month", "consultant"]
        constraints = [
            models.UniqueConstraint(fields=["consultant", "month"], name="target_unique_consultant_month"),
        ]
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")

    def __str__(self) -> str:
        return f"{self.consultant} {self.month:%Y-%m}"
