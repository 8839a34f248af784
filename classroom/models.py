"""Teaching: lessons of a class, each student's study record of a lesson (attendance, homework,
score), the homework files, and the questions students ask with their answers."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.models import ClassList
from enrollment.models import Student


class Attendance(models.TextChoices):
    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    ABSENT = "absent", _("Absent")
    LEFT_EARLY = "left_early", _("Left early")
    EXCUSED = "excused", _("Excused")


# Attendances that count as having been in the lesson (for the attendance rate).
ATTENDED = (Attendance.PRESENT, Attendance.LATE, Attendance.LEFT_EARLY)


class Score(models.IntegerChoices):
    """The school's grading scale: a letter for the student, a number for the ranking."""

    A_PLUS = 100, "A+"
    A = 90, "A"
    B_PLUS = 85, "B+"
    B = 80, "B"
    B_MINUS = 70, "B-"
    C_PLUS = 60, "C+"
    C = 50, "C"
    C_MINUS = 40, "C-"
    D = -50, "D"
    NOT_APPLICABLE = 0, _("N/A")
    COPY = -100, _("COPY (copied homework)")
    FAIL = -1000, _("FAIL")


class Lesson(models.Model):
    """One day of a class: what was taught and the homework set."""

    class_list = models.ForeignKey(
        ClassList, on_delete=models.PROTECT, related_name="lessons", verbose_name=_("class")
    )
    number = models.PositiveSmallIntegerField(
        _("lesson number"),
        validators=[MinValueValidator(1), MaxValueValidator(999)],
        help_text=_("Day 1, 2, 3… of the class."),
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("teacher")
    )
    title = models.CharField(_("title"), max_length=100)
    content = models.TextField(_("content"), blank=True)
    homework_title = models.CharField(
        _("homework title"), max_length=100, blank=True, help_text=_("Leave empty when there is no homework.")
    )
    homework_requirement = models.TextField(_("homework requirements"), blank=True)
    homework_deadline = models.DateTimeField(
        _("homework deadline"),
        null=True,
        blank=True,
        help_text=_("Homework handed in after it is marked late."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["class_list", "number"]
        constraints = [
            models.UniqueConstraint(fields=["class_list", "number"], name="lesson_unique_class_number")
        ]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def __str__(self) -> str:
        return _("Lesson %(number)s: %(title)s") % {"number": self.number, "title": self.title}

    @property
    def has_homework(self) -> bool:
        return bool(self.homework_title)

    def is_late(self, at) -> bool:
        return self.homework_deadline is not None and at > self.homework_deadline


class StudyRecord(models.Model):
    """One student in one lesson: attendance (empty until the roll is taken), homework handed in,
    score and the teacher's comment (empty until graded)."""

    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, related_name="records", verbose_name=_("lesson")
    )
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="study_records", verbose_name=_("student")
    )
    attendance = models.CharField(_("attendance"), max_length=10, choices=Attendance.choices, blank=True)
    score = models.SmallIntegerField(_("score"), choices=Score.choices, null=True, blank=True)
    comment = models.CharField(_("teacher's comment"), max_length=500, blank=True)
    homework_submitted_at = models.DateTimeField(_("homework handed in at"), null=True, blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("graded by"),
    )
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)

    class Meta:
        ordering = ["lesson", "student"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "student"], name="study_record_unique_lesson_student")
        ]
        indexes = [models.Index(fields=["student", "lesson"], name="study_record_student_idx")]
        verbose_name = _("study record")
        verbose_name_plural = _("study records")

    def __str__(self) -> str:
        return f"{self.lesson} · {self.student}"

    @property
    def is_graded(self) -> bool:
        return self.score is not None

    @property
    def homework_is_late(self) -> bool:
        return self.homework_submitted_at is not None and self.lesson.is_late(self.homework_submitted_at)


def _homework_name(instance, filename: str) -> str:
    """A random name under a private folder; the uploaded name is kept only for display."""
    return f"homework/{uuid.uuid4().hex}.{instance.extension}"


class HomeworkFile(models.Model):
    record = models.ForeignKey(
        StudyRecord, on_delete=models.CASCADE, related_name="homework_files", verbose_name=_("study record")
    )
    file = models.FileField(_("file"), upload_to=_homework_name, max_length=200)
    original_name = models.CharField(_("file name"), max_length=100)
    extension = models.CharField(_("extension"), max_length=10)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("type"), max_length=100)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    is_late = models.BooleanField(_("late"), default=False)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("homework file")
        verbose_name_plural = _("homework files")

    def __str__(self) -> str:
        return self.original_name


class QuestionQuerySet(models.QuerySet):
    def live(self):
        """Questions not in the recycle bin: lists, search and pages read these."""
        return self.filter(is_deleted=False)


class Question(models.Model):
    """A student's question to the class; teachers and the adviser answer, one answer is accepted.
    Titles and bodies are searched through a full-text index (see the migration)."""

    class_list = models.ForeignKey(
        ClassList, on_delete=models.PROTECT, related_name="questions", verbose_name=_("class")
    )
    lesson = models.ForeignKey(
        Lesson,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
        verbose_name=_("lesson"),
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by")
    )
    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(_("question"), max_length=5000)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    answer_count = models.PositiveIntegerField(_("answers"), default=0)
    is_solved = models.BooleanField(_("solved"), default=False)
    is_deleted = models.BooleanField(_("deleted"), default=False)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    objects = QuestionQuerySet.as_manager()
    # The body is large and never edited after asking; the row itself keeps it.
    history = HistoricalRecords(excluded_fields=["body"])

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["class_list", "-created_at"], name="question_class_idx"),
            models.Index(fields=["-deleted_at"], condition=Q(is_deleted=True), name="question_deleted_idx"),
        ]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.title


class Answer(models.Model):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("answered by")
    )
    body = models.TextField(_("answer"), max_length=5000)
    created_at = models.DateTimeField(_("answered at"), default=timezone.now)
    is_accepted = models.BooleanField(_("accepted"), default=False)

    class Meta:
        ordering = ["-is_accepted", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["question"], condition=Q(is_accepted=True), name="answer_one_accepted_per_question"
            )
        ]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self) -> str:
        return self.body[:50]
