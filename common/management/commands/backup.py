from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from common.backup import BackupError, backup_create, manifest_read


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite's online backup API, or pg_dump on PostgreSQL) and the uploaded "
        "files into a new directory educrm-backup-YYYYmmdd-HHMMSS (UTC) with a manifest of row counts "
        "and file hashes. Safe while EduCRM runs; meant for cron: prints one line (nothing with -v 0) "
        "and exits non-zero, keeping nothing, when anything fails."
    )
    # The system checks would open the database before the backup does; a backup must not depend
    # on anything but the database and the files.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            metavar="DIR",
            help="Directory to write the backup into (made if missing). Default: var/backups/.",
        )

    def handle(self, *args, **options):
        destination = options["output"] or Path(settings.VAR_DIR) / "backups"
        try:
            backup = backup_create(destination=destination)
            manifest = manifest_read(backup)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"]:
            rows = sum(manifest.row_counts.values())
            upload_bytes = sum(item.size for item in manifest.media)
            self.stdout.write(
                f"Backup written to {backup}: {rows} rows in {len(manifest.row_counts)} tables, "
                f"{len(manifest.media)} uploaded files ({upload_bytes} bytes)."
            )
