"""Demo teaching data for `seeddemo`: students in the demo classes, lessons with roll calls,
handed-in and graded homework, and a few questions, so every classroom page has something."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from classroom import services
from classroom.models import Attendance, HomeworkFile, Lesson, Score, StudyRecord
from crm.models import ClassList, Customer, DictItem
from crm.normalize import name_keys
from enrollment import services as enrollment_services
from enrollment.models import Enrollment, Student
from enrollment.validators import birthday_from_id, id_check_digit

PYTHON_LESSONS = [
    (
        "Python 基础：变量与数据类型",
        "数字、字符串、列表、字典、集合",
        "数据类型练习",
        "完成 10 道数据类型练习题，提交 .py 文件。",
    ),
    ("流程控制与函数", "if/for/while，函数定义、参数、返回值", "函数练习", "实现计算器函数，包含加减乘除。"),
    (
        "文件操作与异常",
        "open、with、异常捕获与自定义异常",
        "日志分析脚本",
        "统计 access.log 中每个 IP 的访问次数。",
    ),
    ("面向对象", "类与对象、继承、多态、魔术方法", "学生管理系统", "用类实现学生信息的增删改查。"),
    ("装饰器与生成器", "闭包、装饰器、生成器、迭代器", "装饰器练习", "写一个记录函数耗时的装饰器。"),
]
# Planned after the seeding: today's lesson (homework due in two days) and the one after it, so
# the teacher has a lesson today and the student a next lesson and homework to hand in.
UPCOMING_PYTHON_LESSONS = [
    ("Web 开发入门", "HTTP 协议、Flask 路由与模板", "留言板", "用 Flask 写一个留言板，提交 zip。"),
    ("数据库与 ORM", "SQL 基础、SQLAlchemy 模型与查询", "", ""),
]
LINUX_LESSONS = [
    ("Linux 入门", "安装 CentOS、常用命令", "命令练习", "整理 30 个常用命令及其用法。"),
    ("用户与权限", "用户、组、chmod、chown、sudo", "", ""),
]
# Per student (by position), the score of each graded lesson; equal totals make a tie.
SCORES = [
    [Score.A_PLUS, Score.A, Score.A, Score.B_PLUS],
    [Score.A, Score.A, Score.B_PLUS, Score.B_PLUS],
    [Score.A, Score.A, Score.B_PLUS, Score.B_PLUS],
    [Score.B, Score.B_PLUS, Score.B_MINUS, Score.C_PLUS],
    [Score.C_PLUS, Score.COPY, Score.B, Score.C],
    [Score.B_PLUS, Score.B, Score.A, Score.A],
]
ATTENDANCE = [Attendance.PRESENT] * 5 + [Attendance.LATE, Attendance.ABSENT, Attendance.EXCUSED]
QUESTIONS = [
    (
        "装饰器带参数怎么写？",
        "老师好，第 5 课的装饰器如果要带参数（比如重试次数），应该怎么写？",
        "装饰器带参数需要再包一层函数：最外层接收参数，返回真正的装饰器。",
    ),
    (
        "列表和元组有什么区别？",
        "什么时候用列表，什么时候用元组？",
        "列表可变、元组不可变；元组可以作为字典的键。",
    ),
    ("文件读取中文乱码", "open 读取 Windows 上保存的 txt 文件出现乱码，怎么办？", ""),
]


def submit_demo_form(enrollment: Enrollment, number: int) -> None:
    """The student's side of the link: plausible personal data (an ID number with a valid check
    digit, varied by `number`) and the contract accepted."""
    first_17 = f"1101081999{number % 12 + 1:02d}{number % 28 + 1:02d}{number % 1000:03d}"
    id_number = first_17 + id_check_digit(first_17)
    values = {
        "id_number": id_number,
        "gender": DictItem.objects.filter(kind=DictItem.Kind.GENDER).first(),
        "birthday": birthday_from_id(id_number),
        "emergency_contact": "家长",
        "emergency_phone": "+8613900000000",
        "address": "北京市昌平区沙河镇",
        "email": f"student{enrollment.customer_id}@demo.educrm.local",
    }
    enrollment_services.enrollment_submit(
        enrollment=enrollment,
        values=values,
        contract_text=enrollment_services.contract_for(enrollment),
        ip="127.0.0.1",
    )


def _enroll(
    customer: Customer, class_list: ClassList, *, consultant: User, reviewer: User, number: int, user=None
):
    """Take the customer through the enrollment to approval (as a student account `user`, if given)."""
    if user is not None and not Student.objects.filter(user=user).exists():
        Student.objects.create(user=user, customer=customer)
    enrollment = enrollment_services.enrollment_create(
        customer=customer, class_list=class_list, by=consultant
    )
    submit_demo_form(enrollment, number)
    enrollment_services.enrollment_approve(
        enrollment=enrollment, by=reviewer, may_exceed_capacity=True, base_url="http://127.0.0.1:8000/"
    )


def _students(class_list: ClassList, wanted: int, *, consultant, reviewer, student_user=None) -> None:
    """At least `wanted` students in the class (the demo student among them, when given)."""
    if (
        student_user is not None
        and not Student.objects.filter(user=student_user, classes=class_list).exists()
    ):
        customer = _free_customer(consultant)
        # The demo student's customer carries the demo login's name, so every page agrees.
        customer.name = student_user.display_name
        customer.name_pinyin, customer.name_initials = name_keys(customer.name)
        customer.save(update_fields=["name", "name_pinyin", "name_initials"])
        _enroll(
            customer,
            class_list,
            consultant=consultant,
            reviewer=reviewer,
            number=customer.pk,
            user=student_user,
        )
    while class_list.students.count() < wanted:
        customer = _free_customer(consultant)
        _enroll(customer, class_list, consultant=consultant, reviewer=reviewer, number=customer.pk)


def _free_customer(consultant: User) -> Customer:
    taken = Enrollment.objects.values("customer_id")
    return (
        Customer.objects.live()
        .filter(consultant=consultant, status=Customer.Status.UNSIGNED)
        .exclude(pk__in=taken)
        .order_by("pk")
        .first()
    )


def _lessons(
    class_list: ClassList, plans, teacher: User, *, first_day, first_number: int = 1
) -> list[Lesson]:
    """A lesson every other day from `first_day`, homework due two days after each at 22:00."""
    lessons = []
    for offset, (title, content, homework, requirement) in enumerate(plans):
        day = first_day + timedelta(days=2 * offset)
        deadline = datetime.combine(
            day + timedelta(days=2), time(22, 0), tzinfo=timezone.get_current_timezone()
        )
        lessons.append(
            services.lesson_create(
                class_list=class_list,
                values={
                    "number": first_number + offset,
                    "date": day,
                    "teacher": teacher,
                    "title": title,
                    "content": content,
                    "homework_title": homework,
                    "homework_requirement": requirement,
                    "homework_deadline": deadline if homework else None,
                },
            )
        )
    return lessons


def _handed_in_on_time(lesson: Lesson) -> None:
    """The demo is seeded long after its lessons: date the hand-ins the evening after the lesson
    (one student a day late), as they would have been."""
    evening = datetime.combine(
        lesson.date + timedelta(days=1), time(20, 0), tzinfo=timezone.get_current_timezone()
    )
    records = list(lesson.records.filter(homework_submitted_at__isnull=False).order_by("student_id"))
    for index, record in enumerate(records):
        at = evening + timedelta(days=2) if index == len(records) - 1 else evening
        HomeworkFile.objects.filter(record=record).update(uploaded_at=at, is_late=lesson.is_late(at))
        StudyRecord.objects.filter(pk=record.pk).update(homework_submitted_at=at)


def _teach(lessons: list[Lesson], grader: User, *, graded_lessons: int) -> None:
    """Roll calls for every lesson, homework from most students, grades for the first lessons."""
    for lesson_index, lesson in enumerate(lessons):
        records = list(lesson.records.select_related("student__customer").order_by("student_id"))
        services.roll_call_save(
            lesson=lesson,
            attendance={
                record.pk: ATTENDANCE[(index + lesson_index) % len(ATTENDANCE)]
                for index, record in enumerate(records)
            },
        )
        if not lesson.has_homework:
            continue
        for index, record in enumerate(records):
            if (index + lesson_index) % 7 == 6:
                continue  # someone always forgets
            source = f'"""{lesson.homework_title}: {record.student.customer.name}"""\nprint("hello")\n'
            services.homework_upload(
                record=record,
                upload=SimpleUploadedFile(f"lesson{lesson.number}.py", source.encode()),
            )
        _handed_in_on_time(lesson)
        if lesson_index < graded_lessons:
            services.grades_save(
                lesson=lesson,
                grades={
                    record.pk: (SCORES[index % len(SCORES)][lesson_index % 4].value, "")
                    for index, record in enumerate(
                        StudyRecord.objects.filter(lesson=lesson).order_by("student_id")
                    )
                    if record.homework_submitted_at
                },
                by=grader,
            )


def seed_classroom(
    *, python_class, linux_class, teacher, adviser, student_user, consultant, reviewer
) -> bool:
    """Students, lessons, homework, grades and questions (only once: nothing if lessons exist)."""
    if Lesson.objects.exists():
        return False
    _students(python_class, 8, consultant=consultant, reviewer=reviewer, student_user=student_user)
    _students(linux_class, 3, consultant=consultant, reviewer=reviewer)
    python_lessons = _lessons(python_class, PYTHON_LESSONS, teacher, first_day=python_class.start_date)
    _teach(python_lessons, teacher, graded_lessons=4)
    _lessons(
        python_class,
        UPCOMING_PYTHON_LESSONS,
        teacher,
        first_day=timezone.localdate(),
        first_number=len(python_lessons) + 1,
    )
    linux_lessons = _lessons(linux_class, LINUX_LESSONS, adviser, first_day=linux_class.start_date)
    _teach(linux_lessons, adviser, graded_lessons=1)
    askers = [student_user, *User.objects.filter(student__classes=python_class).exclude(pk=student_user.pk)]
    for index, (title, body, answer) in enumerate(QUESTIONS):
        question = services.question_ask(
            class_list=python_class,
            lesson=python_lessons[4] if index == 0 else None,
            title=title,
            body=body,
            by=askers[index % len(askers)],
        )
        if answer:
            reply = services.question_answer(question=question, body=answer, by=teacher)
            if index == 0:
                services.answer_accept(answer=reply)
    return True
