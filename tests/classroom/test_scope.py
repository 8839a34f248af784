"""Data scope (IDOR) of every classroom URL.

Each classroom URL name has probes (enumerated from the URLconf, so a new view without one fails
`test_every_classroom_url_name_has_a_probe`). A probe names the object it opens (all of class A),
who may open it, who is an outsider of the same role (404, or a list without class A's data) and
which insiders lack the right (403, refused by the middleware before any lookup). For every
refusal the body must hold none of class A's data and nothing may be written: database rows and
the files under MEDIA_ROOT are compared before and after. The right users' requests are the
control: they get through, see that very data, and their POSTs do change something.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Notification, User
from classroom import services
from classroom.models import Answer, HomeworkFile, Lesson, Question, StudyRecord
from crm.models import ClassList
from enrollment.models import Student
from rbac.checks import iter_url_patterns
from rbac.defaults import STUDENT, TEACHER
from tests.classroom.conftest import Classroom, _student, _user
from tests.conftest import make_client

# --- Class A's data: what outsiders must never see ------------------------------------------------
COURSE_A = "Python全栈开发"
LESSON_TITLE = "甲班秘密课题"
LESSON_CONTENT = "甲班秘密内容：闭包与装饰器"
HOMEWORK_TITLE = "甲班秘密作业"
STUDENT_NAME = "吴同学"  # the world's student (fixture `classroom`)
CLASSMATE_NAME = "郑同学"
LATECOMER_NAME = "冯同学"
FILE_NAME = "wu-secret-homework.py"
FILE_BYTES = b"print('wu secret homework')\n"
CLASSMATE_FILE_NAME = "zheng-secret-homework.py"
QUESTION_TITLE = "甲班的秘密问题"
QUESTION_BODY = "甲班秘密问题的正文：为什么要用生成器"
ANSWER_BODY = "甲班老师的秘密回答：省内存"
DELETED_QUESTION_TITLE = "甲班删掉的提问"
SEARCH = "秘密问题"  # a part of QUESTION_TITLE: the search page echoes the query, not the title

SECRETS = (
    COURSE_A,
    LESSON_TITLE,
    LESSON_CONTENT,
    HOMEWORK_TITLE,
    STUDENT_NAME,
    CLASSMATE_NAME,
    LATECOMER_NAME,
    FILE_NAME,
    CLASSMATE_FILE_NAME,
    QUESTION_TITLE,
    DELETED_QUESTION_TITLE,
    QUESTION_BODY,
    ANSWER_BODY,
)
SECRET_BYTES = (*(secret.encode() for secret in SECRETS), FILE_BYTES)

LOGIN_PREFIX = f"{reverse(settings.LOGIN_URL)}?next="


@dataclass
class Scene:
    room: Classroom
    class_a: ClassList
    class_b: ClassList
    lesson: Lesson  # lesson 1 of class A
    adviser: User  # class A's adviser, not one of its teachers
    latecomer: Student  # joined class A after lesson 1: no record yet
    file: HomeworkFile  # the world's student's homework for lesson 1 of class A
    classmate_file: HomeworkFile
    other_file: HomeworkFile  # class B's student's homework
    question: Question  # asked in class A by the world's student
    answer: Answer  # by class A's teacher
    other_question: Question  # asked in class B
    deleted_question: Question  # asked in class A, in the recycle bin


def _upload(record: StudyRecord, name: str, data: bytes) -> HomeworkFile:
    return services.homework_upload(record=record, upload=SimpleUploadedFile(name, data))


@pytest.fixture
def scene(world, classroom) -> Scene:
    lesson, other_lesson = classroom.lesson, classroom.other_lesson
    Lesson.objects.filter(pk=lesson.pk).update(
        title=LESSON_TITLE, content=LESSON_CONTENT, homework_title=HOMEWORK_TITLE
    )
    Lesson.objects.filter(pk=other_lesson.pk).update(
        title="乙班课题", content="乙班内容", homework_title="乙班作业"
    )
    lesson.refresh_from_db()
    adviser = _user("adviser", world.roles[TEACHER], "Adviser Tester")
    world.class_a.adviser = adviser
    world.class_a.save()
    latecomer = _student(
        _user("latecomer", world.roles[STUDENT], "Late Tester"),
        LATECOMER_NAME,
        "+8613700000009",
        world.class_a,
        world.source,
    )

    def record(student, of_lesson):
        return StudyRecord.objects.get(student=student, lesson=of_lesson)

    file = _upload(record(classroom.student, lesson), FILE_NAME, FILE_BYTES)
    classmate_file = _upload(record(classroom.classmate, lesson), CLASSMATE_FILE_NAME, b"print('zheng')\n")
    other_file = _upload(record(classroom.other_student, other_lesson), "wang.py", b"print('wang')\n")
    question = services.question_ask(
        class_list=world.class_a, lesson=lesson, title=QUESTION_TITLE, body=QUESTION_BODY, by=world.student
    )
    answer = services.question_answer(question=question, body=ANSWER_BODY, by=world.teacher)
    other_question = services.question_ask(
        class_list=world.class_b,
        lesson=other_lesson,
        title="乙班的问题",
        body="乙班问题正文",
        by=classroom.other_student.user,
    )
    services.question_answer(question=other_question, body="乙班的回答", by=classroom.other_teacher)
    deleted_question = services.question_ask(
        class_list=world.class_a, lesson=None, title=DELETED_QUESTION_TITLE, body="不当内容", by=world.student
    )
    services.question_delete(question=deleted_question, by=world.teacher)
    return Scene(
        room=classroom,
        class_a=world.class_a,
        class_b=world.class_b,
        lesson=lesson,
        adviser=adviser,
        latecomer=latecomer,
        file=file,
        classmate_file=classmate_file,
        other_file=other_file,
        question=question,
        answer=answer,
        other_question=other_question,
        deleted_question=deleted_question,
    )


@pytest.fixture
def clients(world, scene) -> Callable:
    """`clients("other_teacher")`: a signed-in English client (or an anonymous one)."""
    users = {
        "teacher": world.teacher,
        "adviser": scene.adviser,
        "student": world.student,
        "classmate": scene.room.classmate.user,
        "other_teacher": scene.room.other_teacher,
        "other_student": scene.room.other_student.user,
        "sales": world.sales,
        "outsider": world.outsider,
        "anonymous": None,
    }
    return lambda who: make_client(users[who])


def snapshot(media_root) -> dict:
    """Every row a classroom request may write, and every file under MEDIA_ROOT."""
    tables = {
        model.__name__: sorted(model.objects.values_list(), key=repr)
        for model in (Lesson, StudyRecord, HomeworkFile, Question, Answer, Notification, Student)
    }
    tables["class_students"] = sorted(Student.classes.through.objects.values_list(), key=repr)
    tables["files"] = sorted(
        (str(path.relative_to(media_root)), path.read_bytes())
        for path in media_root.rglob("*")
        if path.is_file()
    )
    return tables


def body_of(response) -> bytes:
    # The test client closes a streamed response once it is read (closing it again here would
    # send request_finished and close the database connection).
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- The probes ---------------------------------------------------------------------------------
TEACHERS = ("teacher", "adviser")
REFUSED = ("sales", "outsider")  # roles without any classroom right
TEACHER_ONLY_REFUSED = (*REFUSED, "student")  # a student of class A has no teacher's right
STUDENT_ONLY_REFUSED = (*REFUSED, "teacher")  # class A's teacher has no student's right


def no_kwargs(scene):
    return {}


def no_data(scene):
    return {}


def class_a(scene):
    return {"pk": scene.class_a.pk}


def lesson_a(scene):
    return {"pk": scene.lesson.pk}


def file_a(scene):
    return {"pk": scene.file.pk}


def question_a(scene):
    return {"pk": scene.question.pk}


def answer_a(scene):
    return {"pk": scene.answer.pk}


def deleted_question_a(scene):
    return {"pk": scene.deleted_question.pk}


def lesson_data(scene, **changes) -> dict:
    data = {
        "number": 2,
        "date": "2026-09-02",
        "teacher": scene.lesson.teacher_id,
        "title": "第2课 函数",
        "content": "函数",
        "homework_title": "函数练习",
        "homework_requirement": "提交 .py 文件",
        "homework_deadline": "",
    }
    return {**data, **changes}


def lesson_update_data(scene):
    return lesson_data(scene, number=1, date="2026-09-01", title="改过的标题")


def record_data(scene, **fields) -> dict:
    """A roll call or grading post for every record of class A's lesson 1."""
    records = list(StudyRecord.objects.filter(lesson=scene.lesson).order_by("pk"))
    data = {
        "records-TOTAL_FORMS": str(len(records)),
        "records-INITIAL_FORMS": str(len(records)),
        "records-MIN_NUM_FORMS": "0",
        "records-MAX_NUM_FORMS": str(len(records)),
    }
    for index, record in enumerate(records):
        data[f"records-{index}-record"] = str(record.pk)
        data.update({f"records-{index}-{name}": value for name, value in fields.items()})
    return data


