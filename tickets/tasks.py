"""Background work of the service desk, run by the django-tasks worker (`manage.py db_worker`)."""

from datetime import timedelta

from django.conf import settings
from django_tasks import task

from common.tasks import schedule_once
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
    """Queue the next run unless one is already waiting; returns whether it queued one."""
    return schedule_once(ticket_maintenance, delay=delay)
