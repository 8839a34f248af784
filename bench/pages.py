"""Server time per page, measured in-process, the floors under it, and the query budget.

Each page is requested by Django's test client, signed in as the user who opens it in real
life, a few times to warm up, once more to count its queries, then `requests` times timed.
The list pages are also timed as the bare SQL that fetches their rows (the floor), and as a view
that does nothing at all (hello).
"""

from __future__ import annotations

import math
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import close_old_connections, connection
from django.db.models import Exists, OuterRef
from django.http import HttpResponse, QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts.models import User
from bench.results import Results
from crm import selectors
from crm.demo import CONTENTS
from crm.filters import CustomerFilter
from crm.models import ClassList, Customer, DictItem, FollowUp, OwnershipEvent, PoolPolicy
from crm.services import follow_up_days_add

QUERY_BUDGET = 12
WARMUP = 5
DEEP_PAGE = 1000
FOLLOW_UPS_ON_DETAIL = 50
# The largest private cap the pool rules accept: the claimer may hold every customer it claims.
CLAIMER_CAP = 100_000
CLAIM_BUDGET_MS = 10
SUPERUSER = "bench-superuser"
# The demo logins who open each page (seeddemo creates them at every size).
DEMO_USERS = {
    "consultant": "sales1",
    "claimer": "sales2",
    "manager": "manager",
    "teacher": "teacher1",
    "student": "student1",
}
ROSTER_COURSE, ROSTER_SEMESTER = "Python全栈开发", 9
LIST_URLS = {"pool": "crm:customer-pool", "mine": "crm:customer-mine", "all": "crm:customer-list"}


class BenchSetupError(Exception):
    """The database lacks something the pages are measured with."""


class UnexpectedStatus(Exception):
    """A page answered something else than it should: its timings would mean nothing."""


@dataclass(frozen=True)
class Cast:
    """Who opens the pages, and the records they open."""

    consultant: User  # the pool, their own customers, the customer detail
    claimer: User  # claims from the pool (kept apart so "my customers" stays the same)
    manager: User  # all customers, the searches, the report
    teacher: User
    student: User
    superuser: User  # the Django admin peer
    customer: Customer  # the consultant's, with FOLLOW_UPS_ON_DETAIL follow-ups; also searched for
    class_list: ClassList  # the teacher's Python 9
    source: DictItem  # the filtered list's source


@dataclass(frozen=True)
class Timing:
    durations_ms: list[float] = field(repr=False)
    queries: int

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.durations_ms)

    @property
    def p95_ms(self) -> float:
        if len(self.durations_ms) < 2:
            return self.durations_ms[0]
        return statistics.quantiles(self.durations_ms, n=20, method="inclusive")[18]

    def figures(self) -> dict:
        return {"p50_ms": round(self.p50_ms, 3), "p95_ms": round(self.p95_ms, 3), "queries": self.queries}


@dataclass(frozen=True)
class Listing:
    """One of the customer lists (crm.selectors.CUSTOMER_LISTS) with its query parameters."""

    kind: str
    params: dict[str, str]

    @property
    def url(self) -> str:
        return f"{reverse(LIST_URLS[self.kind])}?{urlencode(self.params)}"

    def resized(self, size: int) -> Listing:
        return Listing(self.kind, {**self.params, "size": str(size)})


@dataclass(frozen=True)
class Page:
    name: str
    user: User
    url: str
    budget_ms: float
    listing: Listing | None = None


# --- Setup ------------------------------------------------------------------------------------
def prepare(*, consultant: User, claimer: User, manager: User, teacher: User, student: User) -> Cast:
    """The bench setup, idempotent: a superuser for the admin peer, the pool rules' private cap at
    its maximum (so the claimer is never refused for holding too many), and the consultant's
    oldest customer with at least FOLLOW_UPS_ON_DETAIL follow-ups."""
    PoolPolicy.current()
    PoolPolicy.objects.filter(private_cap__lt=CLAIMER_CAP).update(private_cap=CLAIMER_CAP)
    class_list = (
        ClassList.objects.filter(teachers=teacher, course__name=ROSTER_COURSE, semester=ROSTER_SEMESTER)
        .order_by("pk")
        .first()
    )
    source = DictItem.objects.filter(kind=DictItem.Kind.SOURCE).order_by("order", "id").first()
    if class_list is None or source is None:
        raise BenchSetupError(
            f"{teacher} teaches no {ROSTER_COURSE} {ROSTER_SEMESTER}, or there is no source."
        )
    return Cast(
        consultant=consultant,
        claimer=claimer,
        manager=manager,
        teacher=teacher,
        student=student,
        superuser=peer_superuser(),
        customer=customer_with_follow_ups(consultant),
        class_list=class_list,
        source=source,
    )


