"""The classroom in a browser: a teacher and the class adviser find their class, the teacher
records lesson 1, takes the roll, downloads the homework as one zip and grades it; the student
finds their contract, class, syllabus and lesson on a phone, hands in homework, reads their
grades and rank, and asks a question the teacher answers (both notified).

Elements are found by test id, form field name and URL; the texts read are data the tests create
(names, titles, comments) and the few Chinese labels the UI shows by default.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Notification, User
from classroom import selectors
from classroom import services as classroom_services
from classroom.models import Answer, Attendance, HomeworkFile, Lesson, Question, StudyRecord
from crm.models import Campus, ClassList, Course, Customer, DictItem
from crm.normalize import name_keys, normalize_phone
from enrollment import services as enrollment_services
from enrollment.models import Enrollment, Student
from rbac.defaults import FINANCE, SALES, STUDENT, TEACHER
from tests.e2e.conftest import PASSWORD, expect_message, open_menu_item

pytestmark = pytest.mark.e2e

OUTLINE = (
    "第一阶段：Python 基础（变量、数据类型、流程控制、函数）\n"
    "第二阶段：面向对象与模块化\n"
    "第三阶段：Web 开发（Django、数据库、REST 接口）\n"
    "第四阶段：项目实战与就业指导"
)
CONTRACT = "培训服务协议\n乙方（学员）：{name}\n乙方报名参加 {class}，学费人民币 {price} 元。"
ME = "吴同学"  # the e2e student (their customer's name; their account's display name too)
CLASSMATES = [("郑小明", "139 0000 0001"), ("王芳", "139 0000 0002"), ("陈静", "139 0000 0003")]
NAMES = [ME, *(name for name, _phone in CLASSMATES)]
LESSON_URL = re.compile(r"/teaching/lessons/(\d+)/$")


@dataclass
class School:
    teacher: User
    adviser: User
    student_user: User
    class_list: ClassList
    other_class: ClassList
    student: Student  # the e2e student, enrolled through an approved enrollment
    classmates: list[Student]
    enrollment: Enrollment

    @property
    def students(self) -> list[Student]:
        return [self.student, *self.classmates]


def make_customer(name: str, phone: str, owner: User, source: DictItem) -> Customer:
    pinyin, initials = name_keys(name)
    return Customer.objects.create(
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        phone=normalize_phone(phone),
        source=source,
        consulted_on=timezone.localdate() - timedelta(days=30),
        created_by=owner,
        consultant=owner,
        claimed_at=timezone.now() - timedelta(days=30),
    )


@pytest.fixture
def school(staff, settings, tmp_path, live_server) -> School:
    """Python全栈开发 9期 in 北京: 周老师 teaches it, 冯班主任 advises it; 吴同学 (the e2e student
    account) joined through an approved enrollment, three classmates beside them. A Java class
    of someone else's shows what the teachers must not see."""
    settings.MEDIA_ROOT = tmp_path / "media"  # homework files
    cache.clear()
    consultant = staff.users[SALES]
    campus = Campus.objects.create(name="北京校区", address="北京市海淀区中关村大街1号")
    course = Course.objects.create(
        name="Python全栈开发", outline=OUTLINE, default_price=Decimal("19800"), contract_template=CONTRACT
    )
    class_list = ClassList.objects.create(
        course=course,
        campus=campus,
        semester=9,
        price=Decimal("19800"),
        start_date=timezone.localdate() - timedelta(days=14),
        capacity=30,
        adviser=staff.users["adviser"],
    )
    class_list.teachers.add(staff.users[TEACHER])
    other_course = Course.objects.create(name="Java大数据开发", default_price=Decimal("21800"))
    other_class = ClassList.objects.create(
        course=other_course,
        campus=campus,
        semester=3,
        price=Decimal("21800"),
        start_date=timezone.localdate() - timedelta(days=7),
    )
    source = DictItem.objects.create(kind=DictItem.Kind.SOURCE, code="baidu", label="百度推广")
    male = DictItem.objects.create(kind=DictItem.Kind.GENDER, code="male", label="男", order=1)

    # The e2e student: the account exists already, so approval reuses it and adds the class.
    customer = make_customer(ME, "138 0013 8000", consultant, source)
    student = Student.objects.create(user=staff.users[STUDENT], customer=customer)
    enrollment = enrollment_services.enrollment_create(
        customer=customer, class_list=class_list, by=consultant
    )
    values = {
        "id_number": "11010519491231002X",
        "gender": male,
        "birthday": date(1949, 12, 31),
        "emergency_contact": "吴母",
        "emergency_phone": "+8613900000009",
        "address": "北京市海淀区中关村南大街5号",
        "email": staff.users[STUDENT].email,
    }
    contract = enrollment_services.contract_for(enrollment)
    assert enrollment_services.enrollment_submit(
        enrollment=enrollment, values=values, contract_text=contract, ip="::1"
    )
    enrollment.refresh_from_db()
    approved = enrollment_services.enrollment_approve(
        enrollment=enrollment, by=staff.users[FINANCE], may_exceed_capacity=False, base_url=live_server.url
    )
    assert approved == student
    enrollment.refresh_from_db()

    classmates = []
    for number, (name, phone) in enumerate(CLASSMATES, start=1):
        user = User.objects.create_user(
            username=f"e2e-classmate-{number}",
            password=PASSWORD,
            email=f"classmate{number}@e2e.example.test",
            display_name=name,
        )
        staff.roles[STUDENT].users.add(user)
        classmate = Student.objects.create(user=user, customer=make_customer(name, phone, consultant, source))
        classmate.classes.add(class_list)
        classmates.append(classmate)
    return School(
        teacher=staff.users[TEACHER],
        adviser=staff.users["adviser"],
        student_user=staff.users[STUDENT],
        class_list=class_list,
        other_class=other_class,
        student=student,
        classmates=classmates,
        enrollment=enrollment,
    )


