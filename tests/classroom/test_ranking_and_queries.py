"""The class ranking and roster figures (competition ranking, attendance rate, average, missing
homework) computed in one query, the pinned query counts of the classroom pages (flat in the
number of students, lessons and questions), and study records following the class's students."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from classroom import selectors, services
from classroom.models import Attendance, HomeworkFile, Lesson, Question, Score, StudyRecord
from crm.models import ClassList, Customer
from enrollment.models import Student
from rbac.defaults import STUDENT
from rbac.models import Role
from tests.classroom.conftest import lesson_values
from tests.conftest import assert_form_refused, make_client

_numbers = count(1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def add_students(
    world, class_list: ClassList, names: list[str], *, status: str = Student.Status.STUDYING
) -> list[Student]:
    """Students of `class_list` with these (Chinese) names, in a handful of bulk inserts."""
    numbers = [next(_numbers) for _ in names]
    users = User.objects.bulk_create(
        User(username=f"pupil{number}", password=make_password(None), email=f"pupil{number}@example.test")
        for number in numbers
    )
    Role.users.through.objects.bulk_create(
        Role.users.through(role_id=world.roles[STUDENT].pk, user_id=user.pk) for user in users
    )
    customers = Customer.objects.bulk_create(
        Customer(
            name=name,
            phone=f"+86135{number:08d}",
            status=Customer.Status.SIGNED,
            consulted_on=date(2026, 8, 1),
            source=world.source,
        )
        for name, number in zip(names, numbers, strict=True)
    )
    students = Student.objects.bulk_create(
        Student(user=user, customer=customer, status=status)
        for user, customer in zip(users, customers, strict=True)
    )
    Student.classes.through.objects.bulk_create(
        Student.classes.through(student_id=student.pk, classlist_id=class_list.pk) for student in students
    )
    return students


def new_lesson(world, number: int, class_list: ClassList | None = None, **changes) -> Lesson:
    return services.lesson_create(
        class_list=class_list or world.class_a, values=lesson_values(world.teacher, number, **changes)
    )


def record(student: Student, lesson: Lesson) -> StudyRecord:
    return StudyRecord.objects.get(student=student, lesson=lesson)


def set_record(student: Student, lesson: Lesson, **values) -> None:
    assert StudyRecord.objects.filter(student=student, lesson=lesson).update(**values) == 1


def standings_by_name(class_list: ClassList) -> dict[str, Student]:
    return {student.customer.name: student for student in selectors.class_standings(class_list)}


# --- Ranking ---------------------------------------------------------------------------------------
def test_competition_ranking_shares_places_and_skips_after_a_tie(world, classroom):
    a, b, c, d = add_students(world, world.class_a, ["甲", "乙", "丙", "丁"])
    services.lesson_records_sync(lesson=classroom.lesson)
    lesson_2 = new_lesson(world, 2)
    # Totals: 甲 180, 乙 150, 丙 150, 丁 100; the fixture's two students are not graded.
    for student, scores in {a: (90, 90), b: (100, 50), c: (90, 60), d: (50, 50)}.items():
        set_record(student, classroom.lesson, score=scores[0])
        set_record(student, lesson_2, score=scores[1])

    standings = selectors.class_standings(world.class_a)
    shown = [(student.customer.name, student.place, student.total) for student in standings]
    assert shown[0] == ("甲", 1, 180)
    assert sorted(shown[1:3]) == [("丙", 2, 150), ("乙", 2, 150)]  # a tie shares the place
    assert shown[3] == ("丁", 4, 100)  # and the next place is skipped
    assert sorted(shown[4:]) == [("吴同学", None, None), ("郑同学", None, None)]
    places = [student.place for student in standings]
    assert places == [1, 2, 2, 4, None, None]
    assert {standings[1].customer.name, standings[2].customer.name} == {"乙", "丙"}


def test_a_student_without_a_graded_lesson_has_no_place_and_comes_last(world, classroom):
    set_record(classroom.classmate, classroom.lesson, score=Score.C, attendance=Attendance.PRESENT)
    # Attendance alone does not rank a student.
    set_record(classroom.student, classroom.lesson, attendance=Attendance.PRESENT)
    standings = selectors.class_standings(world.class_a)
    assert [(student.customer.name, student.place) for student in standings] == [
        ("郑同学", 1),
        ("吴同学", None),
    ]
    assert standings[1].graded == 0 and standings[1].average is None


def test_negative_scores_count_and_rank_below_zero_but_above_ungraded(world, classroom):
    copier, failer, zero = add_students(world, world.class_a, ["抄", "挂", "零"])
    services.lesson_records_sync(lesson=classroom.lesson)
    lesson_2 = new_lesson(world, 2)
    set_record(copier, classroom.lesson, score=Score.COPY)  # -100
    set_record(copier, lesson_2, score=Score.A)  # +90 -> -10
    set_record(failer, classroom.lesson, score=Score.FAIL)  # -1000
    set_record(zero, classroom.lesson, score=Score.NOT_APPLICABLE)  # 0 is graded
    set_record(classroom.classmate, classroom.lesson, score=Score.D)  # -50

    standings = standings_by_name(world.class_a)
    assert (standings["零"].place, standings["零"].total) == (1, 0)
    assert (standings["抄"].place, standings["抄"].total, standings["抄"].average) == (2, -10, -5)
    assert (standings["郑同学"].place, standings["郑同学"].total) == (3, -50)
    assert (standings["挂"].place, standings["挂"].total) == (4, -1000)
    assert standings["吴同学"].place is None
    assert [student.customer.name for student in selectors.class_standings(world.class_a)][-1] == "吴同学"


def test_records_of_another_classs_lessons_do_not_count(world, classroom):
    """A student of both classes: class B's scores and attendance stay out of class A's roster."""
    classroom.student.classes.add(world.class_b)
    services.lesson_records_sync(lesson=classroom.other_lesson)
    set_record(classroom.student, classroom.other_lesson, score=Score.A_PLUS, attendance=Attendance.ABSENT)
    set_record(classroom.student, classroom.lesson, score=Score.C, attendance=Attendance.PRESENT)
    set_record(classroom.classmate, classroom.lesson, score=Score.B, attendance=Attendance.PRESENT)

    in_a = standings_by_name(world.class_a)
    me = in_a["吴同学"]
    assert (me.total, me.graded, me.average, me.place) == (50, 1, 50, 2)
    assert (me.taken, me.attended, me.attendance_rate) == (1, 1, 1.0)
    assert in_a["郑同学"].place == 1

    in_b = standings_by_name(world.class_b)
    assert (in_b["吴同学"].total, in_b["吴同学"].place, in_b["吴同学"].attendance_rate) == (100, 1, 0.0)
    assert in_b["王同学"].place is None


def test_dropped_students_are_not_in_the_roster(world, classroom):
    (dropped,) = add_students(world, world.class_a, ["退学"], status=Student.Status.DROPPED)
    StudyRecord.objects.create(lesson=classroom.lesson, student=dropped, score=Score.A_PLUS)
    set_record(classroom.student, classroom.lesson, score=Score.C)

    standings = selectors.class_standings(world.class_a)
    assert [student.customer.name for student in standings] == ["吴同学", "郑同学"]
    assert standings[0].place == 1  # the dropped student's 100 takes no place before them


def test_attendance_rate_leaves_excused_and_untaken_out(world, classroom):
    lessons = [classroom.lesson, *(new_lesson(world, number) for number in range(2, 7))]
    for lesson, attendance in zip(
        lessons,
        [
            Attendance.PRESENT,
            Attendance.LATE,
            Attendance.LEFT_EARLY,
            Attendance.ABSENT,
            Attendance.EXCUSED,
            "",  # the roll was not taken
        ],
        strict=True,
    ):
        set_record(classroom.student, lesson, attendance=attendance)
    set_record(classroom.classmate, classroom.lesson, attendance=Attendance.EXCUSED)

    standings = standings_by_name(world.class_a)
    me = standings["吴同学"]
    assert (me.attended, me.taken) == (3, 4)
    assert me.attendance_rate == 0.75
    # Only excused: no rate at all (not 0%, not a division by zero).
    assert (standings["郑同学"].taken, standings["郑同学"].attendance_rate) == (0, None)


def test_the_average_is_over_graded_lessons_only(world, classroom):
    lesson_2, _lesson_3 = new_lesson(world, 2), new_lesson(world, 3)
    set_record(classroom.student, classroom.lesson, score=Score.A)
    set_record(classroom.student, lesson_2, score=Score.C_PLUS)
    me = standings_by_name(world.class_a)["吴同学"]
    assert (me.graded, me.total, me.average) == (2, 150, 75)


def test_missing_homework_counts_overdue_lessons_without_a_hand_in(world, classroom):
    now, today = timezone.now(), timezone.localdate()
    # The fixture's lesson 1 is on 2026-09-01, before today, with homework and no deadline.
    assert classroom.lesson.date < today and classroom.lesson.homework_deadline is None
    new_lesson(world, 2, homework_deadline=now - timedelta(hours=1))  # missing
    handed = new_lesson(world, 3, homework_deadline=now - timedelta(hours=1))
    new_lesson(world, 4, homework_deadline=now + timedelta(days=1))  # not due yet
    new_lesson(world, 5, date=today)  # no deadline, today: not due yet
    new_lesson(world, 6, homework_title="", homework_requirement="")  # no homework
    new_lesson(world, 7, date=today, homework_deadline=now - timedelta(minutes=1))  # missing
    new_lesson(world, 8, date=today - timedelta(days=3), homework_deadline=now + timedelta(hours=1))
    set_record(classroom.student, handed, homework_submitted_at=now - timedelta(hours=2))
    set_record(classroom.classmate, classroom.lesson, homework_submitted_at=now)

    standings = standings_by_name(world.class_a)
    assert standings["吴同学"].missing == 3  # lessons 1, 2 and 7
    assert standings["郑同学"].missing == 3  # lessons 2, 3 and 7


def test_another_class_has_its_own_missing_homework(world, classroom):
    assert standings_by_name(world.class_b)["王同学"].missing == 1
    assert standings_by_name(world.class_a)["吴同学"].missing == 1
    classroom.student.classes.add(world.class_b)
    services.lesson_records_sync(lesson=classroom.other_lesson)
    assert standings_by_name(world.class_a)["吴同学"].missing == 1


@pytest.mark.parametrize("students", [3, 30])
def test_the_ranking_of_a_class_is_one_query(world, classroom, django_assert_num_queries, students):
    lesson_2 = new_lesson(world, 2, homework_deadline=timezone.now() - timedelta(days=1))
    pupils = add_students(world, world.class_a, [f"学员{n:02d}" for n in range(students - 2)])
    for lesson in (classroom.lesson, lesson_2):
        services.lesson_records_sync(lesson=lesson)
    for index, pupil in enumerate(pupils):
        set_record(pupil, classroom.lesson, score=Score.values[index % 12], attendance=Attendance.PRESENT)
        set_record(pupil, lesson_2, attendance=Attendance.LATE, homework_submitted_at=timezone.now())
    class_list = ClassList.objects.get(pk=world.class_a.pk)

    with django_assert_num_queries(1):
        standings = selectors.class_standings(class_list)
        shown = [(s.place, s.customer.name, s.user.username, s.attendance_rate, s.missing) for s in standings]
    assert len(shown) == students
    assert shown[0][0] == 1
    ranked = [place for place, *_rest in shown if place is not None]
    assert ranked == sorted(ranked) and len(ranked) == students - 2


def test_the_roster_page_shows_places_and_figures(world, classroom, as_teacher):
    set_record(classroom.classmate, classroom.lesson, score=Score.A, attendance=Attendance.LATE)
    page = as_teacher.get(reverse("classroom:class-detail", args=[world.class_a.pk])).content.decode()
    roster = page.split('data-testid="roster-table"')[1].split("</table>")[0]
    assert roster.index("郑同学") < roster.index("吴同学")
    rows = roster.split("<tr>")[2:]
    assert "郑同学" in rows[0] and ">1<" in rows[0] and "100%" in rows[0] and "90.0" in rows[0]
    assert "吴同学" in rows[1] and "—" in rows[1]


def test_a_student_sees_their_place_on_my_grades(world, classroom):
    set_record(classroom.classmate, classroom.lesson, score=Score.A)
    set_record(classroom.student, classroom.lesson, score=Score.B)
    response = make_client(world.student).get(reverse("classroom:my-grades"))
    (entry,) = response.context["classes"]
    assert (entry["me"].place, entry["ranked"]) == (2, 2)
    assert "Place 2 of 2 ranked students" in response.content.decode()


# --- Query counts ------------------------------------------------------------------------------------
def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def grow(world, classroom, *, students: int, lessons: int, questions: int) -> None:
    """More of everything in class A: students with records, graded and handed in, lessons and
    questions with answers, and homework files of the world's student."""
    start = Lesson.objects.filter(class_list=world.class_a).count() + 1
    for number in range(start, start + lessons):
        new_lesson(world, number, homework_deadline=timezone.now() - timedelta(days=1))
    add_students(world, world.class_a, [f"学员{next(_numbers)}" for _ in range(students)])
    now = timezone.now()
    for lesson in Lesson.objects.filter(class_list=world.class_a):
        services.lesson_records_sync(lesson=lesson)
    StudyRecord.objects.filter(lesson__class_list=world.class_a).update(
        attendance=Attendance.PRESENT, homework_submitted_at=now
    )
    StudyRecord.objects.filter(
        lesson__class_list=world.class_a, student__pk__gt=classroom.classmate.pk
    ).update(score=Score.B, graded_by=world.teacher, graded_at=now)
    records = StudyRecord.objects.filter(lesson__class_list=world.class_a).exclude(
        pk__in=HomeworkFile.objects.values("record")
    )
    HomeworkFile.objects.bulk_create(
        HomeworkFile(
            record=study_record,
            file=f"homework/{study_record.pk:032x}.py",
            original_name="main.py",
            extension="py",
            size=10,
            content_type="text/plain; charset=utf-8",
        )
        for study_record in records
    )
    made = Question.objects.bulk_create(
        Question(
            class_list=world.class_a,
            lesson=classroom.lesson,
            asked_by=world.student,
            title=f"问题{next(_numbers)}",
            body="装饰器怎么用",
        )
        for _ in range(questions)
    )
    for question in made[::2]:
        services.question_answer(question=question, body="这样用", by=world.teacher)


