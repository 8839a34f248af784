"""Fixtures of the sales desk tests: form data, and a database that other threads and processes
can open (for the concurrency tests)."""

from __future__ import annotations

import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone, translation

from accounts.models import User
from crm.models import Customer, PoolPolicy
from rbac.models import Role

MANAGE_PY = Path(settings.BASE_DIR) / "manage.py"


@pytest.fixture
def english():
    """Services called outside a request speak the active language, which is the site's
    (Chinese) unless something activated another: pin English, as the test clients use."""
    with translation.override("en"):
        yield


def customer_data(world, **changes) -> dict:
    """A valid customer form post; `None` values are left out."""
    data = {
        "name": "张三",
        "phone": "138 0013 8000",
        "qq": "",
        "wechat": "",
        "email": "",
        "source": world.source.pk,
        "consulted_on": timezone.localdate().isoformat(),
        "school": "",
        "note": "",
        **changes,
    }
    return {key: value for key, value in data.items() if value is not None}


def pool_policy(**values) -> PoolPolicy:
    """Set the pool rules for a test (the rest keep their defaults)."""
    policy = PoolPolicy.current()
    for name, value in values.items():
        setattr(policy, name, value)
    policy.save()
    return policy


@dataclass
class SharedDatabase:
    """What a concurrency test needs to reach the database from elsewhere."""

    vendor: str
    # DATABASE_URL for a subprocess running `manage.py` (config.settings reads it).
    url: str
    # The file on SQLite (None on PostgreSQL).
    path: Path | None

    def subprocess_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DATABASE_URL"] = self.url
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(settings.BASE_DIR), env.get("PYTHONPATH")]))
        return env


def _postgres_url(settings_dict: dict) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{settings_dict['NAME']}"


@pytest.fixture
def shared_db(transactional_db, world, tmp_path):
    """A database other threads (each with its own connection) and other OS processes can open,
    holding the world (and whatever the test writes afterwards), with committed data.

    PostgreSQL's test database is such a database already. SQLite's test database is in memory
    (invisible to other processes, and shared-cache locking is not the file locking production
    runs on), so for the duration of the test it is copied into a file and every connection,
    the test's own included, is pointed at that file: WAL, IMMEDIATE transactions and the busy
    timeout of config.settings then apply exactly as in production.
    """
    settings_dict = connection.settings_dict
    vendor = connection.vendor
    if vendor == "postgresql":
        yield SharedDatabase(vendor, _postgres_url(settings_dict), None)
        return
    assert vendor == "sqlite", f"no shared database recipe for {vendor}"
    if not connection.is_in_memory_db():
        path = Path(settings_dict["NAME"])
        yield SharedDatabase(vendor, f"sqlite:///{path}", path)
        return
    memory_name = settings_dict["NAME"]
    path = tmp_path / "shared.sqlite3"
    connection.ensure_connection()
    # Keeps the shared-cache memory database alive while no Django connection points at it.
    keep_alive = sqlite3.connect(memory_name, uri=True)
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    # Django's close() keeps in-memory connections open, so switch the name first. All
    # connections share this settings dict (new threads build theirs from it).
    settings_dict["NAME"] = str(path)
    connection.close()
    try:
        yield SharedDatabase(vendor, f"sqlite:///{path}", path)
    finally:
        connection.close()
        settings_dict["NAME"] = memory_name
        # Back to the memory database, which transactional_db flushes after the test.
        connection.ensure_connection()
        keep_alive.close()


def manage_py_command(code: str) -> list[str]:
    """argv running `code` in `manage.py shell` with this interpreter."""
    return [sys.executable, str(MANAGE_PY), "shell", "--no-imports", "-c", code]


def make_consultants(world, count: int, *, prefix: str = "extra") -> list:
    """`count` more consultants (the sales role) in the sales department, with usable names."""
    users = User.objects.bulk_create(
        User(
            username=f"{prefix}{number}",
            password="!",
            display_name=f"{prefix.title()} {number}",
            department=world.departments["sales"],
        )
        for number in range(count)
    )
    role = world.roles["sales"]
    Role.users.through.objects.bulk_create(
        Role.users.through(role_id=role.pk, user_id=user.pk) for user in users
    )
    return users


def pool_customers(world, count: int, *, prefix: str = "客户") -> list:
    """`count` pool leads without phone or QQ (so they never collide), oldest first."""
    today = timezone.localdate()
    return Customer.objects.bulk_create(
        Customer(name=f"{prefix}{number}", source=world.source, consulted_on=today) for number in range(count)
    )
