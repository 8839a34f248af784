"""Writes of the classroom: lessons and their study records, roll call, grading, homework files,
questions and answers. Bulk writes touch only the records of the lesson they are given."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.models import Notification, User
from accounts.services import site_gettext
from classroom.homework import homework_kind, too_large_message
from classroom.models import Answer, HomeworkFile, Lesson, Question, StudyRecord
from classroom.selectors import students_of_class
from common.files import file_store
from common.history import history_record_rows
from crm.models import ClassList
from crm.selectors import teaches_class
from enrollment.documents import display_name

LESSON_FIELDS = (
    "number",
    "date",
    "teacher",
    "title",
    "content",
    "homework_title",
    "homework_requirement",
    "homework_deadline",
)


class ClassroomRefused(Exception):
    """A classroom action that cannot happen now; the message says why, for the user."""


def lesson_records_sync(*, lesson: Lesson) -> int:
    """Create the study records the lesson is missing (students who joined the class later).
    Idempotent: running it twice creates nothing the second time. Returns how many were made."""
    have = lesson.records.values("student_id")
    missing = students_of_class(lesson.class_list).exclude(pk__in=have).values_list("pk", flat=True)
    made = StudyRecord.objects.bulk_create(
        [StudyRecord(lesson=lesson, student_id=student_id) for student_id in missing],
        ignore_conflicts=True,  # a teacher syncing in two tabs at once
    )
    return len(made)


def _number_taken(class_list: ClassList, number: int) -> ClassroomRefused:
    return ClassroomRefused(gettext("Lesson %(number)s of this class exists already.") % {"number": number})


@transaction.atomic
def lesson_create(*, class_list: ClassList, values: dict) -> Lesson:
    """A lesson of the class with a study record for each of its students."""
    lesson = Lesson(class_list=class_list, **{name: values[name] for name in LESSON_FIELDS})
    try:
        with transaction.atomic():
            lesson.save()
    except IntegrityError as error:
        raise _number_taken(class_list, lesson.number) from error
    lesson_records_sync(lesson=lesson)
    return lesson


@transaction.atomic
def lesson_update(*, lesson: Lesson, values: dict) -> Lesson:
    """Save the lesson's changes; students who joined since get their records too."""
    for name in LESSON_FIELDS:
        setattr(lesson, name, values[name])
    try:
        with transaction.atomic():
            lesson.save()
    except IntegrityError as error:
        raise _number_taken(lesson.class_list, lesson.number) from error
    lesson_records_sync(lesson=lesson)
    return lesson


def next_lesson_number(class_list: ClassList) -> int:
    return (class_list.lessons.aggregate(last=Max("number"))["last"] or 0) + 1


@transaction.atomic
def roll_call_save(*, lesson: Lesson, attendance: dict[int, str]) -> int:
    """Set each record's attendance ({record id: attendance}). Only records of this lesson are
    touched: an id of another lesson's record changes nothing. One UPDATE per attendance value."""
    by_value: dict[str, list[int]] = defaultdict(list)
    for record_id, value in attendance.items():
        by_value[value].append(record_id)
    changed = 0
    for value, record_ids in by_value.items():
        changed += lesson.records.filter(pk__in=record_ids).update(attendance=value)
    return changed


@transaction.atomic
def grades_save(*, lesson: Lesson, grades: dict[int, tuple[int | None, str]], by: User) -> int:
    """Set each record's score and comment ({record id: (score or None, comment)}); only this
    lesson's records, and only those that changed (they get the grader and the time)."""
    now = timezone.now()
    changed = []
    for record in lesson.records.filter(pk__in=list(grades)).only("pk", "score", "comment"):
        score, comment = grades[record.pk]
        if (record.score, record.comment) != (score, comment):
            record.score, record.comment = score, comment
            record.graded_by, record.graded_at = (by, now) if score is not None else (None, None)
            changed.append(record)
    StudyRecord.objects.bulk_update(changed, ["score", "comment", "graded_by", "graded_at"])
    return len(changed)


# --- Homework -----------------------------------------------------------------------------------
def _homework_open(record: StudyRecord) -> None:
    if not record.lesson.has_homework:
        raise ClassroomRefused(gettext("This lesson has no homework."))
    if record.is_graded:
        raise ClassroomRefused(gettext("Your homework was graded; ask your teacher before changing it."))


def homework_upload(*, record: StudyRecord, upload) -> HomeworkFile:
    """Keep one homework file of the student's record: a type the school takes (checked by
    content), at most HOMEWORK_MAX_BYTES, at most HOMEWORK_FILE_LIMIT per lesson (counted with the
    record locked), under a random name. Marked late after the lesson's deadline."""
    if upload.size > settings.HOMEWORK_MAX_BYTES:
        # Refused before reading it: the size the upload handler counted is the real one.
        raise ValidationError(too_large_message(), code="size")
    data = upload.read()
    extension, kind = homework_kind(upload.name, data)
    with transaction.atomic():
        record = StudyRecord.objects.select_for_update().select_related("lesson").get(pk=record.pk)
        _homework_open(record)
        if record.homework_files.count() >= settings.HOMEWORK_FILE_LIMIT:
            raise ClassroomRefused(
                gettext("At most %(count)s files per lesson; remove one first.")
                % {"count": settings.HOMEWORK_FILE_LIMIT}
            )
        now = timezone.now()
        homework = HomeworkFile(
            record=record,
            original_name=display_name(upload.name),
            extension=extension,
            size=len(data),
            content_type=kind.content_type,
            uploaded_at=now,
            is_late=record.lesson.is_late(now),
        )
        file_store(homework.file, "homework", data)
        try:
            homework.save()
            StudyRecord.objects.filter(pk=record.pk).update(homework_submitted_at=now)
        except Exception:
            homework.file.delete(save=False)  # no row, no file
            raise
    return homework


