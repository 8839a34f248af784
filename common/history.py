"""History rows (django-simple-history) for writes that bypass `Model.save()`.

`QuerySet.update()` and bulk inserts send no signals, so simple-history writes nothing for them.
Services that change tracked rows that way call `history_record_rows` in the same transaction:
it copies the rows, as they now are, into the model's history table inside the database (one
INSERT ... SELECT whatever the number of rows), so a batch costs one statement, not a row each.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import QuerySet

HISTORY_CHANGED = "~"
HISTORY_CREATED = "+"
# simple-history's history_change_reason column.
REASON_MAX_LENGTH = 100


def history_record_rows(
    rows: QuerySet,
    *,
    by=None,
    at: datetime,
    history_type: str = HISTORY_CHANGED,
    reason: str | None = None,
) -> int:
    """Write one history row for each row of `rows` (a queryset of a model with
    `HistoricalRecords`), copying its current values, with `by` (a user or None for the system)
    as the history user, `at` as the history date (the action's time) and `reason` as the change
    reason. Call it after the change, inside the change's transaction. Returns the row count."""
    model = rows.model
    history = model.history.model
    tracked = {f.attname for f in model._meta.concrete_fields}
    copied = [f.attname for f in history._meta.concrete_fields if f.attname in tracked]
    select_sql, select_params = rows.order_by().values_list(*copied).query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(history._meta.get_field(name).column) for name in copied)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(history._meta.db_table)} ({columns}, history_date, history_type, "
            f"history_user_id, history_change_reason) "
            f"SELECT changed.*, %s, %s, %s, %s FROM ({select_sql}) changed",
            [
                at,
                history_type,
                getattr(by, "pk", by),
                reason[:REASON_MAX_LENGTH] if reason else None,
                *select_params,
            ],
        )
        return cursor.rowcount
