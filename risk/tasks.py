"""Background work of the at-risk warnings, run by the django-tasks worker (`manage.py db_worker`)."""

from datetime import timedelta

from django_tasks import task

from common.tasks import schedule_once
from risk.services import risk_sweep

# Streaks change when a roll is taken or homework graded, a few times a day at most.
INTERVAL = timedelta(hours=1)


@task()
def risk_maintenance() -> dict:
    """The periodic run: tickets opened for new student warnings when the policy says so. It
    queues its own next run, so one `schedule_risk_maintenance()` keeps it going."""
    try:
        result = risk_sweep()
    finally:
        schedule_risk_maintenance(delay=INTERVAL)
    return {"opened": result.opened, "skipped": result.skipped}


def schedule_risk_maintenance(*, delay: timedelta = timedelta(0)) -> bool:
    """Queue the next run unless one is already waiting; returns whether it queued one."""
    return schedule_once(risk_maintenance, delay=delay)
