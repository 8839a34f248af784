"""Load (issue 8): the server as production runs it (gunicorn, two sync workers, DEBUG off, the
settings of bench.load.server_environment) on the shared database (a file on SQLite, the test
database on PostgreSQL), and sixteen consultants, each signed in with a session of their own in a
thread of this process, writing for 30 seconds over real HTTP as a browser does: open the page,
post its form with the page's CSRF token, follow the redirect. The mix: follow-ups on their own
customers, new customers, claims from the public pool (where they collide) and releases of what
they claimed.

Every answer that is not the one expected is an error (a refused claim is expected: it lands on
a page with the refusal), and there must be none; the server's output must hold no traceback and
no "database is locked"; afterwards the database must say what the answers said: one follow-up
per logged follow-up, one customer and one "create" event per saved customer, one event per
claim and per release, each customer's events chaining to its owner, and each consultant owning
exactly what their pages told them. Requests and writes per second are reported.
"""

from __future__ import annotations

import http.client
import random
import re
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import partial
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Sum
from django.urls import reverse

from bench import load
from crm.models import Customer, FollowUp, FollowUpDay, OwnershipEvent
from tests.crm.conftest import customer_data, make_consultants, pool_customers, pool_policy, shared_db
from tests.security.contenders import alerts_in, csrf_token_in

__all__ = ["shared_db"]

Kind = OwnershipEvent.Kind
WRITERS = 16
SECONDS = 30
POOL_SIZE = 300
# How often each write is chosen: mostly follow-ups, as a consultant's day is.
MIX = {"follow_up": 5, "create": 2, "claim": 2, "release": 1}
FOLLOW_UP_TEXT = "压测：电话沟通，学员考虑中。"
# What the server must never print.
SERVER_FAILURES = ("Traceback", "database is locked", "WORKER TIMEOUT")


@dataclass
class Page:
    status: int
    location: str
    text: str


