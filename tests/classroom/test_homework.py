"""Homework files: what is taken (checked by content), what is refused (with a message and
nothing written), how names are kept, who downloads them, late marking, and the lesson's zip.

Files are built byte by byte here; nothing is read from disk but what the app stored."""

from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from PIL import Image

from classroom import services
from classroom.models import HomeworkFile, Lesson, StudyRecord
from crm.models import Customer
from rbac.defaults import STUDENT, TEACHER
from tests.classroom.conftest import _student, _user, lesson_values
from tests.conftest import make_client
from tests.enrollment.conftest import image_bytes, png_declaring

ALLOWED_TYPES = "doc, docx, gif, jpeg, jpg, md, pdf, png, ppt, pptx, py, txt, webp, xls, xlsx, zip"
NOT_TAKEN = f"Files of this type are not taken. Allowed: {ALLOWED_TYPES}."
TOO_MANY_PIXELS = "This image has too many pixels."
GRADED = "Your homework was graded; ask your teacher before changing it."
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"PE\x00\x00"
    + b"\x01" * 200
)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _english():
    """Services called outside a request speak the site's language: pin the source strings."""
    with translation.override("en"):
        yield


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A zip with fixed entry times, so two calls give the same bytes even across a clock tick."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 3, 2, 9, 0, 0)), data)
    return buffer.getvalue()


def office_bytes(part: str) -> bytes:
    """An Office Open XML package: a zip with its content-types part."""
    return zip_bytes({"[Content_Types].xml": b'<?xml version="1.0"?><Types/>', part: b"<x/>"})


def ole_bytes() -> bytes:
    """The header block of an OLE compound file (old .doc/.xls/.ppt)."""
    return OLE_MAGIC + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff" + b"\x00" * 482


