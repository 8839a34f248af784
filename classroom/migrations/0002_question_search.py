"""Full-text search over questions' titles and bodies, Chinese included.

SQLite: an external-content FTS5 table with the trigram tokenizer (matches any substring of three
characters or more, whatever the script), kept in step with classroom_question by triggers.
PostgreSQL: pg_trgm GIN indexes on UPPER(title) and UPPER(body), which serve the
`UPPER(x) LIKE UPPER('%word%')` that Django's icontains writes.
"""

from django.db import migrations

SQLITE = [
    """CREATE VIRTUAL TABLE classroom_question_fts USING fts5(
        title, body, content='classroom_question', content_rowid='id', tokenize='trigram'
    )""",
    """CREATE TRIGGER classroom_question_fts_insert AFTER INSERT ON classroom_question BEGIN
        INSERT INTO classroom_question_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER classroom_question_fts_delete AFTER DELETE ON classroom_question BEGIN
        INSERT INTO classroom_question_fts(classroom_question_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER classroom_question_fts_update AFTER UPDATE OF title, body ON classroom_question
    BEGIN
        INSERT INTO classroom_question_fts(classroom_question_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO classroom_question_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    "INSERT INTO classroom_question_fts(classroom_question_fts) VALUES ('rebuild')",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS classroom_question_fts_insert",
    "DROP TRIGGER IF EXISTS classroom_question_fts_delete",
    "DROP TRIGGER IF EXISTS classroom_question_fts_update",
    "DROP TABLE IF EXISTS classroom_question_fts",
]
POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX question_title_trgm ON classroom_question USING gin (UPPER(title) gin_trgm_ops)",
    "CREATE INDEX question_body_trgm ON classroom_question USING gin (UPPER(body) gin_trgm_ops)",
]
POSTGRESQL_REVERSE = [
    "DROP INDEX IF EXISTS question_title_trgm",
    "DROP INDEX IF EXISTS question_body_trgm",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("classroom", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        )
    ]