def make_lesson(school: School, number: int = 1, **changes) -> Lesson:
    """A lesson with homework due in a week, made the way the lesson form makes it."""
    values = {
        "number": number,
        "date": timezone.localdate(),
        "teacher": school.teacher,
        "title": f"Python 基础（{number}）",
        "content": "变量与数据类型；列表、字典的常用操作。",
        "homework_title": f"练习 {number}",
        "homework_requirement": "提交一个 .py 文件。",
        "homework_deadline": timezone.make_aware(
            datetime.combine(timezone.localdate() + timedelta(days=7), time(22, 0))
        ),
    }
    values.update(changes)
    return classroom_services.lesson_create(class_list=school.class_list, values=values)


def records_by_name(lesson: Lesson) -> dict[str, StudyRecord]:
    records = lesson.records.select_related("student__customer")
    return {record.student.customer.name: record for record in records}


def hand_in(record: StudyRecord, name: str, data: bytes) -> HomeworkFile:
    return classroom_services.homework_upload(record=record, upload=SimpleUploadedFile(name, data))


def page_overflows(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def settle(page: Page) -> None:
    """Wait for CSS transitions (Bootstrap buttons fade) so the screenshot shows the end state."""
    page.evaluate("() => Promise.all(document.getAnimations().map(animation => animation.finished))")


def desktop_shots(ui, username: str, pages: list[tuple[str, str]]) -> None:
    """The student's pages again at desktop width (the journeys walk them on a phone)."""
    page = ui.page()
    ui.login(page, username)
    for url, name in pages:
        page.goto(url)
        ui.shot(page, name)


# --- 1. Teacher and adviser find their class ----------------------------------------------------
def test_teacher_and_adviser_see_the_classes_they_teach_or_advise(ui, school):
    page = ui.page()
    ui.login(page, school.teacher.username)
    assert {"classroom.class_list", "classroom.question_list"} <= ui.sidebar_items(page)
    # The home page lists the class too.
    expect(page.locator("main")).to_contain_text("Python全栈开发 · 9期")
    expect(page.locator("main")).not_to_contain_text("Java大数据开发")
    ui.shot(page, "classroom-teacher-home")

    open_menu_item(page, "classroom.class_list")
    expect(page).to_have_url(re.compile(r"/teaching/classes/$"))
    cards = page.get_by_test_id("class-cards").locator("a.card")
    expect(cards).to_have_count(1)
    card = cards.first
    for text in ["Python全栈开发 · 9期", "北京校区", "4"]:
        expect(card).to_contain_text(text)
    expect(card).not_to_contain_text("班主任")  # 周老师 teaches, does not advise
    expect(page.get_by_test_id("class-cards")).not_to_contain_text("Java大数据开发")
    assert not page_overflows(page)
    ui.shot(page, "classroom-teacher-classes")
    card.click()
    expect(page).to_have_url(re.compile(rf"/teaching/classes/{school.class_list.pk}/$"))

    # Someone else's class is not found.
    response = page.goto(f"/teaching/classes/{school.other_class.pk}/")
    assert response.status == 404

    # The adviser sees the class too, marked as the one they advise.
    adviser = ui.page()
    ui.login(adviser, school.adviser.username)
    open_menu_item(adviser, "classroom.class_list")
    cards = adviser.get_by_test_id("class-cards").locator("a.card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Python全栈开发 · 9期")
    expect(cards.first).to_contain_text("班主任")
    ui.shot(adviser, "classroom-adviser-classes")
    cards.first.click()
    expect(adviser).to_have_url(re.compile(rf"/teaching/classes/{school.class_list.pk}/$"))
    expect(adviser.get_by_test_id("roster-table").locator("tbody tr")).to_have_count(4)


# --- 2. Lesson 1 ------------------------------------------------------------------------------------
def test_teacher_creates_lesson_one_and_every_student_gets_a_record(ui, school):
    page = ui.page()
    ui.login(page, school.teacher.username)
    page.goto("/teaching/classes/")
    page.get_by_test_id("class-cards").locator("a.card").filter(has_text="Python全栈开发 · 9期").click()
    expect(page).to_have_url(re.compile(rf"/teaching/classes/{school.class_list.pk}/$"))
    expect(page.locator("main h1")).to_have_text("Python全栈开发 · 9期")
    roster = page.get_by_test_id("roster-table")
    expect(roster.locator("tbody tr")).to_have_count(4)
    for name in NAMES:
        expect(roster).to_contain_text(name)
    lessons = page.get_by_test_id("lesson-table")
    expect(lessons.locator("tbody a")).to_have_count(0)
    ui.shot(page, "classroom-class-empty")

    page.get_by_test_id("new-lesson").click()
    expect(page).to_have_url(re.compile(rf"/teaching/classes/{school.class_list.pk}/lessons/new/$"))
    form = page.get_by_test_id("record-form")
    expect(form.locator("input[name=number]")).to_have_value("1")
    expect(form.locator("select[name=teacher]")).to_have_value(str(school.teacher.pk))
    today = timezone.localdate()
    deadline = datetime.combine(today + timedelta(days=7), time(22, 0))
    form.locator("input[name=date]").fill(today.isoformat())
    form.locator("input[name=title]").fill("Python 基础：变量与数据类型")
    form.locator("textarea[name=content]").fill("1. 变量与赋值\n2. 数字、字符串、布尔\n3. 列表与字典")
    form.locator("input[name=homework_title]").fill("数据类型练习")
    form.locator("textarea[name=homework_requirement]").fill(
        "写一个 .py 文件：统计一段文字里每个单词出现的次数，用字典保存并按次数排序输出。"
    )
    form.locator("input[name=homework_deadline]").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    assert not page_overflows(page)
    ui.shot(page, "classroom-lesson-form")
    form.locator("button[type=submit]").click()

    expect(page).to_have_url(LESSON_URL)
    lesson = Lesson.objects.get(class_list=school.class_list, number=1)
    assert LESSON_URL.search(page.url).group(1) == str(lesson.pk)
    assert (lesson.date, lesson.teacher, lesson.title) == (
        today,
        school.teacher,
        "Python 基础：变量与数据类型",
    )
    assert lesson.content.replace("\r\n", "\n") == "1. 变量与赋值\n2. 数字、字符串、布尔\n3. 列表与字典"
    assert lesson.homework_title == "数据类型练习"
    assert lesson.homework_requirement.startswith("写一个 .py 文件")
    assert timezone.localtime(lesson.homework_deadline).replace(tzinfo=None) == deadline
    expect_message(page, "success", "4")

    # A study record for every student of the class, none of them marked yet.
    records = records_by_name(lesson)
    assert sorted(records) == sorted(NAMES)
    assert {(record.attendance, record.score) for record in records.values()} == {("", None)}
    table = page.get_by_test_id("record-table")
    expect(table.locator("tbody tr")).to_have_count(4)
    for name in NAMES:
        expect(table.locator("tbody tr").filter(has_text=name)).to_contain_text("未点名")
    expect(page.locator("main")).to_contain_text("数据类型练习")
    expect(page.get_by_test_id("roll-call")).to_be_visible()
    expect(page.get_by_test_id("grade")).to_be_visible()
    expect(page.get_by_test_id("homework-zip")).to_have_count(0)  # nothing handed in yet
    ui.shot(page, "classroom-lesson-created")

    # Back on the class page, lesson 1 is listed with nothing handed in.
    page.locator("main").get_by_role("link", name=re.compile("Python全栈开发")).first.click()
    expect(page).to_have_url(re.compile(rf"/teaching/classes/{school.class_list.pk}/$"))
    row = page.get_by_test_id("lesson-table").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Python 基础：变量与数据类型")
    expect(row).to_contain_text("0 / 4")
    ui.shot(page, "classroom-class-with-lesson")


# --- 3. Roll call --------------------------------------------------------------------------------
def test_teacher_takes_the_roll_on_one_page(ui, school):
    lesson = make_lesson(school)
    page = ui.page()
    ui.login(page, school.teacher.username)
    page.goto(f"/teaching/lessons/{lesson.pk}/")
    page.get_by_test_id("roll-call").click()
    expect(page).to_have_url(re.compile(rf"/teaching/lessons/{lesson.pk}/roll-call/$"))

    rows = page.get_by_test_id("roll-row")
    expect(rows).to_have_count(4)
    for index in range(4):  # everyone starts as present
        expect(page.locator(f'input[name="records-{index}-attendance"][value="present"]')).to_be_checked()
    late_row = rows.filter(has_text="郑小明")
    late = late_row.locator('input[type=radio][value="late"]')
    assert re.fullmatch(r"records-\d+-attendance", late.get_attribute("name"))
    late_row.locator(f'label[for="{late.get_attribute("id")}"]').click()  # the btn-check button
    expect(late).to_be_checked()
    page.mouse.move(0, 0)
    settle(page)
    expect(late_row.locator('input[type=radio][value="present"]')).not_to_be_checked()
    ui.shot(page, "classroom-roll-call")
    page.get_by_test_id("save").click()

    expect(page).to_have_url(re.compile(rf"/teaching/lessons/{lesson.pk}/$"))
    expect_message(page, "success")
    attendance = {name: record.attendance for name, record in records_by_name(lesson).items()}
    assert attendance == {
        ME: Attendance.PRESENT,
        "郑小明": Attendance.LATE,
        "王芳": Attendance.PRESENT,
        "陈静": Attendance.PRESENT,
    }
    table = page.get_by_test_id("record-table")
    expect(table.locator("tbody tr").filter(has_text="郑小明")).to_contain_text("迟到")
    for name in [ME, "王芳", "陈静"]:
        expect(table.locator("tbody tr").filter(has_text=name)).to_contain_text("出勤")
    ui.shot(page, "classroom-roll-call-saved")

    # The roll page opens again with what was saved, on the phone a teacher carries in class too.
    phone = ui.page("phone")
    ui.login(phone, school.teacher.username)
    phone.goto(f"/teaching/lessons/{lesson.pk}/roll-call/")
    expect(
        phone.get_by_test_id("roll-row").filter(has_text="郑小明").locator('input[value="late"]')
    ).to_be_checked()
    expect(
        phone.get_by_test_id("roll-row").filter(has_text="王芳").locator('input[value="present"]')
    ).to_be_checked()
    ui.shot(phone, "classroom-roll-call-phone")


# --- 4. The student on a phone: contract, class, syllabus, lesson, homework -----------------------
def test_student_finds_contract_class_and_hands_in_homework_on_a_phone(ui, school, tmp_path):
    lesson = make_lesson(school, title="Python 基础：变量与数据类型", homework_title="数据类型练习")
    homework = tmp_path / "word_count.py"
    homework.write_text(
        'text = "to be or not to be"\ncounts = {}\nfor word in text.split():\n'
        "    counts[word] = counts.get(word, 0) + 1\nprint(sorted(counts.items(), key=lambda x: -x[1]))\n",
        encoding="utf-8",
    )

    page = ui.page("phone")
    ui.login(page, school.student_user.username)
    assert {"classroom.my_classes", "classroom.my_grades", "classroom.my_questions"} <= ui.sidebar_items(page)
    open_menu_item(page, "classroom.my_classes", phone=True)
    expect(page).to_have_url(re.compile(r"/my/classes/$"))
    cards = page.get_by_test_id("my-class-cards")
    for text in ["Python全栈开发 · 9期", "北京校区", "周老师", "冯班主任"]:
        expect(cards).to_contain_text(text)
    expect(cards).not_to_contain_text("Java大数据开发")
    assert not page_overflows(page)
    ui.shot(page, "classroom-my-classes-phone")

    # The contract, through "my enrollments".
    page.get_by_test_id("my-contracts").click()
    expect(page).to_have_url(re.compile(r"/my/enrollments/$"))
    mine = page.get_by_test_id("my-enrollments")
    expect(mine).to_contain_text("Python全栈开发")
    expect(mine).to_contain_text("9期")
    ui.shot(page, "classroom-my-enrollments-phone")
    mine.get_by_test_id("contract-link").click()
    expect(page).to_have_url(re.compile(rf"/my/enrollments/{school.enrollment.pk}/contract/$"))
    expect(page.get_by_test_id("contract")).to_contain_text(f"乙方（学员）：{ME}")
    assert not page_overflows(page)
    ui.shot(page, "classroom-my-contract-phone")

    # The class: syllabus and lessons.
    open_menu_item(page, "classroom.my_classes", phone=True)
    page.get_by_test_id("my-class-cards").get_by_role("link", name="Python全栈开发 · 9期").click()
    expect(page).to_have_url(re.compile(rf"/my/classes/{school.class_list.pk}/$"))
    syllabus = page.get_by_test_id("syllabus")
    for line in OUTLINE.splitlines():
        expect(syllabus).to_contain_text(line)
    my_lessons = page.get_by_test_id("my-lessons")
    expect(my_lessons.locator("li")).to_have_count(1)
    expect(my_lessons).to_contain_text("Python 基础：变量与数据类型")
    assert not page_overflows(page)
    ui.shot(page, "classroom-my-class-phone")

    # Lesson 1 and its homework.
    my_lessons.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/my/lessons/{lesson.pk}/$"))
    card = page.get_by_test_id("homework-card")
    expect(card).to_contain_text("数据类型练习")
    expect(card).to_contain_text("提交一个 .py 文件。")
    upload = page.get_by_test_id("upload-form")
    upload.locator("input[name=file]").set_input_files(str(homework))
    ui.shot(page, "classroom-my-lesson-phone")
    upload.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"/my/lessons/{lesson.pk}/$"))
    expect_message(page, "success", "word_count.py")
    files = page.get_by_test_id("my-files")
    expect(files.locator("li")).to_have_count(1)
    expect(files).to_contain_text("word_count.py")
    assert not page_overflows(page)
    ui.shot(page, "classroom-my-lesson-handed-in-phone")

    record = StudyRecord.objects.get(lesson=lesson, student=school.student)
    assert record.homework_submitted_at is not None
    stored = record.homework_files.get()
    assert (stored.original_name, stored.is_late) == ("word_count.py", False)
    assert stored.file.read() == homework.read_bytes()
    # Only their record changed.
    assert not StudyRecord.objects.filter(lesson=lesson, homework_submitted_at__isnull=False).exclude(
        pk=record.pk
    )

    # The file downloads back, as handed in.
    with page.expect_download() as download_info:
        files.get_by_role("link", name="word_count.py").click()
    assert download_info.value.suggested_filename == "word_count.py"
    assert Path(download_info.value.path()).read_bytes() == homework.read_bytes()

    # The class page now shows the homework handed in.
    page.goto(f"/my/classes/{school.class_list.pk}/")
    expect(page.get_by_test_id("my-lessons")).to_contain_text("作业已交")

    desktop_shots(
        ui,
        school.student_user.username,
        [
            ("/my/classes/", "classroom-my-classes"),
            (f"/my/enrollments/{school.enrollment.pk}/contract/", "classroom-my-contract"),
            (f"/my/classes/{school.class_list.pk}/", "classroom-my-class"),
            (f"/my/lessons/{lesson.pk}/", "classroom-my-lesson"),
        ],
    )


