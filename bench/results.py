"""What a benchmark run found, written as results.json (for tools) and results.md (for people).

Every section of the run adds its figures here; the command writes both files at the end and
exits with status 1 when a check failed. Timings are figures, never checks: CI machines differ,
so only query counts and race outcomes are asserted.
"""

from __future__ import annotations

import json
import pathlib
from datetime import UTC, datetime

# Titles and how-to-read notes of the sections this repository writes; other sections are
# titled by their name.
SECTIONS = {
    "pages": (
        "Server time per page",
        "In-process (Django's test client, signed in), after warm-up; the database connection is "
        "handled as in a request (DATABASE_CONN_MAX_AGE), DEBUG off. Budgets are the issue's, "
        "for p95 at L on SQLite (and at M on PostgreSQL); at other sizes they are for reference.",
    ),
    "floors": (
        "Floors",
        "The raw SQL that fetches the same rows as each list page (same filter, order, "
        "limit/offset and columns), and a view that renders nothing, timed the same way.",
    ),
    "peer": (
        "EduCRM against the Django admin",
        "The same rows from both: EduCRM's list at 100 rows a page against a Django admin "
        "changelist for Customer set up as a Django team would (100 rows a page). "
        "`times faster` is the admin's p50 over EduCRM's.",
    ),
    "import": ("Import", ""),
    "load": ("Throughput", ""),
    "concurrency": ("Concurrency", ""),
}

# Column headings for the figures the sections commonly report; any other figure is headed
# by its own name.
LABELS = {
    "p50_ms": "p50 ms",
    "p95_ms": "p95 ms",
    "budget_ms": "budget ms",
    "within_budget": "within budget",
    "rows_per_s": "rows/s",
    "rps": "requests/s",
    "page_p50_ms": "page p50 ms",
    "times_floor": "page / floor",
    "educrm_p50_ms": "EduCRM p50 ms",
    "educrm_p95_ms": "EduCRM p95 ms",
    "educrm_queries": "EduCRM queries",
    "admin_p50_ms": "admin p50 ms",
    "admin_p95_ms": "admin p95 ms",
    "admin_queries": "admin queries",
    "times_faster": "times faster",
    "goal_times": "goal (times)",
    "meets_goal": "meets goal",
}

DATASET_LABELS = {
    "customers": "customers (live)",
    "pool": "in the public pool",
    "follow_ups": "follow-ups",
}


class Results:
    """The figures and checks of one run, by section and measurement name.

    `add` records one measurement's figures (JSON-safe values; a name appears once per section);
    `check` records an asserted outcome, and any failed check fails the run.
    """

    def __init__(self, *, size: str, database: str) -> None:
        self.size = size
        self.database = database
        self.counts: dict[str, int] = {}
        self.measurements: dict[str, dict[str, dict]] = {}
        self.checks: list[dict] = []

    def dataset(self, counts: dict[str, int]) -> None:
        self.counts = dict(counts)

    def add(self, section: str, name: str, **figures) -> None:
        # Fail where a figure is made, not at the end of a long run when the file is written.
        json.dumps(figures, allow_nan=False)
        measured = self.measurements.setdefault(section, {})
        if name in measured:
            raise ValueError(f"{section}/{name} was already recorded")
        measured[name] = figures

    def check(self, name: str, passed: bool, detail: str = "") -> None:
        self.checks.append({"name": name, "passed": bool(passed), "detail": detail})

    @property
    def failed_checks(self) -> list[dict]:
        return [check for check in self.checks if not check["passed"]]

    def as_dict(self) -> dict:
        return {
            "size": self.size,
            "database": self.database,
            "dataset": self.counts,
            "measurements": self.measurements,
            "checks": self.checks,
        }

    def write(self, directory: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
        directory.mkdir(parents=True, exist_ok=True)
        json_path = directory / "results.json"
        md_path = directory / "results.md"
        json_path.write_text(
            json.dumps(self.as_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        md_path.write_text(self.markdown(), encoding="utf-8")
        return json_path, md_path

    def markdown(self) -> str:
        passed = len(self.checks) - len(self.failed_checks)
        lines = [
            f"# EduCRM benchmark: size {self.size} on {self.database}",
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {passed} of {len(self.checks)} checks passed.",
            "",
            "## Dataset",
            "",
            *_table(
                ["", "count"], [[DATASET_LABELS.get(key, key), value] for key, value in self.counts.items()]
            ),
        ]
        for section, measured in self.measurements.items():
            title, note = SECTIONS.get(section, (section, ""))
            lines += ["", f"## {title}", ""]
            if note:
                lines += [note, ""]
            columns = list(dict.fromkeys(key for figures in measured.values() for key in figures))
            rows = [[name, *(figures.get(key) for key in columns)] for name, figures in measured.items()]
            lines += _table(["", *(LABELS.get(key, key.replace("_", " ")) for key in columns)], rows)
        lines += ["", "## Checks", ""]
        lines += [
            f"- {'PASS' if check['passed'] else 'FAIL'} {check['name']}"
            + (f": {check['detail']}" if check["detail"] else "")
            for check in self.checks
        ] or ["(none)"]
        return "\n".join(lines) + "\n"


def _table(header: list[str], rows: list[list]) -> list[str]:
    numeric = [
        all(isinstance(row[i], int | float) for row in rows if row[i] is not None) for i in range(len(header))
    ]
    align = ["---:" if is_number and i else "---" for i, is_number in enumerate(numeric)]
    return [
        _row(header),
        _row(align),
        *(_row([_cell(value) for value in row]) for row in rows),
    ]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, str):
        return value.replace("|", "\\|").replace("\n", " ")
    return json.dumps(value, ensure_ascii=False).replace("|", "\\|")