# (file name, bytes, content type the file is served with)
ACCEPTED = [
    pytest.param("project.zip", zip_bytes({"main.py": b"print(1)\n"}), "application/zip", id="zip"),
    pytest.param("report.pdf", PDF, "application/pdf", id="pdf"),
    pytest.param("main.py", "print('你好，世界')\n".encode(), "text/plain; charset=utf-8", id="py"),
    pytest.param("notes.txt", b"plain ascii notes\n", "text/plain; charset=utf-8", id="txt"),
    pytest.param(
        "笔记.md", "# 笔记\n\n- 列表推导式\n".encode(), "text/markdown; charset=utf-8", id="md-utf8"
    ),
    pytest.param(
        "bom.md", "\ufeff# 带 BOM 的笔记\n".encode(), "text/markdown; charset=utf-8", id="md-utf8-bom"
    ),
    pytest.param(
        "gbk.md",
        "# 笔记\n中文内容，作业说明\n".encode("gb18030"),
        "text/markdown; charset=gb18030",
        id="md-gb18030",
    ),
    pytest.param("shot.jpg", image_bytes("JPEG", (20, 10)), "image/jpeg", id="jpg"),
    pytest.param("shot.JPEG", image_bytes("JPEG", (20, 10)), "image/jpeg", id="jpeg-upper-case"),
    pytest.param("shot.png", image_bytes("PNG", (20, 10), "RGBA"), "image/png", id="png"),
    pytest.param("shot.gif", image_bytes("GIF", (20, 10), "P"), "image/gif", id="gif"),
    pytest.param("shot.webp", image_bytes("WEBP", (20, 10)), "image/webp", id="webp"),
    pytest.param(
        "essay.docx",
        office_bytes("word/document.xml"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        id="docx",
    ),
    pytest.param(
        "sheet.xlsx",
        office_bytes("xl/workbook.xml"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        id="xlsx",
    ),
    pytest.param(
        "slides.pptx",
        office_bytes("ppt/presentation.xml"),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        id="pptx",
    ),
    pytest.param("essay.doc", ole_bytes(), "application/msword", id="doc"),
    pytest.param("sheet.xls", ole_bytes(), "application/vnd.ms-excel", id="xls"),
    pytest.param("slides.ppt", ole_bytes(), "application/vnd.ms-powerpoint", id="ppt"),
]


def not_real(extension: str) -> str:
    return f"This file is not a real .{extension} file."


# (file name, bytes, the one message)
REFUSED = [
    pytest.param("empty.py", b"", "The file is empty.", id="empty"),
    pytest.param("setup.exe", EXE, NOT_TAKEN, id="exe"),
    pytest.param(
        "index.html", b"<!DOCTYPE html><script>alert(document.cookie)</script>", NOT_TAKEN, id="html"
    ),
    pytest.param(
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        NOT_TAKEN,
        id="svg",
    ),
    pytest.param("run.sh", b"#!/bin/sh\nrm -rf ~\n", NOT_TAKEN, id="sh"),
    pytest.param("noextension", b"print(1)\n", NOT_TAKEN, id="no-extension"),
    pytest.param("x.py.exe", EXE, NOT_TAKEN, id="double-extension"),
    pytest.param("photo\u202egnp.exe", EXE, NOT_TAKEN, id="rtl-override-hiding-exe"),
    pytest.param("report.pdf", EXE, not_real("pdf"), id="exe-named-pdf"),
    pytest.param("photo.png", EXE, not_real("png"), id="exe-named-png"),
    pytest.param("photo.png", image_bytes("GIF"), not_real("png"), id="gif-named-png"),
    pytest.param(
        "photo.jpg", b"\xff\xd8\xff\xe0<html><script>alert(1)</script>", not_real("jpg"), id="jpeg-magic-html"
    ),
    pytest.param(
        "logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"/>', not_real("png"), id="svg-named-png"
    ),
    pytest.param("photo.png", image_bytes("PNG")[:40], not_real("png"), id="truncated-png"),
    pytest.param("main.py", b"print(1)\n\x00\x00\x00\x01ELF", not_real("py"), id="nul-bytes-py"),
    pytest.param("main.py", EXE, not_real("py"), id="exe-named-py"),
    pytest.param("notes.txt", "utf-16 笔记".encode("utf-16"), not_real("txt"), id="utf16-txt"),
    pytest.param("notes.txt", b"\x80\xff\xfe binary", not_real("txt"), id="undecodable-txt"),
    pytest.param("essay.docx", ole_bytes(), not_real("docx"), id="ole-named-docx"),
    pytest.param("essay.doc", office_bytes("word/document.xml"), not_real("doc"), id="zip-named-doc"),
    pytest.param("project.zip", b"Rar!\x1a\x07\x00" + b"\x00" * 100, not_real("zip"), id="rar-named-zip"),
    pytest.param("bomb.png", png_declaring(20000, 20000), TOO_MANY_PIXELS, id="decompression-bomb-error"),
    pytest.param("bomb.png", png_declaring(10000, 10000), TOO_MANY_PIXELS, id="decompression-bomb-warning"),
]


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    # The browser's word for the type is deliberately wrong: it must not matter.
    return SimpleUploadedFile(name, data, content_type="image/png")


def record_of(student, lesson: Lesson) -> StudyRecord:
    return StudyRecord.objects.get(student=student, lesson=lesson)


def hand_in(record: StudyRecord, name: str = "main.py", data: bytes = b"print(1)\n") -> HomeworkFile:
    return services.homework_upload(record=record, upload=upload(name, data))


def stored_files(media_root: Path) -> list[Path]:
    return sorted(path for path in Path(media_root).rglob("*") if path.is_file())


def lesson_url(lesson: Lesson) -> str:
    return reverse("classroom:my-lesson", args=[lesson.pk])


def post_file(client, lesson: Lesson, name: str, data: bytes, **kwargs):
    return client.post(lesson_url(lesson), {"file": upload(name, data)}, **kwargs)


def assert_nothing_written(media_root, record: StudyRecord) -> None:
    assert not HomeworkFile.objects.exists()
    assert stored_files(media_root) == []
    record.refresh_from_db()
    assert record.homework_submitted_at is None


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Accepted -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "data", "content_type"), ACCEPTED)
def test_each_allowed_type_is_taken_and_served_back_byte_for_byte(
    classroom, as_student, as_teacher, media_root, name, data, content_type
):
    response = post_file(as_student, classroom.lesson, name, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else None
    assert response["Location"] == lesson_url(classroom.lesson)

    homework = HomeworkFile.objects.get()
    assert homework.record == record_of(classroom.student, classroom.lesson)
    assert (homework.original_name, homework.size, homework.content_type) == (name, len(data), content_type)
    assert homework.extension == name.rsplit(".", 1)[1].lower()
    assert stored_files(media_root) == [media_root / homework.file.name]
    assert (media_root / homework.file.name).read_bytes() == data

    for client in (as_student, as_teacher):
        download = client.get(reverse("classroom:homework-file", args=[homework.pk]))
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == data
        assert download["Content-Type"] == content_type
        assert download["X-Content-Type-Options"] == "nosniff"
        assert download["Content-Disposition"].startswith("attachment;")


def test_the_accepted_page_names_the_file_and_lists_it(classroom, as_student):
    response = post_file(as_student, classroom.lesson, "作业一.py", b"print(1)\n", follow=True)
    assert page_messages(response) == ["Handed in “作业一.py”."]
    files = response.content.decode().split('data-testid="my-files"')[1].split("</ul>")[0]
    assert "作业一.py" in files and "Late" not in files


def test_a_file_of_exactly_the_limit_is_taken_and_one_byte_more_refused(classroom, settings, media_root):
    settings.HOMEWORK_MAX_BYTES = 1000
    record = record_of(classroom.student, classroom.lesson)
    with pytest.raises(ValidationError) as refused:
        hand_in(record, "big.txt", b"x" * 1001)
    assert refused.value.messages == ["A homework file may be at most 1000\xa0bytes."]
    assert_nothing_written(media_root, record)

    assert hand_in(record, "fits.txt", b"x" * 1000).size == 1000


def test_a_file_over_the_limit_is_refused_on_the_page_and_nothing_is_written(
    classroom, as_student, settings, media_root
):
    settings.HOMEWORK_MAX_BYTES = 2048
    response = post_file(as_student, classroom.lesson, "big.py", b"#" * 5000)
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["A homework file may be at most 2.0\xa0KB."]
    assert escape("A homework file may be at most 2.0\xa0KB.") in response.content.decode()
    assert_nothing_written(media_root, record_of(classroom.student, classroom.lesson))


# --- Refused ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "data", "message"), REFUSED)
def test_a_refused_file_raises_the_reason_and_writes_nothing(classroom, media_root, name, data, message):
    record = record_of(classroom.student, classroom.lesson)
    with pytest.raises(ValidationError) as refused:
        hand_in(record, name, data)
    assert refused.value.messages == [message]
    assert_nothing_written(media_root, record)


@pytest.mark.parametrize(("name", "data", "message"), [p for p in REFUSED if p.id != "empty"])
def test_a_refused_file_is_shown_on_the_page_and_writes_nothing(
    classroom, as_student, media_root, name, data, message
):
    response = post_file(as_student, classroom.lesson, name, data)
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [message]
    assert escape(message) in response.content.decode()
    assert_nothing_written(media_root, record_of(classroom.student, classroom.lesson))


def test_an_empty_file_is_refused_on_the_page(classroom, as_student, media_root):
    response = post_file(as_student, classroom.lesson, "empty.py", b"")
    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert "empty" in response.context["form"].errors["file"][0]
    assert_nothing_written(media_root, record_of(classroom.student, classroom.lesson))


def test_a_post_without_a_file_writes_nothing(classroom, as_student, media_root):
    # A browser's post always carries the CSRF token beside the (missing) file.
    response = as_student.post(lesson_url(classroom.lesson), {"csrfmiddlewaretoken": "x"})
    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert_nothing_written(media_root, record_of(classroom.student, classroom.lesson))


def test_a_real_image_above_the_pixel_limit_is_refused(classroom, monkeypatch, media_root):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    record = record_of(classroom.student, classroom.lesson)
    with pytest.raises(ValidationError, match="too many pixels"):
        hand_in(record, "big.png", image_bytes("PNG", (40, 40), "1"))
    with pytest.raises(ValidationError, match="too many pixels"):
        hand_in(record, "big.jpg", image_bytes("JPEG", (100, 100), "L"))
    assert_nothing_written(media_root, record)
    assert hand_in(record, "small.png", image_bytes("PNG", (30, 30), "1")).content_type == "image/png"


def test_more_files_than_the_limit_are_refused(classroom, settings, media_root, as_student):
    settings.HOMEWORK_FILE_LIMIT = 2
    record = record_of(classroom.student, classroom.lesson)
    kept = [hand_in(record, "a.py"), hand_in(record, "b.py")]
    with pytest.raises(services.ClassroomRefused, match=r"^At most 2 files per lesson; remove one first\.$"):
        hand_in(record, "c.py")

    response = post_file(as_student, classroom.lesson, "d.py", b"print(4)\n")
    assert response.status_code == 200
    assert "At most 2 files per lesson; remove one first." in page_messages(response)

    assert sorted(HomeworkFile.objects.values_list("original_name", flat=True)) == ["a.py", "b.py"]
    assert len(stored_files(media_root)) == 2
    # The limit counts what is stored: removing one frees a place.
    services.homework_remove(homework=kept[0])
    assert hand_in(StudyRecord.objects.get(pk=record.pk), "c.py").original_name == "c.py"


def test_the_limit_is_per_student(classroom, settings):
    settings.HOMEWORK_FILE_LIMIT = 1
    hand_in(record_of(classroom.student, classroom.lesson))
    assert hand_in(record_of(classroom.classmate, classroom.lesson)).record.student == classroom.classmate


def test_a_lesson_without_homework_takes_no_file(world, classroom, as_student, media_root):
    lesson = services.lesson_create(
        class_list=world.class_a,
        values=lesson_values(world.teacher, 2, homework_title="", homework_requirement=""),
    )
    record = record_of(classroom.student, lesson)
    with pytest.raises(services.ClassroomRefused, match=r"^This lesson has no homework\.$"):
        hand_in(record)

    response = post_file(as_student, lesson, "main.py", b"print(1)\n")
    assert response.status_code == 200
    assert "This lesson has no homework." in page_messages(response)
    assert_nothing_written(media_root, record)


def grade(lesson: Lesson, record: StudyRecord, score: int, by) -> None:
    assert services.grades_save(lesson=lesson, grades={record.pk: (score, "")}, by=by) == 1


def test_after_grading_nothing_can_be_handed_in_or_taken_back(world, classroom, as_student, media_root):
    record = record_of(classroom.student, classroom.lesson)
    homework = hand_in(record, "main.py", b"print(1)\n")
    grade(classroom.lesson, record, 90, world.teacher)

    with pytest.raises(services.ClassroomRefused, match=re.escape(GRADED)):
        hand_in(record, "late.py")
    with pytest.raises(services.ClassroomRefused, match=re.escape(GRADED)):
        services.homework_remove(homework=homework)

    response = post_file(as_student, classroom.lesson, "late.py", b"print(2)\n")
    assert response.status_code == 200 and GRADED in page_messages(response)
    assert 'data-testid="upload-form"' not in response.content.decode()
    response = as_student.post(reverse("classroom:my-homework-delete", args=[homework.pk]), follow=True)
    assert GRADED in page_messages(response)

    assert list(HomeworkFile.objects.values_list("original_name", flat=True)) == ["main.py"]
    assert (media_root / homework.file.name).read_bytes() == b"print(1)\n"


def test_a_student_cannot_hand_in_to_a_lesson_of_another_class(classroom, as_student, media_root):
    response = post_file(as_student, classroom.other_lesson, "main.py", b"print(1)\n")
    assert response.status_code == 404
    assert not HomeworkFile.objects.exists() and stored_files(media_root) == []


def test_a_teacher_cannot_hand_in_homework(classroom, as_teacher, media_root):
    response = post_file(as_teacher, classroom.lesson, "main.py", b"print(1)\n")
    assert response.status_code in (403, 404)
    assert not HomeworkFile.objects.exists() and stored_files(media_root) == []


# --- Names -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd.py", "passwd.py"),
        ("..\\..\\Windows\\System32\\evil.py", "evil.py"),
        ("/absolute/path/main.py", "main.py"),
        ("C:\\Users\\吴\\作业.py", "作业.py"),
        ("report\u202etxt.py", "reporttxt.py"),
        ("zero\u200bwidth.py", "zerowidth.py"),
        ("tab\tand\nnewline.py", "tabandnewline.py"),
        ('<b onclick="x">hw.py', "b onclick=xhw.py"),
        ('<script>alert("x")</script>.py', "script.py"),
        ("长" * 300 + ".py", "长" * 97 + ".py"),
    ],
)
def test_names_with_path_characters_are_kept_as_plain_display_names(classroom, media_root, raw, shown):
    homework = hand_in(record_of(classroom.student, classroom.lesson), raw, b"print(1)\n")
    homework.refresh_from_db()
    assert homework.original_name == shown
    assert len(homework.original_name) <= 100
    # The file itself lives under a random name in the homework folder, whatever was uploaded.
    assert re.fullmatch(r"homework/[0-9a-f]{32}\.py", homework.file.name), homework.file.name
    assert stored_files(media_root) == [media_root / homework.file.name]
    assert (media_root / "homework").is_dir() and not (media_root / "etc").exists()