class Browser:
    """One consultant's browser: its cookies (session, CSRF, language, messages) kept between
    requests, every request a new connection (gunicorn's sync workers close each one), each
    answer timed and checked into `run`."""

    def __init__(self, port: int, session_key: str, run: load.Run) -> None:
        self.port, self.run = port, run
        self.origin = f"http://{load.HOST}:{port}"
        self.cookies = {settings.SESSION_COOKIE_NAME: session_key, settings.LANGUAGE_COOKIE_NAME: "en"}

    def request(self, method: str, path: str, *, expect: int, form: dict | None = None) -> Page | None:
        """The page, or None after counting an error (an unexpected status or no answer)."""
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin})
        started = time.perf_counter()
        connection = http.client.HTTPConnection(load.HOST, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            page = Page(response.status, response.getheader("Location") or "", response.read().decode())
            set_cookies = response.headers.get_all("Set-Cookie") or []
        except (OSError, http.client.HTTPException) as error:
            self.run.failed(f"{method} {path}: {error!r}")
            return None
        finally:
            connection.close()
        self.run.durations.append(time.perf_counter() - started)
        for header in set_cookies:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    # As the browser got it (quoted where needed): Django's parse_cookie unquotes.
                    self.cookies[name] = morsel.coded_value
                else:
                    self.cookies.pop(name, None)
        if page.status != expect:
            self.run.failed(f"{method} {path}: HTTP {page.status} {page.location}".strip())
            return None
        self.run.ok += 1
        return page

    def submit(self, page_path: str, post_path: str, data: dict) -> tuple[Page, Page] | None:
        """Open `page_path`, post `data` with its CSRF token to `post_path`, follow the redirect:
        (the POST's answer, the page it landed on), or None after counting an error."""
        page = self.request("GET", page_path, expect=200)
        if page is None:
            return None
        posted = self.request(
            "POST", post_path, expect=302, form={**data, "csrfmiddlewaretoken": csrf_token_in(page.text)}
        )
        if posted is None:
            return None
        landing = self.request("GET", posted.location, expect=200)
        return None if landing is None else (posted, landing)


@dataclass
class Writer:
    """What one consultant did, as their pages told them."""

    index: int
    run: load.Run = field(default_factory=load.Run)
    writes: Counter = field(default_factory=Counter)
    # Customers the pages said are theirs: entered by them, and claimed by them.
    entered: set[int] = field(default_factory=set)
    claimed: set[int] = field(default_factory=set)


def path_pattern(url_name: str) -> re.Pattern:
    """A pattern of `url_name`'s path that captures the customer's number."""
    number = "987654321"
    return re.compile(re.escape(reverse(url_name, args=[number])).replace(number, r"(\d+)"))


CLAIM_BUTTON = path_pattern("crm:customer-claim")
DETAIL_PATH = path_pattern("crm:customer-detail")


def write(writer: Writer, browser: Browser, world, deadline: float) -> Writer:
    """Write the mix until `deadline`."""
    chooser = random.Random(writer.index)
    actions, weights = zip(*MIX.items(), strict=True)
    numbers = iter(range(1_000_000))
    while time.perf_counter() < deadline:
        action = chooser.choices(actions, weights)[0]
        own = sorted(writer.entered | writer.claimed)
        if action == "follow_up" and own:
            pk = chooser.choice(own)
            url = reverse("crm:followup-create", args=[pk])
            data = {"channel": world.channel.pk, "intent": "", "content": FOLLOW_UP_TEXT, "next_at": ""}
            done = browser.submit(url, url, data)
            if done and _says(writer, done[1], "success", "The follow-up was logged."):
                writer.writes["follow_up"] += 1
        elif action == "create":
            number = next(numbers)
            data = customer_data(
                world, name=f"压测{writer.index}-{number}", phone=f"139{writer.index:02d}{number:06d}"
            )
            url = reverse("crm:customer-create")
            done = browser.submit(url, url, data)
            if done and _says(writer, done[1], "success", "Saved “"):
                writer.entered.add(int(DETAIL_PATH.fullmatch(done[0].location).group(1)))
                writer.writes["create"] += 1
        elif action == "claim":
            _claim(writer, browser, chooser)
        elif action == "release" and writer.claimed:
            pk = chooser.choice(sorted(writer.claimed))
            done = browser.submit(
                reverse("crm:customer-detail", args=[pk]),
                reverse("crm:customer-release", args=[pk]),
                {"reason": "压测释放"},
            )
            if done and _says(writer, done[1], "success", "went back to the public pool"):
                writer.claimed.discard(pk)
                writer.writes["release"] += 1
    return writer


def _claim(writer: Writer, browser: Browser, chooser: random.Random) -> None:
    """Claim one of the customers on the first page of the pool: won, or refused with a message
    (a colleague was faster, or this consultant released it within the cooldown)."""
    pool = browser.request("GET", reverse("crm:customer-pool"), expect=200)
    if pool is None:
        return
    buttons = CLAIM_BUTTON.findall(pool.text)
    if not buttons:
        return
    pk = int(chooser.choice(buttons))
    posted = browser.request(
        "POST",
        reverse("crm:customer-claim", args=[pk]),
        expect=302,
        form={"csrfmiddlewaretoken": csrf_token_in(pool.text)},
    )
    landing = posted and browser.request("GET", posted.location, expect=200)
    if not landing:
        return
    alerts = alerts_in(landing.text)
    if any(level == "success" and "is now your customer" in text for level, text in alerts):
        writer.claimed.add(pk)
        writer.writes["claim"] += 1
    elif any(level == "danger" for level, _text in alerts):
        writer.writes["claim refused"] += 1
    else:
        writer.run.failed(f"claim of {pk}: landed on {posted.location} without a message")


def _says(writer: Writer, page: Page, level: str, text: str) -> bool:
    if any(shown_level == level and text in shown for shown_level, shown in alerts_in(page.text)):
        return True
    writer.run.failed(f"expected {level} {text!r}, the page said {alerts_in(page.text)}")
    return False


def event_chain_problems(customer_ids: list[int]) -> list[str]:
    """Customers whose ownership events do not chain (each starting from the previous owner)
    to their current owner."""
    owners = dict(Customer.objects.filter(pk__in=customer_ids).values_list("pk", "consultant_id"))
    events = defaultdict(list)
    rows = OwnershipEvent.objects.filter(customer_id__in=customer_ids).order_by("pk")
    for customer_id, kind, from_user, to_user in rows.values_list(
        "customer_id", "kind", "from_user_id", "to_user_id"
    ):
        events[customer_id].append((kind, from_user, to_user))
    problems = []
    for customer_id in customer_ids:
        owner = None
        for kind, from_user, to_user in events[customer_id]:
            if kind != Kind.CREATE and from_user != owner:
                problems.append(f"customer {customer_id}: {kind} from {from_user} while {owner} owned it")
            owner = to_user
        if owner != owners[customer_id]:
            problems.append(f"customer {customer_id}: owned by {owners[customer_id]}, the events say {owner}")
    return problems


def test_sixteen_consultants_writing_for_30_seconds_under_gunicorn(shared_db, world, capsys, record_property):
    pool_policy(private_cap=10_000)
    consultants = make_consultants(world, WRITERS, prefix="writer")
    pool = [customer.pk for customer in pool_customers(world, POOL_SIZE, prefix="公海")]
    sessions = [load.login_session(user) for user in consultants]
    writers = [Writer(index) for index in range(WRITERS)]
    with (
        tempfile.TemporaryDirectory(prefix="educrm-load-static-") as static_root,
        tempfile.TemporaryFile() as log,
    ):
        env = load.server_environment(static_root=Path(static_root))
        load.collect_static(env)
        with load.gunicorn_server(env, log=log) as port:
            browsers = [Browser(port, key, writer.run) for key, writer in zip(sessions, writers, strict=True)]
            started = time.perf_counter()
            deadline = started + SECONDS
            outcomes = load.run_together(
                [
                    partial(write, writer, browser, world, deadline)
                    for writer, browser in zip(writers, browsers, strict=True)
                ]
            )
            elapsed = time.perf_counter() - started
        log.seek(0)
        server_output = log.read().decode(errors="replace")

    total = load.Run(seconds=elapsed)
    writes = Counter()
    for outcome in outcomes:
        assert isinstance(outcome, Writer), outcome  # a writer that raised
        total.merge(outcome.run)
        writes.update(outcome.writes)
    written = sum(count for kind, count in writes.items() if kind != "claim refused")
    figures = {
        **total.figures(),
        "seconds": round(elapsed, 1),
        "writes": written,
        "writes_per_s": round(written / elapsed, 1),
        **{kind.replace(" ", "_"): count for kind, count in sorted(writes.items())},
    }
    for name, value in figures.items():
        record_property(name, value)
    with capsys.disabled():
        print(f"\nload on {shared_db.vendor} under gunicorn ({load.WORKERS} sync workers): {figures}")

    problems = [total.summary()] if total.errors else []
    problems += [f"the server printed {failure!r}" for failure in SERVER_FAILURES if failure in server_output]
    assert problems == [], server_output[-3000:]
    assert min(writes[kind] for kind in MIX) > 0, writes

    users = [user.pk for user in consultants]
    assert FollowUp.objects.filter(consultant__in=users).count() == writes["follow_up"]
    days = FollowUpDay.objects.filter(consultant__in=users).aggregate(total=Sum("count"))["total"]
    assert days == writes["follow_up"]
    entered = Customer.objects.filter(created_by__in=users)
    assert entered.count() == writes["create"]
    creates = Counter(OwnershipEvent.objects.filter(kind=Kind.CREATE).values_list("customer_id", flat=True))
    assert creates == Counter(entered.values_list("pk", flat=True))
    events = Counter(OwnershipEvent.objects.filter(by__in=users).values_list("kind", flat=True))
    assert (events[Kind.CLAIM], events[Kind.RELEASE]) == (writes["claim"], writes["release"])
    assert event_chain_problems(pool + list(entered.values_list("pk", flat=True))) == []
    for user, writer in zip(consultants, writers, strict=True):
        owned = set(Customer.objects.filter(consultant=user).values_list("pk", flat=True))
        assert owned == writer.entered | writer.claimed, user


def test_the_event_check_finds_owners_the_events_do_not_explain(world):
    """What event_chain_problems guards against: an owner set without an event, and a claim of a
    customer somebody owned."""
    lead = world.pool_lead
    assert event_chain_problems([lead.pk]) == []

    Customer.objects.filter(pk=lead.pk).update(consultant=world.sales)
    assert event_chain_problems([lead.pk]) == [
        f"customer {lead.pk}: owned by {world.sales.pk}, the events say None"
    ]

    OwnershipEvent.objects.create(customer=lead, kind=Kind.CLAIM, to_user=world.sales, by=world.sales)
    assert event_chain_problems([lead.pk]) == []

    OwnershipEvent.objects.create(customer=lead, kind=Kind.CLAIM, to_user=world.sales2, by=world.sales2)
    Customer.objects.filter(pk=lead.pk).update(consultant=world.sales2)
    assert event_chain_problems([lead.pk]) == [
        f"customer {lead.pk}: claim from None while {world.sales.pk} owned it"
    ]
