from django.core.management.base import BaseCommand

from risk.services import risk_sweep
from risk.tasks import schedule_risk_maintenance


class Command(BaseCommand):
    help = (
        "When the at-risk thresholds say so, open a ticket for the class adviser for every current "
        "student warning that has none. Idempotent: safe to run from cron as often as wanted. With "
        "--schedule, queue the same work in the background worker, repeating every hour, instead "
        "of running it now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schedule", action="store_true", help="Queue the periodic run in the worker.")

    def handle(self, *args, **options):
        if options["schedule"]:
            queued = schedule_risk_maintenance()
            self.stdout.write(
                "The periodic risk run is queued." if queued else "The risk run is queued already."
            )
            return
        result = risk_sweep()
        self.stdout.write(f"Tickets opened for warnings: {result.opened}; skipped: {result.skipped}")