def test_storage_names_are_random_and_never_the_uploaded_name(classroom, media_root):
    record = record_of(classroom.student, classroom.lesson)
    first, second = hand_in(record, "main.py", b"print(1)\n"), hand_in(record, "main.py", b"print(2)\n")
    assert first.file.name != second.file.name
    for homework in (first, second):
        assert "main" not in homework.file.name
    assert (media_root / first.file.name).read_bytes() == b"print(1)\n"
    assert (media_root / second.file.name).read_bytes() == b"print(2)\n"


def test_the_download_is_named_after_the_display_name(classroom, as_student):
    homework = hand_in(record_of(classroom.student, classroom.lesson), "../我的作业.py", b"print(1)\n")
    download = as_student.get(reverse("classroom:homework-file", args=[homework.pk]))
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition
    assert unquote(disposition.split("filename*=utf-8''")[1]) == "我的作业.py"
    assert ".." not in disposition


def test_a_homework_file_is_downloaded_by_its_student_and_the_class_teachers_only(
    world, classroom, as_student, as_teacher, as_other_teacher, as_other_student
):
    homework = hand_in(record_of(classroom.student, classroom.lesson))
    url = reverse("classroom:homework-file", args=[homework.pk])
    assert as_student.get(url).status_code == 200
    assert as_teacher.get(url).status_code == 200
    assert as_other_teacher.get(url).status_code == 404
    assert as_other_student.get(url).status_code == 404
    assert make_client(classroom.classmate.user).get(url).status_code == 404
    assert make_client(world.sales).get(url).status_code == 403
    # The class's adviser is one of its teachers for this.
    adviser = _user("adviser", world.roles[TEACHER], "Adviser")
    world.class_a.adviser = adviser
    world.class_a.save()
    assert make_client(adviser).get(url).status_code == 200


