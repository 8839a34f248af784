"""Questions and answers: who is notified, what a student may ask about, one accepted answer,
and the search (Chinese words of any length, English in any case, several words, hostile
syntax) scoped to the user's classes, on SQLite's FTS5 index and PostgreSQL's trigram indexes."""

from __future__ import annotations

import threading
from contextlib import suppress
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from accounts.models import Notification, User
from classroom import selectors, services
from classroom.models import Answer, Question
from rbac.defaults import TEACHER
from tests.classroom.conftest import _user
from tests.conftest import assert_form_refused, make_client
from tests.crm.conftest import shared_db  # noqa: F401  (a fixture, for the races)
from tests.crm.test_concurrency import run_together


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def adviser(world, classroom) -> User:
    """Class A's adviser: a teacher who does not teach the class but looks after it."""
    user = _user("adviser", world.roles[TEACHER], "Adviser Tester")
    world.class_a.adviser = user
    world.class_a.save(update_fields=["adviser"])
    return user


def ask(client, class_list, *, lesson=None, title="装饰器怎么写？", body="看不懂 functools.wraps", **kwargs):
    data = {"class_list": class_list.pk, "lesson": lesson.pk if lesson else "", "title": title, "body": body}
    return client.post(reverse("classroom:question-create"), data, **kwargs)


def notified(question: Question | None = None) -> list[str]:
    rows = Notification.objects.all()
    if question is not None:
        rows = rows.filter(link=reverse("classroom:question-detail", args=[question.pk]))
    return sorted(rows.values_list("recipient__username", flat=True))


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Asking -------------------------------------------------------------------------------------------
def test_a_question_notifies_the_class_teachers_and_adviser_only(world, classroom, adviser, as_student):
    response = ask(as_student, world.class_a, lesson=classroom.lesson, follow=True)
    question = Question.objects.get()
    assert response.redirect_chain[-1][0] == reverse("classroom:question-detail", args=[question.pk])
    assert messages_of(response) == ["Your question was sent to the class's teachers."]
    assert (question.class_list, question.lesson, question.asked_by) == (
        world.class_a,
        classroom.lesson,
        world.student,
    )
    assert (question.answer_count, question.is_solved) == (0, False)
    # The teacher and the adviser, once each; not class B's teacher, not the asker or classmates.
    assert notified() == ["adviser", "teacher"]
    assert notified(question) == ["adviser", "teacher"]
    for notification in Notification.objects.all():
        assert "装饰器怎么写？" in notification.text


def test_a_teacher_who_is_also_the_adviser_is_notified_once(world, classroom, as_student):
    world.class_a.adviser = world.teacher
    world.class_a.save(update_fields=["adviser"])
    ask(as_student, world.class_a)
    assert notified() == ["teacher"]


def test_a_question_in_class_b_notifies_class_bs_teacher(world, classroom, as_other_student):
    ask(as_other_student, world.class_b, lesson=classroom.other_lesson)
    assert notified(Question.objects.get()) == ["teacher2"]


def test_a_question_without_a_lesson_is_fine(world, classroom, as_student):
    assert ask(as_student, world.class_a).status_code == 302
    assert Question.objects.get().lesson is None


def test_a_lesson_of_another_class_is_refused(world, classroom, as_student):
    response = ask(as_student, world.class_a, lesson=classroom.other_lesson)
    assert_form_refused(response, "lesson")
    assert not Question.objects.exists() and not Notification.objects.exists()


def test_a_lesson_of_another_of_ones_classes_is_refused_with_the_reason(world, classroom, as_student):
    """A student of both classes may pick class B's lesson in the list, but not for class A."""
    classroom.student.classes.add(world.class_b)
    response = ask(as_student, world.class_a, lesson=classroom.other_lesson)
    assert_form_refused(response, "lesson")
    assert response.context["form"].errors["lesson"] == ["Pick a lesson of this class."]
    assert not Question.objects.exists() and not Notification.objects.exists()


