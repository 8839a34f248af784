"""The question search is served by an index on both databases, not by scanning every question:
SQLite's FTS5 trigram table, PostgreSQL's pg_trgm GIN indexes."""

from __future__ import annotations

import pytest
from django.db import connection

from classroom.models import Question
from classroom.selectors import questions_matching


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # On a handful of rows a sequential scan is cheaper; forbid it to see what the index can do.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(" ".join(str(column) for column in row) for row in cursor.fetchall())


@pytest.mark.django_db
def test_a_word_of_three_characters_or_more_is_looked_up_in_the_index(classroom):
    plan = _plan(questions_matching(Question.objects.all(), "装饰器"))
    if connection.vendor == "postgresql":
        assert "question_title_trgm" in plan and "question_body_trgm" in plan
    else:
        assert "classroom_question_fts VIRTUAL TABLE INDEX" in plan


@pytest.mark.django_db
def test_the_index_follows_inserts_updates_and_deletes(classroom, world):
    """On SQLite the FTS5 table is kept in step by triggers; PostgreSQL indexes the columns."""
    question = Question.objects.create(
        class_list=world.class_a, asked_by=world.student, title="列表推导式", body="怎么写嵌套的列表推导式？"
    )
    assert list(questions_matching(Question.objects.all(), "推导式")) == [question]
    Question.objects.filter(pk=question.pk).update(title="字典推导式", body="字典也能推导吗？")
    assert list(questions_matching(Question.objects.all(), "列表推导")) == []
    assert list(questions_matching(Question.objects.all(), "字典推导")) == [question]
    question.delete()
    assert list(questions_matching(Question.objects.all(), "字典推导")) == []
