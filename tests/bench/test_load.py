"""The benchmark's throughput and concurrency sections (bench.load): they measure what they say,
their checks fail when the rules break, and they leave the database as they found it.

The races need connections that really share one database, as in tests/crm/test_concurrency.py:
the `shared_db` fixture (a file on SQLite, the test database on PostgreSQL).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dj_database_url
import pytest
from django.contrib.sessions.models import Session
from django.db import OperationalError
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from bench import load
from bench.results import Results
from crm import services
from crm.models import Customer, FollowUp, FollowUpDay, OwnershipEvent
from tests.crm.conftest import shared_db  # noqa: F401  (a fixture, used by name)


def snapshot() -> dict:
    """Everything the races write to, so a test can tell it was put back exactly."""
    return {
        "customers": list(Customer.objects.order_by("pk").values()),
        "follow_ups": list(FollowUp.objects.values_list("pk", flat=True)),
        "days": list(FollowUpDay.objects.order_by("pk").values()),
        "events": list(OwnershipEvent.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("pk").values_list("username", "last_login")),
        "sessions": Session.objects.count(),
    }


def run_concurrency(**kwargs) -> Results:
    results = Results(size="test", database="test")
    load.concurrency(results, clients=4, seconds=1, **kwargs)
    return results


def failed(results: Results) -> dict[str, str]:
    return {check["name"]: check["detail"] for check in results.failed_checks}


@pytest.mark.usefixtures("shared_db")
def test_concurrency_races_pass_their_checks_and_leave_the_data_as_it_was():
    """Four clients: sales1 and sales2 may claim, two consultants are made for the race (and
    deleted); the follow-up writers are sales1 and sales2 on their own customers, twice each."""
    before = snapshot()

    results = run_concurrency()

    assert failed(results) == {}
    assert {check["name"] for check in results.checks} == {
        "claim race: exactly one winner",
        "follow-up writes: no errors",
        'follow-up writes: no "database is locked"',
        "follow-up writes: per-day counts grew by the follow-ups written",
    }
    claim = results.measurements["concurrency"]["claim race"]
    assert claim["clients"] == 4 and claim["errors"] == 0
    writes = results.measurements["concurrency"]["follow-up writes"]
    assert writes["writes"] > 0 and writes["errors"] == 0
    assert writes["writes_per_s"] > 0 and 0 < writes["p50_ms"] <= writes["p95_ms"]
    assert snapshot() == before


@pytest.mark.usefixtures("shared_db")
def test_the_claim_race_fails_when_more_than_one_consultant_wins(monkeypatch):
    """A claim that ignores the current owner lets every racer win: the check must say so, and
    the customer still goes back to the pool with its history as it was."""
    # Every racer past the view's lookup before anyone writes: the pool customer is visible to all.
    all_looked_up = threading.Barrier(4)

    def claim_regardless(*, customer, by, policy=None):
        all_looked_up.wait(timeout=10)
        Customer.objects.filter(pk=customer.pk).update(consultant=by)
        OwnershipEvent.objects.create(
            customer_id=customer.pk, kind=OwnershipEvent.Kind.CLAIM, to_user=by, by=by
        )

    monkeypatch.setattr(services, "customer_claim", claim_regardless)
    before = snapshot()

    problems = failed(run_concurrency())

    assert "claim race: exactly one winner" in problems
    assert "4 winners" in problems["claim race: exactly one winner"]
    assert snapshot() == before


@pytest.mark.usefixtures("shared_db")
def test_the_follow_up_check_fails_when_the_day_counts_miss_follow_ups(monkeypatch):
    monkeypatch.setattr(services, "follow_up_day_count", lambda **kwargs: None)

    problems = failed(run_concurrency())

    assert list(problems) == ["follow-up writes: per-day counts grew by the follow-ups written"]
    assert "per-day counts +0" in problems["follow-up writes: per-day counts grew by the follow-ups written"]


@pytest.mark.usefixtures("shared_db")
def test_a_locked_database_fails_the_follow_up_checks(monkeypatch):
    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "follow_up_add", locked)
    before = snapshot()

    problems = failed(run_concurrency())

    assert set(problems) == {"follow-up writes: no errors", 'follow-up writes: no "database is locked"'}
    assert "OperationalError('database is locked')" in problems["follow-up writes: no errors"]
    assert snapshot() == before


@pytest.mark.usefixtures("shared_db")
def test_the_follow_up_day_counts_are_put_back_when_a_day_row_existed(world):
    """A consultant who already logged follow-ups today has a day row: it grows during the run
    and returns to its count afterwards (rows the run created are deleted)."""
    services.follow_up_day_count(consultant_id=world.sales.pk, at=timezone.now())
    FollowUpDay.objects.filter(consultant=world.sales).update(count=F("count") + 6)
    before = list(FollowUpDay.objects.order_by("pk").values("consultant_id", "day", "count"))

    assert failed(run_concurrency()) == {}

    assert list(FollowUpDay.objects.order_by("pk").values("consultant_id", "day", "count")) == before


@pytest.mark.usefixtures("shared_db")
def test_throughput_serves_both_pages_under_gunicorn_without_errors():
    """A very short run of the real thing: gunicorn with DEBUG off on this database, the pool
    page signed in as sales1 (a redirect to the login would count as an error)."""
    results = Results(size="test", database="test")
    sessions = Session.objects.count()

    load.throughput(results, seconds=0.2)

    assert failed(results) == {}
    measured = results.measurements["load"]
    assert set(measured) == {"hello", "public pool page"}
    for figures in measured.values():
        assert figures["requests"] > 0 and figures["errors"] == 0 and figures["rps"] > 0
        assert 0 < figures["p50_ms"] <= figures["p95_ms"]
    pool = measured["public pool page"]
    assert pool["share_of_hello"] == round(pool["rps"] / measured["hello"]["rps"], 3)
    assert Session.objects.count() == sessions


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/ok" else 500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def answering_server():
    server = ThreadingHTTPServer((load.HOST, 0), _Answer)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.mark.parametrize(("path", "errors"), [("/ok", False), ("/fail", True)])
def test_the_load_generator_counts_every_answer_that_is_not_2xx_as_an_error(answering_server, path, errors):
    run = load.load(answering_server, path, headers={}, seconds=0.2, connections=2)

    assert run.requests > 0
    assert run.errors == (run.requests if errors else 0)
    assert run.ok == run.requests - run.errors
    assert run.error_samples == (["HTTP 500"] * min(run.requests, 5) if errors else [])
    assert run.figures()["rps"] == pytest.approx(run.requests / run.seconds, abs=0.1)


def test_a_refused_connection_is_an_error_too():
    run = load.load(load.free_port(), "/", headers={}, seconds=0.1, connections=1)

    assert run.requests == 0 and run.errors > 0
    assert "ConnectionRefusedError" in run.error_samples[0]


@pytest.mark.parametrize(
    "settings_dict",
    [
        {"ENGINE": "django.db.backends.sqlite3", "NAME": "/var/bench/S.sqlite3"},
        {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "educrm",
            "USER": "postgres",
            "HOST": "127.0.0.1",
        },
        {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "educrm",
            "USER": "crm@school",
            "PASSWORD": "p:w/d@#",
            "HOST": "/var/run/postgresql",
            "PORT": 5433,
        },
    ],
)
def test_the_server_gets_a_database_url_for_the_same_database(settings_dict):
    parsed = dj_database_url.parse(load.database_url(settings_dict))

    for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST"):
        assert parsed[key] == (settings_dict.get(key) or ""), key
    assert str(parsed["PORT"] or "") == str(settings_dict.get("PORT") or "")


def test_the_server_runs_with_debug_off_and_this_process_secret_key(settings, tmp_path):
    settings.SECRET_KEY = "a-key-only-this-test-knows"

    env = load.server_environment(static_root=tmp_path)

    assert env["DEBUG"] == "0" and env["SECRET_KEY"] == "a-key-only-this-test-knows"
    assert env["DJANGO_SETTINGS_MODULE"] == "bench.settings"


@pytest.mark.parametrize(
    ("durations", "p50", "p95"),
    [([], 0.0, 0.0), ([0.004], 4.0, 4.0), ([index / 1000 for index in range(1, 101)], 50.5, 95.05)],
)
def test_percentiles_are_in_milliseconds(durations, p50, p95):
    assert load.percentile_ms(durations, 50) == pytest.approx(p50)
    assert load.percentile_ms(durations, 95) == pytest.approx(p95)
