"""Loading many generated rows fast, for the demo and benchmark generator only.

`Model.objects.bulk_create` builds a model instance per row and prepares every field of it; at
millions of rows that costs more than the database's own work. `RowWriter` takes plain tuples
for the columns it is given, fills every other column with its field's default once, adapts
dates and times the way the ORM would, and hands the rows to the driver's `executemany`.
Primary keys are given by the caller (so related rows can point at them without reading them
back); `sync_sequences` then moves PostgreSQL's id sequences past them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC

from django.core.management.color import no_style
from django.db import connection, models


class RowWriter:
    """INSERTs rows of `columns` (field names, the primary key included when given) into
    `model`'s table; every other concrete field takes its default."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]):
        meta = model._meta
        given = [meta.get_field(name) for name in columns]
        rest = [
            field for field in meta.concrete_fields if field.name not in columns and not field.primary_key
        ]
        self.model = model
        self._adapters = [self._adapter(field) for field in given]
        self._defaults = tuple(field.get_db_prep_save(field.get_default(), connection) for field in rest)
        names = ", ".join(connection.ops.quote_name(field.column) for field in [*given, *rest])
        marks = ", ".join(["%s"] * (len(given) + len(rest)))
        self._sql = f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({names}) VALUES ({marks})"

    @staticmethod
    def _adapter(field):
        if isinstance(field, models.DateTimeField):
            if connection.vendor == "sqlite":
                # What the SQLite backend stores (naive UTC text), without its checks per value.
                return lambda value: str(value.astimezone(UTC).replace(tzinfo=None))
            return connection.ops.adapt_datetimefield_value
        if isinstance(field, models.DateField):
            return connection.ops.adapt_datefield_value
        if isinstance(field, models.DecimalField):
            return lambda value: connection.ops.adapt_decimalfield_value(
                value, field.max_digits, field.decimal_places
            )
        return None

    def write(self, rows: Iterable[tuple]) -> int:
        adapters = self._adapters
        dated = [index for index, adapter in enumerate(adapters) if adapter is not None]
        prepared = []
        for row in rows:
            if dated:
                row = list(row)
                for index in dated:
                    if row[index] is not None:
                        row[index] = adapters[index](row[index])
            prepared.append((*row, *self._defaults))
        if prepared:
            with connection.cursor() as cursor:
                cursor.executemany(self._sql, prepared)
        return len(prepared)


@contextmanager
def larger_page_cache(mebibytes: int = 256) -> Iterator[None]:
    """SQLite keeps 2 MiB of pages per connection: a bulk load into tables with a dozen indexes
    then rereads index pages for nearly every row. Give this connection more while it loads."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-1024 * mebibytes}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous}")


def next_id(model: type[models.Model]) -> int:
    """The first free primary key of `model` (ids are handed out by the generator)."""
    return (model.objects.aggregate(last=models.Max("pk"))["last"] or 0) + 1


def sync_sequences(*models_written: type[models.Model]) -> None:
    """After ids were given explicitly, make the database hand out the next ones after them
    (PostgreSQL sequences; SQLite follows the largest rowid by itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_written))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
