"""Writes shared by the simple setup records (campus, course, class, department, dictionary item)."""

from django.db import models, transaction
from django.forms import ModelForm


@transaction.atomic
def record_save(*, form: ModelForm) -> models.Model:
    """Save a validated model form, many-to-many fields included, in one transaction."""
    return form.save()


@transaction.atomic
def record_set_active(*, record: models.Model, active: bool) -> None:
    """Deactivate (or reactivate) a record. Setup records are never deleted: history points at them."""
    type(record)._default_manager.filter(pk=record.pk).update(is_active=active)
    record.is_active = active