def demo_cast() -> Cast:
    """The cast of a database made by seeddemo."""
    users = {user.username: user for user in User.objects.filter(username__in=DEMO_USERS.values())}
    missing = sorted(set(DEMO_USERS.values()) - set(users))
    if missing:
        raise BenchSetupError(f"The demo logins {', '.join(missing)} are missing: run seeddemo first.")
    return prepare(**{role: users[username] for role, username in DEMO_USERS.items()})


def peer_superuser() -> User:
    """The superuser who opens the admin peer; no one can sign in as them (no usable password)."""
    user, _created = User.objects.update_or_create(
        username=SUPERUSER,
        defaults={"is_staff": True, "is_superuser": True, "is_active": True},
        create_defaults={
            "is_staff": True,
            "is_superuser": True,
            "is_active": True,
            "password": make_password(None),
            "display_name": "Benchmark",
        },
    )
    return user


def customer_with_follow_ups(consultant: User) -> Customer:
    """The consultant's oldest live customer, topped up to FOLLOW_UPS_ON_DETAIL follow-ups dated
    before its latest one (so the pool rules see no change), counted per day like any other."""
    customer = Customer.objects.live().filter(consultant=consultant).order_by("pk").first()
    channel = DictItem.objects.filter(kind=DictItem.Kind.FOLLOW_UP_CHANNEL).order_by("order", "id").first()
    if customer is None or channel is None:
        raise BenchSetupError(f"{consultant} owns no customer, or there is no follow-up channel.")
    missing = FOLLOW_UPS_ON_DETAIL - customer.follow_ups.count()
    if missing > 0:
        latest = customer.last_follow_up_at or timezone.now()
        added = FollowUp.objects.bulk_create(
            FollowUp(
                customer=customer,
                consultant=consultant,
                channel=channel,
                content=CONTENTS[number % len(CONTENTS)],
                at=latest - timedelta(days=number),
            )
            for number in range(missing)
        )
        follow_up_days_add(Counter((consultant.pk, timezone.localdate(item.at)) for item in added))
        if customer.last_follow_up_at is None:
            Customer.objects.filter(pk=customer.pk).update(last_follow_up_at=latest)
    return customer


@contextmanager
def bench_environment() -> Iterator[None]:
    """What in-process measuring needs: the benchmark's URLconf (hello, the admin peer), DEBUG
    off as in production (DEBUG logs every query), and the test client's host allowed."""
    with override_settings(
        ROOT_URLCONF="bench.urls", DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]
    ):
        yield


# --- Measuring --------------------------------------------------------------------------------
def _end_request() -> None:
    """What the end of a real request does to the database connection: close it unless
    DATABASE_CONN_MAX_AGE keeps it (the test client skips this, so without it the timings would
    never include opening a connection). A caller's open transaction (a test's) must survive."""
    if not connection.in_atomic_block:
        close_old_connections()


def sample(call: Callable[[int], object], *, requests: int, warmup: int) -> Timing:
    """`call(i)` for i = 0, 1, ...: `warmup` times, once counting queries, then `requests` times
    timed. Each call gets its own i, so a call that changes data (a claim) can use a fresh row."""
    for number in range(warmup):
        call(number)
        _end_request()
    with CaptureQueriesContext(connection) as captured:
        call(warmup)
    # Read now: the capture is a slice of the connection's query log, which the next request clears.
    queries = len(captured)
    _end_request()
    durations = []
    for number in range(warmup + 1, warmup + 1 + requests):
        started = time.perf_counter()
        call(number)
        durations.append((time.perf_counter() - started) * 1000)
        _end_request()
    return Timing(durations, queries)