def test_the_service_refuses_a_lesson_of_another_class(world, classroom):
    with pytest.raises(ValidationError):
        services.question_ask(
            class_list=world.class_a, lesson=classroom.other_lesson, title="t", body="b", by=world.student
        )
    assert not Question.objects.exists() and not Notification.objects.exists()


def test_a_class_the_student_is_not_in_is_refused(world, classroom, as_student):
    response = ask(as_student, world.class_b)
    assert_form_refused(response, "class_list")
    assert not Question.objects.exists() and not Notification.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("title", ""), ("body", ""), ("title", "长" * 151)])
def test_an_incomplete_question_is_refused(world, classroom, as_student, field, value):
    response = ask(as_student, world.class_a, **{field: value})
    assert_form_refused(response, field)
    assert not Question.objects.exists()


def test_teachers_do_not_ask(world, classroom, as_teacher):
    assert ask(as_teacher, world.class_a).status_code == 403
    assert not Question.objects.exists()


def test_a_question_is_seen_by_its_class_only(world, classroom, as_student, as_teacher, adviser):
    question = services.question_ask(
        class_list=world.class_a, lesson=None, title="问题", body="内容", by=world.student
    )
    url = reverse("classroom:question-detail", args=[question.pk])
    for user in (world.student, classroom.classmate.user, world.teacher, adviser):
        assert make_client(user).get(url).status_code == 200, user
    for user in (classroom.other_student.user, classroom.other_teacher):
        assert make_client(user).get(url).status_code == 404, user


# --- Answering and accepting ----------------------------------------------------------------------------
@pytest.fixture
def question(world, classroom) -> Question:
    return services.question_ask(
        class_list=world.class_a, lesson=classroom.lesson, title="闭包是什么", body="请举例", by=world.student
    )


def answer(client, question: Question, body: str = "闭包是函数和它的环境。", **kwargs):
    return client.post(reverse("classroom:answer-create", args=[question.pk]), {"body": body}, **kwargs)


def test_a_teachers_answer_notifies_the_asker_and_counts(world, question, as_teacher):
    Notification.objects.all().delete()
    response = answer(as_teacher, question, follow=True)
    assert response.redirect_chain[-1][0] == reverse("classroom:question-detail", args=[question.pk])
    assert messages_of(response) == ["Answered; the student is notified."]
    reply = Answer.objects.get()
    assert (reply.question, reply.author, reply.is_accepted) == (question, world.teacher, False)
    question.refresh_from_db()
    assert (question.answer_count, question.is_solved) == (1, False)
    assert notified(question) == ["student"]
    assert "闭包是什么" in Notification.objects.get().text

    answer(as_teacher, question, "再补充一点。")
    question.refresh_from_db()
    assert question.answer_count == 2
    assert notified(question) == ["student", "student"]


def test_the_adviser_may_answer(question, adviser):
    answer(make_client(adviser), question)
    question.refresh_from_db()
    assert question.answer_count == 1 and Answer.objects.get().author == adviser


def test_outsiders_to_the_class_cannot_answer(question, as_other_teacher, as_student):
    assert answer(as_other_teacher, question).status_code == 404
    assert answer(as_student, question).status_code == 403
    question.refresh_from_db()
    assert question.answer_count == 0 and not Answer.objects.exists()


@pytest.mark.parametrize("body", ["", "   ", "长" * 5001])
def test_an_empty_or_too_long_answer_saves_nothing(question, as_teacher, body):
    Notification.objects.all().delete()
    response = answer(as_teacher, question, body, follow=True)
    assert response.status_code == 200
    assert any("Nothing was saved." in message for message in messages_of(response))
    question.refresh_from_db()
    assert question.answer_count == 0
    assert not Answer.objects.exists() and not Notification.objects.exists()


def accept(client, reply: Answer, **kwargs):
    return client.post(reverse("classroom:answer-accept", args=[reply.pk]), **kwargs)


def accepted(question: Question) -> list[int]:
    return list(question.answers.filter(is_accepted=True).values_list("pk", flat=True))


