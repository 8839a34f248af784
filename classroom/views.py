"""The classroom: teachers' classes, lessons, roll call, grading and homework; students' classes,
lessons, homework, grades and rank; questions and answers for both."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from classroom import selectors, services
from classroom.forms import (
    AnswerForm,
    GradeForm,
    HomeworkUploadForm,
    LessonForm,
    QuestionForm,
    QuestionSearchForm,
    RollCallForm,
    record_formset,
)
from classroom.homework import allowed_extensions, zip_member_names, zip_stream
from classroom.models import Attendance, Lesson
from common.lists import simple_page
from common.views import file_attachment
from crm.selectors import teaches_class

TEACHER_MENU = "classroom.class_list"
STUDENT_MENU = "classroom.my_classes"


# --- Teachers and advisers ----------------------------------------------------------------------
def class_list(request):
    classes = selectors.teaching_classes(request.user)
    return render(request, "classroom/class_list.html", {"classes": classes, "title": _("My classes")})


def class_detail(request, pk: int):
    """The class's lessons and its roster: attendance rate, average score, missing homework and
    place per student, all computed in the database."""
    class_list_ = selectors.class_for_teacher(request.user, pk)
    context = {
        "class": class_list_,
        "lessons": selectors.lessons_of_class(class_list_),
        "roster": selectors.class_standings(class_list_),
        "title": str(class_list_),
    }
    return render(request, "classroom/class_detail.html", context)


def lesson_create(request, pk: int):
    class_list_ = selectors.class_for_teacher(request.user, pk)
    initial = {"number": services.next_lesson_number(class_list_), "teacher": request.user.pk}
    form = LessonForm(request.POST or None, class_list=class_list_, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            lesson = services.lesson_create(class_list=class_list_, values=form.cleaned_data)
        except services.ClassroomRefused as error:
            form.add_error("number", str(error))
        else:
            messages.success(
                request,
                _("Lesson %(number)s saved; %(count)s students have a study record.")
                % {"number": lesson.number, "count": lesson.records.count()},
            )
            return redirect("classroom:lesson-detail", lesson.pk)
    context = {
        "form": form,
        "class": class_list_,
        "title": _("New lesson of %(class)s") % {"class": class_list_},
    }
    return render(request, "classroom/lesson_form.html", context)


def lesson_update(request, pk: int):
    lesson = selectors.lesson_for_teacher(request.user, pk)
    form = LessonForm(request.POST or None, instance=lesson, class_list=lesson.class_list)
    if request.method == "POST" and form.is_valid():
        try:
            services.lesson_update(lesson=lesson, values=form.cleaned_data)
        except services.ClassroomRefused as error:
            form.add_error("number", str(error))
        else:
            messages.success(request, _("Saved “%(record)s”.") % {"record": lesson})
            return redirect("classroom:lesson-detail", lesson.pk)
    context = {"form": form, "class": lesson.class_list, "title": _("Edit %(lesson)s") % {"lesson": lesson}}
    return render(request, "classroom/lesson_form.html", context)


def lesson_detail(request, pk: int):
    lesson = selectors.lesson_for_teacher(request.user, pk)
    records = list(selectors.records_for_lesson(lesson))
    context = {
        "lesson": lesson,
        "records": records,
        "handed_in": sum(1 for record in records if record.homework_submitted_at),
        "graded": sum(1 for record in records if record.is_graded),
        "missing_records": selectors.students_missing_records(lesson),
        "title": str(lesson),
    }
    return render(request, "classroom/lesson_detail.html", context)


@require_POST
def lesson_sync(request, pk: int):
    lesson = selectors.lesson_for_teacher(request.user, pk)
    made = services.lesson_records_sync(lesson=lesson)
    messages.success(request, _("Study records added for %(count)s students.") % {"count": made})
    return redirect("classroom:lesson-detail", lesson.pk)


def _record_page(request, lesson: Lesson, *, form_class, initial_of, save, template_name: str, title: str):
    """Roll call and grading: one form per study record of the lesson, saved all at once."""
    records = selectors.records_for_lesson(lesson)
    # An empty POST is still a POST: the formset reports its missing management form.
    formset = record_formset(
        form_class, records, request.POST if request.method == "POST" else None, initial_of
    )
    if request.method == "POST":
        if formset.is_valid():
            save(formset)
            return redirect("classroom:lesson-detail", lesson.pk)
        messages.error(request, _("Nothing was saved; see the messages below."))
    context = {"lesson": lesson, "formset": formset, "title": title}
    return render(request, template_name, context)


def roll_call(request, pk: int):
    lesson = selectors.lesson_for_teacher(request.user, pk)

    def save(formset):
        services.roll_call_save(lesson=lesson, attendance=formset.changes("attendance"))
        messages.success(request, _("Roll call of %(lesson)s saved.") % {"lesson": lesson})

    return _record_page(
        request,
        lesson,
        form_class=RollCallForm,
        # Until the roll is taken every student starts as present; the teacher marks the others.
        initial_of=lambda record: {"attendance": record.attendance or Attendance.PRESENT},
        save=save,
        template_name="classroom/roll_call.html",
        title=_("Roll call: %(lesson)s") % {"lesson": lesson},
    )


def grading(request, pk: int):
    lesson = selectors.lesson_for_teacher(request.user, pk)

    def save(formset):
        changed = services.grades_save(
            lesson=lesson, grades=formset.changes("score", "comment"), by=request.user
        )
        messages.success(request, _("Grades saved (%(count)s changed).") % {"count": changed})

    return _record_page(
        request,
        lesson,
        form_class=GradeForm,
        initial_of=lambda record: {"score": record.score, "comment": record.comment},
        save=save,
        template_name="classroom/grading.html",
        title=_("Grade homework: %(lesson)s") % {"lesson": lesson},
    )


def homework_zip(request, pk: int):
    """Every file handed in for the lesson as one zip, one folder per student, written while sent."""
    lesson = selectors.lesson_for_teacher(request.user, pk)
    files = list(selectors.homework_of_lesson(lesson))
    if not files:
        messages.info(request, _("No homework was handed in for this lesson yet."))
        return redirect("classroom:lesson-detail", lesson.pk)
    names = zip_member_names(
        (str(homework.record.student_id), homework.record.student.customer.name, homework.original_name)
        for homework in files
    )
    response = StreamingHttpResponse(
        zip_stream(zip(names, (homework.file for homework in files), strict=True)),
        content_type="application/zip",
    )
    # A course may be called "UI/UX设计": a slash or backslash would make the name a path (and
    # Django leaves a slash unencoded in `filename*=`, which the header's grammar does not allow).
    class_name = f"{lesson.class_list.course.name} {lesson.class_list.semester_label}"
    filename = _("%(class)s lesson %(number)s homework.zip") % {
        "class": class_name.replace("/", "-").replace("\\", "-"),
        "number": lesson.number,
    }
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def homework_file(request, pk: int):
    """One homework file, as an attachment, to its student and the class's teachers."""
    homework = get_object_or_404(selectors.homework_files_visible_to(request.user), pk=pk)
    return file_attachment(homework.file, filename=homework.original_name, content_type=homework.content_type)


