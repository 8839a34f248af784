"""The question search is served by an index on both databases, not by scanning every question:
SQLite's FTS5 trigram table, PostgreSQL's pg_trgm GIN indexes."""

from __future__ import annotations

import pytest
from django.db import connection

from classroom.models import Question
from classroom.selectors import questions_matching
from tests.query_plans import plan as plan_of


@pytest.mark.django_db
def test_a_word_of_three_characters_or_more_is_looked_up_in_the_index(classroom):
    plan = plan_of(questions_matching(Question.objects.all(), "装饰器"))
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