def roll_call_data(scene):
    return record_data(scene, attendance="late")


def grading_data(scene):
    return record_data(scene, score="90", comment="不错")


def upload_data(scene):
    return {"file": SimpleUploadedFile("new.py", b"print('new')\n")}


def question_data(scene):
    return {"class_list": scene.class_a.pk, "lesson": scene.lesson.pk, "title": "新问题", "body": "请问"}


@dataclass(frozen=True)
class Probe:
    """One request to a classroom URL about class A's objects. `owners` get `ok` (200 for pages,
    302 for actions) and see `shows`; `outsiders` (same role, another class or another student)
    get `outsider_status`; `refused` roles get 403."""

    url_name: str
    kwargs: Callable = no_kwargs
    method: str = "GET"
    data: Callable = no_data
    query: str = ""
    owners: tuple[str, ...] = TEACHERS
    outsiders: tuple[str, ...] = ("other_teacher",)
    refused: tuple[str, ...] = TEACHER_ONLY_REFUSED
    ok: int | None = None
    outsider_status: int = 404
    shows: tuple[str | bytes, ...] = ()
    variant: str = ""

    @property
    def expected_ok(self) -> int:
        return self.ok if self.ok is not None else 200 if self.method == "GET" else 302

    @property
    def id(self) -> str:
        return f"{self.url_name}-{self.method}{'-' + self.variant if self.variant else ''}"

    def request(self, client, scene):
        url = reverse(self.url_name, kwargs=self.kwargs(scene))
        if self.query:
            url = f"{url}?{self.query}"
        if self.method == "GET":
            return client.get(url)
        return client.post(url, self.data(scene))