# --- Students ---------------------------------------------------------------------------------------
def my_classes(request):
    classes = selectors.classes_of_student(request.user)
    return render(request, "classroom/my_classes.html", {"classes": classes, "title": _("My classes")})


def my_class(request, pk: int):
    """The syllabus and the lessons of one of the student's classes, with the student's record
    of each."""
    request.rbac.lead_from(STUDENT_MENU)
    class_list_ = selectors.class_for_student(request.user, pk)
    records = {
        record.lesson_id: record
        for record in selectors.records_of_student(request.user).filter(lesson__class_list=class_list_)
    }
    lessons = [(lesson, records.get(lesson.pk)) for lesson in class_list_.lessons.select_related("teacher")]
    context = {"class": class_list_, "lessons": lessons, "title": str(class_list_)}
    return render(request, "classroom/my_class.html", context)


def my_lesson(request, pk: int):
    request.rbac.lead_from(STUDENT_MENU)
    lesson = selectors.lesson_for_student(request.user, pk)
    record = selectors.record_of_student(request.user, lesson)
    form = HomeworkUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and record is not None and form.is_valid():
        try:
            homework = services.homework_upload(record=record, upload=form.cleaned_data["file"])
        except ValidationError as error:
            form.add_error("file", error)
        except services.ClassroomRefused as error:
            messages.error(request, str(error))
        else:
            if homework.is_late:
                messages.warning(request, _("Handed in “%(name)s”, after the deadline.") % {"name": homework})
            else:
                messages.success(request, _("Handed in “%(name)s”.") % {"name": homework})
            return redirect("classroom:my-lesson", lesson.pk)
    context = {
        "lesson": lesson,
        "record": record,
        "form": form,
        "allowed_types": allowed_extensions(),
        "title": str(lesson),
    }
    return render(request, "classroom/my_lesson.html", context)


@require_POST
def my_homework_delete(request, pk: int):
    homework = get_object_or_404(selectors.homework_of_student(request.user), pk=pk)
    try:
        services.homework_remove(homework=homework)
    except services.ClassroomRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Removed “%(name)s”.") % {"name": homework})
    return redirect("classroom:my-lesson", homework.record.lesson_id)