def pages(world, classroom) -> dict[tuple[str, str], str]:
    lesson = classroom.lesson.pk
    return {
        ("teacher", "class-list"): reverse("classroom:class-list"),
        ("teacher", "class-detail"): reverse("classroom:class-detail", args=[world.class_a.pk]),
        ("teacher", "lesson-detail"): reverse("classroom:lesson-detail", args=[lesson]),
        ("teacher", "roll-call"): reverse("classroom:roll-call", args=[lesson]),
        ("teacher", "grading"): reverse("classroom:grading", args=[lesson]),
        ("teacher", "question-list"): reverse("classroom:question-list"),
        ("teacher", "question-search"): reverse("classroom:question-list") + "?q=装饰器&status=answered",
        ("student", "my-classes"): reverse("classroom:my-classes"),
        ("student", "my-class"): reverse("classroom:my-class", args=[world.class_a.pk]),
        ("student", "my-lesson"): reverse("classroom:my-lesson", args=[lesson]),
        ("student", "my-grades"): reverse("classroom:my-grades"),
        ("student", "my-questions"): reverse("classroom:my-questions"),
        ("student", "my-question-search"): reverse("classroom:my-questions") + "?q=装饰&status=unanswered",
    }


# Every page: session, user, the user's permissions, unread notifications (4); then its own:
# class list 1 (classes with counts); class detail 3 (class, roster in one, lessons with their
# progress); lesson detail, roll call, grading 3-4 (lesson, records with names, their files, and
# on the detail page the students without a record); my classes 2 (classes, their teachers);
# my class 4 (class, teachers, my records, lessons); my lesson 3 (lesson, my record, its files);
# my grades 4 (my records, classes, teachers, the roster of my one class); questions 2 (count, page).
QUERY_COUNTS = {
    ("teacher", "class-list"): 5,
    ("teacher", "class-detail"): 7,
    ("teacher", "lesson-detail"): 8,
    ("teacher", "roll-call"): 7,
    ("teacher", "grading"): 7,
    ("teacher", "question-list"): 6,
    ("teacher", "question-search"): 6,
    ("student", "my-classes"): 6,
    ("student", "my-class"): 8,
    ("student", "my-lesson"): 7,
    ("student", "my-grades"): 8,
    ("student", "my-questions"): 6,
    ("student", "my-question-search"): 6,
}


