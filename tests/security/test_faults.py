"""Faults: every action of the role x URL table is run again and again with its k-th write to the
database failing (k = 2, 3, … until it runs out of writes); each time the database and the stored
files must be exactly as before. An action is one transaction, or it is not an action.

Writes are counted as the statements the database receives (INSERT, UPDATE, DELETE), through
Django's execute_wrapper; the session's own save at the end of a request is not the action's."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from tests.conftest import make_client
from tests.rbac.test_url_matrix import EXPECTED, Case
from tests.security import snapshot
from tests.security.cases import case_request

WRITES = ("INSERT", "UPDATE", "DELETE")
NOT_THE_ACTIONS = ("django_session",)
MOST_WRITES = 60  # an action writing more than this is tried at its first 60 writes


class InjectedFault(Exception):
    """The write the test made fail."""


@contextmanager
def failing_write(number: int):
    """Make the `number`-th write of the block fail; yields a callable telling how many writes
    were attempted."""
    seen = 0

    def wrapper(execute, sql, params, many, context):
        nonlocal seen
        if sql.lstrip().upper().startswith(WRITES) and not any(table in sql for table in NOT_THE_ACTIONS):
            seen += 1
            if seen == number:
                raise InjectedFault(f"write {number}: {sql[:120]}")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield lambda: seen


ACTIONS = [case for case in EXPECTED if case.method == "POST"]


@pytest.mark.parametrize("case", ACTIONS, ids=lambda case: case.id)
def test_an_action_failing_at_any_write_after_the_first_leaves_nothing(world, case: Case):
    client, url, data, _role = case_request(world, case, raise_request_exception=False)
    client.get(reverse("health"))  # the session and the language cookie exist before the first try

    for number in range(2, MOST_WRITES + 1):
        before = snapshot.take()
        with failing_write(number) as writes:
            client.post(url, data)
        if writes() < number:
            break  # the action finished with fewer writes: every later write was tried
        changed = before.differences(snapshot.take())
        assert changed == [], f"{case.id} failing at write {number} left {changed}"


# --- Uploads: a file is written before its row, so a failing row must take the file with it ----
def _document_upload(world):
    from enrollment.services import enrollment_create
    from enrollment.tokens import enrollment_token
    from tests.enrollment.conftest import image_bytes

    enrollment = enrollment_create(customer=world.sales_lead, class_list=world.class_a, by=world.sales)
    url = reverse("enrollment:apply-document-upload", args=[enrollment_token(enrollment)])
    return (
        None,
        url,
        lambda: {"kind": "id_front", "file": SimpleUploadedFile("正面.jpg", image_bytes("JPEG"))},
    )


def _homework_upload(world):
    from tests.rbac.matrix import _lesson_of_class_a, _student_of_class_a

    _student_of_class_a(world, world.student)
    lesson = _lesson_of_class_a(world)
    url = reverse("classroom:my-lesson", args=[lesson.pk])
    return world.student, url, lambda: {"file": SimpleUploadedFile("作业.py", b"print('hi')\n")}


def _import_upload(world):
    csv = "姓名,手机\n张三,13800001111\n李四,13800002222\n".encode()
    return world.sales, reverse("crm:customer-import"), lambda: {"file": SimpleUploadedFile("leads.csv", csv)}


UPLOADS = {"enrollment document": _document_upload, "homework": _homework_upload, "import": _import_upload}


@pytest.mark.parametrize("scenario", UPLOADS)
def test_an_upload_failing_at_any_write_leaves_no_row_and_no_file(world, scenario):
    user, url, data = UPLOADS[scenario](world)
    client = make_client(user, raise_request_exception=False)
    client.get(reverse("health"))
    for number in range(1, MOST_WRITES + 1):
        before = snapshot.take()
        with failing_write(number) as writes:
            client.post(url, data())
        if writes() < number:
            assert number > 1, f"the {scenario} upload wrote nothing"
            break
        changed = before.differences(snapshot.take())
        assert changed == [], f"the {scenario} upload failing at write {number} left {changed}"
    after_all = snapshot.take()
    client.post(url, data())
    assert after_all.differences(snapshot.take()), f"the {scenario} upload does not work without faults"


@pytest.mark.parametrize("scenario", UPLOADS)
def test_an_unwritable_upload_directory_is_a_clear_message_and_no_row(world, scenario, monkeypatch):
    user, url, data = UPLOADS[scenario](world)
    client = make_client(user)

    def refuse(self, name, content):
        raise PermissionError(13, "Permission denied", name)

    monkeypatch.setattr(FileSystemStorage, "_save", refuse)
    before = snapshot.take()
    response = client.post(url, data(), follow=True)
    assert response.status_code == 200
    assert b"alert-danger" in response.content or b"invalid-feedback" in response.content
    assert before.differences(snapshot.take()) == []
