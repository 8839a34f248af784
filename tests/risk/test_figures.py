"""Every warning against the hand-built school of conftest.py, whose expected figures were worked
out by hand there."""

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import override

from classroom.models import Attendance, Lesson, StudyRecord
from risk.models import RiskPolicy, StudentRisk
from risk.selectors import customer_warnings, student_warnings


def _rows(warnings):
    return {(w.kind, w.student_name, w.class_id, w.occurrence, w.facts, w.since) for w in warnings}


def _expected(world, *, class_b=True):
    rows = {
        (
            StudentRisk.ABSENCE,
            "甲同学",
            world.class_a.pk,
            4,
            "Absent on day 4, Late on day 5, Absent on day 6",
            date(2026, 9, 4),
        ),
        (
            StudentRisk.HOMEWORK,
            "甲同学",
            world.class_a.pk,
            5,
            "no homework handed in for day 5, 6",
            date(2026, 9, 5),
        ),
        (
            StudentRisk.GRADES,
            "甲同学",
            world.class_a.pk,
            2,
            "scores A → B+ → B → B-, falling since day 2",
            date(2026, 9, 2),
        ),
        (
            StudentRisk.GRADES,
            "乙同学",
            world.class_a.pk,
            3,
            "scores B → C+ → C, falling since day 3",
            date(2026, 9, 3),
        ),
        (
            StudentRisk.PAYMENT,
            "甲同学",
            world.class_a.pk,
            world.class_a.enrollments.get(customer__name="甲同学").pk,
            "¥11000.00 of ¥19800.00 paid, due on 2026-09-15; ¥5000.00 waiting for finance",
            date(2026, 9, 15),
        ),
    }
    if class_b:
        rows.add(
            (
                StudentRisk.ABSENCE,
                "丁同学",
                world.class_b.pk,
                1,
                "Absent on day 1, Absent on day 2",
                date(2026, 10, 11),
            )
        )
    return rows


def test_every_student_warning_of_the_school(world, school):
    with override("en"):
        assert _rows(student_warnings(world.admin)) == _expected(world)


def test_teachers_and_advisers_see_their_classes_students(world, school):
    with override("en"):
        assert _rows(student_warnings(world.teacher)) == _expected(world, class_b=False)
        assert _rows(student_warnings(school.adviser)) == _expected(world, class_b=False)
        assert _rows(student_warnings(school.other_teacher)) == {
            row for row in _expected(world) if row[2] == world.class_b.pk
        }


def test_managers_see_their_teams_students_and_strangers_see_none(world, school):
    with override("en"):
        assert _rows(student_warnings(world.manager)) == _expected(world)
        assert _rows(student_warnings(world.sales2)) == {
            row for row in _expected(world) if row[1] == "乙同学"
        }
        assert student_warnings(world.outsider) == []
        assert student_warnings(world.student) == []


def test_filters_by_kind_class_and_student(world, school):
    with override("en"):
        grades = student_warnings(world.admin, kind=StudentRisk.GRADES)
        assert {(w.student_name, w.kind) for w in grades} == {("甲同学", "grades"), ("乙同学", "grades")}
        assert {w.class_id for w in student_warnings(world.admin, class_id=world.class_b.pk)} == {
            world.class_b.pk
        }
        assert {w.kind for w in student_warnings(world.admin, student_id=school.yi.pk)} == {"grades"}


def test_thresholds_move_the_warnings(world, school):
    policy = RiskPolicy.current()
    policy.absence_streak, policy.homework_streak, policy.falling_scores = 4, 3, 4
    policy.payment_grace_days = (timezone.localdate() - world.class_a.start_date).days + 1
    policy.save()
    # 3 absences and 2 missed homework fall short; only jia's four falling scores remain.
    with override("en"):
        assert {(w.kind, w.student_name) for w in student_warnings(world.admin)} == {("grades", "甲同学")}


def test_a_good_record_ends_the_streak_and_a_new_one_starts_a_new_occurrence(world, school):
    lesson = Lesson.objects.create(
        class_list=world.class_a, number=8, date=date(2026, 9, 8), teacher=world.teacher, title="八"
    )
    StudyRecord.objects.create(lesson=lesson, student=school.jia, attendance=Attendance.PRESENT)
    assert not student_warnings(world.admin, kind=StudentRisk.ABSENCE, student_id=school.jia.pk)
    for number in (9, 10):
        lesson = Lesson.objects.create(
            class_list=world.class_a,
            number=number,
            date=date(2026, 9, number),
            teacher=world.teacher,
            title="课",
        )
        StudyRecord.objects.create(lesson=lesson, student=school.jia, attendance=Attendance.ABSENT)
    [warning] = student_warnings(world.admin, kind=StudentRisk.ABSENCE, student_id=school.jia.pk)
    assert warning.occurrence == 9


def test_homework_counts_only_once_its_deadline_passed(world, school):
    lesson = school.lessons[5]  # day 6, missed by jia and yi
    lesson.homework_deadline = timezone.now() + timedelta(days=1)
    lesson.save()
    with override("en"):
        assert not student_warnings(world.admin, kind=StudentRisk.HOMEWORK)  # jia: day 5 only


def test_customer_warnings_of_a_consultant_and_a_manager(world, school):
    c = school.customers
    with override("en"):
        mine = customer_warnings(world.sales)
        assert {(w.kind, w.customer.name) for w in mine} == {("pool_return", "客一"), ("high_intent", "客三")}
        [pool] = [w for w in mine if w.kind == "pool_return"]
        assert pool.facts.endswith(
            f"owned since {timezone.localdate(c['c1'].claimed_at)}, last follow-up never"
        )
        [idle] = [w for w in mine if w.kind == "high_intent"]
        last = timezone.localdate(c["c3"].last_follow_up_at)
        assert idle.facts == f"intent “高” at the last follow-up on {last}, none for 5 days"
        assert {(w.kind, w.customer.name) for w in customer_warnings(world.manager)} == {
            ("pool_return", "客一"),
            ("high_intent", "客三"),
            ("high_intent", "客五"),
        }
        assert {w.customer.name for w in customer_warnings(world.sales2)} == {"客五"}
        assert customer_warnings(world.teacher) == []
        assert [w.customer.name for w in customer_warnings(world.sales, kind="high_intent")] == ["客三"]


def test_no_high_intent_levels_means_no_idle_warnings(world, school):
    RiskPolicy.current().high_intent_levels.clear()
    assert {w.kind for w in customer_warnings(world.manager)} == {"pool_return"}
