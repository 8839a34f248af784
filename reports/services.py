"""Writes of the reports app: the sales targets managers set."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from reports.models import Target
from reports.periods import Month


@transaction.atomic
def targets_save(*, month: Month, values: dict[int, tuple], consultants: list[User], by: User) -> int:
    """Set each consultant's targets for the month ({consultant id: (new leads, signings,
    revenue)}); only for `consultants` (those the manager may set). A row left all empty removes
    that consultant's target. Returns how many targets changed."""
    allowed = {user.pk for user in consultants}
    existing = {target.consultant_id: target for target in Target.objects.filter(month=month.first_day)}
    changed = 0
    now = timezone.now()
    for consultant_id, (new_leads, signings, revenue) in values.items():
        if consultant_id not in allowed:
            continue
        target = existing.get(consultant_id)
        if new_leads is None and signings is None and revenue is None:
            if target is not None:
                target.delete()
                changed += 1
            continue
        wanted = (new_leads or 0, signings or 0, revenue if revenue is not None else Decimal("0"))
        if target is not None and (target.new_leads, target.signings, target.revenue) == wanted:
            continue
        Target.objects.update_or_create(
            consultant_id=consultant_id,
            month=month.first_day,
            defaults={
                "new_leads": wanted[0],
                "signings": wanted[1],
                "revenue": wanted[2],
                "set_by": by,
                "updated_at": now,
            },
        )
        changed += 1
    return changed