@pytest.mark.parametrize(("role", "page"), QUERY_COUNTS)
def test_classroom_page_query_count_is_pinned_and_flat(world, classroom, role, page):
    client = make_client(world.users[role])
    grow(world, classroom, students=2, lessons=1, questions=2)
    url = pages(world, classroom)[(role, page)]
    client.get(url)  # warm-up
    small = queries(client, url)
    grow(world, classroom, students=30, lessons=12, questions=45)
    assert Student.objects.filter(classes=world.class_a).count() == 34
    assert Lesson.objects.filter(class_list=world.class_a).count() == 14
    assert Question.objects.filter(class_list=world.class_a).count() == 47
    large = queries(client, url)
    assert (small, large) == (QUERY_COUNTS[(role, page)],) * 2


# --- Study records follow the class's students -------------------------------------------------------
def test_a_new_lesson_gets_a_record_for_every_student_but_the_dropped(world, classroom):
    (dropped,) = add_students(world, world.class_a, ["退学"], status=Student.Status.DROPPED)
    (suspended,) = add_students(world, world.class_a, ["休学"], status=Student.Status.SUSPENDED)
    lesson = new_lesson(world, 2)
    assert set(lesson.records.values_list("student", flat=True)) == {
        classroom.student.pk,
        classroom.classmate.pk,
        suspended.pk,
    }
    assert not StudyRecord.objects.filter(student=dropped).exists()
    # Class B's student is in class B's lessons only.
    assert not StudyRecord.objects.filter(lesson=lesson, student=classroom.other_student).exists()