# --- 5. The homework as one zip, then grading --------------------------------------------------
def test_teacher_downloads_the_homework_zip_and_grades_everyone(ui, school):
    lesson = make_lesson(school)
    records = records_by_name(lesson)
    handed_in = {
        f"{ME}/word_count.py": b"print('hello')\n",
        "郑小明/作业1.py": "# 郑小明的作业\nprint(len('你好'))\n".encode(),
        "郑小明/笔记.md": "# 笔记\n字典是无序的键值对。\n".encode(),
        "王芳/homework.py": b"counts = {}\n",
    }
    for member, data in handed_in.items():
        name, filename = member.split("/")
        hand_in(records[name], filename, data)

    page = ui.page()
    ui.login(page, school.teacher.username)
    page.goto(f"/teaching/lessons/{lesson.pk}/")
    table = page.get_by_test_id("record-table")
    expect(table.get_by_test_id("homework-file")).to_have_count(4)
    expect(table.locator("tbody tr").filter(has_text="陈静")).to_contain_text("未交")
    ui.shot(page, "classroom-lesson-homework")

    with page.expect_download() as download_info:
        page.get_by_test_id("homework-zip").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".zip")
    assert "Python全栈开发" in download.suggested_filename
    with zipfile.ZipFile(download.path()) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == sorted(handed_in)
        for member, data in handed_in.items():
            assert archive.read(member) == data

    # Grading: every student on one page.
    page.get_by_test_id("grade").click()
    expect(page).to_have_url(re.compile(rf"/teaching/lessons/{lesson.pk}/grades/$"))
    rows = page.get_by_test_id("grade-row")
    expect(rows).to_have_count(4)
    grades = {
        ME: (90, "思路清晰，变量命名规范。"),
        "郑小明": (100, "完成得很好，还写了笔记。"),
        "王芳": (70, "只写了一半，请补全排序部分。"),
        "陈静": (0, "未提交作业。"),
    }
    for name, (score, comment) in grades.items():
        row = rows.filter(has_text=name)
        score_select = row.locator("select")
        assert re.fullmatch(r"records-\d+-score", score_select.get_attribute("name"))
        score_select.select_option(str(score))
        comment_input = row.locator("input[type=text]")
        assert re.fullmatch(r"records-\d+-comment", comment_input.get_attribute("name"))
        comment_input.fill(comment)
    ui.shot(page, "classroom-grading")
    page.get_by_test_id("save").click()

    expect(page).to_have_url(re.compile(rf"/teaching/lessons/{lesson.pk}/$"))
    expect_message(page, "success", "4")
    saved = {
        name: (record.score, record.comment, record.graded_by)
        for name, record in records_by_name(lesson).items()
    }
    assert saved == {name: (score, comment, school.teacher) for name, (score, comment) in grades.items()}
    table = page.get_by_test_id("record-table")
    expect(table.locator("tbody tr").filter(has_text=ME)).to_contain_text("A · 90")
    expect(table.locator("tbody tr").filter(has_text="郑小明")).to_contain_text("A+ · 100")
    expect(table.locator("tbody tr").filter(has_text="王芳")).to_contain_text("B- · 70")
    ui.shot(page, "classroom-lesson-graded")