def post(url_name, kwargs=no_kwargs, data=no_data, **extra) -> Probe:
    return Probe(url_name, kwargs, method="POST", data=data, **extra)


STUDENT_SIDE = {"owners": ("student",), "outsiders": ("other_student",), "refused": STUDENT_ONLY_REFUSED}

PROBES: list[Probe] = [
    # Teachers and advisers: the teacher of class B is the outsider; a list shows only own classes.
    Probe("classroom:class-list", outsider_status=200, shows=(COURSE_A,)),
    Probe("classroom:class-detail", class_a, shows=(LESSON_TITLE, STUDENT_NAME, CLASSMATE_NAME)),
    Probe("classroom:lesson-create", class_a, shows=(COURSE_A,)),
    post("classroom:lesson-create", class_a, lesson_data),
    Probe("classroom:lesson-detail", lesson_a, shows=(LESSON_TITLE, LESSON_CONTENT, STUDENT_NAME, FILE_NAME)),
    Probe("classroom:lesson-update", lesson_a, shows=(LESSON_TITLE, LESSON_CONTENT)),
    post("classroom:lesson-update", lesson_a, lesson_update_data),
    post("classroom:lesson-sync", lesson_a),
    Probe("classroom:roll-call", lesson_a, shows=(STUDENT_NAME, CLASSMATE_NAME)),
    post("classroom:roll-call", lesson_a, roll_call_data),
    Probe("classroom:grading", lesson_a, shows=(HOMEWORK_TITLE, STUDENT_NAME, FILE_NAME)),
    post("classroom:grading", lesson_a, grading_data),
    Probe("classroom:homework-zip", lesson_a, shows=(FILE_NAME.encode(), CLASSMATE_FILE_NAME.encode())),
    Probe("classroom:question-list", outsider_status=200, shows=(QUESTION_TITLE,)),
    Probe(
        "classroom:question-list",
        query=f"q={SEARCH}",
        outsider_status=200,
        shows=(QUESTION_TITLE,),
        variant="search",
    ),
    post("classroom:answer-create", question_a, lambda scene: {"body": "新的回答"}),
    # The recycle bin of class A's deleted questions, and restoring one.
    Probe("classroom:question-trash", outsider_status=200, shows=(DELETED_QUESTION_TITLE,)),
    post("classroom:question-restore", deleted_question_a),
    # Both: a file reaches its student and the class's teachers; a question its class.
    Probe(
        "classroom:homework-file",
        file_a,
        owners=(*TEACHERS, "student"),
        outsiders=("classmate", "other_student", "other_teacher"),
        refused=REFUSED,
        shows=(FILE_BYTES,),
    ),
    Probe(
        "classroom:question-detail",
        question_a,
        owners=(*TEACHERS, "student", "classmate"),
        outsiders=("other_student", "other_teacher"),
        refused=REFUSED,
        shows=(QUESTION_TITLE, QUESTION_BODY, ANSWER_BODY),
    ),
    # The scene's question has an answer, so only the class's teachers may delete it (the asker
    # is refused by the service with a message, tested in test_soft_delete.py).
    post(
        "classroom:question-delete",
        question_a,
        outsiders=("classmate", "other_student", "other_teacher"),
        refused=REFUSED,
    ),
    post(
        "classroom:answer-accept",
        answer_a,
        owners=(*TEACHERS, "student"),
        outsiders=("classmate", "other_student", "other_teacher"),
        refused=REFUSED,
    ),
    # Students: the student of class B is the outsider; a classmate for the student's own file.
    Probe("classroom:my-classes", **STUDENT_SIDE, outsider_status=200, shows=(COURSE_A,)),
    Probe("classroom:my-class", class_a, **STUDENT_SIDE, shows=(LESSON_TITLE,)),
    Probe("classroom:my-lesson", lesson_a, **STUDENT_SIDE, shows=(LESSON_CONTENT, FILE_NAME)),
    post("classroom:my-lesson", lesson_a, upload_data, **STUDENT_SIDE),
    post(
        "classroom:my-homework-delete",
        file_a,
        owners=("student",),
        outsiders=("classmate", "other_student"),
        refused=STUDENT_ONLY_REFUSED,
    ),
    Probe("classroom:my-grades", **STUDENT_SIDE, outsider_status=200, shows=(COURSE_A, LESSON_TITLE)),
    Probe("classroom:my-questions", **STUDENT_SIDE, outsider_status=200, shows=(QUESTION_TITLE,)),
    Probe(
        "classroom:my-questions",
        query=f"q={SEARCH}",
        **STUDENT_SIDE,
        outsider_status=200,
        shows=(QUESTION_TITLE,),
        variant="search",
    ),
    Probe("classroom:question-create", **STUDENT_SIDE, outsider_status=200, shows=(COURSE_A, LESSON_TITLE)),
    # The student of class B posting class A's class and lesson: the form refuses both.
    post("classroom:question-create", data=question_data, **STUDENT_SIDE, outsider_status=200),
]


