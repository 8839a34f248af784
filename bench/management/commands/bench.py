import argparse
import importlib
import traceback
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.pages import BenchSetupError, Cast, bench_environment, demo_cast, measure_pages
from bench.peer_admin import measure_peer
from bench.results import Results
from crm import selectors
from crm.models import ClassList, Customer, FollowUp
from enrollment.models import Enrollment, Payment, Student
from rbac.selectors import users_holding

SIZES = {"S": 10_000, "M": 100_000, "L": 1_000_000}
IMPORT_ROWS = {"S": 10_000, "M": 100_000, "L": 100_000}
# In the order they run: the writing sections last, so the pages are timed on the generated data.
SECTIONS = ("pages", "peer", "load", "concurrency", "imports")
LOAD_SECONDS = 10
CONCURRENT_CLIENTS = 16


def section_list(value: str) -> tuple[str, ...]:
    chosen = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose among {', '.join(SECTIONS)}")
    return chosen


def at_least_one(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


class Command(BaseCommand):
    help = (
        "Issue 7's benchmark on the current database (DATABASE_URL): server time per page with "
        "its floors, the Django admin peer, imports, throughput and concurrency; writes "
        "results.json and results.md under --output and exits with 1 if a check failed (query "
        "budgets, race outcomes; timings are never checks). It first applies migrations, "
        "generates customers with seeddemo when the database has fewer than the size asks for "
        "(S=10,000, M=100,000, L=1,000,000), and runs ANALYZE. Its setup changes the database, "
        "idempotently: a superuser 'bench-superuser' without a usable password (for the admin "
        "peer), the pool rules' private cap raised to 100,000 (so sales2 may claim), and sales1's "
        "oldest customer topped up to 50 follow-ups. The claims it times are undone afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=SIZES, default="S", help="S, M or L (default S).")
        parser.add_argument(
            "--requests", type=at_least_one, default=50, help="Timed requests per page (default 50)."
        )
        parser.add_argument(
            "--only",
            type=section_list,
            default=SECTIONS,
            help=f"Comma-separated sections to run (default all: {','.join(SECTIONS)}).",
        )
        parser.add_argument(
            "--output",
            type=Path,
            default=settings.VAR_DIR / "bench",
            help="Where results.json and results.md go (default var/bench).",
        )

    def handle(self, *args, size: str, requests: int, only: tuple[str, ...], output: Path, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self._ensure_customers(SIZES[size])
        try:
            cast = demo_cast() if {"pages", "peer"} & set(only) else None
        except BenchSetupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write("ANALYZE…")
        analyze()
        results = Results(size=size, database=database_label())
        results.dataset(dataset_counts())
        output.mkdir(parents=True, exist_ok=True)  # also the sections' working directory
        with bench_environment():
            for section in SECTIONS:
                if section in only:
                    self.stdout.write(f"Measuring {section}…")
                    try:
                        self._run(section, results, cast, size=size, requests=requests, output=output)
                    except Exception as error:
                        # One broken section must not lose the figures of the others.
                        self.stderr.write(traceback.format_exc())
                        results.check(f"{section} ran", False, f"{type(error).__name__}: {error}")
        json_path, md_path = results.write(output)
        self.stdout.write(f"Wrote {json_path} and {md_path}.")
        failed = results.failed_checks
        if failed:
            names = "; ".join(check["name"] for check in failed)
            raise CommandError(f"{len(failed)} of {len(results.checks)} checks failed: {names}", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"All {len(results.checks)} checks passed."))

    def _ensure_customers(self, wanted: int) -> None:
        live = Customer.objects.live().count()
        if live < wanted:
            self.stdout.write(f"{live:,} customers; generating up to {wanted:,} with seeddemo…")
            call_command("seeddemo", customers=wanted, stdout=self.stdout)

    def _run(self, section: str, results: Results, cast: Cast | None, *, size, requests, output) -> None:
        if section == "pages":
            measure_pages(results, cast, requests=requests)
        elif section == "peer":
            measure_peer(results, cast, requests=requests)
        elif section == "load":
            call_helper(results, "bench.load", "throughput", seconds=LOAD_SECONDS)
        elif section == "concurrency":
            call_helper(
                results, "bench.load", "concurrency", clients=CONCURRENT_CLIENTS, seconds=LOAD_SECONDS
            )
        else:
            call_helper(results, "bench.imports", "run", rows=IMPORT_ROWS[size], workdir=output)


def call_helper(results: Results, module_name: str, function_name: str, **arguments) -> None:
    """Run a section another module measures; a missing one is a failed check, not a silent gap."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        module = None
    function: Callable | None = getattr(module, function_name, None)
    if function is None:
        results.check(
            f"{module_name}.{function_name} ran", False, f"{module_name}.{function_name} is missing"
        )
        return
    function(results, **arguments)


def analyze() -> None:
    """Fresh planner statistics, as a deployment would have after its data grew. On PostgreSQL
    also the visibility map that autovacuum keeps: without it an index-only scan of freshly
    generated rows still visits every row's page."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA optimize")


def database_label() -> str:
    return f"{connection.display_name} {'.'.join(map(str, connection.get_database_version()))}"


def dataset_counts() -> dict[str, int]:
    return {
        "customers": Customer.objects.live().count(),
        "pool": selectors.customers_in_pool().count(),
        "follow_ups": FollowUp.objects.count(),
        "consultants": users_holding(selectors.OWNER_CODENAME).count(),
        "classes": ClassList.objects.count(),
        "students": Student.objects.count(),
        "payments": Payment.objects.count(),
        "enrollments": Enrollment.objects.count(),
    }