def test_the_asker_accepts_an_answer_and_the_question_is_solved(question, as_teacher, as_student):
    answer(as_teacher, question)
    reply = Answer.objects.get()
    page = as_student.get(reverse("classroom:question-detail", args=[question.pk])).content.decode()
    assert 'data-testid="accept"' in page
    response = accept(as_student, reply, follow=True)
    assert response.redirect_chain[-1][0] == reverse("classroom:question-detail", args=[question.pk])
    assert accepted(question) == [reply.pk]
    question.refresh_from_db()
    assert question.is_solved


def test_accepting_a_second_answer_unaccepts_the_first(question, as_teacher, as_student):
    answer(as_teacher, question, "第一个")
    answer(as_teacher, question, "第二个")
    first, second = Answer.objects.order_by("pk")
    accept(as_student, first)
    assert accepted(question) == [first.pk]
    accept(as_teacher, second)
    assert accepted(question) == [second.pk]
    accept(as_teacher, second)  # again: still exactly one
    assert accepted(question) == [second.pk]
    question.refresh_from_db()
    assert question.is_solved
    # The accepted answer is listed first.
    assert [reply.pk for reply in selectors.answers_of(question)] == [second.pk, first.pk]


def test_only_the_asker_and_the_class_teachers_accept(question, as_teacher, as_other_teacher, classroom):
    answer(as_teacher, question)
    reply = Answer.objects.get()
    classmate = make_client(classroom.classmate.user)
    assert accept(classmate, reply).status_code == 404
    assert accept(as_other_teacher, reply).status_code == 404
    page = classmate.get(reverse("classroom:question-detail", args=[question.pk])).content.decode()
    assert 'data-testid="accept"' not in page
    assert accepted(question) == []
    question.refresh_from_db()
    assert not question.is_solved


def test_accepting_is_post_only(question, as_teacher, as_student):
    answer(as_teacher, question)
    response = as_student.get(reverse("classroom:answer-accept", args=[Answer.objects.get().pk]))
    assert response.status_code in (403, 405)
    assert accepted(question) == []


