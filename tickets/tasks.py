"""Background work of the service desk, run by the django-tasks worker (`manage.py db_worker`)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import default_task_backend, task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tickets.services import tickets_archive_stale, tickets_notify_overdue


@task()
def ticket_maintenance() -> dict:
    """The periodic run: assignees told about overdue tickets, unrated resolved tickets archived.
    It queues its own next run, so one `schedule_ticket_maintenance()` keeps it going."""
    try:
        overdue = tickets_notify_overdue()
        archived = tickets_archive_stale()
    finally:
        schedule_ticket_maintenance(delay=timedelta(minutes=settings.TICKET_MAINTENANCE_INTERVAL_MINUTES))
    return {"overdue": overdue, "archived": archived}


def schedule_ticket_maintenance(*, delay: timedelta = timedelta(0)) -> bool:
    """Queue the next run unless one is already waiting (the run is idempotent, so a duplicate
    would only waste it). Returns whether it queued one."""
    if not default_task_backend.supports_defer:  # the inline backend of the tests: nothing to queue
        return False
    waiting = DBTaskResult.objects.filter(
        task_path=ticket_maintenance.module_path, status=TaskResultStatus.READY
    ).exists()
    if waiting:
        return False
    ticket_maintenance.using(run_after=timezone.now() + delay).enqueue()
    return True