def test_creating_a_lesson_on_the_page_makes_the_records(world, classroom, as_teacher):
    response = as_teacher.post(
        reverse("classroom:lesson-create", args=[world.class_a.pk]),
        {
            "number": 2,
            "date": "2026-09-02",
            "teacher": world.teacher.pk,
            "title": "第2课 函数",
            "content": "",
            "homework_title": "函数练习",
            "homework_requirement": "",
            "homework_deadline": "",
        },
        follow=True,
    )
    lesson = Lesson.objects.get(class_list=world.class_a, number=2)
    assert response.redirect_chain[-1][0] == reverse("classroom:lesson-detail", args=[lesson.pk])
    assert lesson.records.count() == 2
    assert "2 students have a study record" in response.content.decode()


def test_syncing_records_is_idempotent(world, classroom):
    assert services.lesson_records_sync(lesson=classroom.lesson) == 0
    late_ones = add_students(world, world.class_a, ["晚一", "晚二"])
    assert services.lesson_records_sync(lesson=classroom.lesson) == 2
    assert services.lesson_records_sync(lesson=classroom.lesson) == 0
    assert classroom.lesson.records.count() == 4
    assert set(classroom.lesson.records.values_list("student", flat=True)) >= {s.pk for s in late_ones}


def test_a_student_who_joins_later_gets_a_record_from_the_sync_button(world, classroom, as_teacher):
    (late,) = add_students(world, world.class_a, ["晚到"])
    detail = reverse("classroom:lesson-detail", args=[classroom.lesson.pk])
    page = as_teacher.get(detail)
    assert page.context["missing_records"] == 1
    assert 'data-testid="missing-records"' in page.content.decode()

    response = as_teacher.post(reverse("classroom:lesson-sync", args=[classroom.lesson.pk]), follow=True)
    assert response.redirect_chain[-1][0] == detail
    assert "Study records added for 1 students." in [str(m) for m in response.context["messages"]]
    assert record(late, classroom.lesson).attendance == ""
    assert response.context["missing_records"] == 0
    # Twice is the same as once.
    as_teacher.post(reverse("classroom:lesson-sync", args=[classroom.lesson.pk]))
    assert classroom.lesson.records.filter(student=late).count() == 1


