from django.core.management.base import BaseCommand

from crm.services import follow_up_reminders, pool_sweep
from crm.tasks import schedule_pool_maintenance


class Command(BaseCommand):
    help = (
        "Return stale customers to the public pool by the pool rules, warn their owners ahead, and "
        "remind owners of follow-ups due today. Idempotent: safe to run from cron as often as wanted. "
        "With --schedule, queue the same work in the background worker, repeating every "
        "POOL_SWEEP_INTERVAL_MINUTES, instead of running it now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schedule", action="store_true", help="Queue the periodic sweep in the worker.")

    def handle(self, *args, **options):
        if options["schedule"]:
            queued = schedule_pool_maintenance()
            self.stdout.write(
                "The periodic pool sweep is queued." if queued else "The pool sweep is queued already."
            )
            return
        result = pool_sweep()
        reminded = follow_up_reminders()
        self.stdout.write(
            f"Returned to the pool: {result.returned}; owners warned about: {result.warned}; "
            f"follow-up reminders: {reminded}"
        )
