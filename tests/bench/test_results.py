"""The benchmark's report: one JSON object for tools, Markdown tables for people, and checks
that decide the exit status."""

from __future__ import annotations

import json

import pytest

from bench.management.commands.bench import call_helper
from bench.results import Results


def sample_results() -> Results:
    results = Results(size="S", database="SQLite 3.45")
    results.dataset({"customers": 10_000, "pool": 3_000})
    results.add("pages", "pool page 1", p50_ms=4.25, p95_ms=12.5, queries=9, budget_ms=30, within_budget=True)
    results.add(
        "pages", "pool page 1000", p50_ms=40.0, p95_ms=45.0, queries=9, budget_ms=30, within_budget=False
    )
    results.add("load", "hello", rps=1500.0, errors=0)
    results.check("pool page 1: at most 12 queries", True, "9 queries")
    results.check("claim: exactly one winner", False, "2 winners")
    return results


def test_json_is_one_object_with_dataset_measurements_and_checks(tmp_path):
    json_path, _md_path = sample_results().write(tmp_path / "out")

    data = json.loads(json_path.read_text(encoding="utf-8"))

    assert data == {
        "size": "S",
        "database": "SQLite 3.45",
        "dataset": {"customers": 10_000, "pool": 3_000},
        "measurements": {
            "pages": {
                "pool page 1": {
                    "p50_ms": 4.25,
                    "p95_ms": 12.5,
                    "queries": 9,
                    "budget_ms": 30,
                    "within_budget": True,
                },
                "pool page 1000": {
                    "p50_ms": 40.0,
                    "p95_ms": 45.0,
                    "queries": 9,
                    "budget_ms": 30,
                    "within_budget": False,
                },
            },
            "load": {"hello": {"rps": 1500.0, "errors": 0}},
        },
        "checks": [
            {"name": "pool page 1: at most 12 queries", "passed": True, "detail": "9 queries"},
            {"name": "claim: exactly one winner", "passed": False, "detail": "2 winners"},
        ],
    }


def test_markdown_has_a_table_per_section_and_the_checks(tmp_path):
    _json_path, md_path = sample_results().write(tmp_path)

    text = md_path.read_text(encoding="utf-8")

    assert text.startswith("# EduCRM benchmark: size S on SQLite 3.45\n")
    assert "1 of 2 checks passed" in text
    assert "| customers (live) | 10,000 |" in text
    assert "## Server time per page" in text
    assert "|  | p50 ms | p95 ms | queries | budget ms | within budget |" in text
    assert "| pool page 1 | 4.25 | 12.5 | 9 | 30 | yes |" in text
    assert "| pool page 1000 | 40.0 | 45.0 | 9 | 30 | **no** |" in text
    # A section this module does not know is still a table, headed by its figures' names.
    assert "## Throughput" in text
    assert "|  | requests/s | errors |" in text
    assert "| hello | 1,500.0 | 0 |" in text
    assert "- PASS pool page 1: at most 12 queries: 9 queries" in text
    assert "- FAIL claim: exactly one winner: 2 winners" in text


def test_failed_checks_are_listed():
    assert [check["name"] for check in sample_results().failed_checks] == ["claim: exactly one winner"]


def test_a_measurement_is_recorded_once():
    results = sample_results()
    with pytest.raises(ValueError, match="already recorded"):
        results.add("pages", "pool page 1", p50_ms=1.0)


def test_figures_must_be_json_safe():
    results = Results(size="S", database="SQLite")
    with pytest.raises(TypeError):
        results.add("pages", "odd", when=object())
    with pytest.raises(ValueError):
        results.add("pages", "odd", p50_ms=float("nan"))


def test_a_missing_section_module_is_a_failed_check():
    results = Results(size="S", database="SQLite")

    call_helper(results, "bench.no_such_section", "run", rows=10)

    assert results.checks == [
        {
            "name": "bench.no_such_section.run ran",
            "passed": False,
            "detail": "bench.no_such_section.run is missing",
        }
    ]