def test_syncing_is_the_class_teachers_only(world, classroom, as_other_teacher, as_student):
    add_students(world, world.class_a, ["晚到"])
    url = reverse("classroom:lesson-sync", args=[classroom.lesson.pk])
    assert as_other_teacher.post(url).status_code == 404
    assert as_student.post(url).status_code == 403
    assert classroom.lesson.records.count() == 2


def test_a_student_who_joins_later_gets_a_record_when_the_lesson_is_edited(world, classroom, as_teacher):
    (late,) = add_students(world, world.class_a, ["晚到"])
    response = as_teacher.post(
        reverse("classroom:lesson-update", args=[classroom.lesson.pk]),
        {
            "number": 1,
            "date": "2026-09-01",
            "teacher": world.teacher.pk,
            "title": "第1课 改了标题",
            "content": "",
            "homework_title": "数据类型练习",
            "homework_requirement": "",
            "homework_deadline": "",
        },
    )
    assert response.status_code == 302
    assert Lesson.objects.get(pk=classroom.lesson.pk).title == "第1课 改了标题"
    assert record(late, classroom.lesson).score is None


def test_lesson_update_through_the_service_syncs_too(world, classroom):
    (late,) = add_students(world, world.class_a, ["晚到"])
    services.lesson_update(lesson=classroom.lesson, values=lesson_values(world.teacher, 1, title="新"))
    assert classroom.lesson.records.filter(student=late).exists()


