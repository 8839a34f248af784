"""Reads of the classroom, scoped to the user: a teacher or adviser reaches the classes they teach
or advise (and their lessons, records, files and questions); a student their own records and
their classes' lessons and questions. Anything else is not found."""

from __future__ import annotations

from django.db import connection
from django.db.models import Avg, Count, F, Prefetch, Q, QuerySet, Sum, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Rank
from django.shortcuts import get_object_or_404
from django.utils import timezone

from classroom.models import ATTENDED, Answer, Attendance, HomeworkFile, Lesson, Question, StudyRecord
from crm.models import ClassList
from crm.selectors import classes_taught_by
from enrollment.models import Student

# FTS5's trigram tokenizer matches strings of three characters or more; shorter terms are
# looked up with LIKE among the (already scoped) questions.
TRIGRAM = 3


def students_of_class(class_list: ClassList) -> QuerySet[Student]:
    """Who is taught and gets study records: the class's students, except those who dropped out."""
    return Student.objects.filter(classes=class_list).exclude(status=Student.Status.DROPPED)


# --- Teachers and advisers ------------------------------------------------------------------------
def teaching_classes(user) -> QuerySet[ClassList]:
    """The classes the user teaches or advises, course and campus joined, with their counts."""
    return (
        ClassList.objects.filter(pk__in=classes_taught_by(user).values("pk"))
        .select_related("course", "campus", "adviser")
        .annotate(
            student_count=Count("students", distinct=True),
            lesson_count=Count("lessons", distinct=True),
        )
        .order_by("-is_active", "-start_date", "id")
    )


def class_for_teacher(user, pk: int) -> ClassList:
    return get_object_or_404(
        ClassList.objects.filter(pk__in=classes_taught_by(user).values("pk")).select_related(
            "course", "campus", "adviser"
        ),
        pk=pk,
    )


def lessons_taught_by(user) -> QuerySet[Lesson]:
    return Lesson.objects.filter(class_list__in=classes_taught_by(user).values("pk")).select_related(
        "class_list__course", "class_list__campus", "teacher"
    )


def lesson_for_teacher(user, pk: int) -> Lesson:
    return get_object_or_404(lessons_taught_by(user), pk=pk)


def lessons_of_class(class_list: ClassList) -> QuerySet[Lesson]:
    """A class's lessons with their hand-in and grading progress (one query)."""
    return (
        class_list.lessons.select_related("teacher")
        .annotate(
            record_count=Count("records"),
            handed_in=Count("records", filter=Q(records__homework_submitted_at__isnull=False)),
            graded=Count("records", filter=Q(records__score__isnull=False)),
            roll_taken=Count("records", filter=~Q(records__attendance="")),
        )
        .order_by("number")
    )


def records_for_lesson(lesson: Lesson) -> QuerySet[StudyRecord]:
    """The lesson's records for roll call and grading: student and name joined, files prefetched."""
    return (
        lesson.records.select_related("student__customer")
        .prefetch_related(
            Prefetch("homework_files", queryset=HomeworkFile.objects.order_by("uploaded_at", "id"))
        )
        .order_by("student__customer__name", "student_id")
    )


def students_missing_records(lesson: Lesson) -> int:
    """Students of the class who joined after the lesson was created (no record yet)."""
    return students_of_class(lesson.class_list).exclude(pk__in=lesson.records.values("student_id")).count()


def homework_of_lesson(lesson: Lesson) -> QuerySet[HomeworkFile]:
    """Every file handed in for the lesson, by student then upload, student name joined."""
    return (
        HomeworkFile.objects.filter(record__lesson=lesson)
        .select_related("record__student__customer")
        .order_by("record__student__customer__name", "record__student_id", "uploaded_at", "id")
    )


def homework_missing(prefix: str = "") -> Q:
    """A study record (reached through `prefix`) whose homework is missing: the lesson set one, the
    student handed nothing in, and the deadline has passed (or, without one, the lesson's day)."""
    lesson = f"{prefix}lesson__"
    overdue = Q(**{f"{lesson}homework_deadline__lt": timezone.now()}) | Q(
        **{f"{lesson}homework_deadline__isnull": True, f"{lesson}date__lt": timezone.localdate()}
    )
    return overdue & Q(**{f"{lesson}homework_title__gt": "", f"{prefix}homework_submitted_at__isnull": True})


def class_standings(class_list: ClassList) -> list[Student]:
    """The class's students with, computed in one query: attendance (lessons with the roll taken
    and lessons attended; excused absences count for neither), graded lessons, total and average
    score, homework missing after its deadline (or after the lesson's day when it has none), and
    the place in the class by total score (competition ranking: 1, 2, 2, 4). A student without a
    graded lesson has no place (`place` is None) and is listed last."""
    mine = Q(study_records__lesson__class_list=class_list)
    graded = mine & Q(study_records__score__isnull=False)
    taken = mine & Q(study_records__attendance__in=[a for a in Attendance.values if a != Attendance.EXCUSED])
    attended = mine & Q(study_records__attendance__in=ATTENDED)
    missing = mine & homework_missing("study_records__")
    students = list(
        students_of_class(class_list)
        .select_related("customer", "user")
        .annotate(
            total=Sum("study_records__score", filter=graded),
            graded=Count("study_records", filter=graded),
            average=Avg("study_records__score", filter=graded),
            taken=Count("study_records", filter=taken),
            attended=Count("study_records", filter=attended),
            missing=Count("study_records", filter=missing),
        )
        .annotate(place=Window(Rank(), order_by=F("total").desc(nulls_last=True)))
        .order_by("place", "customer__name", "pk")
    )
    for student in students:
        if not student.graded:
            student.place = None
        student.attendance_rate = student.attended / student.taken if student.taken else None
    return students


