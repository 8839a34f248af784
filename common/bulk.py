"""Loading many generated rows fast, for the demo and benchmark generator only.

`Model.objects.bulk_create` builds a model instance per row and prepares every field of it; at
millions of rows that costs more than the database's own work. `RowWriter` takes plain tuples
for the columns it is given, fills every other column with its field's default once, adapts
dates and times the way the ORM would, and hands the rows to the driver's `executemany`.
Primary keys are given by the caller (so related rows can point at them without reading them
back); `sync_sequences` then moves PostgreSQL's id sequences past them.

The customer import writes its batches the same way while people keep working: `reserve_ids`
takes ids that no one else can take, `ArrayRowWriter` sends a batch to PostgreSQL as one
statement, and `in_many` looks many keys up through their index.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models.expressions import RawSQL


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
        self._fields = [*given, *rest]
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


class ArrayRowWriter(RowWriter):
    """A RowWriter for batches of a few thousand rows. On PostgreSQL each `write` is one
    `INSERT ... SELECT * FROM UNNEST(%s::type[], ...)` with an array per column, as Django's
    bulk_create sends it: `executemany` runs a statement per row, a third slower into a table with
    many indexes. Fields whose values need their own placeholder (none of the plain types) and
    other databases write as RowWriter does; SQLite runs executemany's statements in process."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]):
        super().__init__(model, columns)
        self._unnest_sql = None
        if connection.vendor == "postgresql" and not any(
            hasattr(field, "get_placeholder") for field in self._fields
        ):
            # No length or precision in the casts: varchar(50)[] would cut longer values silently.
            types = [field.db_type(connection).split("(")[0] for field in self._fields]
            names = ", ".join(connection.ops.quote_name(field.column) for field in self._fields)
            arrays = ", ".join(f"%s::{db_type}[]" for db_type in types)
            self._unnest_sql = (
                f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) "
                f"SELECT * FROM UNNEST({arrays})"
            )

    def write(self, rows: Iterable[tuple]) -> int:
        if self._unnest_sql is None:
            return super().write(rows)
        rows = list(rows)
        if not rows:
            return 0
        columns = [list(column) for column in zip(*rows, strict=True)]
        for column, adapter in zip(columns, self._adapters, strict=True):
            if adapter is not None:
                column[:] = [value if value is None else adapter(value) for value in column]
        columns.extend([default] * len(rows) for default in self._defaults)
        with connection.cursor() as cursor:
            cursor.execute(self._unnest_sql, columns)
        return len(rows)


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys for rows of `model` about to be written with RowWriter, in
    ascending order, inside the transaction that writes them. PostgreSQL takes them from the
    table's sequence, so a colleague saving a row meanwhile gets another id and no sequence needs
    moving afterwards; they may have gaps. SQLite hands out ids one after the other from the
    largest ever given (AUTOINCREMENT's record, so a deleted customer's id is never reused): the
    transaction holds the database's only write lock (IMMEDIATE), so no one else can take them."""
    if count <= 0:
        return []
    meta = model._meta
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, count],
            )
            return sorted(pk for (pk,) in cursor.fetchall())
        cursor.execute(
            f"SELECT max(coalesce((SELECT max({connection.ops.quote_name(meta.pk.column)}) FROM "
            f"{connection.ops.quote_name(meta.db_table)}), 0), coalesce((SELECT seq FROM sqlite_sequence "
            f"WHERE name = %s), 0))",
            [meta.db_table],
        )
        (last,) = cursor.fetchone()
    return list(range(last + 1, last + 1 + count))


def in_many(values: Iterable[str]) -> RawSQL | list[str]:
    """The right-hand side of `field__in=` for many text keys (a batch's phone numbers), looked
    up through the field's index. SQLite plans `IN (?, ?, ...)` from the table's statistics: with
    a few hundred keys and statistics older than the rows an import just added, it reads the
    whole table for every batch. A JSON array read by `json_each` is planned as one index lookup
    per key. PostgreSQL plans a list well and gets it as it is."""
    values = list(values)
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])
    return values


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
