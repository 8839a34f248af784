"""Files over HTTP: the names downloads are sent under, stored files reached by their storage path,
and the three upload endpoints given hostile files.

Already proved elsewhere, and not repeated here: what each checker takes and refuses by content
(tests/enrollment/test_backbone.py "Documents: content", tests/classroom/test_homework.py
ACCEPTED/REFUSED, tests/crm/test_import.py BAD_FILES), the exact size limits (the same files),
how an uploaded name is reduced to a display name (`display_name` in test_backbone.py and
test_homework.py "Names"), who may download a document or a homework file
(tests/enrollment/test_pages.py, tests/classroom/test_homework.py, tests/classroom/test_scope.py)
and that a failing upload leaves no file (tests/security/test_faults.py).

What is added: every download endpoint, found by requesting every GET row of the role x URL table,
with stored names built to break the Content-Disposition header; requests for the stored files
outside the permission-checked views; and one table of hostile uploads sent through the three
real forms, whose refusals are checked against the whole database and MEDIA_ROOT."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from classroom.models import HomeworkFile
from crm.models import Course, Customer, CustomerImport
from enrollment.models import EnrollmentDocument
from enrollment.tokens import enrollment_token
from tests.conftest import make_client
from tests.enrollment.conftest import image_bytes
from tests.rbac.matrix import (
    Case,
    _document,
    _enrollment,
    _homework_of,
    _lesson_of_class_a,
    _student_of_class_a,
    own_import,
    taught_lesson_with_homework,
)
from tests.rbac.rows_tickets import handled_ticket
from tests.rbac.test_url_matrix import EXPECTED
from tests.security import snapshot
from tests.security.cases import case_request
from tickets.models import Ticket

# Every URL name that answers with a file to save. A view that starts sending attachments
# without being listed fails test_every_attachment_comes_from_a_known_download_view.
DOWNLOADS = frozenset(
    {
        "enrollment:enrollment-document",
        "classroom:homework-file",
        "classroom:homework-zip",
        "crm:customer-export",
        "crm:customer-import-template",
        "crm:customer-import-report",
        "reports:sales-report",
        "tickets:ticket-export",
    }
)

# --- Download names -----------------------------------------------------------------------------
# Stored names (or the user data a name is made of) that would break a naively built header:
# a quote ending the quoted string early, a backslash escaping it, a semicolon starting a new
# parameter, CR/LF starting a new header, Chinese outside ASCII, and a path.
HOSTILE_NAMES = {
    "quotes": 'say "hi"; \\ back',
    "crlf": "id\r\nSet-Cookie: x=1\r\nX-Injected: 1",
    "chinese": '身份证 "正面";\r\nSet-Cookie: x=1',
    "path": "../../etc/身份证",
}
QUOTED_NAME = re.compile(r'filename="((?:[^"\\\r\n]|\\[^\r\n])*)"')
# RFC 8187 attr-chars and percent escapes, nothing else.
EXTENDED_NAME = re.compile(r"filename\*=utf-8''((?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-Fa-f]{2})*)")


def download_name(response) -> str:
    """The name a browser saves the response under, after checking that the response carries
    exactly one well-formed Content-Disposition and that nothing it holds added a header."""
    headers = list(response.items())
    for name, value in headers:
        assert "\r" not in value and "\n" not in value, f"raw line break in {name}: {value!r}"
    names = [name.lower() for name, _value in headers]
    assert names.count("content-disposition") == 1, headers
    assert "x-injected" not in names and "set-cookie" not in names
    assert "x" not in response.cookies
    disposition = response["Content-Disposition"]
    kind, _separator, parameter = disposition.partition("; ")
    assert kind == "attachment", disposition
    if extended := EXTENDED_NAME.fullmatch(parameter):
        return unquote(extended.group(1), errors="strict")
    quoted = QUOTED_NAME.fullmatch(parameter)
    assert quoted, f"neither a safe quoted name nor an RFC 8187 one: {disposition!r}"
    assert quoted.group(1).isascii()
    return re.sub(r"\\(.)", r"\1", quoted.group(1))


def _stored_document(world, name: str):
    document = _document(world)
    EnrollmentDocument.objects.filter(pk=document.pk).update(original_name=f"{name}.pdf")
    url = reverse("enrollment:enrollment-document", args=[document.pk])
    return make_client(world.sales).get(url), f"{name}.pdf"


def _stored_homework(world, name: str):
    homework = _homework_of(world, world.student)
    HomeworkFile.objects.filter(pk=homework.pk).update(original_name=f"{name}.py")
    url = reverse("classroom:homework-file", args=[homework.pk])
    return make_client(world.student).get(url), f"{name}.py"


def _lesson_zip(world, name: str):
    Course.objects.filter(pk=world.python.pk).update(name=name)
    url = reverse("classroom:homework-zip", kwargs=taught_lesson_with_homework(world, None))
    plain = name.replace("/", "-").replace("\\", "-")
    return make_client(world.teacher).get(url), f"{plain} Class 9 lesson 1 homework.zip"


def _customer_export(file_format: str):
    def download(world, name: str):
        Customer.objects.filter(pk=world.sales_lead.pk).update(name=name[:50])
        url = f"{reverse('crm:customer-export')}?list=mine&format={file_format}"
        return make_client(world.sales).get(url), None

    return download


def _import_template(world, name: str):
    Course.objects.filter(pk=world.python.pk).update(name=name)
    return make_client(world.sales).get(reverse("crm:customer-import-template")), None


def _import_report(world, name: str):
    pk = own_import(world, world.sales)["pk"]
    CustomerImport.objects.filter(pk=pk).update(original_name=f"{name}.csv")
    url = reverse("crm:customer-import-report", args=[pk])
    return make_client(world.sales).get(url), f"customers-import-{pk}-problems.xlsx"


def _report_export(world, name: str):
    world.source.label = name
    world.source.save(update_fields=["label"])
    url = f"{reverse('reports:sales-report')}?export=sources"
    return make_client(world.manager).get(url), None


def _ticket_export(file_format: str):
    """The name is the view's own (a time stamp); hostile text goes in the ticket's title."""

    def download(world, name: str):
        handled_ticket(world, world.sales)
        Ticket.objects.update(title=name)
        url = f"{reverse('tickets:ticket-export')}?format={file_format}"
        return make_client(world.sales).get(url), None

    return download


# URL name -> how to download a file whose name (or content) carries a hostile name, and the
# name it must be saved under (None: the view names it from no user data; any safe name).
NAMED_DOWNLOADS = {
    "enrollment:enrollment-document": _stored_document,
    "classroom:homework-file": _stored_homework,
    "classroom:homework-zip": _lesson_zip,
    "crm:customer-export[csv]": _customer_export("csv"),
    "crm:customer-export[xlsx]": _customer_export("xlsx"),
    "crm:customer-import-template": _import_template,
    "crm:customer-import-report": _import_report,
    "reports:sales-report": _report_export,
    "tickets:ticket-export[csv]": _ticket_export("csv"),
    "tickets:ticket-export[xlsx]": _ticket_export("xlsx"),
}


def test_every_download_view_is_tried_with_hostile_names():
    assert {key.partition("[")[0] for key in NAMED_DOWNLOADS} == DOWNLOADS


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
@pytest.mark.parametrize("endpoint", NAMED_DOWNLOADS)
def test_a_hostile_name_cannot_break_the_download_header(world, endpoint, hostile):
    response, expected = NAMED_DOWNLOADS[endpoint](world, HOSTILE_NAMES[hostile])
    assert response.status_code == 200, response.get("Location")
    name = download_name(response)
    assert "/" not in name  # a name, never a path into the visitor's directories
    if expected is None:
        assert re.fullmatch(r"[\w .-]+\.(csv|xlsx)", name), name
    elif hostile == "path" and "/" in expected:
        # A stored file is saved under its last component.
        assert name == expected.rsplit("/", 1)[-1]
        assert "身份证" in name
    else:
        assert name == expected


@pytest.mark.parametrize(
    "case", [case for case in EXPECTED if case.method == "GET"], ids=lambda case: case.id
)
def test_every_attachment_comes_from_a_known_download_view(world, case: Case):
    """Each page of the table as someone it allows: an attachment from a view missing in
    DOWNLOADS means a new download nobody tried with hostile names above."""
    client, url, _data, _role = case_request(world, case)
    response = client.get(url)
    for name, value in response.items():
        assert "\r" not in value and "\n" not in value, f"{case.id}: raw line break in {name}"
    if "attachment" in response.get("Content-Disposition", ""):
        assert case.url_name in DOWNLOADS, f"{case.id} sends a file: add it to DOWNLOADS and NAMED_DOWNLOADS"


# --- Stored files are reached only through the views ---------------------------------------------
SECRET = b"SECRET-9f2c41e7"


def stored_files(world) -> list[str]:
    """A document, a homework file and an import, each holding SECRET: their storage names."""
    document = EnrollmentDocument(
        enrollment=_enrollment(world), original_name="id.pdf", size=1, content_type="application/pdf"
    )
    document.file.save("doc", ContentFile(b"%PDF-1.4\n" + SECRET + b"\n%%EOF"), save=False)
    document.save()
    _student_of_class_a(world, world.student)
    _lesson_of_class_a(world)
    homework = _homework_of(world, world.student)
    homework.file.save("homework", ContentFile(b"print('" + SECRET + b"')\n"))
    upload = SimpleUploadedFile("leads.csv", "姓名,手机,备注\n张三,13900000001,".encode() + SECRET + b"\n")
    assert make_client(world.sales).post(reverse("crm:customer-import"), {"file": upload}).status_code == 302
    names = [document.file.name, homework.file.name, CustomerImport.objects.get().file.name]
    root = Path(settings.MEDIA_ROOT)
    assert all(SECRET in (root / name).read_bytes() for name in names)
    return names


def storage_urls(world, name: str) -> list[str]:
    """Where a misconfigured server or a careless view might serve `name` from."""
    absolute = str(Path(settings.MEDIA_ROOT) / name).lstrip("/")
    relative_to_project = f"var/uploads/{name}"
    token = enrollment_token(_enrollment(world))
    urls = [
        "/" + settings.MEDIA_URL.strip("/") + "/" + name if settings.MEDIA_URL.strip("/") else f"/{name}",
        f"/media/{name}",
        f"/uploads/{name}",
        f"/{relative_to_project}",
        f"/static/../{relative_to_project}",
        f"/static/%2e%2e/{relative_to_project}",
        f"/static/..%2f{relative_to_project}",
        f"/static/{'%2e%2e%2f' * 12}{absolute}",
        f"/static/{'..%2f' * 12}{absolute}",
        f"/static/{'../' * 12}{absolute}",
        f"/{'..%2f' * 12}{absolute}",
    ]
    prefixes = [
        "/sales/",
        "/sales/enrollments/",
        "/sales/enrollment-documents/",
        "/sales/customers/import/",
        "/finance/",
        "/teaching/",
        "/teaching/lessons/1/",
        "/homework/",
        "/my/",
        "/reports/",
        f"/enroll/{token}/",
        f"/enroll/{token}/documents/",
    ]
    for prefix in prefixes:
        urls += [f"{prefix}{name}", f"{prefix}{name.rsplit('/', 1)[-1]}", f"{prefix}{quote(name, safe='')}/"]
    return urls


@pytest.mark.parametrize("who", ["anonymous", "outsider", "sales2", "student"])
def test_stored_files_are_never_served_by_their_storage_path(world, who):
    user = None if who == "anonymous" else world.users[who]
    names = stored_files(world)
    client = make_client(user)
    login = reverse(settings.LOGIN_URL)
    for name in names:
        for url in storage_urls(world, name):
            response = client.get(url)
            assert response.status_code in (301, 302, 403, 404), (url, response.status_code)
            if response.status_code in (301, 302):
                location = response["Location"]
                assert location.startswith(login) or location.startswith(url.split("?")[0]), (url, location)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert SECRET not in body, url
            assert "Content-Disposition" not in response, url


@pytest.mark.parametrize(
    "path",
    [
        "..%2f..%2f{name}",
        "{quoted}",
        "1%2f..%2f..%2f{name}",
        "1/../../{name}",
        "%2e%2e/{name}",
    ],
)
def test_a_path_like_document_or_homework_number_is_404_even_for_the_owner(world, path):
    document_name, homework_name, _import_name = stored_files(world)
    for prefix, name, owner in [
        ("/sales/enrollment-documents/", document_name, world.sales),
        ("/homework/", homework_name, world.student),
    ]:
        url = prefix + path.format(name=name, quoted=quote(name, safe="")) + "/"
        response = make_client(owner).get(url)
        assert response.status_code == 404, (url, response.status_code)
        assert SECRET not in response.content


# --- Hostile uploads through the three forms -----------------------------------------------------
class Endpoint:
    """One upload form: where it posts, who posts, a valid file, and the form field names."""

    def __init__(self, world, kind: str):
        self.kind = kind
        if kind == "document":
            self.client = make_client()
            self.url = reverse(
                "enrollment:apply-document-upload", args=[enrollment_token(_enrollment(world))]
            )
            self.extension, self.valid = "png", image_bytes("PNG")
            self.extra = {"kind": "id_front"}
            self.limit_setting, self.folder = "ENROLLMENT_DOCUMENT_MAX_BYTES", "enrollment-documents"
        elif kind == "homework":
            _student_of_class_a(world, world.student)
            self.client = make_client(world.student)
            self.url = reverse("classroom:my-lesson", args=[_lesson_of_class_a(world).pk])
            self.extension, self.valid = "py", b"print('hello')\n"
            self.extra = {}
            self.limit_setting, self.folder = "HOMEWORK_MAX_BYTES", "homework"
        else:
            self.client = make_client(world.sales)
            self.url = reverse("crm:customer-import")
            self.extension, self.valid = "csv", "姓名,手机,来源\n张三,13900000001,官方网站\n".encode()
            self.extra = {}
            self.limit_setting, self.folder = "CUSTOMER_IMPORT_MAX_BYTES", "imports"

    def post(self, name: str, data: bytes):
        return self.client.post(self.url, {**self.extra, "file": SimpleUploadedFile(name, data)})

    def stored(self):
        model = {"document": EnrollmentDocument, "homework": HomeworkFile, "import": CustomerImport}[
            self.kind
        ]
        return model.objects.order_by("-pk").first()


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
SCRIPT = b"alert(document.cookie);\n"
# A GIF that is also JavaScript, and a PDF that is also an HTML page.
GIF_SCRIPT = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=alert(1);"
PDF_HTML = b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n"


def wrong_content(extension: str, data: bytes):
    return lambda endpoint: (f"photo.{extension}", data)


# id -> function of the endpoint giving (name, content). All of these are refused everywhere.
REFUSED_UPLOADS = {
    "html-as-png": wrong_content("png", HTML),
    "svg-as-png": wrong_content("png", SVG),
    "script-as-pdf": wrong_content("pdf", SCRIPT),
    "gif-script-polyglot-as-png": wrong_content("png", GIF_SCRIPT),
    "empty": lambda endpoint: (f"empty.{endpoint.extension}", b""),
}
# Names that are odd but whose content is fine: kept under a random storage name.
ODD_NAMES = {
    "parent-directories": "../../../../etc/cron.d/x.{ext}",
    "windows-path": "..\\..\\Windows\\x.{ext}",
    "nul": "a\x00b.{ext}",
    "crlf": "line\r\nSet-Cookie: x=1.{ext}",
    "300-characters": "名" * 296 + ".{ext}",
    "chinese": "身份证 正面 (复印件).{ext}",
}
ENDPOINTS = ["document", "homework", "import"]
RANDOM_NAME = re.compile(r"(enrollment-documents|homework|imports)/[0-9a-f]{32}\.[a-z]+")


def refusal_messages(response) -> list[str]:
    """The errors the page shows: form errors and flashed messages."""
    found = [str(message) for message in response.context.get("messages", [])]
    for key in ("form", "upload_form"):
        form = response.context.get(key)
        if form is not None and form.is_bound:
            found += [str(error) for errors in form.errors.values() for error in errors]
    return found


def assert_refused(endpoint: Endpoint, response, before: snapshot.Snapshot) -> None:
    assert response.status_code == 200, response.get("Location")
    assert refusal_messages(response), "refused without saying why"
    assert before.differences(snapshot.take()) == []


@pytest.mark.parametrize("upload", REFUSED_UPLOADS)
@pytest.mark.parametrize("kind", ENDPOINTS)
def test_wrong_content_under_a_right_extension_and_empty_files_are_refused(world, kind, upload):
    endpoint = Endpoint(world, kind)
    name, data = REFUSED_UPLOADS[upload](endpoint)
    before = snapshot.take()
    assert_refused(endpoint, endpoint.post(name, data), before)


@pytest.mark.parametrize("kind", ENDPOINTS)
def test_a_pdf_that_is_also_a_page_is_refused_or_only_ever_sent_as_a_pdf(world, kind):
    endpoint = Endpoint(world, kind)
    before = snapshot.take()
    response = endpoint.post("scan.pdf", PDF_HTML)
    if response.status_code == 200:
        assert_refused(endpoint, response, before)
        return
    stored = endpoint.stored()
    assert RANDOM_NAME.fullmatch(stored.file.name) and stored.file.name.endswith(".pdf")
    view = {"document": "enrollment:enrollment-document", "homework": "classroom:homework-file"}[kind]
    owner = world.sales if kind == "document" else world.student
    download = make_client(owner).get(reverse(view, args=[stored.pk]))
    assert (download["Content-Type"], download["X-Content-Type-Options"]) == ("application/pdf", "nosniff")
    assert download["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("kind", ENDPOINTS)
def test_a_file_one_byte_over_the_limit_is_refused_and_one_at_the_limit_taken(world, settings, kind):
    endpoint = Endpoint(world, kind)
    setattr(settings, endpoint.limit_setting, len(endpoint.valid) - 1)
    before = snapshot.take()
    assert_refused(endpoint, endpoint.post(f"big.{endpoint.extension}", endpoint.valid), before)

    setattr(settings, endpoint.limit_setting, len(endpoint.valid))
    assert endpoint.post(f"exact.{endpoint.extension}", endpoint.valid).status_code == 302


@pytest.mark.parametrize("odd", ODD_NAMES)
@pytest.mark.parametrize("kind", ENDPOINTS)
def test_an_odd_name_is_never_used_as_a_path(world, kind, odd):
    endpoint = Endpoint(world, kind)
    root = Path(settings.MEDIA_ROOT)
    before = snapshot.take()
    response = endpoint.post(ODD_NAMES[odd].format(ext=endpoint.extension), endpoint.valid)
    if response.status_code == 200:
        # The multipart parser may drop a name it cannot read: then the form says a file is needed.
        assert_refused(endpoint, response, before)
        return
    assert response.status_code == 302, response.status_code
    stored = endpoint.stored()
    assert RANDOM_NAME.fullmatch(stored.file.name), stored.file.name
    assert stored.file.name.startswith(endpoint.folder + "/")
    new_files = sorted(set(snapshot.take().files) - set(before.files))
    assert new_files == [stored.file.name]
    assert (root / stored.file.name).read_bytes() == endpoint.valid
    assert not re.search(r"[/\\\x00\r\n]", stored.original_name), stored.original_name
    assert len(stored.original_name) <= stored._meta.get_field("original_name").max_length
    if odd in ("chinese", "300-characters"):
        assert stored.original_name.startswith(ODD_NAMES[odd][:6])
        assert stored.original_name.endswith(f".{endpoint.extension}")
