"""The five default ticket categories (labels in Chinese, like the rest of the seeded dictionary)
and one default deadline per priority. Idempotent: categories whose code exists and priorities
that have a default row are left as they are."""

from django.db import migrations

CATEGORIES = [
    ("consultation", "咨询"),
    ("complaint", "投诉"),
    ("suggestion", "建议"),
    ("course_feedback", "课程反馈"),
    ("after_sales", "售后"),
]
# priority -> (response hours, resolution hours); tickets.models.DEFAULT_DEADLINE_HOURS, copied
# because a migration must not change when the code does.
DEADLINES = {"urgent": (1, 8), "high": (4, 24), "normal": (8, 72), "low": (24, 168)}


def seed(apps, schema_editor):
    DictItem = apps.get_model("crm", "DictItem")
    TicketDeadline = apps.get_model("tickets", "TicketDeadline")
    existing = set(DictItem.objects.filter(kind="ticket_category").values_list("code", flat=True))
    DictItem.objects.bulk_create(
        DictItem(kind="ticket_category", code=code, label=label, order=order)
        for order, (code, label) in enumerate(CATEGORIES, start=1)
        if code not in existing
    )
    defaults = set(TicketDeadline.objects.filter(category__isnull=True).values_list("priority", flat=True))
    TicketDeadline.objects.bulk_create(
        TicketDeadline(priority=priority, response_hours=response, resolve_hours=resolve)
        for priority, (response, resolve) in DEADLINES.items()
        if priority not in defaults
    )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
