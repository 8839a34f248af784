"""Deleting questions to the recycle bin: the asker while nobody answered, the class's teachers
and adviser any of their class's questions; who may not; what a deleted question leaves
(lists, search, pages, the teacher's home page); the teachers' recycle bin and restore; and the
history rows of the question's counters (answers, solved) and of its deletion."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, User
from classroom import selectors, services
from classroom.models import Question
from classroom.services import ClassroomRefused
from rbac.defaults import TEACHER
from reports.dashboards import teacher_panels
from tests.classroom.conftest import _user
from tests.conftest import make_client


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def question(world, classroom) -> Question:
    return services.question_ask(
        class_list=world.class_a,
        lesson=classroom.lesson,
        title="闭包是什么",
        body="请举例说明",
        by=world.student,
    )


@pytest.fixture
def adviser(world, classroom) -> User:
    user = _user("adviser", world.roles[TEACHER], "Adviser Tester")
    world.class_a.adviser = user
    world.class_a.save(update_fields=["adviser"])
    return user


def delete(user, question):
    return make_client(user).post(reverse("classroom:question-delete", args=[question.pk]))


def is_deleted(question) -> bool:
    return Question.objects.get(pk=question.pk).is_deleted


# --- Who may delete ---------------------------------------------------------------------------------
def test_the_asker_deletes_an_unanswered_question(world, question):
    response = delete(world.student, question)
    assert response["Location"] == reverse("classroom:my-questions")
    assert messages_of(response) == ["“闭包是什么” was moved to the recycle bin."]
    assert is_deleted(question)


def test_deleting_withdraws_the_unread_notices_that_would_lead_to_a_missing_page(world, question):
    """The teacher was told of the new question; once the asker deletes it, an unread notice
    would open a 404, so it goes. A notice already read stays as history."""
    link = reverse("classroom:question-detail", args=[question.pk])
    notices = Notification.objects.filter(link=link)
    assert notices.filter(recipient=world.teacher, read_at__isnull=True).exists()
    read = Notification.objects.create(
        recipient=world.teacher, text="seen", link=link, read_at=timezone.now()
    )
    delete(world.student, question)
    assert list(notices) == [read]


def test_the_asker_may_not_delete_an_answered_question(world, question):
    services.question_answer(question=question, body="看第1课", by=world.teacher)
    response = delete(world.student, question)
    assert response["Location"] == reverse("classroom:question-detail", args=[question.pk])
    assert messages_of(response) == [
        "This question has answers, so it stays; ask your teacher if it must go."
    ]
    assert not is_deleted(question)


@pytest.mark.parametrize("who", ["teacher", "adviser"])
def test_the_class_teacher_or_adviser_deletes_any_question_even_answered(world, question, adviser, who):
    services.question_answer(question=question, body="看第1课", by=world.teacher)
    user = adviser if who == "adviser" else world.teacher
    response = delete(user, question)
    assert response["Location"] == reverse("classroom:question-list")
    assert is_deleted(question)


def test_a_classmate_gets_404(world, classroom, question):
    assert delete(classroom.classmate.user, question).status_code == 404
    assert not is_deleted(question)


def test_another_class_teacher_and_student_get_404(world, classroom, question):
    assert delete(classroom.other_teacher, question).status_code == 404
    assert delete(classroom.other_student.user, question).status_code == 404
    assert not is_deleted(question)


def test_the_service_refuses_someone_who_is_neither_asker_nor_teacher(world, classroom, question):
    with pytest.raises(ClassroomRefused):
        services.question_delete(question=question, by=classroom.classmate.user)
    assert not is_deleted(question)


def test_delete_is_post_only(world, question):
    response = make_client(world.student).get(reverse("classroom:question-delete", args=[question.pk]))
    assert response.status_code == 405


def test_the_detail_page_offers_delete_with_a_confirm_step_to_those_who_may(world, classroom, question):
    url = reverse("classroom:question-detail", args=[question.pk])
    for user in (world.student, world.teacher):
        page = make_client(user).get(url).content.decode()
        assert 'data-testid="delete-question"' in page, user
        assert 'data-confirm="' in page
    assert (
        'data-testid="delete-question"' not in make_client(classroom.classmate.user).get(url).content.decode()
    )
    services.question_answer(question=question, body="看第1课", by=world.teacher)
    assert 'data-testid="delete-question"' not in make_client(world.student).get(url).content.decode()


# --- Gone for students, in the teachers' recycle bin ----------------------------------------------------
def test_a_deleted_question_leaves_lists_search_pages_and_the_home_page(world, classroom, question):
    services.question_delete(question=question, by=world.teacher)

    for user in (world.student, classroom.classmate.user, world.teacher):
        assert not selectors.questions_visible_to(user).exists()
        assert not selectors.questions_matching(selectors.questions_visible_to(user), "闭包是").exists()
    student = make_client(world.student)
    assert "闭包是什么" not in student.get(reverse("classroom:my-questions")).content.decode()
    assert "闭包是什么" not in student.get(reverse("classroom:my-questions") + "?q=闭包是").content.decode()
    assert (
        "闭包是什么"
        not in make_client(world.teacher).get(reverse("classroom:question-list")).content.decode()
    )
    url = reverse("classroom:question-detail", args=[question.pk])
    assert student.get(url).status_code == 404
    assert make_client(world.teacher).get(url).status_code == 404
    assert teacher_panels(world.teacher)["unanswered"] == []


def test_a_deleted_question_takes_no_answer_and_no_accept(world, question):
    answer = services.question_answer(question=question, body="看第1课", by=world.teacher)
    services.question_delete(question=question, by=world.teacher)
    response = make_client(world.teacher).post(
        reverse("classroom:answer-create", args=[question.pk]), {"body": "再看看"}
    )
    assert response.status_code == 404
    with pytest.raises(ClassroomRefused):
        services.question_answer(question=question, body="再看看", by=world.teacher)
    assert question.answers.count() == 1
    accept = make_client(world.student).post(reverse("classroom:answer-accept", args=[answer.pk]))
    assert accept.status_code == 404


def test_the_recycle_bin_shows_the_class_teachers_only_and_restores(world, classroom, question):
    services.question_delete(question=question, by=world.student)
    trash = reverse("classroom:question-trash")
    page = make_client(world.teacher).get(trash).content.decode()
    assert "闭包是什么" in page
    assert "闭包是什么" not in make_client(classroom.other_teacher).get(trash).content.decode()
    assert make_client(world.student).get(trash).status_code == 403

    restore = reverse("classroom:question-restore", args=[question.pk])
    assert make_client(classroom.other_teacher).post(restore).status_code == 404
    assert make_client(world.student).post(restore).status_code == 403
    response = make_client(world.teacher).post(restore)
    assert response["Location"] == trash
    assert messages_of(response) == ["“闭包是什么” was restored."]
    assert not is_deleted(question)
    assert list(selectors.questions_matching(selectors.questions_visible_to(world.student), "闭包是")) == [
        question
    ]


# --- History ---------------------------------------------------------------------------------------------
def history(question):
    return list(Question.history.filter(id=question.pk).order_by("history_date", "history_id"))


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def test_asking_answering_accepting_deleting_and_restoring_write_one_row_each(world, question, clock):
    [asked] = history(question)
    assert (asked.history_type, asked.history_user_id) == ("+", world.student.pk)

    answer = services.question_answer(question=question, body="看第1课", by=world.teacher)
    answered = history(question)[-1]
    assert (answered.history_type, answered.history_user_id, answered.history_date) == (
        "~",
        world.teacher.pk,
        timezone.now(),
    )
    assert (answered.answer_count, answered.is_solved) == (1, False)

    services.answer_accept(answer=answer, by=world.student)
    accepted = history(question)[-1]
    assert (accepted.history_user_id, accepted.answer_count, accepted.is_solved) == (
        world.student.pk,
        1,
        True,
    )
    assert len(history(question)) == 3
    # Accepting again changes nothing of the question, so it writes nothing.
    services.answer_accept(answer=answer, by=world.teacher)
    assert len(history(question)) == 3

    services.question_delete(question=question, by=world.teacher)
    services.question_restore(question=question, by=world.teacher)
    deleted, restored = history(question)[-2:]
    assert (deleted.history_user_id, deleted.is_deleted, deleted.deleted_at) == (
        world.teacher.pk,
        True,
        timezone.now(),
    )
    assert (restored.is_deleted, restored.deleted_at) == (False, None)
    assert len(history(question)) == 5
