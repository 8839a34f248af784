from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from common.backup import BackupError, backup_restore, migrations_pending


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the configured database and MEDIA_ROOT. "
        "The backup is verified first (every file against the manifest's SHA-256, the database "
        "vendor, the migrations); the restored database is checked afterwards (SQLite's integrity "
        "check, every table's row count). Refuses a database that holds data or a MEDIA_ROOT that "
        "holds files unless --force. Stop EduCRM and its worker first."
    )
    # The system checks would open (on SQLite: create) the database the restore is about to fill.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path, help="The backup directory (educrm-backup-YYYYmmdd-HHMMSS).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the data of a database in use and overwrite uploaded files with the same name.",
        )

    def handle(self, *args, **options):
        backup = options["backup"]
        try:
            manifest = backup_restore(source=backup, force=options["force"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"]:
            rows = sum(manifest.row_counts.values())
            self.stdout.write(
                f"Restored {backup} (taken {manifest.created_at:%Y-%m-%d %H:%M:%S} UTC): {rows} rows in "
                f"{len(manifest.row_counts)} tables and {len(manifest.media)} uploaded files, "
                "checked against the manifest."
            )
        if migrations_pending():
            self.stdout.write(
                "This backup predates some of this version's migrations: run `manage.py migrate` "
                "before starting EduCRM."
            )