@transaction.atomic
def homework_remove(*, homework: HomeworkFile) -> None:
    """Take back a file before grading; the record's hand-in time follows the files left."""
    record = StudyRecord.objects.select_for_update().select_related("lesson").get(pk=homework.record_id)
    _homework_open(record)
    storage, name = homework.file.storage, homework.file.name
    homework.delete()
    latest = record.homework_files.aggregate(latest=Max("uploaded_at"))["latest"]
    StudyRecord.objects.filter(pk=record.pk).update(homework_submitted_at=latest)
    transaction.on_commit(lambda: storage.delete(name))


# --- Questions and answers ------------------------------------------------------------------------
def _class_staff(class_list: ClassList) -> list[User]:
    staff = {user.pk: user for user in class_list.teachers.all()}
    if class_list.adviser_id:
        staff.setdefault(class_list.adviser_id, class_list.adviser)
    return list(staff.values())


@transaction.atomic
def question_ask(
    *, class_list: ClassList, lesson: Lesson | None, title: str, body: str, by: User
) -> Question:
    """A student's question; the class's teachers and adviser are notified."""
    if lesson is not None and lesson.class_list_id != class_list.pk:
        raise ValidationError(gettext("Pick a lesson of this class."))
    question = Question(class_list=class_list, lesson=lesson, title=title, body=body, asked_by=by)
    question._history_user = by
    question.save(force_insert=True)
    link = reverse("classroom:question-detail", args=[question.pk])
    text = site_gettext(
        gettext_noop("%(student)s asked in %(class)s: %(title)s"),
        student=by,
        **{"class": class_list},
        title=title,
    )
    Notification.objects.bulk_create(
        Notification(recipient=user, text=text[:500], link=link)
        for user in _class_staff(class_list)
        if user.pk != by.pk
    )
    return question


def _lock_question(pk: int) -> None:
    """Serialise writes to one question's answers. PostgreSQL locks the row; SQLite's IMMEDIATE
    transactions are serial already."""
    list(Question.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True))


@transaction.atomic
def question_answer(*, question: Question, body: str, by: User) -> Answer:
    """An answer from the class's teacher or adviser; the asker is notified."""
    _lock_question(question.pk)  # two answers at once must both be counted
    answer = Answer.objects.create(question=question, body=body, author=by)
    row = Question.objects.filter(pk=question.pk)
    if not row.live().update(answer_count=F("answer_count") + 1):
        raise ClassroomRefused(gettext("This question was deleted; the answer was not saved."))
    history_record_rows(row, by=by, at=answer.created_at)
    if question.asked_by_id != by.pk:
        Notification.objects.create(
            recipient_id=question.asked_by_id,
            text=site_gettext(
                gettext_noop("%(teacher)s answered your question: %(title)s"),
                teacher=by,
                title=question.title,
            )[:500],
            link=reverse("classroom:question-detail", args=[question.pk]),
        )
    return answer


@transaction.atomic
def answer_accept(*, answer: Answer, by: User | None = None) -> Answer:
    """Make this the question's one accepted answer (another accepted one is unmarked first).
    `by` is who accepted it (the history's user). The question gets a history row only when it
    becomes solved: accepting another answer later changes nothing of the question."""
    _lock_question(answer.question_id)  # two accepts at once: one after the other, no 500
    Answer.objects.filter(question=answer.question_id, is_accepted=True).exclude(pk=answer.pk).update(
        is_accepted=False
    )
    Answer.objects.filter(pk=answer.pk).update(is_accepted=True)
    row = Question.objects.filter(pk=answer.question_id)
    if row.filter(is_solved=False).update(is_solved=True):
        history_record_rows(row, by=by, at=timezone.now())
    answer.is_accepted = True
    return answer


@transaction.atomic
def question_delete(*, question: Question, by: User) -> Question:
    """Move a question to the recycle bin. The class's teachers and adviser may delete any of
    its questions (an inappropriate one, say); the asker only their own while it has no
    answer, checked with the question locked (an answer being saved waits for the lock, and
    its counter UPDATE skips a deleted question), so one of the two wins cleanly. The unread
    notifications of the question are withdrawn with it."""
    _lock_question(question.pk)
    now = timezone.now()
    row = Question.objects.live().filter(pk=question.pk)
    as_asker = not teaches_class(by, question.class_list_id)
    if as_asker and question.asked_by_id != by.pk:
        raise ClassroomRefused(gettext("Only the asker or the class's teachers may delete a question."))
    if as_asker and not row.filter(answer_count=0).exists():
        raise ClassroomRefused(
            gettext("This question has answers, so it stays; ask your teacher if it must go.")
        )
    if not row.update(is_deleted=True, deleted_at=now):
        raise ClassroomRefused(gettext("This question is in the recycle bin already."))
    history_record_rows(Question.objects.filter(pk=question.pk), by=by, at=now)
    # Unread notices of the question would lead to a page that is gone; read ones are history.
    Notification.objects.filter(
        link=reverse("classroom:question-detail", args=[question.pk]), read_at__isnull=True
    ).delete()
    question.is_deleted, question.deleted_at = True, now
    return question


@transaction.atomic
def question_restore(*, question: Question, by: User) -> Question:
    """Bring a question back from the recycle bin as it was, answers included."""
    now = timezone.now()
    if not Question.objects.filter(pk=question.pk, is_deleted=True).update(is_deleted=False, deleted_at=None):
        raise ClassroomRefused(gettext("This question is not in the recycle bin any more."))
    history_record_rows(Question.objects.filter(pk=question.pk), by=by, at=now)
    question.is_deleted, question.deleted_at = False, None
    return question
