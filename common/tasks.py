"""Periodic background work: a task that queues its own next run."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import default_task_backend
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult


def schedule_once(task, *, delay: timedelta = timedelta(0)) -> bool:
    """Queue `task` to run after `delay` unless a run of it is already waiting (periodic runs are
    idempotent, so a duplicate would only waste one). Returns whether it queued one."""
    if not default_task_backend.supports_defer:  # the inline backend of the tests: nothing to queue
        return False
    if DBTaskResult.objects.filter(task_path=task.module_path, status=TaskResultStatus.READY).exists():
        return False
    task.using(run_after=timezone.now() + delay).enqueue()
    return True