def my_grades(request):
    """The student's grade for each lesson and their place in each class."""
    records = list(selectors.records_of_student(request.user))
    classes = []
    for class_list_ in selectors.classes_of_student(request.user):
        standings = selectors.class_standings(class_list_)
        me = next((student for student in standings if student.user_id == request.user.pk), None)
        classes.append(
            {
                "class": class_list_,
                "me": me,
                "ranked": sum(1 for student in standings if student.place is not None),
                "records": [record for record in records if record.lesson.class_list_id == class_list_.pk],
            }
        )
    return render(request, "classroom/my_grades.html", {"classes": classes, "title": _("My grades")})


# --- Questions and answers ------------------------------------------------------------------------
def _question_page(request, *, template_name: str, title: str, extra: dict | None = None):
    """The questions of the user's classes, searched and filtered, newest first."""
    form = QuestionSearchForm(request.GET or None)
    questions = selectors.questions_visible_to(request.user)
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        if query:
            questions = selectors.questions_matching(questions, query)
        status = form.cleaned_data["status"]
        if status == "unanswered":
            questions = questions.filter(answer_count=0)
        elif status == "answered":
            questions = questions.filter(answer_count__gt=0)
        elif status == "solved":
            questions = questions.filter(is_solved=True)
    elif form.is_bound:
        questions = questions.none()
    page = simple_page(request, questions.order_by("-created_at", "-id"))
    context = {"form": form, "page_obj": page, "query": query, "title": title, **(extra or {})}
    return render(request, template_name, context)


def question_list(request):
    return _question_page(request, template_name="classroom/question_list.html", title=_("Questions"))


def my_questions(request):
    return _question_page(
        request,
        template_name="classroom/question_list.html",
        title=_("Questions"),
        extra={"can_ask": True},
    )


def question_create(request):
    request.rbac.lead_from("classroom.my_questions")
    form = QuestionForm(
        request.POST or None,
        classes=selectors.classes_of_student(request.user),
        lessons=selectors.lessons_of_student(request.user).order_by("class_list_id", "number"),
        initial={"title": request.GET.get("title", "")[:150]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            question = services.question_ask(
                class_list=form.cleaned_data["class_list"],
                lesson=form.cleaned_data["lesson"],
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error("lesson", error)
        else:
            messages.success(request, _("Your question was sent to the class's teachers."))
            return redirect("classroom:question-detail", question.pk)
    return render(request, "classroom/question_form.html", {"form": form, "title": _("Ask a question")})


def question_detail(request, pk: int):
    question = selectors.question_for_detail(request.user, pk)
    teaches = teaches_class(request.user, question.class_list_id)
    request.rbac.lead_from("classroom.question_list" if teaches else "classroom.my_questions")
    context = {
        "question": question,
        "answers": selectors.answers_of(question),
        "answer_form": AnswerForm() if teaches and request.rbac.allows("classroom:answer-create") else None,
        "can_accept": request.rbac.allows("classroom:answer-accept")
        and (teaches or question.asked_by_id == request.user.pk),
        "can_delete": request.rbac.allows("classroom:question-delete")
        and (teaches or (question.asked_by_id == request.user.pk and not question.answer_count)),
        "title": question.title,
    }
    return render(request, "classroom/question_detail.html", context)


@require_POST
def answer_create(request, pk: int):
    question = selectors.question_for_teacher(request.user, pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.question_answer(question=question, body=form.cleaned_data["body"], by=request.user)
        except services.ClassroomRefused as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Answered; the student is notified."))
    else:
        messages.error(request, " ".join(form.errors["body"]) + " " + _("Nothing was saved."))
    return redirect("classroom:question-detail", question.pk)


@require_POST
def answer_accept(request, pk: int):
    answer = selectors.answer_acceptable_by(request.user, pk)
    services.answer_accept(answer=answer, by=request.user)
    messages.success(request, _("Marked as the accepted answer."))
    return redirect("classroom:question-detail", answer.question_id)


@require_POST
def question_delete(request, pk: int):
    question = get_object_or_404(selectors.questions_deletable_by(request.user), pk=pk)
    try:
        services.question_delete(question=question, by=request.user)
    except services.ClassroomRefused as error:
        messages.error(request, str(error))
        return redirect("classroom:question-detail", question.pk)
    messages.success(request, _("“%(title)s” was moved to the recycle bin.") % {"title": question.title})
    if teaches_class(request.user, question.class_list_id):
        return redirect("classroom:question-list")
    return redirect("classroom:my-questions")


def question_trash(request):
    page = simple_page(request, selectors.questions_deleted_for_teacher(request.user))
    return render(
        request, "classroom/question_trash.html", {"page_obj": page, "title": _("Deleted questions")}
    )


@require_POST
def question_restore(request, pk: int):
    question = get_object_or_404(selectors.questions_deleted_for_teacher(request.user), pk=pk)
    try:
        services.question_restore(question=question, by=request.user)
    except services.ClassroomRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("“%(title)s” was restored.") % {"title": question.title})
    return redirect("classroom:question-trash")
