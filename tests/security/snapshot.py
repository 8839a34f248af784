"""What the database and the stored files hold, to compare before and after a request that must
change nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

# Written on purpose by requests that change nothing else: the visitor's session, the failed
# login attempts the lockout counts, the web-to-lead form's rate-limit counters (a refused
# submission still counts against the limit) and the personal-data access log (reading is what
# it records).
IGNORED_TABLES = frozenset(
    {
        "django_session",
        "axes_accessattempt",
        "axes_accessfailurelog",
        "axes_accesslog",
        "marketing_ratelimitcounter",
    }
)
IGNORED_PREFIXES = ("audit_",)


@dataclass(frozen=True)
class Snapshot:
    tables: dict[str, tuple[int, str]]  # table -> (rows, digest of its sorted rows)
    files: dict[str, str]  # path under MEDIA_ROOT -> sha256

    def differences(self, later: Snapshot) -> list[str]:
        """What changed between this snapshot and `later`, in words for an assertion message."""
        empty = (0, "")
        changed = [
            f"table {table}: {self.tables.get(table, empty)[0]} -> {later.tables.get(table, empty)[0]} rows"
            for table in sorted(self.tables.keys() | later.tables.keys())
            if self.tables.get(table) != later.tables.get(table)
        ]
        changed += [
            f"file {path}"
            for path in sorted(self.files.keys() | later.files.keys())
            if self.files.get(path) != later.files.get(path)
        ]
        return changed


def take() -> Snapshot:
    return Snapshot(tables=_tables(), files=_files())


def _tables() -> dict[str, tuple[int, str]]:
    state = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in IGNORED_TABLES or table.startswith(IGNORED_PREFIXES):
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows = sorted(repr(row) for row in cursor.fetchall())
            state[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return state


def _files() -> dict[str, str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
