"""`manage.py backup` and `manage.py restore` (common.backup) as a school's administrator runs them:
each command in a process of its own whose settings come from the environment (EDUCRM_VAR_DIR for
the SQLite file and the uploads, DATABASE_URL on PostgreSQL), against a demo school made once with
`migrate` and `seeddemo`. The database is the one the run is configured for (SQLite by default,
PostgreSQL when DATABASE_URL points at it); each school gets a database of its own beside the
test database. Refusals that happen before anything is opened are called in process."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from common import backup as backup_module

VENDOR = connection.vendor
OTHER_VENDOR = "postgresql" if VENDOR == "sqlite" else "sqlite"
MANAGE_PY = Path(settings.BASE_DIR) / "manage.py"
# The tables the writers below add rows to.
WRITTEN_TABLES = {"accounts_notification", "crm_followup"}


def only_sqlite(reason: str):
    return pytest.mark.skipif(VENDOR != "sqlite", reason=f"SQLite only: {reason}")


def only_postgresql(reason: str):
    return pytest.mark.skipif(VENDOR != "postgresql", reason=f"PostgreSQL only: {reason}")


# Four threads, each with its own connection, write through the services until the stop file
# appears: two log follow-ups for sales1's customers (a follow-up and its customer's
# last_follow_up_at change in one transaction), two send notifications. Prints what they did.
WRITERS = """
import json, os, threading
from pathlib import Path
from django.db import connections
from accounts.models import User
from accounts.services import notification_send
from crm.forms import FollowUpForm
from crm.models import Customer, DictItem
from crm.services import follow_up_add

stop = Path(os.environ["WRITERS_STOP_FILE"])
sales1 = User.objects.get(username="sales1")
customers = list(Customer.objects.filter(consultant=sales1, is_deleted=False).order_by("pk")[:2])
channel = DictItem.objects.filter(kind=DictItem.Kind.FOLLOW_UP_CHANNEL, is_active=True).first()
writes, errors = [0, 0, 0, 0], []

def write(number):
    try:
        while not stop.exists():
            if number % 2 == 0:
                customer = Customer.objects.get(pk=customers[number // 2].pk)
                form = FollowUpForm({"channel": channel.pk, "content": f"backup writer {number}"})
                assert form.is_valid(), form.errors
                follow_up_add(customer=customer, by=sales1, form=form)
            else:
                notification_send(recipient=sales1, text=f"backup writer {number}")
            writes[number] += 1
    except Exception as error:
        errors.append(repr(error))
    finally:
        connections.close_all()

threads = [threading.Thread(target=write, args=(number,)) for number in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"writes": writes, "errors": errors, "customers": [c.pk for c in customers]}))
"""

# A signed-in consultant opens the home page and a customer's page, with Django's test client.
SERVE = """
import json, os
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse
from accounts.models import User

setup_test_environment()
client = Client()
client.force_login(User.objects.get(username="sales1"))
home = client.get("/")
customer = client.get(reverse("crm:customer-detail", args=[int(os.environ["CUSTOMER_ID"])]))
print(json.dumps({"status": [home.status_code, customer.status_code],
                  "home": home.content.decode(), "customer": customer.content.decode()}))