# --- Late or on time --------------------------------------------------------------------------------
def set_deadline(lesson: Lesson, deadline) -> None:
    Lesson.objects.filter(pk=lesson.pk).update(homework_deadline=deadline)


def test_a_file_after_the_deadline_is_marked_late(classroom, as_student):
    set_deadline(classroom.lesson, timezone.now() - timedelta(minutes=1))
    response = post_file(as_student, classroom.lesson, "late.py", b"print(1)\n", follow=True)
    assert page_messages(response) == ["Handed in “late.py”, after the deadline."]
    homework = HomeworkFile.objects.get()
    assert homework.is_late
    record = record_of(classroom.student, classroom.lesson)
    assert record.homework_is_late
    files = response.content.decode().split('data-testid="my-files"')[1].split("</ul>")[0]
    assert "Late" in files


def test_a_file_before_the_deadline_is_on_time(classroom, as_student):
    set_deadline(classroom.lesson, timezone.now() + timedelta(hours=1))
    response = post_file(as_student, classroom.lesson, "early.py", b"print(1)\n", follow=True)
    assert page_messages(response) == ["Handed in “early.py”."]
    assert not HomeworkFile.objects.get().is_late
    assert not record_of(classroom.student, classroom.lesson).homework_is_late


def test_a_lesson_without_a_deadline_never_marks_late(classroom):
    assert classroom.lesson.homework_deadline is None
    assert not hand_in(record_of(classroom.student, classroom.lesson)).is_late