# --- Students ----------------------------------------------------------------------------------
def student_of(user) -> Student | None:
    return Student.objects.filter(user=user).first() if user.is_authenticated else None


def classes_of_student(user) -> QuerySet[ClassList]:
    return (
        ClassList.objects.filter(students__user=user)
        .select_related("course", "campus", "adviser")
        .prefetch_related("teachers")
        .order_by("-start_date", "id")
    )


def class_for_student(user, pk: int) -> ClassList:
    return get_object_or_404(classes_of_student(user), pk=pk)


def lessons_of_student(user) -> QuerySet[Lesson]:
    return Lesson.objects.filter(class_list__students__user=user).select_related(
        "class_list__course", "class_list__campus", "teacher"
    )


def lesson_for_student(user, pk: int) -> Lesson:
    return get_object_or_404(lessons_of_student(user), pk=pk)


def records_of_student(user) -> QuerySet[StudyRecord]:
    """The student's own records, lesson and class joined."""
    return (
        StudyRecord.objects.filter(student__user=user)
        .select_related("lesson__class_list__course", "lesson__class_list__campus")
        .order_by("lesson__class_list_id", "lesson__number")
    )


def record_of_student(user, lesson: Lesson) -> StudyRecord | None:
    return (
        StudyRecord.objects.filter(student__user=user, lesson=lesson)
        .select_related("lesson")
        .prefetch_related("homework_files")
        .first()
    )


# --- Files, seen by their student or the class's teachers -------------------------------------------
def homework_files_visible_to(user) -> QuerySet[HomeworkFile]:
    return HomeworkFile.objects.filter(
        Q(record__student__user=user) | Q(record__lesson__class_list__in=classes_taught_by(user).values("pk"))
    )


def homework_of_student(user) -> QuerySet[HomeworkFile]:
    return HomeworkFile.objects.filter(record__student__user=user).select_related("record")


# --- Questions ---------------------------------------------------------------------------------------
def questions_visible_to(user) -> QuerySet[Question]:
    """Live questions of the classes the user teaches, advises or studies in (deleted ones are
    only in their teachers' recycle bin)."""
    classes = Q(class_list__in=classes_taught_by(user).values("pk")) | Q(
        class_list__in=ClassList.objects.filter(students__user=user).values("pk")
    )
    return (
        Question.objects.live()
        .filter(classes)
        .select_related("class_list__course", "class_list__campus", "asked_by", "lesson")
    )


def question_for_detail(user, pk: int) -> Question:
    return get_object_or_404(questions_visible_to(user), pk=pk)


def question_for_teacher(user, pk: int) -> Question:
    """A question of a class the user teaches or advises (whom it is for to answer)."""
    return get_object_or_404(
        Question.objects.live().filter(class_list__in=classes_taught_by(user).values("pk")), pk=pk
    )


def questions_deletable_by(user) -> QuerySet[Question]:
    """Live questions the user may try to delete: their own, and those of classes they teach or
    advise (the service checks the rest: an asker's question must have no answer)."""
    return Question.objects.live().filter(
        Q(asked_by=user) | Q(class_list__in=classes_taught_by(user).values("pk"))
    )


def questions_deleted_for_teacher(user) -> QuerySet[Question]:
    """The recycle bin: deleted questions of the classes the user teaches or advises."""
    return (
        Question.objects.filter(is_deleted=True, class_list__in=classes_taught_by(user).values("pk"))
        .select_related("class_list__course", "class_list__campus", "asked_by")
        .order_by("-deleted_at", "-id")
    )


def answer_acceptable_by(user, pk: int) -> Answer:
    """An answer the user may accept: to their own question, or in a class they teach."""
    return get_object_or_404(
        Answer.objects.filter(
            Q(question__asked_by=user) | Q(question__class_list__in=classes_taught_by(user).values("pk")),
            question__is_deleted=False,
        ),
        pk=pk,
    )


def answers_of(question: Question) -> QuerySet[Answer]:
    return question.answers.select_related("author")


def questions_matching(questions: QuerySet[Question], text: str) -> QuerySet[Question]:
    """Questions whose title or body contains every word of `text` (Chinese too).

    SQLite: an FTS5 trigram index (classroom_question_fts, kept in step by triggers) answers words
    of three characters or more; PostgreSQL: pg_trgm GIN indexes serve the same ILIKE."""
    for word in text.split():
        if connection.vendor == "sqlite" and len(word) >= TRIGRAM:
            phrase = '"' + word.replace('"', '""') + '"'
            questions = questions.filter(
                pk__in=RawSQL(
                    "SELECT rowid FROM classroom_question_fts WHERE classroom_question_fts MATCH %s",
                    [phrase],
                )
            )
        else:
            questions = questions.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return questions