def test_the_database_allows_one_accepted_answer_per_question(world, question):
    names = {constraint.name for constraint in Answer._meta.constraints}
    assert "answer_one_accepted_per_question" in names
    with connection.cursor() as cursor:
        assert "answer_one_accepted_per_question" in connection.introspection.get_constraints(
            cursor, Answer._meta.db_table
        )
    Answer.objects.create(question=question, author=world.teacher, body="一", is_accepted=True)
    Answer.objects.create(question=question, author=world.teacher, body="二", is_accepted=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(question=question, author=world.teacher, body="三", is_accepted=True)
    # Another question has its own accepted answer.
    other = services.question_ask(
        class_list=world.class_a, lesson=None, title="t", body="b", by=world.student
    )
    Answer.objects.create(question=other, author=world.teacher, body="四", is_accepted=True)
    assert Answer.objects.filter(is_accepted=True).count() == 2


# --- Search -------------------------------------------------------------------------------------------------
@dataclass
class Asked:
    decorator: Question  # class A
    comprehension: Question  # class A, answered
    orm: Question  # class A, solved
    class_b: Question  # class B: every word the others have, never shown to class A


@pytest.fixture
def asked(world, classroom) -> Asked:
    def q(title, body, by=world.student, class_list=world.class_a):
        return services.question_ask(class_list=class_list, lesson=None, title=title, body=body, by=by)

    asked = Asked(
        decorator=q("装饰器的用法", "什么是闭包？为什么要用 functools.wraps"),
        comprehension=q("列表推导式", "Python List Comprehension 怎么写"),
        orm=q("Django ORM 查询很慢", "select_related 和 prefetch_related 的区别"),
        class_b=q(
            "装饰器 列表推导式 Django ORM 查询很慢",
            "闭包 functools.wraps python list comprehension 怎么写 select_related",
            by=classroom.other_student.user,
            class_list=world.class_b,
        ),
    )
    services.question_answer(question=asked.comprehension, body="[x for x in y]", by=world.teacher)
    reply = services.question_answer(question=asked.orm, body="用 select_related", by=world.teacher)
    services.answer_accept(answer=reply)
    return asked


def search(client, url_name: str = "classroom:my-questions", **params) -> list[Question]:
    response = client.get(reverse(url_name), params)
    assert response.status_code == 200
    return list(response.context["page_obj"].object_list)


def titles(questions) -> list[str]:
    return sorted(question.title for question in questions)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("装", ["装饰器的用法"], id="one-chinese-character"),
        pytest.param("闭包", ["装饰器的用法"], id="two-characters-in-the-body"),
        pytest.param("推导", ["列表推导式"], id="two-characters-in-the-title"),
        pytest.param("装饰器", ["装饰器的用法"], id="three-characters"),
        pytest.param("装饰器的用法", ["装饰器的用法"], id="whole-title"),
        pytest.param("查询很慢", ["Django ORM 查询很慢"], id="four-characters"),
        pytest.param("为什么要用", ["装饰器的用法"], id="five-characters-in-the-body"),
        pytest.param("python", ["列表推导式"], id="english-lower"),
        pytest.param("PYTHON", ["列表推导式"], id="english-upper"),
        pytest.param("list COMPREHENSION", ["列表推导式"], id="two-english-words"),
        pytest.param("python 怎么写", ["列表推导式"], id="english-and-chinese"),
        pytest.param("  python   怎么写  ", ["列表推导式"], id="extra-spaces"),
        pytest.param("python 装饰器", [], id="words-of-two-questions-match-neither"),
        pytest.param("dj", ["Django ORM 查询很慢"], id="two-letters"),
        pytest.param("orm", ["Django ORM 查询很慢"], id="three-letters"),
        pytest.param("select_related", ["Django ORM 查询很慢"], id="underscore"),
        pytest.param("functools.wraps", ["装饰器的用法"], id="dot"),
        pytest.param("装饰器 闭包 wraps", ["装饰器的用法"], id="three-words"),
        pytest.param("斐波那契", [], id="no-match"),
        pytest.param("%", [], id="percent-is-no-wildcard"),
        pytest.param("_", ["Django ORM 查询很慢"], id="underscore-is-no-wildcard"),  # select_related
        pytest.param("%%%", [], id="three-percents"),
        pytest.param("___", [], id="three-underscores"),
    ],
)
def test_search_finds_words_in_titles_and_bodies_of_ones_classes(
    asked, as_student, as_teacher, query, expected
):
    assert titles(search(as_student, q=query)) == expected
    assert titles(search(as_teacher, "classroom:question-list", q=query)) == expected


