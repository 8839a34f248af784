from django.core.management.base import BaseCommand

from crm.services import follow_up_reminders, pool_sweep


class Command(BaseCommand):
    help = (
        "Return stale customers to the public pool by the pool rules, warn their owners ahead, and "
        "remind owners of follow-ups due today. Idempotent: safe to run from cron as often as wanted."
    )

    def handle(self, *args, **options):
        result = pool_sweep()
        reminded = follow_up_reminders()
        self.stdout.write(
            f"Returned to the pool: {result.returned}; owners warned about: {result.warned}; "
            f"follow-up reminders: {reminded}"
        )