def test_a_deadline_set_on_a_new_lesson_through_its_values_is_kept(world, classroom):
    lesson = services.lesson_create(
        class_list=world.class_a,
        values=lesson_values(world.teacher, 3, homework_deadline=timezone.now() - timedelta(days=1)),
    )
    assert hand_in(record_of(classroom.student, lesson)).is_late
    lesson_on_time = services.lesson_create(
        class_list=world.class_a,
        values=lesson_values(world.teacher, 4, homework_deadline=timezone.now() + timedelta(days=1)),
    )
    assert not hand_in(record_of(classroom.student, lesson_on_time)).is_late


# --- Hand-in time follows the files ------------------------------------------------------------------
def test_the_hand_in_time_follows_uploads_and_removals(
    classroom, as_student, media_root, django_capture_on_commit_callbacks
):
    record = record_of(classroom.student, classroom.lesson)
    first = hand_in(record, "a.py")
    record.refresh_from_db()
    assert record.homework_submitted_at == first.uploaded_at
    second = hand_in(record, "b.py")
    record.refresh_from_db()
    assert record.homework_submitted_at == second.uploaded_at

    # Make the order unambiguous whatever the clock's resolution.
    earlier = timezone.now() - timedelta(hours=2)
    HomeworkFile.objects.filter(pk=first.pk).update(uploaded_at=earlier)
    second_path = media_root / second.file.name

    with django_capture_on_commit_callbacks(execute=True):
        response = as_student.post(reverse("classroom:my-homework-delete", args=[second.pk]), follow=True)
    assert response.redirect_chain[-1][0] == lesson_url(classroom.lesson)
    assert page_messages(response) == ["Removed “b.py”."]
    assert not second_path.exists()
    record.refresh_from_db()
    assert record.homework_submitted_at == earlier

    with django_capture_on_commit_callbacks(execute=True):
        services.homework_remove(homework=HomeworkFile.objects.get(pk=first.pk))
    record.refresh_from_db()
    assert record.homework_submitted_at is None
    assert stored_files(media_root) == []
    assert not HomeworkFile.objects.exists()


