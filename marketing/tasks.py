"""Background work of marketing, run by the django-tasks worker: mass email in throttled batches."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import default_task_backend, task

from marketing.models import Mailing
from marketing.services import mailing_prepare, mailing_send_batch


@task()
def mailing_run(mailing_id: int) -> dict | None:
    """Prepare a queued mailing, send one batch, and queue the next batch after the pause
    (settings.MARKETING_MAILING_PAUSE_SECONDS) while recipients are waiting: the throttle that
    keeps the school's SMTP server and the receiving providers from refusing the school."""
    mailing = Mailing.objects.filter(pk=mailing_id).first()
    if mailing is None:
        return None
    if mailing.status == Mailing.Status.QUEUED:
        mailing_prepare(mailing=mailing)
    handled = mailing_send_batch(mailing=mailing, limit=settings.MARKETING_MAILING_BATCH)
    if mailing.status == Mailing.Status.SENDING:
        if default_task_backend.supports_defer:
            run_after = timezone.now() + timedelta(seconds=settings.MARKETING_MAILING_PAUSE_SECONDS)
            mailing_run.using(run_after=run_after).enqueue(mailing_id)
        else:  # the inline backend of the tests runs the next batch at once
            mailing_run.enqueue(mailing_id)
    return {"status": mailing.status, "handled": handled}
