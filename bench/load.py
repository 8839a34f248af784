"""Throughput under gunicorn, and the sales desk's races, for the benchmark (issue 7).

`throughput()` serves the project as production does (gunicorn, two sync workers, DEBUG off,
manifest static files) on loopback and measures requests per second on the public pool page and
on the "hello" floor. `concurrency()` races consultants in threads, each on its own database
connection, through the real views: many claiming one pool customer at the same moment, and many
writing follow-ups for a while. Both leave the dataset as they found it, so the cached benchmark
database stays reusable.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from importlib import import_module
from pathlib import Path
from typing import IO
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.db import close_old_connections, connection, connections
from django.db.models import Count, Q, QuerySet, Sum
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department, User
from crm.models import Customer, DictItem, FollowUp, FollowUpDay, OwnershipEvent, PoolPolicy
from crm.selectors import customers_in_pool
from rbac.defaults import SALES
from rbac.models import Role

HOST = "127.0.0.1"
SERVER_SETTINGS = "bench.settings"
WORKERS = 2
# Two connections per worker: each sync worker finds the next request already waiting when it
# finishes one, so neither idles while the client turns around; more would only queue.
LOAD_CONNECTIONS = 2 * WORKERS
# Discarded requests first, so each worker has loaded its templates and connected its database.
WARM_UP_SECONDS = 1.0
HELLO_PATH = "/bench/hello/"
# The consultant whose public pool page is loaded (a demo login, present in every dataset).
LOAD_USER = "sales1"
# The budget: the public pool page serves at least this share of hello's requests/s.
POOL_SHARE_OF_HELLO_BUDGET = 0.30
SERVER_START_SECONDS = 60
# Consultants created for the claim race when too few existing ones may still claim (the private
# cap); deleted afterwards.
CLAIMER_PREFIX = "bench-claimer-"
# What a claim changes on the customer, and what a follow-up changes: restored afterwards.
CLAIM_FIELDS = ("consultant_id", "claimed_at", "return_warned_at", "updated_at")
FOLLOW_UP_FIELDS = (
    "last_follow_up_at",
    "next_follow_up_at",
    "return_warned_at",
    "follow_up_reminded_at",
    "updated_at",
)
FOLLOW_UP_TEXT = "压测：电话沟通，学员考虑中。"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


# --- Measuring --------------------------------------------------------------------------------
def percentile_ms(seconds: list[float], percent: int) -> float:
    """The `percent`th percentile of durations in seconds, in milliseconds (0 when none)."""
    if not seconds:
        return 0.0
    if len(seconds) == 1:
        return round(seconds[0] * 1000, 2)
    return round(statistics.quantiles(seconds, n=100, method="inclusive")[percent - 1] * 1000, 2)


@dataclass
class Run:
    """Requests made for a while: each answered one's duration, how many answered as hoped, and
    what went wrong (a few examples kept)."""

    seconds: float = 0.0
    durations: list[float] = field(default_factory=list)
    ok: int = 0
    errors: int = 0
    # Errors that were SQLite's "database is locked" (the busy timeout ran out).
    locked: int = 0
    error_samples: list[str] = field(default_factory=list)

    def failed(self, what: str) -> None:
        self.errors += 1
        self.locked += "database is locked" in what
        if len(self.error_samples) < 5:
            self.error_samples.append(what)

    def merge(self, other: Run) -> None:
        self.durations.extend(other.durations)
        self.ok += other.ok
        self.errors += other.errors
        self.locked += other.locked
        self.error_samples = (self.error_samples + other.error_samples)[:5]

    def summary(self) -> str:
        errors = f": {'; '.join(self.error_samples)}" if self.errors else ""
        return f"{self.requests} answered, {self.errors} errors{errors}"

    @property
    def requests(self) -> int:
        return len(self.durations)

    @property
    def per_second(self) -> float:
        return round(self.requests / self.seconds, 1) if self.seconds else 0.0

    def figures(self) -> dict:
        return {
            "requests": self.requests,
            "rps": self.per_second,
            "errors": self.errors,
            "p50_ms": percentile_ms(self.durations, 50),
            "p95_ms": percentile_ms(self.durations, 95),
        }


# The load generator is a few threads of http.client in this process rather than locust. On two
# cores every CPU cycle the client spends is taken from gunicorn's two workers, and on "hello"
# locust (headless, FastHttpUser, in a process of its own) spent about 0.5 ms of CPU per request
# where these threads spend 0.2 ms. Locust also cannot run in this process: importing it
# monkey-patches sockets and threading with gevent, under the races below (real threads, each
# with its own database connection). gunicorn's sync workers close every connection after the
# response, so a client's keep-alive or pooling would gain nothing. `client_cpu_ms` is recorded
# beside each result, so every run shows that the server, not the client, was measured.
def load(port: int, path: str, *, headers: dict[str, str], seconds: float, connections: int) -> Run:
    """GET `path` on loopback from `connections` threads, one request after another each, for
    `seconds`. A request is an error unless it answers 2xx."""
    runs = [Run() for _ in range(connections)]
    deadline = time.perf_counter() + seconds

    def hammer(run: Run) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            client = http.client.HTTPConnection(HOST, port, timeout=30)
            try:
                client.request("GET", path, headers=headers)
                response = client.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                run.failed(repr(error))
                continue
            finally:
                client.close()
            run.durations.append(time.perf_counter() - started)
            if 200 <= response.status < 300:
                run.ok += 1
            else:
                run.failed(f"HTTP {response.status} {response.getheader('Location') or ''}".strip())

    started = time.perf_counter()
    threads = [threading.Thread(target=hammer, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Run(seconds=time.perf_counter() - started)
    for run in runs:
        total.merge(run)
    return total


# --- The server -------------------------------------------------------------------------------
def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL (as config.settings reads it) for the database `settings_dict` describes."""
    engine = settings_dict["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(settings_dict['NAME']).resolve()}"
    if engine == "django.db.backends.postgresql":
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        # A socket directory as host is percent-encoded, as dj-database-url expects it.
        host = quote(settings_dict.get("HOST") or "", safe="")
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"
    raise ValueError(f"no DATABASE_URL for the database engine {engine}")


def server_environment(*, static_root: Path) -> dict[str, str]:
    """The environment of a production-like server on this process's database: DEBUG off with
    the variables config.settings then requires, and the HTTPS-only protections off, since
    loopback is plain HTTP."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SERVER_SETTINGS,
        "DATABASE_URL": database_url(connection.settings_dict),
        "DEBUG": "0",
        # A session's auth hash is an HMAC under SECRET_KEY: the server must share this key to
        # accept the sessions made here.
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "BEHIND_HTTPS_PROXY": "0",
        "STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING",
    }


def collect_static(env: dict[str, str]) -> None:
    """With DEBUG off every page looks its static files up in collectstatic's manifest."""
    collected = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "collectstatic", "--no-input", "-v0"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    if collected.returncode:
        raise RuntimeError(f"collectstatic failed for the server:\n{collected.stderr[-2000:]}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-2000:]


def _wait_until_healthy(port: int, process: subprocess.Popen, log: IO[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped with exit code {process.returncode}:\n{_tail(log)}")
        client = http.client.HTTPConnection(HOST, port, timeout=5)
        try:
            client.request("GET", "/health/")
            if client.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
        finally:
            client.close()
    raise RuntimeError(f"gunicorn did not answer /health/ within {SERVER_START_SECONDS} s:\n{_tail(log)}")


@contextmanager
def gunicorn_server(env: dict[str, str], *, log: IO[bytes] | None = None) -> Iterator[int]:
    """gunicorn serving config.wsgi with WORKERS sync workers on a free loopback port, once
    /health/ answers; yields the port and always stops the server. Its output goes to `log` when
    given (for the caller to read afterwards), else to a temporary file."""
    port = free_port()
    with tempfile.TemporaryFile() if log is None else nullcontext(log) as output:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "config.wsgi:application"),
                *("--workers", str(WORKERS), "--worker-class", "sync"),
                *("--bind", f"{HOST}:{port}", "--chdir", str(settings.BASE_DIR)),
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_healthy(port, process, output)
            yield port
        finally:
            # gunicorn's quick shutdown: nothing is in flight any more, so a graceful one would
            # only wait.
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def login_session(user: User) -> str:
    """The key of a new signed-in session for `user`, written straight to the session store: no
    login signal fires, so neither last_login nor axes' access log changes the dataset."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = MODEL_BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def end_sessions(keys: list[str]) -> None:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store(session_key=key).delete()


def throughput(results, *, seconds: float = 10) -> None:
    """Requests/s, errors and latency under gunicorn for "hello" and the public pool page (as
    LOAD_USER), and the pool page's share of hello's requests/s (the issue's budget, a figure)."""
    session_key = login_session(User.objects.get(username=LOAD_USER))
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}"}
    targets = {"hello": HELLO_PATH, "public pool page": reverse("crm:customer-pool")}
    runs: dict[str, Run] = {}
    client_cpu_ms: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="educrm-bench-static-") as static_root:
            env = server_environment(static_root=Path(static_root))
            collect_static(env)
            with gunicorn_server(env) as port:
                for name, path in targets.items():
                    measure = partial(load, port, path, headers=headers, connections=LOAD_CONNECTIONS)
                    measure(seconds=min(WARM_UP_SECONDS, seconds))
                    cpu_before = time.process_time()
                    runs[name] = measure(seconds=seconds)
                    client_cpu = time.process_time() - cpu_before
                    client_cpu_ms[name] = round(client_cpu * 1000 / max(runs[name].requests, 1), 3)
    finally:
        end_sessions([session_key])
    hello, pool = runs["hello"], runs["public pool page"]
    results.add("load", "hello", **hello.figures(), client_cpu_ms=client_cpu_ms["hello"])
    results.add(
        "load",
        "public pool page",
        **pool.figures(),
        client_cpu_ms=client_cpu_ms["public pool page"],
        share_of_hello=round(pool.per_second / hello.per_second, 3) if hello.per_second else 0.0,
        budget_share_of_hello=POOL_SHARE_OF_HELLO_BUDGET,
    )
    for name, run in runs.items():
        results.check(
            f"throughput: {name} answers every request",
            run.requests > 0 and run.errors == 0,
            run.summary(),
        )


# --- The races --------------------------------------------------------------------------------
def run_together(targets: list[Callable[[], object]]) -> list[object]:
    """Run each callable in a thread of its own, all released at one moment; returns what each
    returned or raised, in order. Each thread has its own database connection (Django's are per
    thread) and closes it when it ends."""
    barrier = threading.Barrier(len(targets))
    outcomes: list[object] = [RuntimeError("the thread did not finish")] * len(targets)

    def run(index: int, target: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=60)
            outcomes[index] = target()
        except Exception as error:  # reported with the outcomes, not lost in the thread
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, target)) for index, target in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return outcomes