def lesson_post(world, number: int, **changes) -> dict:
    return {
        "number": number,
        "date": "2026-09-05",
        "teacher": world.teacher.pk,
        "title": "重复的课",
        "content": "",
        "homework_title": "",
        "homework_requirement": "",
        "homework_deadline": "",
        **changes,
    }


def test_a_lesson_number_taken_in_the_class_is_a_form_error(world, classroom, as_teacher):
    response = as_teacher.post(
        reverse("classroom:lesson-create", args=[world.class_a.pk]), lesson_post(world, 1)
    )
    assert_form_refused(response, "number")
    assert response.context["form"].errors["number"] == ["Lesson 1 of this class exists already."]
    assert Lesson.objects.filter(class_list=world.class_a).count() == 1


def test_renumbering_a_lesson_onto_another_is_a_form_error(world, classroom, as_teacher):
    lesson_2 = new_lesson(world, 2)
    response = as_teacher.post(
        reverse("classroom:lesson-update", args=[lesson_2.pk]), lesson_post(world, 1, title="改号")
    )
    assert_form_refused(response, "number")
    lesson_2.refresh_from_db()
    assert (lesson_2.number, lesson_2.title) == (2, lesson_values(world.teacher, 2)["title"])


def test_the_same_number_in_another_class_is_fine(world, classroom):
    assert classroom.other_lesson.number == classroom.lesson.number == 1
    assert new_lesson(world, 2, class_list=world.class_b).records.count() == 1


def test_the_service_turns_a_duplicate_number_into_a_refusal(world, classroom):
    with pytest.raises(services.ClassroomRefused, match=r"^Lesson 1 of this class exists already\.$"):
        new_lesson(world, 1)
    lesson_2 = new_lesson(world, 2)  # the transaction is still usable
    with pytest.raises(services.ClassroomRefused, match=r"^Lesson 2 of this class exists already\.$"):
        services.lesson_update(lesson=classroom.lesson, values=lesson_values(world.teacher, 2))
    assert sorted(Lesson.objects.filter(class_list=world.class_a).values_list("number", flat=True)) == [1, 2]
    assert lesson_2.records.count() == 2


def test_a_race_past_the_form_check_is_a_form_error_not_a_500(world, classroom, as_teacher, monkeypatch):
    """Two teachers saving lesson 2 at once both pass the form's check; the database decides."""
    from classroom.forms import LessonForm

    monkeypatch.setattr(LessonForm, "clean_number", lambda form: form.cleaned_data["number"])
    response = as_teacher.post(
        reverse("classroom:lesson-create", args=[world.class_a.pk]), lesson_post(world, 1)
    )
    assert_form_refused(response, "number")
    assert Lesson.objects.filter(class_list=world.class_a).count() == 1

    lesson_2 = new_lesson(world, 2)
    response = as_teacher.post(reverse("classroom:lesson-update", args=[lesson_2.pk]), lesson_post(world, 1))
    assert_form_refused(response, "number")
    assert Lesson.objects.get(pk=lesson_2.pk).number == 2


@pytest.mark.parametrize("number", ["0", "-1", "abc", "", "1.5", "99999999999999999999"])
def test_an_impossible_lesson_number_is_a_form_error(world, classroom, as_teacher, number):
    response = as_teacher.post(
        reverse("classroom:lesson-create", args=[world.class_a.pk]), lesson_post(world, number)
    )
    assert_form_refused(response, "number")
    assert Lesson.objects.filter(class_list=world.class_a).count() == 1
