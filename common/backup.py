"""Backups of EduCRM's database and uploaded files, and restoring them (`manage.py backup` and
`manage.py restore` are thin wrappers around `backup_create` and `backup_restore`).

A backup is one directory, `educrm-backup-YYYYmmdd-HHMMSS` (UTC), holding:

- `db.sqlite3`: a copy of the SQLite database made with SQLite's online backup API, consistent
  while the application keeps writing; or `db.dump`: `pg_dump --format=custom` of PostgreSQL;
- `uploads/`: a copy of MEDIA_ROOT, taken after the database, so every file that a row of the
  backed-up database names is there (unless it was deleted in between);
- `manifest.json`: what the backup holds (format, time, database vendor, Django version, the
  latest migration of each app, the row count of every model's table as the backup holds it, the
  size and SHA-256 of the database file and of every uploaded file). A restore verifies the files
  against it before writing anything and checks the restored database against it afterwards.

The backup is written into a hidden `.educrm-backup-*.partial` directory next to its final place
and renamed at the very end, so an interrupted run never leaves anything that looks complete.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

logger = logging.getLogger(__name__)

FORMAT = "educrm-backup"
FORMAT_VERSION = 1
NAME_PREFIX = "educrm-backup-"
MANIFEST_NAME = "manifest.json"
UPLOADS_NAME = "uploads"
DATABASE_FILE_NAMES = {"sqlite": "db.sqlite3", "postgresql": "db.dump"}
# Seconds an SQLite connection waits for a lock, as the application's connections do.
SQLITE_TIMEOUT = 20
# Problems an error message lists before "and N more".
PROBLEMS_SHOWN = 10
CHUNK_BYTES = 1024 * 1024
# Lines of `pg_restore --list`: "<id>; <catalog oid> <oid> <kind> <schema> <name> <owner>".
TOC_EXTENSION = re.compile(r"^\d+; \d+ \d+ EXTENSION - (\S+)")
TOC_EXTENSION_ENTRY = re.compile(r"^\d+; \d+ \d+ (EXTENSION|COMMENT - EXTENSION) ")


class BackupError(Exception):
    """A backup or a restore was refused or failed; the message tells the operator why."""


@dataclass(frozen=True)
class BackupFile:
    """A file of a backup: its path (relative, with forward slashes), size in bytes and SHA-256."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    created_at: datetime
    vendor: str
    django_version: str
    # The database file, its path relative to the backup directory.
    database: BackupFile
    # app label -> name of the latest migration applied when the backup was taken.
    migrations: dict[str, str]
    # table name -> rows, for the table of every installed model (many-to-many tables included).
    row_counts: dict[str, int]
    # The uploaded files, paths relative to MEDIA_ROOT (and to the backup's uploads/).
    media: list[BackupFile]

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": self.created_at.isoformat(),
                "vendor": self.vendor,
                "django_version": self.django_version,
                "database": asdict(self.database),
                "migrations": self.migrations,
                "row_counts": self.row_counts,
                "media": [asdict(item) for item in self.media],
            },
            indent=2,
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str, *, where: Path) -> Manifest:
        """Parse a manifest; BackupError names what is wrong with it."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise BackupError(f"{where} is not valid JSON ({error}).") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BackupError(f"{where} is not the manifest of an EduCRM backup.")
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise BackupError(
                f"{where} has format version {version!r}; this EduCRM reads version {FORMAT_VERSION}."
            )
        try:
            created_at = datetime.fromisoformat(_required(data, "created_at", str))
            return cls(
                created_at=created_at,
                vendor=_required(data, "vendor", str),
                django_version=_required(data, "django_version", str),
                database=_backup_file(_required(data, "database", dict)),
                migrations=_mapping(_required(data, "migrations", dict), str, "migrations"),
                row_counts=_mapping(_required(data, "row_counts", dict), int, "row_counts"),
                media=[_backup_file(item) for item in _required(data, "media", list)],
            )
        except (ValueError, TypeError) as error:
            raise BackupError(f"{where} is damaged: {error}") from None


_JSON_KINDS = {str: "a string", int: "an integer", dict: "an object", list: "a list"}


def _required(data: dict, key: str, kind: type):
    value = data.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"{key!r} is missing or not {_JSON_KINDS[kind]}.")
    return value


def _mapping(data: dict, kind: type, name: str) -> dict:
    for key, value in data.items():
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError(f"{name}[{key!r}] is not {_JSON_KINDS[kind]}.")
    return data


def _backup_file(data) -> BackupFile:
    if not isinstance(data, dict):
        raise ValueError("a file entry is not an object.")
    return BackupFile(
        path=_required(data, "path", str),
        size=_required(data, "size", int),
        sha256=_required(data, "sha256", str),
    )


# --- Creating a backup ------------------------------------------------------------------------------
def backup_create(*, destination: Path) -> Path:
    """Back up the default database and MEDIA_ROOT into a new directory in `destination` (made if
    missing) and return that directory. Raises BackupError, leaving nothing behind, when anything
    fails, including a copy of the database that fails SQLite's integrity check."""
    vendor = _supported_vendor()
    destination = Path(destination).absolute()
    media_root = Path(settings.MEDIA_ROOT).absolute()
    if destination.resolve().is_relative_to(media_root.resolve()):
        raise BackupError(
            f"{destination} is inside MEDIA_ROOT ({media_root}): each backup would copy the ones before."
        )
    # Checked before anything is written.
    live_database = _sqlite_database_path() if vendor == "sqlite" else None
    pg_dump = _client_program("pg_dump") if vendor == "postgresql" else None
    try:
        destination.mkdir(parents=True, exist_ok=True)
        # mkdtemp makes the directory readable by its owner only: a backup holds every customer's data.
        work = Path(tempfile.mkdtemp(prefix=f".{NAME_PREFIX}", suffix=".partial", dir=destination))
    except OSError as error:
        raise BackupError(f"Cannot write a backup into {destination}: {error.strerror or error}.") from error
    try:
        created_at = datetime.now(UTC).replace(microsecond=0)
        database_file = work / DATABASE_FILE_NAMES[vendor]
        if live_database is not None:
            row_counts, migrations = _sqlite_backup(live_database, database_file)
        else:
            row_counts, migrations = _postgres_backup(pg_dump, database_file)
        media = _copy_tree(media_root, work / UPLOADS_NAME)
        manifest = Manifest(
            created_at=created_at,
            vendor=vendor,
            django_version=django.get_version(),
            database=BackupFile(database_file.name, *_size_and_sha256(database_file)),
            migrations=migrations,
            row_counts=row_counts,
            media=media,
        )
        _write_durably(work / MANIFEST_NAME, manifest.to_json())
        _fsync_directory(work)
        final = destination / f"{NAME_PREFIX}{created_at:%Y%m%d-%H%M%S}"
        if final.exists():
            raise BackupError(f"{final} exists already (two backups in one second); nothing was kept.")
        work.rename(final)
    except (OSError, sqlite3.Error, DatabaseError) as error:
        shutil.rmtree(work, ignore_errors=True)
        raise BackupError(f"The backup failed and nothing was kept: {error}") from error
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _fsync_directory(destination)
    return final