def test_a_file_is_deleted_from_disk_only_once_the_removal_commits(
    classroom, media_root, django_capture_on_commit_callbacks
):
    homework = hand_in(record_of(classroom.student, classroom.lesson))
    path = media_root / homework.file.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.homework_remove(homework=homework)
        assert path.exists()
    assert len(callbacks) == 1
    callbacks[0]()
    assert not path.exists()


def test_a_student_cannot_remove_another_students_file(classroom, as_other_student, media_root):
    homework = hand_in(record_of(classroom.student, classroom.lesson))
    url = reverse("classroom:my-homework-delete", args=[homework.pk])
    assert make_client(classroom.classmate.user).post(url).status_code == 404
    assert as_other_student.post(url).status_code == 404
    assert HomeworkFile.objects.filter(pk=homework.pk).exists()
    assert (media_root / homework.file.name).exists()


def test_removing_is_post_only(classroom, as_student):
    homework = hand_in(record_of(classroom.student, classroom.lesson))
    # The permission names POST only, so the middleware refuses a GET before the view's 405.
    response = as_student.get(reverse("classroom:my-homework-delete", args=[homework.pk]))
    assert response.status_code in (403, 405)
    assert HomeworkFile.objects.filter(pk=homework.pk).exists()


# --- The lesson's zip --------------------------------------------------------------------------------
def zip_url(lesson: Lesson) -> str:
    return reverse("classroom:homework-zip", args=[lesson.pk])


