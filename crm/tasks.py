"""Background work of the sales desk, run by the django-tasks worker (`manage.py db_worker`)."""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import translation
from django_tasks import task

from common.tasks import schedule_once
from crm.services import (
    customer_import_run,
    customer_imports_discard_unconfirmed,
    follow_up_reminders,
    pool_sweep,
)


@task()
def pool_maintenance() -> dict:
    """The periodic sweep: stale customers back to the pool, warnings, follow-up reminders. It
    queues its own next run, so one `schedule_pool_maintenance()` keeps it going."""
    try:
        result = pool_sweep()
        reminded = follow_up_reminders()
        customer_imports_discard_unconfirmed()
        _refresh_planner_statistics()
    finally:
        schedule_pool_maintenance(delay=timedelta(minutes=settings.POOL_SWEEP_INTERVAL_MINUTES))
    return {"returned": result.returned, "warned": result.warned, "reminded": reminded}


def _refresh_planner_statistics() -> None:
    """SQLite plans the customer lists well only with fresh statistics (ANALYZE); its own
    `PRAGMA optimize` refreshes those that drifted, cheaply. PostgreSQL's autovacuum does this."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")


def schedule_pool_maintenance(*, delay: timedelta = timedelta(0)) -> bool:
    """Queue the next run unless one is already waiting; returns whether it queued one."""
    return schedule_once(pool_maintenance, delay=delay)


@task()
def customer_import_task(import_id: int, language: str) -> dict | None:
    """Run a confirmed import; its messages and report are written in the importer's language."""
    with translation.override(language):
        record = customer_import_run(import_id=import_id)
    if record is None:
        return None
    return {"status": record.status, "created": record.created_count, "problems": record.problem_count}