def _supported_vendor() -> str:
    if connection.vendor not in DATABASE_FILE_NAMES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")
    return connection.vendor


def _sqlite_database_path() -> Path:
    if connection.is_in_memory_db():
        raise BackupError(
            "The configured SQLite database is in memory: there is no file to back up or restore."
        )
    return Path(connection.settings_dict["NAME"]).absolute()


def _sqlite_connect(path: Path, *, mode: str) -> sqlite3.Connection:
    """A plain connection to an existing database file; mode=rw or ro never creates an empty
    database where the real one was expected."""
    return sqlite3.connect(f"{path.as_uri()}?mode={mode}", uri=True, timeout=SQLITE_TIMEOUT)


def _sqlite_backup(live: Path, copy: Path) -> tuple[dict[str, int], dict[str, str]]:
    if not live.is_file():
        raise BackupError(f"The SQLite database {live} does not exist.")
    with closing(_sqlite_connect(live, mode="rw")) as source, closing(sqlite3.connect(copy)) as target:
        # One step (pages=-1, the default) reads the whole database inside one read transaction,
        # so the copy is one consistent moment, and WAL lets writers go on meanwhile. Copying in
        # several steps would restart whenever another process writes and might never finish.
        source.backup(target)
        # The live database runs in WAL mode; the copy is one self-contained file.
        target.execute("PRAGMA journal_mode=DELETE")
    with closing(_sqlite_connect(copy, mode="ro")) as backup:
        problems = _sqlite_integrity_problems(backup)
        if problems:
            raise BackupError(
                f"The copy of {live} fails PRAGMA integrity_check, so the live database is probably "
                f"damaged; nothing was kept. {_listed(problems)}"
            )
        cursor = backup.cursor()
        tables = {row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return _row_counts(cursor, _model_tables() & tables), _latest_migrations(cursor, tables)


def _sqlite_integrity_problems(database: sqlite3.Connection) -> list[str]:
    rows = [row[0] for row in database.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def _postgres_backup(pg_dump: str, dump: Path) -> tuple[dict[str, int], dict[str, str]]:
    # A connection of its own, outside whatever transaction the default one is in.
    exporter = connections.create_connection("default")
    try:
        exporter.set_autocommit(True)
        with exporter.cursor() as cursor:
            # The counts and pg_dump read the same snapshot: this transaction exports it and stays
            # open until pg_dump has finished with it.
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = ANY(current_schemas(false))")
            tables = {row[0] for row in cursor.fetchall()}
            counts = _row_counts(cursor, _model_tables() & tables)
            migrations = _latest_migrations(cursor, tables)
            _run_client(
                [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={dump}"]
            )
            cursor.execute("ROLLBACK")
    finally:
        exporter.close()
    return counts, migrations


def _model_tables() -> set[str]:
    """The tables of every installed model (many-to-many tables included; proxies have none)."""
    return {
        model._meta.db_table for model in apps.get_models(include_auto_created=True) if not model._meta.proxy
    }


def _row_counts(cursor, tables: set[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _latest_migrations(cursor, tables: set[str]) -> dict[str, str]:
    if "django_migrations" not in tables:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    # Later rows overwrite earlier ones: the last applied migration of each app remains.
    return dict(cursor.fetchall())


def _client_program(name: str) -> str:
    program = shutil.which(name)
    if program is None:
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL client programs "
            "(e.g. the postgresql-client package) of the server's major version or newer."
        )
    return program


def _libpq_environment() -> dict[str, str]:
    """The environment for pg_dump and pg_restore: the default database's connection settings as
    libpq variables. The password goes into PGPASSWORD because command lines are visible to every
    user of the machine."""
    settings_dict = connection.settings_dict
    environment = dict(os.environ)
    for key, variable in [
        ("NAME", "PGDATABASE"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
    ]:
        if settings_dict.get(key):
            environment[variable] = str(settings_dict[key])
    options = settings_dict.get("OPTIONS", {})
    for option in ["sslmode", "sslrootcert", "sslcert", "sslkey"]:
        if options.get(option):
            environment[f"PG{option.upper()}"] = str(options[option])
    return environment


def _run_client(arguments: list[str]) -> str:
    """Run pg_dump or pg_restore against the default database; returns what it printed."""
    result = subprocess.run(arguments, env=_libpq_environment(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = result.stderr.strip()[-2000:] or "no message"
        raise BackupError(f"{Path(arguments[0]).name} failed (exit status {result.returncode}): {message}")
    return result.stdout


def _copy_tree(source_root: Path, target_root: Path) -> list[BackupFile]:
    """Copy every regular file under `source_root` into `target_root`, keeping relative paths;
    returns each one as copied (size and hash of the bytes written)."""
    copied: list[BackupFile] = []
    if not source_root.is_dir():
        return copied
    for directory, subdirectories, names in os.walk(source_root):
        subdirectories.sort()
        for name in sorted(names):
            source = Path(directory, name)
            if not source.is_file():  # sockets, FIFOs, dangling links: not uploads
                continue
            relative = source.relative_to(source_root).as_posix()
            try:
                size, sha256 = _copy_file(source, target_root / relative)
            except FileNotFoundError:
                # Deleted after the walk listed it, so after the database snapshot, which may still
                # name it: worth a line in cron's mail, not a failed backup.
                logger.warning("%s was deleted while the uploads were being backed up.", relative)
                continue
            copied.append(BackupFile(relative, size, sha256))
    return copied


def _copy_file(source: Path, target: Path) -> tuple[int, str]:
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with open(source, "rb") as reader, open(target, "wb") as writer:
        while chunk := reader.read(CHUNK_BYTES):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    shutil.copystat(source, target)
    return size, digest.hexdigest()


def _size_and_sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as reader:
        while chunk := reader.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _write_durably(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as writer:
        writer.write(text)
        writer.flush()
        os.fsync(writer.fileno())


def _fsync_directory(path: Path) -> None:
    """Make the directory's entries (new files, a rename) survive a power cut."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _listed(problems: list[str]) -> str:
    shown = "; ".join(problems[:PROBLEMS_SHOWN])
    hidden = len(problems) - PROBLEMS_SHOWN
    return f"{shown}; and {hidden} more." if hidden > 0 else f"{shown}."


# --- Reading and verifying a backup -----------------------------------------------------------------
def manifest_read(source: Path) -> Manifest:
    """The manifest of the backup in `source`; BackupError when there is none or it is damaged."""
    source = Path(source)
    if not source.is_dir():
        raise BackupError(f"{source} is not a directory: there is no backup there.")
    path = source / MANIFEST_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BackupError(
            f"{source} has no {MANIFEST_NAME}: it is not an EduCRM backup, or an incomplete one."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise BackupError(f"Cannot read {path}: {error}.") from None
    return Manifest.from_json(text, where=path)


def backup_verify(*, source: Path) -> Manifest:
    """Check, writing nothing, that the backup in `source` can be restored here: its manifest reads,
    it is of the configured database's vendor, every file it lists is there with the recorded size
    and SHA-256, and this version of EduCRM knows every migration the backup's database has."""
    manifest = manifest_read(source)
    vendor = _supported_vendor()
    if manifest.vendor != vendor:
        raise BackupError(
            f"{source} is a backup of a {manifest.vendor} database, but the configured database is "
            f"{vendor}; restore it into a {manifest.vendor} database."
        )
    problems = _file_problems(Path(source), manifest)
    if problems:
        raise BackupError(f"The backup in {source} does not match its manifest: {_listed(problems)}")
    unknown = _unknown_migrations(manifest)
    if unknown:
        raise BackupError(
            f"The backup in {source} was made by a newer EduCRM: its database has migrations this "
            f"version does not know ({', '.join(unknown)}). Upgrade EduCRM first."
        )
    return manifest


def _file_problems(source: Path, manifest: Manifest) -> list[str]:
    expected_name = DATABASE_FILE_NAMES[manifest.vendor]
    if manifest.database.path != expected_name:
        return [f"the database file is {manifest.database.path!r}, expected {expected_name!r}"]
    problems = _problems_of(source, manifest.database)
    for item in manifest.media:
        if not _is_safe_relative_path(item.path):
            problems.append(f"{item.path!r} is not a plain relative path")
        else:
            problems.extend(_problems_of(source / UPLOADS_NAME, item))
    return problems


def _is_safe_relative_path(path: str) -> bool:
    """A path that stays inside the directory it is joined to (no absolute path, no "..")."""
    parts = PurePosixPath(path).parts
    return bool(parts) and not PurePosixPath(path).is_absolute() and not {"..", ".", ""} & set(parts)


def _problems_of(root: Path, item: BackupFile) -> list[str]:
    path = root / item.path
    if not path.is_file():
        return [f"{path} is missing"]
    size, sha256 = _size_and_sha256(path)
    if size != item.size:
        return [f"{path} has {size} bytes, the manifest says {item.size}"]
    if sha256 != item.sha256:
        return [f"{path} has SHA-256 {sha256}, the manifest says {item.sha256}"]
    return []


def _unknown_migrations(manifest: Manifest) -> list[str]:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    installed = {app_config.label for app_config in apps.get_app_configs()}
    return [
        f"{app}.{name}"
        for app, name in sorted(manifest.migrations.items())
        if app in installed and (app, name) not in known
    ]


# --- Restoring a backup ---------------------------------------------------------------------------
def backup_restore(*, source: Path, force: bool) -> Manifest:
    """Restore the backup in `source` into the configured database and MEDIA_ROOT, then check the
    restored database (SQLite's integrity check, every table's row count) against the manifest.

    Writes nothing when the backup does not verify (`backup_verify`), or, unless `force`, when the
    database holds anything or MEDIA_ROOT holds any file. With `force` the database is replaced
    and the backup's files overwrite those with the same path (other files are left alone).
    Stop the application and its worker first: a restore is not meant to run beside writers."""
    source = Path(source)
    manifest = backup_verify(source=source)
    media_root = Path(settings.MEDIA_ROOT).absolute()
    live_database = _sqlite_database_path() if manifest.vendor == "sqlite" else None
    in_use = []
    if not _database_is_empty(live_database):
        in_use.append("The configured database is not empty.")
    if _holds_files(media_root):
        in_use.append(f"MEDIA_ROOT ({media_root}) holds files already.")
    if in_use and not force:
        raise BackupError(f"{' '.join(in_use)} Nothing was restored; use --force to replace them.")
    database_file = source / manifest.database.path
    try:
        contents = _postgres_restore_list(database_file) if live_database is None else []
        # The files first: the restored database then never names a file that is not there yet.
        _restore_files(source / UPLOADS_NAME, media_root, manifest.media)
        if live_database is not None:
            problems = _sqlite_restore(database_file, live_database, manifest)
        else:
            problems = _postgres_restore(database_file, contents, manifest)
    except (OSError, sqlite3.Error, DatabaseError) as error:
        raise BackupError(f"The restore failed: {error}") from error
    if problems:
        raise BackupError(f"The restored database does not match the backup: {_listed(problems)}")
    return manifest


def migrations_pending() -> bool:
    """Whether the configured database lacks migrations of this version of EduCRM (as after
    restoring an older backup), so `manage.py migrate` must run before the application starts."""
    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _database_is_empty(sqlite_path: Path | None) -> bool:
    """No tables: a missing or new database (any manage.py command creates the SQLite file)."""
    if sqlite_path is not None:
        if not sqlite_path.exists() or sqlite_path.stat().st_size == 0:
            return True
        try:
            with closing(_sqlite_connect(sqlite_path, mode="ro")) as database:
                return database.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is None
        except sqlite3.DatabaseError:
            return False  # not a database at all: not replaced without --force either
    try:
        return not connection.introspection.table_names()
    except DatabaseError as error:
        raise BackupError(f"Cannot open the configured database: {error}") from error


def _holds_files(root: Path) -> bool:
    return root.is_dir() and any(path.is_file() for path in root.rglob("*"))


def _restore_files(source_root: Path, target_root: Path, files: list[BackupFile]) -> None:
    for item in files:
        target = target_root / item.path
        # Written under a temporary name and renamed, so no file is ever seen half written.
        partial = target.with_name(f".{target.name}.restoring")
        size, sha256 = _copy_file(source_root / item.path, partial)
        if (size, sha256) != (item.size, item.sha256):
            partial.unlink()
            raise BackupError(f"{source_root / item.path} changed while it was being restored.")
        partial.replace(target)


def _sqlite_restore(backup: Path, target: Path, manifest: Manifest) -> list[str]:
    target.parent.mkdir(parents=True, exist_ok=True)
    # Django's own connections must not hold the file while it is replaced.
    connections.close_all()
    with (
        closing(_sqlite_connect(backup, mode="ro")) as source,
        closing(sqlite3.connect(target, timeout=SQLITE_TIMEOUT)) as destination,
    ):
        # Through the backup API rather than a file copy: SQLite replaces the content under its
        # own locks and resets the target's WAL, which a copied file would leave stale.
        source.backup(destination)
    with closing(_sqlite_connect(target, mode="rw")) as restored:
        problems = _sqlite_integrity_problems(restored)
        return problems or _count_problems(restored.cursor(), manifest)


def _postgres_restore_list(dump: Path) -> list[str]:
    """What pg_restore is to restore from `dump`: everything but its extensions, which are created
    here if missing. --clean would drop them first, which only their owner may do, and the
    deployment's user is often not the superuser who created pg_trgm; a database owner may
    create a trusted extension such as pg_trgm."""
    contents = _run_client([_client_program("pg_restore"), "--list", str(dump)]).splitlines()
    _ensure_extensions([match[1] for line in contents if (match := TOC_EXTENSION.match(line))])
    return [line for line in contents if not TOC_EXTENSION_ENTRY.match(line)]


def _postgres_restore(dump: Path, contents: list[str], manifest: Manifest) -> list[str]:
    pg_restore = _client_program("pg_restore")
    connections.close_all()
    with tempfile.NamedTemporaryFile("w", suffix=".list", encoding="utf-8") as listing:
        listing.write("\n".join(contents))
        listing.flush()
        _run_client(
            [
                pg_restore,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--no-password",
                f"--use-list={listing.name}",
                f"--dbname={connection.settings_dict['NAME']}",
                str(dump),
            ]
        )
    with connection.cursor() as cursor:
        return _count_problems(cursor, manifest)


def _ensure_extensions(names: list[str]) -> None:
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = %s", [name])
            if cursor.fetchone():
                continue
            try:
                cursor.execute(f"CREATE EXTENSION IF NOT EXISTS {connection.ops.quote_name(name)}")
            except DatabaseError as error:
                raise BackupError(
                    f"The backup needs the PostgreSQL extension {name}, which the configured database "
                    f"lacks and its user may not create ({error}). Run CREATE EXTENSION {name}; in it "
                    "as a superuser, then restore again."
                ) from error


def _count_problems(cursor, manifest: Manifest) -> list[str]:
    problems = []
    for table, expected in manifest.row_counts.items():
        try:
            found = _row_counts(cursor, {table})[table]
        except (sqlite3.Error, DatabaseError) as error:
            problems.append(f"table {table} cannot be counted ({error})")
            continue
        if found != expected:
            problems.append(f"table {table} has {found} rows, the manifest says {expected}")
    return problems