"""


def _database_url(name: str, *, user: str | None = None) -> str:
    """DATABASE_URL of the run, naming another PostgreSQL database on the same server (and
    another role, without a password: the test server trusts local connections)."""
    url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}")
    if user is not None:
        url = url._replace(netloc=f"{user}@{url.hostname}" + (f":{url.port}" if url.port else ""))
    return url.geturl()


def _postgres(database: str = "postgres"):
    import psycopg

    return psycopg.connect(_database_url(database), autocommit=True)


@dataclass
class School:
    """One installation of EduCRM as its commands see it: a var directory (uploads, backups and,
    on SQLite, the database file) and on PostgreSQL a database of its own."""

    var_dir: Path
    pg_name: str | None = None
    # The role EduCRM connects as, when not the run's.
    pg_user: str | None = None

    @property
    def media_root(self) -> Path:
        return self.var_dir / "uploads"

    @property
    def sqlite_path(self) -> Path:
        return self.var_dir / "db.sqlite3"

    def environment(self, **extra: str) -> dict[str, str]:
        environment = {
            key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "MEDIA_ROOT"}
        }
        # Development settings whatever the caller's environment says (DEBUG=0 would redirect the
        # test client to HTTPS); background tasks run inline, as there is no worker.
        environment.update(EDUCRM_VAR_DIR=str(self.var_dir), DEBUG="1", TASKS_BACKEND="immediate", **extra)
        if self.pg_name:
            environment["DATABASE_URL"] = _database_url(self.pg_name, user=self.pg_user)
        return environment

    def manage(self, *arguments: str, **extra_environment: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(MANAGE_PY), *arguments],
            env=self.environment(**extra_environment),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def manage_ok(self, *arguments: str, **extra_environment: str) -> str:
        result = self.manage(*arguments, **extra_environment)
        assert result.returncode == 0, f"manage.py {' '.join(arguments)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def query(self, sql: str) -> list[tuple]:
        """Rows read straight from the school's database, not through EduCRM."""
        if self.pg_name:
            with _postgres(self.pg_name) as database:
                return database.execute(sql).fetchall()
        with closing(sqlite3.connect(self.sqlite_path)) as database:
            return database.execute(sql).fetchall()

    def row_counts(self, tables) -> dict[str, int]:
        return {table: self.query(f'SELECT COUNT(*) FROM "{table}"')[0][0] for table in tables}

    def drop(self) -> None:
        if self.pg_name:
            with _postgres() as server:
                server.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


def make_school(var_dir: Path, *, like: School | None = None) -> School:
    """A new school: a copy of `like` (database and files), or an empty one (no var directory on
    SQLite, an empty database on PostgreSQL)."""
    if like is not None:
        shutil.copytree(like.var_dir, var_dir)
    pg_name = None
    if VENDOR == "postgresql":
        # pytest-xdist workers each get their own databases, as they do their own test database.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        pg_name = f"{connection.settings_dict['NAME']}_{worker}_{var_dir.name}".lower()[:63]
        with _postgres() as server:
            server.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            template = f' TEMPLATE "{like.pg_name}"' if like is not None else ""
            server.execute(f'CREATE DATABASE "{pg_name}"{template}')
    return School(var_dir, pg_name)