HOSTILE_QUERIES = [
    '"',
    '""',
    '"装饰器',
    '装饰器"',
    '"装饰器"',
    "*",
    "装饰*",
    "装饰器*",
    "OR",
    "装饰器 OR 推导式",
    "AND",
    "NOT 装饰器",
    "NEAR(",
    "NEAR(装饰器 推导式, 5)",
    "-",
    "-装饰器",
    "装饰器 -闭包",
    "^装饰器",
    "title:装饰器",
    "{title body}: 装饰器",
    "(",
    ")",
    "装饰器)",
    "'",
    "\\",
    "'; DROP TABLE classroom_question; --",
    "+",
    ":",
    "\u202e装饰器",
    "\x00",
    "装饰器\x00",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_query_syntax_characters_never_fail_and_never_leave_the_class(
    asked, as_student, as_other_teacher, query
):
    found = search(as_student, q=query)
    assert asked.class_b not in found
    assert set(found) <= {asked.decorator, asked.comprehension, asked.orm}
    found = search(as_other_teacher, "classroom:question-list", q=query)
    assert set(found) <= {asked.class_b}
    assert Question.objects.count() == 4


def test_every_word_counts_even_past_ten(asked, as_student):
    """Eleven words that are all in the question find it; an eleventh word that is in no
    question finds nothing (the query is at most 100 characters, so eleven words fit)."""
    ten = "装 饰 器 的 用 法 什 么 是 闭"
    assert search(as_student, q=ten + " 包") == [asked.decorator]
    assert search(as_student, q=ten + " 斐波那契") == []


def test_quoted_and_starred_words_are_searched_literally(asked, as_student):
    """FTS operators are not operators here: `装饰器 OR 推导式` is three words that must all be
    in one question, not either of two."""
    assert search(as_student, q="装饰器 OR 推导式") == []
    assert search(as_student, q="NOT 装饰器") == []


def test_a_101_character_query_is_a_form_error_not_a_500(asked, as_student):
    response = as_student.get(reverse("classroom:my-questions"), {"q": "装" * 101})
    assert response.status_code == 200
    errors = response.context["form"].errors["q"]
    assert errors == ["Ensure this value has at most 100 characters (it has 101)."]
    assert escape(errors[0]) in response.content.decode()
    assert list(response.context["page_obj"].object_list) == []
    # 100 is fine.
    assert search(as_student, q="装" + " " * 98 + "饰") == [asked.decorator]


def test_search_results_are_only_from_the_users_classes(asked, classroom, as_student, as_other_student):
    assert search(as_student, q="装饰器") == [asked.decorator]
    assert search(as_other_student, q="装饰器") == [asked.class_b]
    assert search(make_client(classroom.classmate.user), q="装饰器") == [asked.decorator]
    assert set(search(as_student)) == {asked.decorator, asked.comprehension, asked.orm}
    assert search(as_other_student) == [asked.class_b]


def test_a_student_of_both_classes_finds_both(world, asked, classroom, as_student):
    classroom.student.classes.add(world.class_b)
    assert set(search(as_student, q="装饰器")) == {asked.decorator, asked.class_b}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("", ["Django ORM 查询很慢", "列表推导式", "装饰器的用法"]),
        ("unanswered", ["装饰器的用法"]),
        ("answered", ["Django ORM 查询很慢", "列表推导式"]),
        ("solved", ["Django ORM 查询很慢"]),
    ],
)
def test_the_status_filter(asked, as_student, as_teacher, status, expected):
    assert titles(search(as_student, status=status)) == expected
    assert titles(search(as_teacher, "classroom:question-list", status=status)) == expected


def test_status_and_words_combine(asked, as_student):
    assert titles(search(as_student, q="python", status="answered")) == ["列表推导式"]
    assert search(as_student, q="python", status="solved") == []
    assert search(as_student, q="装饰器", status="unanswered") == [asked.decorator]


def test_an_unknown_status_shows_nothing_and_no_500(asked, as_student):
    response = as_student.get(reverse("classroom:my-questions"), {"status": "everything"})
    assert response.status_code == 200
    assert "status" in response.context["form"].errors
    assert list(response.context["page_obj"].object_list) == []


def fts_rowids(word: str) -> set[int]:
    """What SQLite's full-text index itself holds for `word` (three characters or more)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM classroom_question_fts WHERE classroom_question_fts MATCH %s",
            ['"' + word + '"'],
        )
        return {row[0] for row in cursor.fetchall()}


def fts_integrity_check() -> None:
    """Raises if the index differs from the questions table (rank 1 compares the content)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO classroom_question_fts(classroom_question_fts, rank) VALUES ('integrity-check', 1)"
        )


def test_edited_questions_are_found_by_their_new_words_only(asked, as_student):
    question = asked.decorator
    question.title, question.body = "生成器的用法", "yield 和 return 的区别"
    question.save()
    assert search(as_student, q="装饰器") == []
    assert search(as_student, q="闭包") == []
    assert search(as_student, q="生成器") == [question]
    assert search(as_student, q="yield") == [question]

    Question.objects.filter(pk=asked.comprehension.pk).update(body="迭代器协议")
    assert search(as_student, q="python") == []
    assert search(as_student, q="迭代器协议") == [asked.comprehension]
    assert search(as_student, q="推导式") == [asked.comprehension]  # the title did not change
    if connection.vendor == "sqlite":
        assert fts_rowids("装饰器") == {asked.class_b.pk}
        assert fts_rowids("生成器") == {question.pk}
        fts_integrity_check()


def test_other_changes_to_a_question_keep_it_findable(asked, as_student):
    Question.objects.filter(pk=asked.decorator.pk).update(answer_count=5, is_solved=True)
    assert search(as_student, q="装饰器") == [asked.decorator]
    if connection.vendor == "sqlite":
        fts_integrity_check()