@contextmanager
def signed_in_clients(users: list[User]) -> Iterator[list[Client]]:
    """A test client per user, signed in; the sessions are deleted afterwards. The clients call
    the views in this process, so each runs in its caller's thread and database connection."""
    keys = [login_session(user) for user in users]
    clients = []
    for key in keys:
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = key
        clients.append(client)
    try:
        # The test client's host name; posts go out as HTTPS (`secure=True`), so with DEBUG off
        # the HTTPS redirect does not apply either.
        with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
            yield clients
    finally:
        end_sessions(keys)


def _last_pk(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _consultants() -> QuerySet[User]:
    return (
        User.objects.filter(roles__slug=SALES, is_active=True)
        .exclude(username__startswith=CLAIMER_PREFIX)
        .order_by("username")
    )


@contextmanager
def claimers(count: int, policy: PoolPolicy) -> Iterator[list[User]]:
    """`count` consultants who may still claim (below the private cap): existing ones first, the
    rest made for the race and deleted afterwards."""
    unsigned = Q(customers__is_deleted=False, customers__status=Customer.Status.UNSIGNED)
    eligible = list(
        _consultants()
        .annotate(held=Count("customers", filter=unsigned))
        .filter(held__lt=policy.private_cap)[:count]
    )
    made = []
    if len(eligible) < count:
        role = Role.objects.get(slug=SALES)
        department = Department.objects.filter(code="sales").first()
        for number in range(count - len(eligible)):
            user, _created = User.objects.get_or_create(
                username=f"{CLAIMER_PREFIX}{number:02d}",
                defaults={
                    "display_name": f"Bench claimer {number}",
                    "department": department,
                    "password": "!",
                },
            )
            role.users.add(user)
            made.append(user)
    try:
        yield eligible + made
    finally:
        User.objects.filter(pk__in=[user.pk for user in made]).delete()


def race_customer(users: list[User], policy: PoolPolicy) -> Customer | None:
    """A pool customer none of `users` gave up within the cooldown (which would refuse them)."""
    since = timezone.now() - timedelta(days=policy.cooldown_days)
    gave_up = OwnershipEvent.objects.filter(
        from_user__in=users,
        kind__in=(OwnershipEvent.Kind.RELEASE, OwnershipEvent.Kind.AUTO_RETURN),
        at__gte=since,
    ).values("customer_id")
    return customers_in_pool().exclude(pk__in=gave_up).first()


def _claim_verdict(
    users: list[User], outcomes: list[object], customer: Customer, first_event: int
) -> list[str]:
    """What went wrong in a claim race: [] when exactly one user won, every other one was told
    who did, nobody met an error, and the history has exactly the winner's claim."""
    owner = Customer.objects.select_related("consultant").get(pk=customer.pk).consultant
    problems, winners = [], []
    for user, outcome in zip(users, outcomes, strict=True):
        if isinstance(outcome, Exception):
            problems.append(f"{user}: {outcome!r}")
            continue
        if outcome.status_code != 302:
            problems.append(f"{user}: HTTP {outcome.status_code}")
            continue
        notes = list(get_messages(outcome.wsgi_request))
        if any(note.level == message_levels.SUCCESS for note in notes):
            winners.append(user)
        elif owner is None or not any(
            note.level == message_levels.ERROR and str(owner) in note.message for note in notes
        ):
            problems.append(f"{user}: no refusal naming the winner in {[note.message for note in notes]}")
    if len(winners) != 1:
        problems.append(f"{len(winners)} winners")
    elif owner != winners[0]:
        problems.append(f"{winners[0]} won but the customer belongs to {owner}")
    claims = list(
        OwnershipEvent.objects.filter(
            customer_id=customer.pk, pk__gt=first_event, kind=OwnershipEvent.Kind.CLAIM
        ).values_list("to_user_id", flat=True)
    )
    if claims != [owner.pk if owner else None]:
        problems.append(f"{len(claims)} claim events in the history")
    return problems


def claim_race(results, *, clients: int) -> None:
    """`clients` consultants post "claim" for one pool customer at the same moment."""
    name = "claim race: exactly one winner"
    policy = PoolPolicy.current()
    with claimers(clients, policy) as users:
        customer = race_customer(users, policy)
        if customer is None:
            results.check(name, False, "no pool customer to claim")
            return
        before = Customer.objects.filter(pk=customer.pk).values(*CLAIM_FIELDS).get()
        first_event = _last_pk(OwnershipEvent)
        url = reverse("crm:customer-claim", args=[customer.pk])
        try:
            with signed_in_clients(users) as race_clients:
                started = time.perf_counter()
                outcomes = run_together([partial(client.post, url, secure=True) for client in race_clients])
                elapsed = time.perf_counter() - started
                problems = _claim_verdict(users, outcomes, customer, first_event)
        finally:
            # Back to the pool as it was: no claim, no release in the history.
            OwnershipEvent.objects.filter(customer_id=customer.pk, pk__gt=first_event).delete()
            Customer.objects.filter(pk=customer.pk).update(**before)
    results.add(
        "concurrency",
        "claim race",
        clients=clients,
        errors=sum(isinstance(outcome, Exception) or outcome.status_code != 302 for outcome in outcomes),
        wall_ms=round(elapsed * 1000, 1),
    )
    results.check(name, not problems, "; ".join(problems) or f"{clients} clients, one winner")


def follow_up_writers(count: int) -> list[tuple[User, Customer]]:
    """`count` (consultant, own customer) pairs, a different consultant each while there are
    enough consultants with customers; after that they take turns."""
    pairs = []
    for user in _consultants()[:200]:
        customer = Customer.objects.live().filter(consultant=user).order_by("pk").first()
        if customer is not None:
            pairs.append((user, customer))
            if len(pairs) == count:
                break
    return [pairs[index % len(pairs)] for index in range(count)] if pairs else []


def _write_follow_ups(client: Client, url: str, data: dict, seconds: float) -> Run:
    run = Run(seconds=seconds)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            response = client.post(url, data, secure=True)
        except Exception as error:  # a 500 in the view; counted, and the writer carries on
            run.failed(repr(error))
            continue
        finally:
            # As at the end of a real request (the test client skips it): the connection is
            # closed unless DATABASE_CONN_MAX_AGE keeps it, so reopening it is part of the cost.
            close_old_connections()
        run.durations.append(time.perf_counter() - started)
        if response.status_code == 302:
            run.ok += 1
        else:
            run.failed(f"HTTP {response.status_code}")
    return run


def follow_up_writes(results, *, clients: int, seconds: float) -> None:
    """`clients` consultants post follow-ups on their own customers for `seconds`; every post
    must be written, counted on its day, and free of "database is locked". The follow-ups are
    deleted afterwards and the customers and day counts put back."""
    writers = follow_up_writers(clients)
    if not writers:
        results.check("follow-up writes: no errors", False, "no consultant owns a customer")
        return
    channel = (
        DictItem.objects.filter(kind=DictItem.Kind.FOLLOW_UP_CHANNEL, is_active=True).order_by("pk").first()
    )
    data = {"channel": channel.pk, "intent": "", "content": FOLLOW_UP_TEXT, "next_at": ""}
    consultant_ids = {user.pk for user, _customer in writers}
    customer_ids = {customer.pk for _user, customer in writers}
    first_day = timezone.localdate()
    days = FollowUpDay.objects.filter(consultant_id__in=consultant_ids, day__gte=first_day)
    days_before = dict(days.values_list("pk", "count"))
    customers_before = list(Customer.objects.filter(pk__in=customer_ids).values("pk", *FOLLOW_UP_FIELDS))
    written = FollowUp.objects.filter(pk__gt=_last_pk(FollowUp), customer_id__in=customer_ids)
    try:
        with signed_in_clients([user for user, _customer in writers]) as write_clients:
            started = time.perf_counter()
            outcomes = run_together(
                [
                    partial(
                        _write_follow_ups,
                        client,
                        reverse("crm:followup-create", args=[customer.pk]),
                        data,
                        seconds,
                    )
                    for client, (_user, customer) in zip(write_clients, writers, strict=True)
                ]
            )
            total = Run(seconds=time.perf_counter() - started)
        for outcome in outcomes:
            if isinstance(outcome, Run):
                total.merge(outcome)
            else:
                total.failed(repr(outcome))
        rows = written.count()
        days_grew = (days.aggregate(total=Sum("count"))["total"] or 0) - sum(days_before.values())
    finally:
        written.delete()
        for pk, count in days.values_list("pk", "count"):
            if pk not in days_before:
                FollowUpDay.objects.filter(pk=pk).delete()
            elif count != days_before[pk]:
                FollowUpDay.objects.filter(pk=pk).update(count=days_before[pk])
        for values in customers_before:
            Customer.objects.filter(pk=values.pop("pk")).update(**values)
    results.add(
        "concurrency",
        "follow-up writes",
        clients=clients,
        seconds=round(total.seconds, 2),
        writes=rows,
        writes_per_s=round(rows / total.seconds, 1) if total.seconds else 0.0,
        errors=total.errors,
        p50_ms=percentile_ms(total.durations, 50),
        p95_ms=percentile_ms(total.durations, 95),
    )
    results.check("follow-up writes: no errors", rows > 0 and total.errors == 0, total.summary())
    results.check(
        'follow-up writes: no "database is locked"', total.locked == 0, f"{total.locked} times locked"
    )
    results.check(
        "follow-up writes: per-day counts grew by the follow-ups written",
        days_grew == rows == total.ok,
        f"{total.ok} posts saved, {rows} follow-ups written, per-day counts +{days_grew}",
    )


def concurrency(results, *, clients: int = 16, seconds: float = 10) -> None:
    """The claim race (exactly one winner) and concurrent follow-up writes, on whatever database
    this process uses (SQLite or PostgreSQL, the same code)."""
    claim_race(results, clients=clients)
    follow_up_writes(results, clients=clients, seconds=seconds)
