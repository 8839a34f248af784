"""Fixtures of the classroom tests, on top of the one world.

`classroom` adds: the world's student as a Student of class A (with another student "classmate"
beside them), a second teacher who teaches class B only, a student of class B, lesson 1 of each
class with a homework, and the study records their creation made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.contrib.auth.hashers import make_password

from accounts.models import User
from classroom import services
from classroom.models import Lesson
from crm.models import Customer
from enrollment.models import Student
from rbac.defaults import STUDENT, TEACHER
from tests.conftest import PASSWORD, make_client


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Homework goes to a fresh folder per test, never to var/uploads."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@dataclass
class Classroom:
    student: Student  # the world's "student" user, in class A
    classmate: Student  # another student of class A
    other_student: Student  # a student of class B
    other_teacher: User  # teaches class B only
    lesson: Lesson  # lesson 1 of class A, with homework
    other_lesson: Lesson  # lesson 1 of class B, with homework


def _user(username: str, role, display_name: str) -> User:
    user = User.objects.create(
        username=username,
        password=make_password(PASSWORD),
        email=f"{username}@example.test",
        display_name=display_name,
    )
    role.users.add(user)
    return user


def _student(user: User, name: str, phone: str, class_list, source) -> Student:
    customer = Customer.objects.create(
        name=name,
        name_pinyin=name,
        name_initials=name[:2],
        phone=phone,
        status=Customer.Status.SIGNED,
        consulted_on=date(2026, 8, 1),
        source=source,
    )
    student = Student.objects.create(user=user, customer=customer)
    student.classes.add(class_list)
    return student


def lesson_values(teacher: User, number: int = 1, **changes) -> dict:
    values = {
        "number": number,
        "date": date(2026, 9, number),
        "teacher": teacher,
        "title": f"第{number}课 Python 基础",
        "content": "变量、数据类型",
        "homework_title": "数据类型练习",
        "homework_requirement": "提交 .py 文件",
        "homework_deadline": None,
    }
    values.update(changes)
    return values


@pytest.fixture
def classroom(world) -> Classroom:
    other_teacher = _user("teacher2", world.roles[TEACHER], "Other Teacher")
    world.class_b.teachers.add(other_teacher)
    student = _student(world.student, "吴同学", "+8613700000001", world.class_a, world.source)
    classmate = _student(
        _user("classmate", world.roles[STUDENT], "Classmate"),
        "郑同学",
        "+8613700000002",
        world.class_a,
        world.source,
    )
    other_student = _student(
        _user("otherstudent", world.roles[STUDENT], "Other Student"),
        "王同学",
        "+8613700000003",
        world.class_b,
        world.source,
    )
    lesson = services.lesson_create(class_list=world.class_a, values=lesson_values(world.teacher))
    other_lesson = services.lesson_create(class_list=world.class_b, values=lesson_values(other_teacher))
    return Classroom(
        student=student,
        classmate=classmate,
        other_student=other_student,
        other_teacher=other_teacher,
        lesson=lesson,
        other_lesson=other_lesson,
    )


@pytest.fixture
def as_other_teacher(classroom):
    return make_client(classroom.other_teacher)


@pytest.fixture
def as_other_student(classroom):
    return make_client(classroom.other_student.user)
