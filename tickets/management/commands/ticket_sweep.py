from django.core.management.base import BaseCommand

from tickets.services import tickets_archive_stale, tickets_notify_overdue
from tickets.tasks import schedule_ticket_maintenance


class Command(BaseCommand):
    help = (
        "Tell assignees about their overdue tickets (once per ticket) and archive resolved tickets "
        "left without feedback for TICKET_FEEDBACK_DAYS days. Idempotent: safe to run from cron as "
        "often as wanted. With --schedule, queue the same work in the background worker, repeating "
        "every TICKET_MAINTENANCE_INTERVAL_MINUTES, instead of running it now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schedule", action="store_true", help="Queue the periodic run in the worker.")

    def handle(self, *args, **options):
        if options["schedule"]:
            queued = schedule_ticket_maintenance()
            self.stdout.write(
                "The periodic ticket run is queued." if queued else "The ticket run is queued already."
            )
            return
        overdue = tickets_notify_overdue()
        archived = tickets_archive_stale()
        self.stdout.write(
            f"Overdue tickets reported: {overdue}; tickets archived without feedback: {archived}"
        )