def read_zip(response) -> dict[str, bytes]:
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {info.filename: archive.read(info) for info in archive.infolist()}


def assert_entries_stay_inside(names) -> None:
    for name in names:
        assert not name.startswith(("/", "\\")), name
        assert "\\" not in name and ".." not in name, name
        folder, _slash, file_name = name.partition("/")
        assert folder and file_name and "/" not in file_name, name
        assert not re.match(r"^[A-Za-z]:", name), name
        assert not any(unicodedata.category(char).startswith("C") for char in name), name


def test_the_zip_has_one_folder_per_student_named_after_them(classroom, as_teacher):
    big = bytes(range(256)) * 1024  # 256 KB: copied in several chunks
    hand_in(record_of(classroom.student, classroom.lesson), "main.py", b"print('wu')\n")
    hand_in(record_of(classroom.student, classroom.lesson), "data.zip", zip_bytes({"x": big}))
    hand_in(record_of(classroom.classmate, classroom.lesson), "作业.md", "# 郑\n".encode())

    response = as_teacher.get(zip_url(classroom.lesson))
    assert response["Content-Type"] == "application/zip"
    assert response["X-Content-Type-Options"] == "nosniff"
    entries = read_zip(response)
    assert entries == {
        "吴同学/main.py": b"print('wu')\n",
        "吴同学/data.zip": zip_bytes({"x": big}),
        "郑同学/作业.md": "# 郑\n".encode(),
    }


def test_the_zip_is_sent_in_pieces_while_it_is_written(classroom, as_teacher):
    incompressible = b"PK\x03\x04" + os.urandom(600 * 1024)
    hand_in(record_of(classroom.student, classroom.lesson), "big.zip", incompressible)
    response = as_teacher.get(zip_url(classroom.lesson))
    assert isinstance(response, StreamingHttpResponse) and response.streaming
    assert not response.has_header("Content-Length")
    pieces = [piece for piece in response.streaming_content if piece]
    assert len(pieces) > 5
    assert max(len(piece) for piece in pieces) < 200 * 1024  # never the whole file at once
    with zipfile.ZipFile(io.BytesIO(b"".join(pieces))) as archive:
        assert archive.read("吴同学/big.zip") == incompressible


def test_chinese_entry_names_are_marked_utf8(classroom, as_teacher):
    """Bit 11 of the entry flags tells unzip tools (Windows Explorer too) the names are UTF-8."""
    hand_in(record_of(classroom.student, classroom.lesson), "作业.py", b"print(1)\n")
    response = as_teacher.get(zip_url(classroom.lesson))
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        (info,) = archive.infolist()
    assert info.filename == "吴同学/作业.py"
    assert info.flag_bits & 0x800