# --- 6. Grades and rank ----------------------------------------------------------------------------
def test_student_sees_grades_and_rank(ui, school):
    lessons = [make_lesson(school, 1), make_lesson(school, 2, title="Python 基础（2）：函数")]
    scores = {  # totals: 郑小明 200, 吴同学 175, 王芳 175, 陈静 not graded
        ME: [(90, "思路清晰。"), (85, "函数拆得不错。")],
        "郑小明": [(100, ""), (100, "")],
        "王芳": [(85, ""), (90, "")],
        "陈静": [(None, ""), (None, "")],
    }
    for index, lesson in enumerate(lessons):
        records = records_by_name(lesson)
        classroom_services.grades_save(
            lesson=lesson,
            grades={records[name].pk: values[index] for name, values in scores.items()},
            by=school.teacher,
        )
    places = {
        student.customer.name: student.place for student in selectors.class_standings(school.class_list)
    }
    assert places == {"郑小明": 1, ME: 2, "王芳": 2, "陈静": None}  # ties share a place

    page = ui.page("phone")
    ui.login(page, school.student_user.username)
    open_menu_item(page, "classroom.my_grades", phone=True)
    expect(page).to_have_url(re.compile(r"/my/grades/$"))
    card = page.get_by_test_id("grades-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Python全栈开发 · 9期")
    rank = page.get_by_test_id("my-rank")
    expect(rank).to_contain_text("第 2 名")
    expect(rank).to_contain_text("共 3 名")
    expect(card).to_contain_text("175")
    expect(card).to_contain_text("87.5")
    items = card.locator("li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("A · 90")
    expect(items.nth(0)).to_contain_text("思路清晰。")
    expect(items.nth(1)).to_contain_text("B+ · 85")
    expect(items.nth(1)).to_contain_text("函数拆得不错。")
    assert not page_overflows(page)
    ui.shot(page, "classroom-my-grades-phone")

    # A lesson opens with the grade and the comment.
    items.nth(0).get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/my/lessons/{lessons[0].pk}/$"))
    expect(page.get_by_test_id("my-grade")).to_contain_text("A · 90")
    expect(page.get_by_test_id("upload-form")).to_have_count(0)  # graded: no more changes
    ui.shot(page, "classroom-my-lesson-graded-phone")

    desktop_shots(ui, school.student_user.username, [("/my/grades/", "classroom-my-grades")])

    # The teacher's roster shows the same places.
    teacher = ui.page()
    ui.login(teacher, school.teacher.username)
    teacher.goto(f"/teaching/classes/{school.class_list.pk}/")
    roster = teacher.get_by_test_id("roster-table").locator("tbody tr")
    expect(roster.nth(0)).to_contain_text("郑小明")
    expect(roster.filter(has_text=ME).locator("td").first).to_have_text("2")
    expect(roster.filter(has_text="王芳").locator("td").first).to_have_text("2")
    expect(roster.filter(has_text="陈静").locator("td").first).to_have_text("—")
    ui.shot(teacher, "classroom-roster-ranked")


# --- 7. Questions and answers -----------------------------------------------------------------------
def test_student_asks_a_question_and_the_teacher_answers(ui, school):
    lesson = make_lesson(school)
    # A question about the same thing in someone else's class: not the student's to see.
    Question.objects.create(
        class_list=school.other_class,
        asked_by=school.classmates[0].user,
        title="装饰器怎么用？",
        body="Java 班的同学问的",
    )

    page = ui.page("phone")
    ui.login(page, school.student_user.username)
    open_menu_item(page, "classroom.my_questions", phone=True)
    expect(page).to_have_url(re.compile(r"/my/questions/$"))
    search = page.get_by_test_id("question-search")
    search.locator("input[name=q]").fill("装饰器")
    search.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/my/questions/\?.*q=%E8%A3%85%E9%A5%B0%E5%99%A8"))
    expect(page.get_by_test_id("no-questions")).to_be_visible()
    expect(page.get_by_test_id("no-questions")).to_contain_text("装饰器")
    expect(page.get_by_test_id("question-results")).not_to_contain_text("装饰器怎么用")
    assert not page_overflows(page)
    ui.shot(page, "classroom-question-search-empty-phone")

    page.get_by_test_id("ask").click()
    expect(page).to_have_url(re.compile(r"/my/questions/new/\?title="))
    form = page.get_by_test_id("record-form")
    expect(form.locator("input[name=title]")).to_have_value("装饰器")
    expect(form.locator("select[name=class_list]")).to_have_value(str(school.class_list.pk))
    form.locator("select[name=lesson]").select_option(str(lesson.pk))
    title = "装饰器的参数怎么传？"
    body = "老师好，我写了一个计时装饰器，但被装饰的函数有参数时就报错了，应该怎么写？"
    form.locator("input[name=title]").fill(title)
    form.locator("textarea[name=body]").fill(body)
    assert not page_overflows(page)
    ui.shot(page, "classroom-question-form-phone")
    form.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/questions/(\d+)/$"))
    question = Question.objects.get(class_list=school.class_list)
    assert (question.title, question.body, question.lesson, question.asked_by) == (
        title,
        body,
        lesson,
        school.student_user,
    )
    assert page.url.endswith(f"/questions/{question.pk}/")
    expect_message(page, "success")
    expect(page.get_by_test_id("question")).to_contain_text(body)
    expect(page.get_by_test_id("no-answers")).to_be_visible()
    ui.shot(page, "classroom-question-asked-phone")
    # The teacher and the adviser are notified; nobody else.
    notified = set(
        Notification.objects.filter(link=f"/questions/{question.pk}/").values_list(
            "recipient__username", flat=True
        )
    )
    assert notified == {school.teacher.username, school.adviser.username}

    # The teacher: the bell, the notification, the questions list, the answer.
    teacher = ui.page()
    ui.login(teacher, school.teacher.username)
    expect(teacher.get_by_test_id("unread-count")).to_contain_text("1")
    teacher.get_by_test_id("bell").click()
    expect(teacher).to_have_url(re.compile(r"/accounts/notifications/$"))
    item = teacher.get_by_test_id("notification-list").locator("li").filter(has_text=title)
    expect(item).to_have_count(1)
    expect(item).to_contain_text(ME)
    ui.shot(teacher, "classroom-teacher-notifications")
    item.locator("button[type=submit]").click()
    expect(teacher).to_have_url(re.compile(rf"/questions/{question.pk}/$"))
    expect(teacher.get_by_test_id("answer-form")).to_be_visible()

    open_menu_item(teacher, "classroom.question_list")
    expect(teacher).to_have_url(re.compile(r"/teaching/questions/$"))
    results = teacher.get_by_test_id("question-results")
    expect(results.locator("li")).to_have_count(1)
    expect(results).to_contain_text(title)
    expect(results).not_to_contain_text("装饰器怎么用")
    ui.shot(teacher, "classroom-teacher-questions")
    results.get_by_role("link", name=title).click()
    expect(teacher).to_have_url(re.compile(rf"/questions/{question.pk}/$"))
    answer_text = (
        "在装饰器里定义 wrapper(*args, **kwargs)，调用时原样传给被装饰的函数："
        "return func(*args, **kwargs)。别忘了用 functools.wraps。"
    )
    answer_form = teacher.get_by_test_id("answer-form")
    answer_form.locator("textarea[name=body]").fill(answer_text)
    ui.shot(teacher, "classroom-teacher-answer")
    answer_form.locator("button[type=submit]").click()
    expect(teacher).to_have_url(re.compile(rf"/questions/{question.pk}/$"))
    expect_message(teacher, "success")
    expect(teacher.get_by_test_id("answer")).to_have_count(1)
    expect(teacher.get_by_test_id("answer")).to_contain_text("functools.wraps")
    ui.shot(teacher, "classroom-teacher-answered")
    answer = Answer.objects.get(question=question)
    assert (answer.body, answer.author) == (answer_text, school.teacher)
    question.refresh_from_db()
    assert question.answer_count == 1

    # The student is notified; opening the notification leads to the question and its answer.
    page.goto("/my/questions/")
    expect(page.get_by_test_id("unread-count")).to_contain_text("1")
    expect(page.get_by_test_id("question-results")).to_contain_text(title)
    page.get_by_test_id("bell").tap()
    expect(page).to_have_url(re.compile(r"/accounts/notifications/$"))
    item = page.get_by_test_id("notification-list").locator("li").filter(has_text=title)
    expect(item).to_have_count(1)
    expect(item).to_contain_text("周老师")
    assert not page_overflows(page)
    ui.shot(page, "classroom-student-notifications-phone")
    item.locator("button[type=submit]").tap()
    expect(page).to_have_url(re.compile(rf"/questions/{question.pk}/$"))
    expect(page.get_by_test_id("answer")).to_contain_text("functools.wraps")
    expect(page.get_by_test_id("unread-count")).to_have_count(0)
    assert not page_overflows(page)
    ui.shot(page, "classroom-question-answered-phone")
    assert Notification.objects.get(recipient=school.student_user).read_at is not None

    # The search now finds it.
    page.goto("/my/questions/?q=装饰器")
    expect(page.get_by_test_id("question-results").locator("li")).to_have_count(1)
    expect(page.get_by_test_id("question-results")).to_contain_text(title)

    desktop_shots(
        ui,
        school.student_user.username,
        [
            ("/my/questions/?q=装饰器", "classroom-question-search"),
            ("/my/questions/new/?title=装饰器", "classroom-question-form"),
            (f"/questions/{question.pk}/", "classroom-question-answered"),
        ],
    )