def _cases(attribute: str) -> list:
    return [
        pytest.param(probe, who, id=f"{probe.id}-{who}")
        for probe in PROBES
        for who in getattr(probe, attribute)
    ]


# --- Every URL has probes ---------------------------------------------------------------------
def test_every_classroom_url_name_has_a_probe():
    names = {name for name, _callback in iter_url_patterns() if name.startswith("classroom:")}
    assert names, "the URLconf has no classroom URLs"
    missing = names - {probe.url_name for probe in PROBES}
    assert not missing, f"classroom URLs without a scope probe (add one): {sorted(missing)}"
    stale = {probe.url_name for probe in PROBES} - names
    assert not stale, f"probes of URL names the URLconf no longer has: {sorted(stale)}"


def test_every_probe_has_owners_outsiders_and_refused_roles():
    for probe in PROBES:
        assert probe.owners and probe.outsiders and "sales" in probe.refused, probe.id
        # Only pages without an object (lists, the question form) answer outsiders with a page.
        assert probe.outsider_status == 404 or probe.kwargs is no_kwargs, probe.id


# --- The right users get through (the control for everything below) --------------------------------
@pytest.mark.parametrize(("probe", "who"), _cases("owners"))
def test_the_right_users_get_through(
    scene, clients, media_root, django_capture_on_commit_callbacks, probe, who
):
    before = snapshot(media_root)
    with django_capture_on_commit_callbacks(execute=True):
        response = probe.request(clients(who), scene)
    assert response.status_code == probe.expected_ok, body_of(response)[:500]
    assert not response.get("Location", "").startswith(LOGIN_PREFIX)
    body = body_of(response)
    for shown in probe.shows:
        assert (shown if isinstance(shown, bytes) else shown.encode()) in body, shown
    if probe.method == "GET":
        assert snapshot(media_root) == before, "a GET wrote something"
    else:
        assert snapshot(media_root) != before, "the POST did nothing for the right user"