def expecting(status: int, send: Callable[[int], HttpResponse]) -> Callable[[int], HttpResponse]:
    def call(number: int) -> HttpResponse:
        response = send(number)
        if response.status_code != status:
            raise UnexpectedStatus(f"answered {response.status_code} instead of {status}")
        return response

    return call


def signed_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def query_count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        expecting(200, lambda _number: client.get(url))(0)
    queries = len(captured)
    _end_request()
    return queries


def list_rows(listing: Listing, user: User):
    """The rows a list page shows, built as the view builds them: the list's scope, its joins,
    the filter, the page's slice."""
    filterset = CustomerFilter(
        QueryDict(urlencode(listing.params)),
        queryset=selectors.customers_for_list(selectors.CUSTOMER_LISTS[listing.kind](user)),
    )
    if not filterset.is_valid():
        raise BenchSetupError(f"{listing.url}: {filterset.errors.as_text()}")
    size = int(listing.params.get("size", settings.LIST_PAGE_SIZES[0]))
    start = (int(listing.params.get("page", 1)) - 1) * size
    return filterset.qs[start : start + size]


def floor(listing: Listing, user: User, *, requests: int, warmup: int) -> tuple[Timing, int]:
    """The list page's rows fetched with its own SQL on a bare cursor; also how many rows."""
    sql, params = list_rows(listing, user).query.sql_with_params()
    fetched = []

    def fetch(_number: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched[:] = cursor.fetchall()

    return sample(fetch, requests=requests, warmup=warmup), len(fetched)


def last_page(queryset, size: int) -> int:
    return max(1, math.ceil(queryset.count() / size))


def deep_page(size: int) -> int:
    """Page 1000 of the pool, or its last page on a pool too small for that many."""
    return min(DEEP_PAGE, last_page(selectors.customers_in_pool(), size))


def customer_pages(cast: Cast) -> list[Page]:
    """Every page with its p95 budget at L on SQLite (issue 7), except the claim (a POST)."""
    customer = cast.customer
    filtered = {"source": str(cast.source.pk), "stale_days": "30"}
    pool_deep = Listing("pool", {"page": str(deep_page(settings.LIST_PAGE_SIZES[0]))})
    listings = [
        ("pool page 1", cast.consultant, 30, Listing("pool", {})),
        ("pool page 1000", cast.consultant, 30, pool_deep),
        ("my customers", cast.consultant, 20, Listing("mine", {})),
        ("filtered all customers", cast.manager, 50, Listing("all", filtered)),
        ("search by phone", cast.manager, 15, Listing("all", {"q": customer.phone.removeprefix("+86")})),
        ("search by QQ", cast.manager, 15, Listing("all", {"q": customer.qq})),
        ("search by name", cast.manager, 50, Listing("all", {"q": customer.name})),
        ("search by pinyin", cast.manager, 50, Listing("all", {"q": customer.name_pinyin})),
    ]
    return [Page(name, user, listing.url, budget, listing) for name, user, budget, listing in listings] + [
        Page("customer detail", cast.consultant, reverse("crm:customer-detail", args=[customer.pk]), 30),
        Page("monthly sales report", cast.manager, reverse("reports:sales-report"), 300),
        Page("class roster", cast.teacher, reverse("classroom:class-detail", args=[cast.class_list.pk]), 30),
        Page("student grades", cast.student, reverse("classroom:my-grades"), 30),
    ]


def measure_pages(results: Results, cast: Cast, *, requests: int, warmup: int = WARMUP) -> None:
    """Every page of issue 7 into the "pages" section, the list pages' floors and hello into
    "floors", and the query budget as checks."""
    clients: dict[int, Client] = {}
    sizes = (min(settings.LIST_PAGE_SIZES), max(settings.LIST_PAGE_SIZES))
    for page in customer_pages(cast):
        client = clients.setdefault(page.user.pk, signed_in(page.user))
        try:
            timing = sample(
                expecting(200, lambda _number, url=page.url, client=client: client.get(url)),
                requests=requests,
                warmup=warmup,
            )
        except UnexpectedStatus as error:
            results.check(f"{page.name} answers", False, f"{page.url} {error}")
            continue
        figures = timing.figures()
        if page.listing is not None and "page" in page.listing.params:
            figures["page"] = int(page.listing.params["page"])
        results.add(
            "pages",
            page.name,
            **figures,
            budget_ms=page.budget_ms,
            within_budget=timing.p95_ms <= page.budget_ms,
        )
        _check_budget(results, page.name, timing.queries)
        if page.listing is None:
            continue
        counts = [query_count(client, page.listing.resized(size).url) for size in sizes]
        results.check(
            f"{page.name}: the same queries at {sizes[0]} and {sizes[1]} rows a page",
            counts[0] == counts[1],
            f"{counts[0]} and {counts[1]} queries",
        )
        rows_timing, rows = floor(page.listing, page.user, requests=requests, warmup=warmup)
        results.add(
            "floors",
            page.name,
            p50_ms=round(rows_timing.p50_ms, 3),
            p95_ms=round(rows_timing.p95_ms, 3),
            rows=rows,
            page_p50_ms=round(timing.p50_ms, 3),
            times_floor=round(timing.p50_ms / rows_timing.p50_ms, 1),
        )
    measure_claim(results, cast, requests=requests, warmup=warmup)
    anonymous = signed_in(None)
    hello = sample(
        expecting(200, lambda _number: anonymous.get(reverse("bench-hello"))),
        requests=requests,
        warmup=warmup,
    )
    results.add("floors", "hello", **hello.figures())


def _check_budget(results: Results, name: str, queries: int) -> None:
    results.check(f"{name}: at most {QUERY_BUDGET} queries", queries <= QUERY_BUDGET, f"{queries} queries")


def claim_candidates(claimer: User, count: int) -> list[int]:
    """The newest pool customers the claimer may claim: none they gave up within the cooldown."""
    policy = PoolPolicy.current()
    gave_up = OwnershipEvent.objects.filter(
        customer=OuterRef("pk"),
        from_user=claimer,
        kind__in=(OwnershipEvent.Kind.RELEASE, OwnershipEvent.Kind.AUTO_RETURN),
        at__gte=timezone.now() - timedelta(days=policy.cooldown_days),
    )
    pool = selectors.customers_in_pool().exclude(Exists(gave_up)).order_by("-id")
    return list(pool.values_list("pk", flat=True)[:count])


def measure_claim(results: Results, cast: Cast, *, requests: int, warmup: int) -> None:
    """Each request claims another pool customer (only the claim, not the page it redirects
    to); afterwards they all go back to the pool, so every run measures the same data."""
    wanted = warmup + 1 + requests
    pks = claim_candidates(cast.claimer, wanted)
    if len(pks) < wanted:
        results.check("claim: enough pool customers to claim", False, f"{len(pks)} of {wanted}")
        return
    client = signed_in(cast.claimer)
    started = timezone.now()
    try:
        timing = sample(
            expecting(302, lambda number: client.post(reverse("crm:customer-claim", args=[pks[number]]))),
            requests=requests,
            warmup=warmup,
        )
        claimed = Customer.objects.filter(pk__in=pks, consultant=cast.claimer).count()
    except UnexpectedStatus as error:
        results.check("claim answers", False, str(error))
        return
    finally:
        return_to_pool(pks, cast.claimer, since=started)
    # A refused claim redirects like a successful one: only the database tells them apart.
    results.check(
        "claim: every request claimed its customer", claimed == len(pks), f"{claimed} of {len(pks)}"
    )
    results.add(
        "pages",
        "claim",
        **timing.figures(),
        budget_ms=CLAIM_BUDGET_MS,
        within_budget=timing.p95_ms <= CLAIM_BUDGET_MS,
    )
    _check_budget(results, "claim", timing.queries)


def return_to_pool(pks: list[int], claimer: User, *, since) -> None:
    """Undo the benchmark's claims: the customers and their ownership history as they were."""
    Customer.objects.filter(pk__in=pks, consultant=claimer).update(consultant=None, claimed_at=None)
    OwnershipEvent.objects.filter(
        customer_id__in=pks, kind=OwnershipEvent.Kind.CLAIM, to_user=claimer, at__gte=since
    ).delete()
