"""The import comparison: both importers run on one generated file, report the right counts,
and leave the database as they found it."""

from __future__ import annotations

from bench import imports
from crm.models import Customer, CustomerImport, OwnershipEvent

EDUCRM = ("import", "EduCRM")
IMPORT_EXPORT = ("import", "django-import-export (plain ModelResource)")


class RecordedResults:
    """Stands in for bench.results.Results: keeps what `run` records."""

    def __init__(self) -> None:
        self.figures: dict[tuple[str, str], dict] = {}
        self.checks: dict[str, tuple[bool, str]] = {}

    def add(self, section: str, name: str, **figures) -> None:
        self.figures[section, name] = figures

    def check(self, name: str, passed: bool, detail: str = "") -> None:
        self.checks[name] = (passed, detail)


def _customers() -> list[dict]:
    return list(Customer.objects.order_by("pk").values())


def test_both_importers_import_the_file_and_leave_nothing_behind(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    before = _customers()
    results = RecordedResults()

    imports.run(results, rows=200, workdir=tmp_path / "bench")

    # One row in ten repeats someone: an earlier row, or (one in three) a world customer.
    educrm, peer = results.figures[EDUCRM], results.figures[IMPORT_EXPORT]
    assert (educrm["rows"], educrm["created"], educrm["duplicates"], educrm["errors"]) == (200, 180, 20, 0)
    assert (peer["rows"], peer["created"], peer["updated"], peer["errors"]) == (200, 180, 20, 0)
    assert "measured" not in peer
    assert educrm["rows_per_s"] > 0 and peer["rows_per_s"] > 0
    assert results.checks.keys() == {
        "EduCRM import: every duplicate reported, none inserted twice",
        "django-import-export import: every row imported",
        "imports leave the dataset as it was",
    }
    assert all(passed for passed, _detail in results.checks.values()), results.checks
    # django-import-export updated the world customers the file repeats; they are put back.
    assert _customers() == before
    assert not Customer.history.exists()
    assert not OwnershipEvent.objects.exists()
    assert not CustomerImport.objects.exists()
    assert not world.manager.notifications.exists()
    assert not any((tmp_path / "media").rglob("*.*")), "the uploaded file is kept"
    assert not any((tmp_path / "bench").iterdir()), "the generated files are kept"


def test_import_export_measures_the_first_rows_of_a_large_file(world, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "IMPORT_EXPORT_MAX_ROWS", 50)
    results = RecordedResults()

    imports.run(results, rows=120, workdir=tmp_path)

    peer = results.figures[IMPORT_EXPORT]
    assert (peer["rows"], peer["created"], peer["updated"], peer["errors"]) == (50, 45, 5, 0)
    assert peer["measured"] == "the file's first 50 of 120 rows"
    assert results.figures[EDUCRM]["rows"] == 120
    assert all(passed for passed, _detail in results.checks.values()), results.checks
    assert Customer.objects.count() == 4