def test_the_zip_carries_a_utf8_file_name(classroom, as_teacher):
    hand_in(record_of(classroom.student, classroom.lesson))
    disposition = as_teacher.get(zip_url(classroom.lesson))["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition
    name = unquote(disposition.split("filename*=utf-8''")[1])
    assert name.endswith(".zip") and "Python全栈开发" in name and "1" in name


def test_students_sharing_a_name_get_distinct_folders(classroom, as_teacher):
    Customer.objects.filter(pk=classroom.classmate.customer_id).update(name="吴同学")
    hand_in(record_of(classroom.student, classroom.lesson), "main.py", b"print('student')\n")
    hand_in(record_of(classroom.classmate, classroom.lesson), "main.py", b"print('classmate')\n")

    entries = read_zip(as_teacher.get(zip_url(classroom.lesson)))
    folders = {name.split("/")[0] for name in entries}
    assert len(folders) == 2 and "吴同学" in folders
    assert all(folder.startswith("吴同学") for folder in folders)
    assert sorted(entries.values()) == [b"print('classmate')\n", b"print('student')\n"]
    # Each folder holds one student's file only.
    by_folder = {name.split("/")[0]: data for name, data in entries.items()}
    assert len(set(by_folder.values())) == 2


def test_two_files_of_one_student_with_one_name_get_distinct_names(classroom, as_teacher):
    record = record_of(classroom.student, classroom.lesson)
    hand_in(record, "main.py", b"first\n")
    hand_in(record, "main.py", b"second\n")
    hand_in(record, "MAIN.py", b"third\n")  # the same name on Windows and macOS

    entries = read_zip(as_teacher.get(zip_url(classroom.lesson)))
    assert len(entries) == 3
    assert len({name.lower() for name in entries}) == 3
    assert entries["吴同学/main.py"] == b"first\n"
    assert sorted(entries.values()) == [b"first\n", b"second\n", b"third\n"]
    assert all(name.startswith("吴同学/") and name.lower().endswith(".py") for name in entries)


@pytest.mark.parametrize(
    ("student_name", "file_name"),
    [
        ("../../etc", "../../passwd.py"),
        ("..", ".."),
        ("/root", "/etc/shadow.txt"),
        ("..\\..\\Windows", "..\\..\\evil.py"),
        ("C:\\Users", "C:\\evil.py"),
        ("a/../..", "./../x.py"),
        ("吴/同\\学", "作/业.py"),
        ("\u202e吴同学", "x\u202eyp.exe.py"),
        ("吴\x01同学\n", "a\tb\r\n\x1b.py"),
    ],
)
def test_path_characters_in_names_cannot_leave_the_folder(classroom, as_teacher, student_name, file_name):
    """Names are cleaned when stored; the zip cleans them again (rows may come from elsewhere)."""
    Customer.objects.filter(pk=classroom.student.customer_id).update(name=student_name)
    homework = hand_in(record_of(classroom.student, classroom.lesson), "x.py", b"print(1)\n")
    HomeworkFile.objects.filter(pk=homework.pk).update(original_name=file_name)
    hand_in(record_of(classroom.classmate, classroom.lesson), "y.py", b"print(2)\n")

    entries = read_zip(as_teacher.get(zip_url(classroom.lesson)))
    assert len(entries) == 2
    assert_entries_stay_inside(entries)
    assert sorted(entries.values()) == [b"print(1)\n", b"print(2)\n"]


def test_a_lesson_without_handed_in_homework_redirects_with_a_message(classroom, as_teacher):
    response = as_teacher.get(zip_url(classroom.lesson), follow=True)
    assert response.redirect_chain == [(reverse("classroom:lesson-detail", args=[classroom.lesson.pk]), 302)]
    assert page_messages(response) == ["No homework was handed in for this lesson yet."]


def test_the_zip_is_the_class_teachers_only(classroom, as_other_teacher, as_student):
    hand_in(record_of(classroom.student, classroom.lesson))
    assert as_other_teacher.get(zip_url(classroom.lesson)).status_code == 404
    assert as_student.get(zip_url(classroom.lesson)).status_code == 403


def test_the_zip_holds_only_the_lessons_files(world, classroom, as_teacher):
    hand_in(record_of(classroom.student, classroom.lesson), "one.py", b"lesson 1\n")
    lesson_2 = services.lesson_create(class_list=world.class_a, values=lesson_values(world.teacher, 2))
    hand_in(record_of(classroom.student, lesson_2), "two.py", b"lesson 2\n")
    hand_in(record_of(classroom.other_student, classroom.other_lesson), "b.py", b"class b\n")
    assert read_zip(as_teacher.get(zip_url(classroom.lesson))) == {"吴同学/one.py": b"lesson 1\n"}
    assert read_zip(as_teacher.get(zip_url(lesson_2))) == {"吴同学/two.py": b"lesson 2\n"}


def test_a_student_who_joined_later_has_no_record_and_cannot_hand_in(world, classroom, media_root):
    late = _student(
        _user("latecomer", world.roles[STUDENT], "Latecomer"),
        "晚同学",
        "+8613700000099",
        world.class_a,
        world.source,
    )
    client = make_client(late.user)
    page = client.get(lesson_url(classroom.lesson))
    assert page.status_code == 200
    assert "You joined after this lesson" in page.content.decode()
    client.post(lesson_url(classroom.lesson), {"file": upload("main.py", b"print(1)\n")})
    assert not HomeworkFile.objects.exists() and stored_files(media_root) == []