def files_by_sha256(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def torn_follow_ups(school: School, customer_ids: list[int]) -> list[tuple]:
    """Customers whose last_follow_up_at is not their latest follow-up: a snapshot that split the
    transaction of follow_up_add would show some."""
    ids = ", ".join(str(pk) for pk in customer_ids)
    return school.query(
        "SELECT c.id, c.last_follow_up_at, f.latest FROM crm_customer c JOIN "
        "(SELECT customer_id, MAX(at) AS latest FROM crm_followup GROUP BY customer_id) f "
        f"ON f.customer_id = c.id WHERE c.id IN ({ids}) AND c.last_follow_up_at <> f.latest"
    )


def wait_until(condition, *, what: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the writers stopped: {process.communicate()}"
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def demo_school(tmp_path_factory):
    """The demo school (every app's data, uploaded documents and homework), made once."""
    var_dir = tmp_path_factory.mktemp("backup") / "demo"
    var_dir.mkdir()
    school = make_school(var_dir)
    try:
        school.manage_ok("migrate", "-v", "0")
        school.manage_ok("seeddemo")
        yield school
    finally:
        school.drop()


@dataclass
class BusyBackup:
    live: School
    path: Path
    manifest: backup_module.Manifest
    before: dict[str, int]
    after: dict[str, int]
    writers: dict
    started: datetime


@pytest.fixture(scope="module")
def busy_backup(demo_school, tmp_path_factory):
    """A backup (to the default destination, var/backups/) taken while four writers keep adding
    rows: they start before it and go on after it."""
    live = make_school(tmp_path_factory.mktemp("busy") / "live", like=demo_school)
    stop = live.var_dir / "stop-writers"
    before = live.row_counts(WRITTEN_TABLES)
    writers = subprocess.Popen(
        [sys.executable, str(MANAGE_PY), "shell", "--no-imports", "-c", WRITERS],
        env=live.environment(WRITERS_STOP_FILE=str(stop)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(
            lambda: all(
                count >= before[table] + 10 for table, count in live.row_counts(WRITTEN_TABLES).items()
            ),
            what="the writers have written",
            process=writers,
        )
        started = datetime.now(UTC).replace(microsecond=0)
        output = live.manage_ok("backup")
        (path,) = (live.var_dir / "backups").iterdir()
        assert f"Backup written to {path}" in output
        manifest = backup_module.manifest_read(path)
        wait_until(
            lambda: all(
                count > manifest.row_counts[table] for table, count in live.row_counts(WRITTEN_TABLES).items()
            ),
            what="the writers have written after the backup",
            process=writers,
        )
    finally:
        stop.touch()
        out, err = writers.communicate(timeout=60)
    assert writers.returncode == 0, err
    try:
        yield BusyBackup(
            live=live,
            path=path,
            manifest=manifest,
            before=before,
            after=live.row_counts(WRITTEN_TABLES),
            writers=json.loads(out.strip().splitlines()[-1]),
            started=started,
        )
    finally:
        live.drop()


@pytest.fixture
def new_school(tmp_path):
    made: list[School] = []

    def make(name: str, *, like: School | None = None) -> School:
        made.append(make_school(tmp_path / name, like=like))
        return made[-1]

    yield make
    for school in made:
        school.drop()


def test_a_backup_taken_while_four_writers_keep_writing_is_consistent(busy_backup):
    backup, manifest, live = busy_backup.path, busy_backup.manifest, busy_backup.live
    assert busy_backup.writers["errors"] == []
    assert all(writes > 0 for writes in busy_backup.writers["writes"]), busy_backup.writers
    # The backup holds what was written before it and not what was written after it.
    for table in WRITTEN_TABLES:
        assert busy_backup.before[table] < manifest.row_counts[table] < busy_backup.after[table], table

    assert re.fullmatch(r"educrm-backup-\d{8}-\d{6}", backup.name)
    assert list(backup.parent.iterdir()) == [backup], "a partial backup was left behind"
    taken = datetime.strptime(backup.name, "educrm-backup-%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    assert taken == manifest.created_at
    assert busy_backup.started <= manifest.created_at <= busy_backup.started + timedelta(minutes=1)
    assert manifest.vendor == VENDOR
    assert sorted(path.name for path in backup.iterdir()) == sorted(
        [backup_module.DATABASE_FILE_NAMES[VENDOR], "manifest.json", "uploads"]
    )
    assert (
        manifest.database.sha256 == hashlib.sha256((backup / manifest.database.path).read_bytes()).hexdigest()
    )
    # Every model's table is counted (many-to-many ones too); the migrations are the live database's.
    assert set(manifest.row_counts) == {
        model._meta.db_table for model in apps.get_models(include_auto_created=True) if not model._meta.proxy
    }
    assert {"crm_customer", "rbac_role_users", "enrollment_payment"} <= set(manifest.row_counts)
    assert manifest.row_counts["crm_customer"] >= 300
    assert manifest.migrations == dict(live.query("SELECT app, name FROM django_migrations ORDER BY id"))
    # Every upload, as it is in the live school (nothing changed them meanwhile).
    uploads = files_by_sha256(live.media_root)
    assert len(uploads) > 10
    assert {item.path: item.sha256 for item in manifest.media} == uploads
    assert files_by_sha256(backup / "uploads") == uploads
    assert all(item.size == (live.media_root / item.path).stat().st_size for item in manifest.media)


@only_sqlite("reads the db.sqlite3 of the backup; a pg_dump archive is checked by restoring it")
def test_the_sqlite_copy_passes_integrity_check_and_holds_the_counts_of_its_manifest(busy_backup):
    copy = School(busy_backup.path)
    assert copy.sqlite_path.name == busy_backup.manifest.database.path
    assert copy.query("PRAGMA integrity_check") == [("ok",)]
    # One self-contained file: not in WAL mode, no -wal file needed.
    assert copy.query("PRAGMA journal_mode") == [("delete",)]
    assert copy.row_counts(busy_backup.manifest.row_counts) == busy_backup.manifest.row_counts
    assert torn_follow_ups(copy, busy_backup.writers["customers"]) == []


def test_a_restore_into_a_fresh_place_holds_the_backup_and_the_app_serves_it(busy_backup, new_school):
    manifest = busy_backup.manifest
    restored = new_school("restored")

    output = restored.manage_ok("restore", str(busy_backup.path))

    assert f"Restored {busy_backup.path}" in output
    assert "migrate" not in output  # the backup is of this version's schema
    if VENDOR == "sqlite":
        assert restored.query("PRAGMA integrity_check") == [("ok",)]
    assert restored.row_counts(manifest.row_counts) == manifest.row_counts
    assert torn_follow_ups(restored, busy_backup.writers["customers"]) == []
    assert files_by_sha256(restored.media_root) == {item.path: item.sha256 for item in manifest.media}
    assert files_by_sha256(restored.media_root) == files_by_sha256(busy_backup.live.media_root)

    ((customer_id, customer_name),) = restored.query(
        "SELECT c.id, c.name FROM crm_customer c JOIN accounts_user u ON u.id = c.consultant_id "
        "WHERE u.username = 'sales1' ORDER BY c.id DESC LIMIT 1"
    )
    pages = json.loads(
        restored.manage_ok("shell", "--no-imports", "-c", SERVE, CUSTOMER_ID=str(customer_id))
        .strip()
        .splitlines()[-1]
    )
    assert pages["status"] == [200, 200]
    assert "李销售" in pages["home"]
    assert customer_name in pages["customer"]


def test_restore_refuses_a_database_in_use_without_force_and_writes_nothing(
    busy_backup, demo_school, new_school
):
    manifest = busy_backup.manifest
    in_use = new_school("in-use", like=demo_school)
    counts = in_use.row_counts(manifest.row_counts)
    assert counts != manifest.row_counts
    database_bytes = in_use.sqlite_path.read_bytes() if VENDOR == "sqlite" else None
    uploads = files_by_sha256(in_use.media_root)

    refused = in_use.manage("restore", str(busy_backup.path))

    assert refused.returncode == 1
    assert "The configured database is not empty." in refused.stderr
    assert f"MEDIA_ROOT ({in_use.media_root}) holds files already." in refused.stderr
    assert "Nothing was restored; use --force to replace them." in refused.stderr
    assert in_use.row_counts(manifest.row_counts) == counts
    if VENDOR == "sqlite":
        assert in_use.sqlite_path.read_bytes() == database_bytes
    assert files_by_sha256(in_use.media_root) == uploads

    in_use.manage_ok("restore", "--force", str(busy_backup.path))

    assert in_use.row_counts(manifest.row_counts) == manifest.row_counts


@only_sqlite("any manage.py command creates the SQLite file; a PostgreSQL database is made on purpose")
def test_a_database_file_that_a_command_left_empty_is_restored_into_without_force(busy_backup, new_school):
    target = new_school("checked")
    target.var_dir.mkdir()
    target.manage_ok("showmigrations")
    assert target.sqlite_path.stat().st_size > 0

    target.manage_ok("restore", str(busy_backup.path))

    assert target.row_counts(busy_backup.manifest.row_counts) == busy_backup.manifest.row_counts


def _tamper_upload(backup: Path, manifest) -> str:
    path = backup / "uploads" / manifest.media[0].path
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return rf"{re.escape(str(path))} has SHA-256 [0-9a-f]{{64}}, the manifest says {manifest.media[0].sha256}"


def _tamper_database(backup: Path, manifest) -> str:
    path = backup / manifest.database.path
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return rf"{re.escape(str(path))} has SHA-256"


def _delete_upload(backup: Path, manifest) -> str:
    path = backup / "uploads" / manifest.media[-1].path
    path.unlink()
    return rf"{re.escape(str(path))} is missing"


def _edit_manifest(backup: Path, **changes) -> None:
    path = backup / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def _escaping_path(backup: Path, manifest) -> str:
    item = {"path": "../../settings.py", "size": 1, "sha256": "0" * 64}
    _edit_manifest(backup, media=[*json.loads((backup / "manifest.json").read_text())["media"], item])
    return "'../../settings.py' is not a plain relative path"


def _delete_manifest(backup: Path, manifest) -> str:
    (backup / "manifest.json").unlink()
    return r"has no manifest\.json: it is not an EduCRM backup, or an incomplete one"


def _truncate_manifest(backup: Path, manifest) -> str:
    path = backup / "manifest.json"
    path.write_text(path.read_text()[:200])
    return r"manifest\.json is not valid JSON"


def _damage_manifest_counts(backup: Path, manifest) -> str:
    _edit_manifest(backup, row_counts={"crm_customer": "many"})
    return r"manifest\.json is damaged: row_counts\['crm_customer'\] is not an integer"


def _other_vendor(backup: Path, manifest) -> str:
    _edit_manifest(backup, vendor=OTHER_VENDOR)
    return f"is a backup of a {OTHER_VENDOR} database, but the configured database is {VENDOR}"


def _future_migration(backup: Path, manifest) -> str:
    _edit_manifest(backup, migrations={**manifest.migrations, "crm": "9999_from_the_future"})
    return r"was made by a newer EduCRM: .* \(crm\.9999_from_the_future\)\. Upgrade EduCRM first\."


@pytest.fixture
def untouched_target(tmp_path, settings, monkeypatch) -> Path:
    """MEDIA_ROOT and, on SQLite, the database file of the process pointed into a directory that
    must never appear (so a restore that got past its checks would show, and never reach the
    developer's var/)."""
    target = tmp_path / "target"
    settings.MEDIA_ROOT = target / "uploads"
    if VENDOR == "sqlite":
        monkeypatch.setitem(connection.settings_dict, "NAME", str(target / "db.sqlite3"))
    return target


@pytest.mark.parametrize(
    "damage",
    [
        _tamper_upload,
        _tamper_database,
        _delete_upload,
        _escaping_path,
        _delete_manifest,
        _truncate_manifest,
        _damage_manifest_counts,
        _other_vendor,
        _future_migration,
    ],
)
def test_restore_refuses_a_backup_that_does_not_verify_and_writes_nothing(
    damage, busy_backup, tmp_path, untouched_target
):
    """In process, without database access (pytest-django would fail any): the backup is
    verified before the database and the files are touched."""
    backup = tmp_path / busy_backup.path.name
    shutil.copytree(busy_backup.path, backup)
    message = damage(backup, busy_backup.manifest)

    with pytest.raises(CommandError, match=message):
        call_command("restore", str(backup), "--force")

    assert not untouched_target.exists()


def test_restore_of_a_directory_that_is_not_there_says_so(tmp_path, untouched_target):
    with pytest.raises(CommandError, match=rf"{re.escape(str(tmp_path / 'nothing'))} is not a directory"):
        call_command("restore", str(tmp_path / "nothing"))
    assert not untouched_target.exists()


def test_a_backup_into_an_unwritable_place_fails_clearly_and_keeps_nothing(busy_backup, tmp_path):
    not_a_directory = tmp_path / "a-file"
    not_a_directory.write_text("")

    failed = busy_backup.live.manage("backup", "--output", str(not_a_directory / "backups"))

    assert failed.returncode == 1
    assert f"Cannot write a backup into {not_a_directory / 'backups'}: Not a directory." in failed.stderr
    assert not_a_directory.read_text() == ""
    assert list(tmp_path.iterdir()) == [not_a_directory]


def test_a_backup_inside_media_root_is_refused(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    with pytest.raises(CommandError, match="is inside MEDIA_ROOT"):
        call_command("backup", "--output", str(tmp_path / "uploads" / "backups"))
    assert not (tmp_path / "uploads").exists()


def test_a_backup_failing_half_way_keeps_nothing(
    busy_backup, tmp_path, settings, monkeypatch, django_db_blocker
):
    """The disk fills up while the uploads are copied: the partial backup is removed."""
    live = busy_backup.live
    monkeypatch.setitem(connection.settings_dict, "NAME", live.pg_name or str(live.sqlite_path))
    settings.MEDIA_ROOT = live.media_root
    copy_file = backup_module._copy_file
    copied = []

    def copy_until_the_disk_is_full(source, target):
        if len(copied) == 3:
            raise OSError(28, "No space left on device")
        copied.append(source)
        return copy_file(source, target)

    monkeypatch.setattr(backup_module, "_copy_file", copy_until_the_disk_is_full)

    with django_db_blocker.unblock(), pytest.raises(CommandError) as refused:
        call_command("backup", "--output", str(tmp_path / "backups"))

    assert str(refused.value) == "The backup failed and nothing was kept: [Errno 28] No space left on device"
    assert len(copied) == 3
    assert list((tmp_path / "backups").iterdir()) == []


@only_sqlite("damages an index of the SQLite file")
def test_a_backup_of_a_damaged_sqlite_database_fails_and_keeps_nothing(demo_school, new_school, tmp_path):
    damaged = new_school("damaged", like=demo_school)
    with closing(sqlite3.connect(damaged.sqlite_path)) as database:
        # The index now claims to cover another column than the one it holds.
        database.execute("PRAGMA writable_schema=ON")
        database.execute(
            "UPDATE sqlite_master SET sql = replace(sql, '(\"channel_id\")', '(\"content\")') "
            "WHERE name = 'crm_followup_channel_id_15fd56a9'"
        )
        database.commit()

    failed = damaged.manage("backup", "--output", str(tmp_path / "backups"))

    assert failed.returncode == 1
    assert f"The copy of {damaged.sqlite_path} fails PRAGMA integrity_check" in failed.stderr
    assert "row 1 missing from index crm_followup_channel_id_15fd56a9" in failed.stderr
    assert list((tmp_path / "backups").iterdir()) == []


@only_sqlite("PostgreSQL has no in-memory database")
def test_an_in_memory_database_is_neither_backed_up_nor_restored_into(
    busy_backup, tmp_path, settings, monkeypatch
):
    """As pytest-django's SQLite test database: there is no file to read or replace."""
    monkeypatch.setitem(connection.settings_dict, "NAME", "file:memorydb_default?mode=memory&cache=shared")
    settings.MEDIA_ROOT = tmp_path / "media"
    with pytest.raises(CommandError, match="The configured SQLite database is in memory"):
        call_command("backup", "--output", str(tmp_path / "backups"))
    with pytest.raises(CommandError, match="The configured SQLite database is in memory"):
        call_command("restore", str(busy_backup.path))
    assert list(tmp_path.iterdir()) == []


@only_postgresql("an SQLite backup needs no pg_dump")
def test_without_pg_dump_the_backup_says_what_to_install(busy_backup, tmp_path):
    failed = busy_backup.live.manage("backup", "--output", str(tmp_path / "backups"), PATH=str(tmp_path))

    assert failed.returncode == 1
    assert "pg_dump was not found on PATH. Install the PostgreSQL client programs" in failed.stderr
    assert not (tmp_path / "backups").exists()


@only_postgresql("an SQLite database has no password")
def test_the_database_password_reaches_pg_dump_in_its_environment_not_its_arguments(
    busy_backup, tmp_path, settings, monkeypatch, django_db_blocker
):
    live = busy_backup.live
    monkeypatch.setitem(connection.settings_dict, "NAME", live.pg_name)
    # The test server trusts local connections, so any password is accepted and ignored.
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "the-password")
    settings.MEDIA_ROOT = live.media_root
    run = subprocess.run
    calls = []

    def recording_run(arguments, **options):
        calls.append((arguments, options["env"]))
        return run(arguments, **options)

    monkeypatch.setattr(backup_module.subprocess, "run", recording_run)

    with django_db_blocker.unblock():
        call_command("backup", "--output", str(tmp_path), verbosity=0)

    ((arguments, environment),) = calls
    assert Path(arguments[0]).name == "pg_dump"
    assert not any("the-password" in argument for argument in arguments)
    assert environment["PGPASSWORD"] == "the-password"
    assert environment["PGDATABASE"] == live.pg_name
    (backup,) = tmp_path.iterdir()
    assert backup_module.manifest_read(backup).row_counts == live.row_counts(busy_backup.manifest.row_counts)


@only_postgresql("roles and extensions are PostgreSQL's")
def test_a_database_owner_who_is_not_a_superuser_restores_beside_the_superusers_pg_trgm(
    busy_backup, tmp_path
):
    """The deployment README recommends: the application's role owns its database but is no
    superuser, and a superuser created pg_trgm in it. pg_restore --clean would drop the extension
    first, which only its owner may do."""
    manifest = busy_backup.manifest
    role = f"{connection.settings_dict['NAME']}_owner"[:63]
    school = School(
        tmp_path / "owned", pg_name=f"{connection.settings_dict['NAME']}_owned"[:63], pg_user=role
    )
    with _postgres() as server:
        server.execute(f'DROP DATABASE IF EXISTS "{school.pg_name}" WITH (FORCE)')
        server.execute(f'DROP ROLE IF EXISTS "{role}"')
        server.execute(f'CREATE ROLE "{role}" LOGIN')
        server.execute(f'CREATE DATABASE "{school.pg_name}" OWNER "{role}"')
    try:
        with _postgres(school.pg_name) as database:
            database.execute("CREATE EXTENSION pg_trgm")

        school.manage_ok("restore", str(busy_backup.path))

        assert school.row_counts(manifest.row_counts) == manifest.row_counts
        owners = school.query("SELECT extowner::regrole::text FROM pg_extension WHERE extname = 'pg_trgm'")
        assert owners == [(urlsplit(os.environ["DATABASE_URL"]).username,)]
    finally:
        school.drop()
        with _postgres() as server:
            server.execute(f'DROP ROLE IF EXISTS "{role}"')