def test_deleted_questions_leave_the_index(asked, as_student):
    Answer.objects.filter(question=asked.orm).delete()
    asked.orm.delete()
    Question.objects.filter(pk=asked.comprehension.pk).delete()
    assert search(as_student, q="查询很慢") == []
    assert search(as_student, q="推导式") == []
    assert search(as_student, q="装饰器") == [asked.decorator]
    if connection.vendor == "sqlite":
        assert fts_rowids("查询很慢") == {asked.class_b.pk}
        assert fts_rowids("推导式") == {asked.class_b.pk}
        fts_integrity_check()
    # A new question takes the words back.
    again = services.question_ask(
        class_list=asked.decorator.class_list,
        lesson=None,
        title="列表推导式又来了",
        body="x",
        by=asked.decorator.asked_by,
    )
    assert search(as_student, q="推导式") == [again]


def test_the_index_matches_a_question_asked_through_the_page(world, classroom, as_student):
    ask(as_student, world.class_a, title="异步编程 asyncio", body="事件循环是什么")
    question = Question.objects.get()
    assert search(as_student, q="asyncio") == [question]
    assert search(as_student, q="事件循环") == [question]
    assert search(as_student, q="ASYNCIO 事件") == [question]
    if connection.vendor == "sqlite":
        assert fts_rowids("asyncio") == {question.pk}
        fts_integrity_check()


def test_the_search_box_keeps_the_query_and_offers_to_ask_it(asked, as_student):
    page = as_student.get(reverse("classroom:my-questions"), {"q": "<b>没有的问题</b>"}).content.decode()
    assert "<b>没有的问题</b>" not in page
    assert escape("<b>没有的问题</b>") in page
    assert 'data-testid="no-questions"' in page


# --- Races: two people at the same moment ------------------------------------------------------------------
def wait_for_the_other(barrier: threading.Barrier) -> None:
    """Both threads are inside their transactions here. SQLite queues writers at BEGIN, so there
    the barrier breaks after its timeout and they go one after the other."""
    with suppress(threading.BrokenBarrierError):
        barrier.wait(timeout=3)


@pytest.mark.usefixtures("shared_db")
def test_two_answers_at_the_same_moment_are_both_counted(world, classroom, adviser, monkeypatch):
    question = services.question_ask(
        class_list=world.class_a, lesson=None, title="并发", body="两个老师同时回答", by=world.student
    )
    both_inserted = threading.Barrier(2)
    create = Answer.objects.create

    def create_then_wait(**values):
        made = create(**values)
        wait_for_the_other(both_inserted)
        return made

    monkeypatch.setattr(Answer.objects, "create", create_then_wait)
    outcomes = run_together(
        [
            lambda: services.question_answer(question=question, body="一", by=world.teacher),
            lambda: services.question_answer(question=question, body="二", by=adviser),
        ]
    )
    assert all(isinstance(outcome, Answer) for outcome in outcomes), outcomes
    question.refresh_from_db()
    assert Answer.objects.filter(question=question).count() == 2
    assert question.answer_count == 2


@pytest.mark.usefixtures("shared_db")
def test_two_accepts_at_the_same_moment_leave_one_accepted_and_no_error(world, classroom, monkeypatch):
    question = services.question_ask(
        class_list=world.class_a, lesson=None, title="并发", body="同时采纳", by=world.student
    )
    first = services.question_answer(question=question, body="一", by=world.teacher)
    second = services.question_answer(question=question, body="二", by=world.teacher)
    both_unmarked = threading.Barrier(2)
    update = QuerySet.update

    def update_then_wait(queryset, **values):
        changed = update(queryset, **values)
        if values == {"is_accepted": False}:
            wait_for_the_other(both_unmarked)
        return changed

    monkeypatch.setattr(QuerySet, "update", update_then_wait)
    outcomes = run_together(
        [lambda: services.answer_accept(answer=first), lambda: services.answer_accept(answer=second)]
    )
    assert all(isinstance(outcome, Answer) for outcome in outcomes), outcomes
    assert len(accepted(question)) == 1