# --- Outsiders of the same role get 404 (or their own data only), and write nothing -----------------
@pytest.mark.parametrize(("probe", "who"), _cases("outsiders"))
def test_outsiders_see_nothing_and_change_nothing(
    scene, clients, media_root, django_capture_on_commit_callbacks, probe, who
):
    before = snapshot(media_root)
    with django_capture_on_commit_callbacks(execute=True):
        response = probe.request(clients(who), scene)
    assert response.status_code == probe.outsider_status, (response.status_code, response.get("Location"))
    body = body_of(response)
    leaked = [secret for secret in SECRET_BYTES if secret in body]
    assert not leaked, f"{who} saw class A's data: {[secret.decode() for secret in leaked]}"
    assert snapshot(media_root) == before


# --- Insiders without the right get 403 before any lookup ----------------------------------------
@pytest.mark.parametrize(("probe", "who"), _cases("refused"))
def test_roles_without_the_right_are_refused(
    scene, clients, media_root, django_capture_on_commit_callbacks, probe, who
):
    before = snapshot(media_root)
    with django_capture_on_commit_callbacks(execute=True):
        response = probe.request(clients(who), scene)
    assert response.status_code == 403
    body = body_of(response)
    assert b'data-testid="forbidden"' in body
    assert not [secret for secret in SECRET_BYTES if secret in body]
    assert snapshot(media_root) == before


@pytest.mark.parametrize("probe", PROBES, ids=lambda probe: probe.id)
def test_anonymous_visitors_are_sent_to_log_in(scene, clients, media_root, probe):
    before = snapshot(media_root)
    response = probe.request(clients("anonymous"), scene)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_PREFIX)
    assert snapshot(media_root) == before


