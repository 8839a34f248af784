"""Roll call and grading: one formset page each over the study records of one lesson.

The happy paths, then every tampered post: another lesson's record (of the same class or of
another class), an id twice, fields the forms do not declare, values outside the choices, a
comment too long, a management form that lies or is missing. A bad post comes back with status
200, says that nothing was saved and why, and writes nothing (every study record, of every
lesson, is compared before and after); it is never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from classroom import services
from classroom.models import Attendance, Lesson, StudyRecord
from rbac.defaults import STUDENT
from tests.classroom.conftest import _student, _user, lesson_values
from tests.conftest import make_client

MANAGEMENT_FIELDS = ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")
CHECKED_RADIO = re.compile(
    r'<input type="radio" name="records-(?P<index>\d+)-attendance" value="(?P<value>\w+)"[^>]*\bchecked>'
)
NOTHING_SAVED = "Nothing was saved; see the messages below."


@dataclass(frozen=True)
class Page:
    url_name: str
    fields: dict  # a valid value of each field the page's forms declare

    @property
    def id(self) -> str:
        return self.url_name.split(":")[1]


ROLL_CALL = Page("classroom:roll-call", {"attendance": Attendance.LATE.value})
GRADING = Page("classroom:grading", {"score": "90", "comment": "思路清楚"})
PAGES = [pytest.param(ROLL_CALL, id="roll-call"), pytest.param(GRADING, id="grading")]


def url_of(page: Page, lesson: Lesson) -> str:
    return reverse(page.url_name, args=[lesson.pk])


def ours(lesson: Lesson) -> list[int]:
    return list(StudyRecord.objects.filter(lesson=lesson).order_by("pk").values_list("pk", flat=True))


def formset_data(record_ids, fields: dict | list[dict], *, total=None, initial=None) -> dict:
    """A post of the page's formset: one form per id, with `fields` (one dict for all forms, or
    one per form). TOTAL_FORMS and INITIAL_FORMS can be made to lie."""
    count = len(record_ids)
    per_form = fields if isinstance(fields, list) else [fields] * count
    data = {
        "records-TOTAL_FORMS": str(count if total is None else total),
        "records-INITIAL_FORMS": str(count if initial is None else initial),
        "records-MIN_NUM_FORMS": "0",
        "records-MAX_NUM_FORMS": str(count),
    }
    for index, (record_id, values) in enumerate(zip(record_ids, per_form, strict=True)):
        data[f"records-{index}-record"] = str(record_id)
        data.update({f"records-{index}-{name}": value for name, value in values.items()})
    return data


def records_state() -> list[tuple]:
    """Every study record of every lesson, every column; and the lessons."""
    return [
        *sorted(StudyRecord.objects.values_list(), key=repr),
        *sorted(Lesson.objects.values_list(), key=repr),
    ]


def assert_refused(response, before, *, errors_expected: bool = True) -> None:
    """Status 200, the page says nothing was saved and shows why, and nothing was written."""
    assert response.status_code == 200, response.get("Location")
    page = response.content.decode()
    assert NOTHING_SAVED in page
    formset = response.context["formset"]
    errors = [
        *formset.non_form_errors(),
        *(error for form in formset.forms for messages in form.errors.values() for error in messages),
    ]
    if errors_expected:
        assert errors, "refused without saying why"
    for error in errors:
        assert escape(error) in page, f"error {error!r} is not shown"
    assert records_state() == before, "a refused post wrote something"


def checked_attendance(html: str) -> dict[str, str]:
    """{form index: attendance value} of the checked radio buttons."""
    return {match["index"]: match["value"] for match in CHECKED_RADIO.finditer(html)}


@pytest.fixture
def foreign_records(world, classroom) -> dict[str, StudyRecord]:
    """Records the teacher's lesson 1 must never touch: lesson 2 of the same class (the teacher's
    own) and lesson 1 of class B. They start with values so a write would show."""
    lesson_2 = services.lesson_create(class_list=world.class_a, values=lesson_values(world.teacher, number=2))
    foreign = {
        "same-class": StudyRecord.objects.get(lesson=lesson_2, student=classroom.student),
        "class-b": StudyRecord.objects.get(lesson=classroom.other_lesson),
    }
    StudyRecord.objects.filter(pk__in=[record.pk for record in foreign.values()]).update(
        attendance=Attendance.EXCUSED, score=50, comment="别的课", graded_by=classroom.other_teacher
    )
    return foreign


# --- Roll call: the happy path -------------------------------------------------------------------
def test_roll_call_starts_everyone_as_present(classroom, as_teacher):
    response = as_teacher.get(url_of(ROLL_CALL, classroom.lesson))
    assert response.status_code == 200
    html = response.content.decode()
    assert "吴同学" in html and "郑同学" in html
    assert checked_attendance(html) == {"0": "present", "1": "present"}
    assert set(StudyRecord.objects.filter(lesson=classroom.lesson).values_list("attendance", flat=True)) == {
        ""
    }


def test_roll_call_saves_and_shows_what_was_taken(world, classroom, as_teacher):
    student_record = StudyRecord.objects.get(lesson=classroom.lesson, student=classroom.student)
    classmate_record = StudyRecord.objects.get(lesson=classroom.lesson, student=classroom.classmate)
    other_before = list(StudyRecord.objects.filter(lesson=classroom.other_lesson).values_list())
    data = formset_data(
        [student_record.pk, classmate_record.pk], [{"attendance": "present"}, {"attendance": "late"}]
    )
    response = as_teacher.post(url_of(ROLL_CALL, classroom.lesson), data, follow=True)
    assert response.redirect_chain == [(reverse("classroom:lesson-detail", args=[classroom.lesson.pk]), 302)]
    assert "Roll call of" in response.content.decode()
    student_record.refresh_from_db()
    classmate_record.refresh_from_db()
    assert (student_record.attendance, classmate_record.attendance) == ("present", "late")
    # Nothing else of the records changed, and no other lesson's record.
    assert (student_record.score, student_record.graded_by_id, classmate_record.score) == (None, None, None)
    assert list(StudyRecord.objects.filter(lesson=classroom.other_lesson).values_list()) == other_before

    again = as_teacher.get(url_of(ROLL_CALL, classroom.lesson))
    in_page_order = [form.row for form in again.context["formset"]]
    expected = {str(index): record.attendance for index, record in enumerate(in_page_order)}
    assert checked_attendance(again.content.decode()) == expected
    assert sorted(expected.values()) == ["late", "present"]


# --- Grading: the happy path ---------------------------------------------------------------------
def test_grading_sets_the_grader_and_the_time(world, classroom, as_teacher):
    student_record, classmate_record = StudyRecord.objects.filter(lesson=classroom.lesson).order_by("pk")
    start = timezone.now()
    data = formset_data(
        [student_record.pk, classmate_record.pk],
        [{"score": "90", "comment": "思路清楚"}, {"score": "", "comment": ""}],
    )
    response = as_teacher.post(url_of(GRADING, classroom.lesson), data)
    assert response.status_code == 302
    student_record.refresh_from_db()
    classmate_record.refresh_from_db()
    assert (student_record.score, student_record.comment, student_record.graded_by) == (
        90,
        "思路清楚",
        world.teacher,
    )
    assert start <= student_record.graded_at <= timezone.now()
    assert (classmate_record.score, classmate_record.graded_by, classmate_record.graded_at) == (
        None,
        None,
        None,
    )


def test_a_comment_of_500_characters_is_kept(classroom, as_teacher):
    record_ids = ours(classroom.lesson)
    data = formset_data(record_ids, {"score": "80", "comment": "评" * 500})
    assert as_teacher.post(url_of(GRADING, classroom.lesson), data).status_code == 302
    assert StudyRecord.objects.get(pk=record_ids[0]).comment == "评" * 500


def test_clearing_a_score_ungrades_the_record(world, classroom, as_teacher):
    record_ids = ours(classroom.lesson)
    url = url_of(GRADING, classroom.lesson)
    assert (
        as_teacher.post(url, formset_data(record_ids, {"score": "100", "comment": "好"})).status_code == 302
    )
    assert StudyRecord.objects.get(pk=record_ids[0]).graded_by == world.teacher

    assert as_teacher.post(url, formset_data(record_ids, {"score": "", "comment": "好"})).status_code == 302
    for record in StudyRecord.objects.filter(pk__in=record_ids):
        assert (record.score, record.graded_by, record.graded_at, record.is_graded) == (
            None,
            None,
            None,
            False,
        )
        assert record.comment == "好"


def test_saving_unchanged_grades_keeps_who_graded_them_and_when(world, classroom, as_teacher):
    """Only records that changed get the grader and the time: a colleague saving the page again
    does not take over the grades."""
    record_ids = ours(classroom.lesson)
    url = url_of(GRADING, classroom.lesson)
    as_teacher.post(
        url, formset_data(record_ids, [{"score": "90", "comment": ""}, {"score": "80", "comment": ""}])
    )
    graded = dict(StudyRecord.objects.filter(pk__in=record_ids).values_list("pk", "graded_at"))
    world.class_a.adviser = classroom.other_teacher
    world.class_a.save()
    as_adviser = make_client(classroom.other_teacher)
    data = formset_data(record_ids, [{"score": "90", "comment": ""}, {"score": "70", "comment": ""}])
    assert as_adviser.post(url, data).status_code == 302
    first, second = StudyRecord.objects.filter(pk__in=record_ids).order_by("pk")
    assert (first.graded_by, first.graded_at) == (world.teacher, graded[first.pk])
    assert (second.score, second.graded_by) == (70, classroom.other_teacher)
    assert second.graded_at >= graded[second.pk]


# --- Tampered posts: nothing written, a clear message, never a 500 ------------------------------------
def _replace_one(lesson, page, foreign):
    return formset_data([ours(lesson)[0], foreign.pk], page.fields)


def _add_one(lesson, page, foreign):
    return formset_data([*ours(lesson), foreign.pk], page.fields)


def _only_foreign(lesson, page, foreign):
    return formset_data([foreign.pk], page.fields)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("foreign_kind", ["same-class", "class-b"])
@pytest.mark.parametrize(
    "build", [_replace_one, _add_one, _only_foreign], ids=["replaces-one", "added", "alone"]
)
def test_another_lessons_record_changes_nothing(
    classroom, foreign_records, as_teacher, page, foreign_kind, build
):
    before = records_state()
    data = build(classroom.lesson, page, foreign_records[foreign_kind])
    assert_refused(as_teacher.post(url_of(page, classroom.lesson), data), before)


def _without(data: dict, *keys: str) -> dict:
    return {key: value for key, value in data.items() if key not in keys}


# name -> (record ids of the lesson, a valid post) -> the tampered post
TAMPERED: dict[str, Callable[[list[int], dict], dict]] = {
    "duplicate-id": lambda ids, valid: {**valid, "records-1-record": str(ids[0])},
    "record-not-a-number": lambda ids, valid: {**valid, "records-1-record": "abc"},
    "record-missing": lambda ids, valid: _without(valid, "records-1-record"),
    "record-does-not-exist": lambda ids, valid: {**valid, "records-1-record": "999999"},
    "total-forms-larger": lambda ids, valid: {**valid, "records-TOTAL_FORMS": str(len(ids) + 1)},
    "total-forms-huge": lambda ids, valid: {**valid, "records-TOTAL_FORMS": "100000"},
    "total-forms-not-a-number": lambda ids, valid: {**valid, "records-TOTAL_FORMS": "many"},
    "empty-post": lambda ids, valid: {},
    "no-management-form": lambda ids, valid: _without(
        valid, *(f"records-{name}" for name in MANAGEMENT_FIELDS)
    ),
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("case", TAMPERED)
def test_a_tampered_formset_changes_nothing(classroom, foreign_records, as_teacher, page, case):
    before = records_state()
    record_ids = ours(classroom.lesson)
    data = TAMPERED[case](record_ids, formset_data(record_ids, page.fields))
    assert_refused(as_teacher.post(url_of(page, classroom.lesson), data), before)


# A post that leaves records of the lesson out: TOTAL_FORMS lowered by hand, or a page opened before
# lesson-sync added a student who joined late. The formset's own message ("The list of students
# changed; reload the page and try again.") is meant for this; the page must not report a save.
LEFT_OUT: dict[str, Callable[[list[int], dict], dict]] = {
    "total-forms-zero": lambda ids, valid: {**valid, "records-TOTAL_FORMS": "0"},
    "total-forms-negative": lambda ids, valid: {**valid, "records-TOTAL_FORMS": "-1"},
    "one-form-left-out": lambda ids, valid: {**valid, "records-TOTAL_FORMS": str(len(ids) - 1)},
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("case", LEFT_OUT)
def test_a_post_that_leaves_records_out_is_refused(classroom, as_teacher, page, case):
    before = records_state()
    record_ids = ours(classroom.lesson)
    data = LEFT_OUT[case](record_ids, formset_data(record_ids, page.fields))
    assert_refused(as_teacher.post(url_of(page, classroom.lesson), data), before)


@pytest.mark.parametrize("page", PAGES)
def test_a_page_opened_before_a_student_joined_is_refused(world, classroom, as_teacher, page):
    opened = as_teacher.get(url_of(page, classroom.lesson)).context["formset"]
    data = formset_data([form.row.pk for form in opened], page.fields)
    latecomer = _student(
        _user("latecomer", world.roles[STUDENT], "Late Tester"),
        "冯同学",
        "+8613700000009",
        world.class_a,
        world.source,
    )
    assert services.lesson_records_sync(lesson=classroom.lesson) == 1
    before = records_state()
    response = as_teacher.post(url_of(page, classroom.lesson), data)
    assert_refused(response, before)
    assert "The list of students changed" in response.content.decode()
    assert StudyRecord.objects.get(lesson=classroom.lesson, student=latecomer).attendance == ""


@pytest.mark.parametrize("page", PAGES)
def test_an_empty_post_changes_nothing(classroom, as_teacher, page):
    before = records_state()
    response = as_teacher.post(url_of(page, classroom.lesson), {})
    assert response.status_code == 200
    assert records_state() == before


@pytest.mark.parametrize(
    "values",
    [{"attendance": "sleeping"}, {"attendance": ""}, {}, {"attendance": "PRESENT"}],
    ids=["unknown", "blank", "missing", "wrong-case"],
)
def test_roll_call_refuses_an_attendance_outside_the_list(classroom, as_teacher, values):
    before = records_state()
    record_ids = ours(classroom.lesson)
    data = formset_data(record_ids, [{"attendance": "present"}, values])
    assert_refused(as_teacher.post(url_of(ROLL_CALL, classroom.lesson), data), before)


@pytest.mark.parametrize(
    "values",
    [
        {"score": "99", "comment": ""},
        {"score": "abc", "comment": ""},
        {"score": "-1", "comment": ""},
        {"score": "90.0", "comment": ""},
        {"score": "1e2", "comment": ""},
        {"score": "90", "comment": "长" * 501},
    ],
    ids=["score-99", "score-abc", "score-minus-1", "score-decimal", "score-exponent", "comment-501"],
)
def test_grading_refuses_a_score_outside_the_scale_or_a_long_comment(classroom, as_teacher, values):
    before = records_state()
    record_ids = ours(classroom.lesson)
    data = formset_data(record_ids, [{"score": "90", "comment": "好"}, values])
    assert_refused(as_teacher.post(url_of(GRADING, classroom.lesson), data), before)


# --- Fields the forms do not declare are ignored ---------------------------------------------------
@pytest.mark.parametrize("page", PAGES)
def test_fields_the_forms_do_not_declare_are_ignored(world, classroom, foreign_records, as_teacher, page):
    """student, lesson, graded_by, graded_at, homework time (and on the roll call, score and
    comment) cannot be set through the pages: only the declared fields are saved."""
    record_ids = ours(classroom.lesson)
    foreign = foreign_records["class-b"]
    other_before = {record.pk: record for record in StudyRecord.objects.exclude(lesson=classroom.lesson)}
    mine_before = {record.pk: record for record in StudyRecord.objects.filter(lesson=classroom.lesson)}
    smuggled = {
        "student": str(classroom.other_student.pk),
        "lesson": str(foreign.lesson_id),
        "graded_by": str(classroom.other_teacher.pk),
        "graded_at": "2020-01-01 00:00",
        "homework_submitted_at": "2020-01-01 00:00",
        "id": str(foreign.pk),
        "pk": str(foreign.pk),
        **({"score": "100", "comment": "偷偷打分"} if page is ROLL_CALL else {"attendance": "absent"}),
    }
    data = formset_data(record_ids, {**page.fields, **smuggled})
    response = as_teacher.post(url_of(page, classroom.lesson), data)
    assert response.status_code == 302
    for record in StudyRecord.objects.filter(lesson=classroom.lesson):
        before = mine_before[record.pk]
        assert (record.student_id, record.lesson_id, record.homework_submitted_at) == (
            before.student_id,
            before.lesson_id,
            before.homework_submitted_at,
        )
        if page is ROLL_CALL:
            assert record.attendance == "late"
            assert (record.score, record.comment, record.graded_by_id, record.graded_at) == (
                None,
                "",
                None,
                None,
            )
        else:
            assert record.attendance == before.attendance
            assert (record.score, record.comment, record.graded_by) == (90, "思路清楚", world.teacher)
            assert record.graded_at > timezone.now() - timedelta(minutes=5)  # not the posted 2020
    for record in StudyRecord.objects.exclude(lesson=classroom.lesson):
        assert [getattr(record, f.attname) for f in StudyRecord._meta.fields] == [
            getattr(other_before[record.pk], f.attname) for f in StudyRecord._meta.fields
        ]


# --- A lesson without students ------------------------------------------------------------------------
@pytest.mark.parametrize("page", PAGES)
def test_a_lesson_without_students_opens_and_refuses_records_of_others(world, classroom, as_teacher, page):
    empty = services.lesson_create(
        class_list=world.class_a, values=lesson_values(world.teacher, number=3, date=timezone.localdate())
    )
    StudyRecord.objects.filter(lesson=empty).delete()
    response = as_teacher.get(url_of(page, empty))
    assert response.status_code == 200
    assert "This lesson has no students." in response.content.decode()
    before = records_state()
    data = formset_data(ours(classroom.lesson), page.fields)
    assert_refused(as_teacher.post(url_of(page, empty), data), before)
