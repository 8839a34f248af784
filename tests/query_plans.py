"""Reading a query's plan in tests that pin which index answers it."""

from django.db import connection


def plan(queryset) -> str:
    """The database's plan for `queryset` as text. On PostgreSQL sequential scans are forbidden
    for the statement: tiny test tables make them cheaper, and the test asks what an index can do."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(" ".join(str(column) for column in row) for row in cursor.fetchall())