# --- The class adviser ------------------------------------------------------------------------------
def test_the_adviser_reaches_the_class_without_being_one_of_its_teachers(world, scene, clients):
    assert not scene.class_a.teachers.filter(pk=scene.adviser.pk).exists()
    as_adviser = clients("adviser")
    cards = as_adviser.get(reverse("classroom:class-list"))
    assert list(cards.context["classes"]) == [scene.class_a]
    assert as_adviser.get(reverse("classroom:class-detail", args=[scene.class_a.pk])).status_code == 200
    assert as_adviser.get(reverse("classroom:lesson-detail", args=[scene.lesson.pk])).status_code == 200
    # ... and may be named as a lesson's teacher.
    response = as_adviser.post(
        reverse("classroom:lesson-create", args=[scene.class_a.pk]),
        lesson_data(scene, teacher=scene.adviser.pk),
    )
    assert response.status_code == 302
    assert Lesson.objects.get(class_list=scene.class_a, number=2).teacher == scene.adviser


def test_advising_another_class_does_not_open_class_a(world, scene, clients):
    ClassList.objects.filter(pk=scene.class_a.pk).update(adviser=None)
    ClassList.objects.filter(pk=scene.class_b.pk).update(adviser=scene.adviser)
    as_adviser = clients("adviser")
    assert as_adviser.get(reverse("classroom:class-detail", args=[scene.class_a.pk])).status_code == 404
    assert as_adviser.get(reverse("classroom:lesson-detail", args=[scene.lesson.pk])).status_code == 404
    assert as_adviser.get(reverse("classroom:homework-file", args=[scene.file.pk])).status_code == 404
    assert as_adviser.get(reverse("classroom:class-detail", args=[scene.class_b.pk])).status_code == 200


# --- Objects of another class smuggled into a form of one's own ----------------------------------------
def test_a_question_cannot_name_a_lesson_of_another_class(world, scene, clients, media_root):
    before = snapshot(media_root)
    other_lesson = scene.room.other_lesson
    data = {**question_data(scene), "lesson": other_lesson.pk}
    response = clients("student").post(reverse("classroom:question-create"), data)
    assert response.status_code == 200
    assert "lesson" in response.context["form"].errors
    assert "乙班课题" not in response.content.decode()
    assert snapshot(media_root) == before


def test_a_lesson_teacher_must_teach_or_advise_the_class(world, scene, clients, media_root):
    before = snapshot(media_root)
    data = lesson_data(scene, teacher=scene.room.other_teacher.pk)
    response = clients("teacher").post(reverse("classroom:lesson-create", args=[scene.class_a.pk]), data)
    assert response.status_code == 200
    assert "teacher" in response.context["form"].errors
    assert snapshot(media_root) == before


def test_a_lesson_cannot_be_moved_to_another_class(world, scene, clients):
    data = {**lesson_update_data(scene), "class_list": scene.class_b.pk}
    response = clients("teacher").post(reverse("classroom:lesson-update", args=[scene.lesson.pk]), data)
    assert response.status_code == 302
    scene.lesson.refresh_from_db()
    assert (scene.lesson.class_list_id, scene.lesson.title) == (scene.class_a.pk, "改过的标题")


def test_a_teacher_of_another_class_cannot_answer_or_accept_through_own_pages(world, scene, clients):
    """The teacher of class B opens their own question page fine, yet class A's ids stay closed."""
    as_other = clients("other_teacher")
    assert (
        as_other.get(reverse("classroom:question-detail", args=[scene.other_question.pk])).status_code == 200
    )
    assert as_other.post(reverse("classroom:answer-accept", args=[scene.answer.pk])).status_code == 404
    scene.answer.refresh_from_db()
    assert not scene.answer.is_accepted
    assert not Question.objects.get(pk=scene.question.pk).is_solved


def test_a_student_cannot_delete_a_classmates_file_from_their_own_lesson_page(
    world, scene, clients, media_root
):
    path = media_root / scene.classmate_file.file.name
    assert path.exists()
    response = clients("student").post(
        reverse("classroom:my-homework-delete", args=[scene.classmate_file.pk])
    )
    assert response.status_code == 404
    assert HomeworkFile.objects.filter(pk=scene.classmate_file.pk).exists()
    assert path.exists()
