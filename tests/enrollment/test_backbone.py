"""The enrollment backbone below the pages: ID card numbers, the link's token, creating an
enrollment (one per customer and class, waitlisted when full), documents checked by content and
counted server-side, the contract and its hash, the student's one-time submission, review
(approval makes one student account, even when two reviewers race) and payments with their
totals."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import resolve
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from PIL import Image

from accounts.models import User
from crm.models import ClassList, Customer, OwnershipEvent
from enrollment import services
from enrollment.documents import display_name, document_type
from enrollment.models import Enrollment, EnrollmentDocument, Payment, Student
from enrollment.services import EnrollmentRefused
from enrollment.tokens import SALT, enrollment_for_token, enrollment_token
from enrollment.validators import birthday_from_id, id_check_digit, normalize_id_number
from rbac.defaults import STUDENT
from rbac.models import Role
from tests.crm.test_concurrency import run_together
from tests.enrollment.conftest import (
    ID_NUMBER,
    PNG_SIGNATURE,
    approve,
    enroll_and_approve,
    image_bytes,
    max_bytes,
    pdf_of_size,
    png_declaring,
    png_of_size,
    small_pdf,
    submit,
)

Status = Enrollment.Status
SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.usefixtures("english")


def with_check_digit(first_17: str) -> str:
    return first_17 + id_check_digit(first_17)


def refusal(function, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        function(*args, **kwargs)
    return caught.value


def enrollment_row(enrollment: Enrollment) -> dict:
    """Every column of the enrollment, to prove a refused call changed nothing."""
    return Enrollment.objects.filter(pk=enrollment.pk).values().get()


# --- ID card numbers ----------------------------------------------------------------------------
def test_the_check_digit_follows_gb_11643():
    assert id_check_digit("11010519491231002") == "X"
    # The published example: 11010519491231002X is the standard's own sample number.
    assert with_check_digit("11010519491231002") == ID_NUMBER


@pytest.mark.parametrize(
    "raw",
    [
        ID_NUMBER,
        "11010519491231002x",
        " 110105 19491231 002x ",
        "110105\t19491231\t002X\n",
        "1101 0519 4912 3100 2X",
    ],
)
def test_a_valid_id_number_is_normalised_to_upper_case_without_spaces(raw):
    assert normalize_id_number(raw) == ID_NUMBER


@pytest.mark.parametrize(
    "first_17",
    [
        "44030420000229001",  # 29 February of a leap year
        "31010119000101123",  # the earliest accepted date
        "51010719851017321",
        "11010119990808000",
    ],
)
def test_valid_id_numbers_with_computed_check_digits_are_accepted(first_17):
    number = with_check_digit(first_17)
    assert normalize_id_number(number) == number
    assert normalize_id_number(number.lower()) == number


def test_the_birthday_is_read_from_the_id_number():
    assert birthday_from_id(ID_NUMBER) == date(1949, 12, 31)
    assert birthday_from_id(with_check_digit("44030420000229001")) == date(2000, 2, 29)


FORMAT = "An ID card number has 18 characters: 17 digits and a digit or X."
BAD_DATE = "The date of birth in this ID card number does not exist."
CHECKSUM = "This ID card number's check digit is wrong; check it for a typing error."


@pytest.mark.parametrize(
    "raw",
    [
        "",
        None,
        "11010519491231002",  # 17 characters
        "11010519491231002XX",  # 19 characters
        "1101051949123100X2",  # X not at the end
        "11010519491231A02X",  # a letter
        "01010519491231002X",  # no region code starts with 0
        "11010519491231002Y",
        "110105-19491231-002X",
    ],
)
def test_a_malformed_id_number_is_refused_with_the_format_message(raw):
    # (Full-width digits are not malformed: phone keyboards type them, and they are made ASCII.)
    error = refusal(normalize_id_number, raw)
    assert error.code == "format"
    assert error.messages == [FORMAT]


@pytest.mark.parametrize(
    "born",
    [
        "19490230",  # 30 February
        "19491331",  # month 13
        "19490001",  # month 0
        "19491200",  # day 0
        "19000229",  # 1900 was no leap year
        "18991231",  # before 1900
        "20990101",  # in the future
    ],
)
def test_an_id_number_with_a_date_that_does_not_exist_is_refused(born):
    number = with_check_digit(f"110105{born}002")
    error = refusal(normalize_id_number, number)
    assert error.code == "date"
    assert error.messages == [BAD_DATE]


def test_an_id_number_born_tomorrow_is_refused_and_born_today_accepted():
    with time_machine.travel(datetime(2030, 6, 15, 12, tzinfo=SHANGHAI), tick=False):
        assert normalize_id_number(with_check_digit("11010520300615001"))
        assert refusal(normalize_id_number, with_check_digit("11010520300616001")).code == "date"


def test_an_id_number_with_a_wrong_check_digit_is_refused():
    for wrong in "0123456789":  # X is the right one
        error = refusal(normalize_id_number, f"11010519491231002{wrong}")
        assert error.code == "checksum"
        assert error.messages == [CHECKSUM]


def test_a_typing_error_in_the_digits_is_caught_by_the_check_digit():
    # Two neighbouring digits swapped: the date is still real, the check digit no longer matches.
    assert refusal(normalize_id_number, "11001519491231002X").code == "checksum"


@pytest.mark.parametrize(
    "digits",
    [
        # Full-width digits, as a Chinese phone keyboard may type them.
        pytest.param("１０１０５１９４９１２３１００２", id="full-width"),
        pytest.param("١٠١٠٥١٩٤٩١٢٣١٠٠٢", id="arabic-indic"),
    ],
)
def test_an_id_number_with_non_ascii_digits_is_refused_or_normalised_to_ascii(digits):
    """Python's `\\d` and int() take any Unicode digit; what is stored must be plain ASCII."""
    raw = f"1{digits}X"
    try:
        value = normalize_id_number(raw)
    except ValidationError:
        return
    assert value == ID_NUMBER, f"stored as {value!r}"


# --- The link's token ---------------------------------------------------------------------------
def test_a_fresh_token_opens_its_enrollment_with_what_the_page_shows(enrollment, django_assert_num_queries):
    token = enrollment_token(enrollment)
    with django_assert_num_queries(1):
        opened = enrollment_for_token(token)
        # The page shows customer, course, campus and consultant without more queries.
        assert opened.customer.name and opened.class_list.course.name and opened.class_list.campus.name
        assert opened.consultant.username
    assert opened.pk == enrollment.pk
    assert enrollment.customer.phone.removeprefix("+") not in token


def tampered(token: str, position: int) -> str:
    replacement = "A" if token[position] != "A" else "B"
    return token[:position] + replacement + token[position + 1 :]


def test_a_token_with_one_character_changed_opens_nothing(enrollment):
    token = enrollment_token(enrollment)
    signature_start = token.rindex(":") + 1
    positions = [0, 1, len(token) // 3, signature_start - 2, signature_start, signature_start + 10, -2]
    for position in positions:
        changed = tampered(token, position)
        assert changed != token
        assert enrollment_for_token(changed) is None, position


@pytest.mark.parametrize(
    "token",
    [
        "",
        "x",
        ":",
        "::::",
        "not-a-token",
        "eyJhIjoxfQ:1tX2Ab:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "a" * 5000,
        "../../etc/passwd",
        "%00",
        "令牌",
    ],
)
def test_a_random_token_opens_nothing(enrollment, token):
    assert enrollment_for_token(token) is None


def test_a_token_signed_with_another_salt_or_key_opens_nothing(enrollment, settings):
    payload = [enrollment.pk, enrollment.token_version]
    assert enrollment_for_token(signing.dumps(payload)) is None
    assert enrollment_for_token(signing.dumps(payload, salt="educrm.other")) is None
    signed_elsewhere = signing.dumps(payload, salt=SALT, key="another-secret-key-" + "x" * 40)
    assert enrollment_for_token(signed_elsewhere) is None
    assert enrollment_for_token(signing.dumps(payload, salt=SALT)).pk == enrollment.pk


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(lambda pk: pk, id="number"),
        pytest.param(lambda pk: [pk], id="one-item"),
        pytest.param(lambda pk: [pk, 1, 1], id="three-items"),
        pytest.param(lambda pk: [str(pk), 1], id="text-id"),
        pytest.param(lambda pk: [pk, "1"], id="text-version"),
        pytest.param(lambda pk: [pk, None], id="null-version"),
        pytest.param(lambda pk: [pk, 1.0], id="float-version"),
        pytest.param(lambda pk: {"pk": pk, "version": 1}, id="object"),
        pytest.param(lambda pk: [[pk], [1]], id="nested"),
        pytest.param(lambda pk: "", id="empty-text"),
    ],
)
def test_a_validly_signed_token_of_the_wrong_shape_opens_nothing_and_raises_nothing(enrollment, payload):
    assert enrollment_for_token(signing.dumps(payload(enrollment.pk), salt=SALT)) is None


def test_another_enrollments_token_opens_only_that_enrollment(world, enrollment):
    other = services.enrollment_create(customer=world.sales2_lead, class_list=world.class_a, by=world.sales2)

    assert enrollment_for_token(enrollment_token(other)).pk == other.pk
    assert enrollment_for_token(enrollment_token(enrollment)).pk == enrollment.pk


def test_regenerating_the_link_revokes_every_older_token(enrollment):
    first = enrollment_token(enrollment)
    services.enrollment_link_regenerate(enrollment=enrollment)
    second = enrollment_token(enrollment)
    assert enrollment.token_version == 2
    assert second != first
    assert enrollment_for_token(first) is None
    assert enrollment_for_token(second).pk == enrollment.pk

    services.enrollment_link_regenerate(enrollment=enrollment)
    assert enrollment_for_token(second) is None
    assert enrollment_for_token(enrollment_token(enrollment)).pk == enrollment.pk


def test_a_link_expires_after_the_configured_days_and_regenerating_renews_it(settings, world):
    start = datetime(2026, 5, 1, 9, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False):
        enrollment = services.enrollment_create(
            customer=world.sales_lead, class_list=world.class_a, by=world.sales
        )
        token = enrollment_token(enrollment)
    assert settings.ENROLLMENT_LINK_DAYS == 7
    assert enrollment.link_expires_at == start + timedelta(days=7)

    with time_machine.travel(enrollment.link_expires_at - timedelta(seconds=1), tick=False):
        assert enrollment_for_token(token).pk == enrollment.pk
    with time_machine.travel(enrollment.link_expires_at, tick=False):
        assert enrollment_for_token(token) is None
    with time_machine.travel(enrollment.link_expires_at + timedelta(days=30), tick=False):
        assert enrollment_for_token(token) is None
        services.enrollment_link_regenerate(enrollment=enrollment)
        renewed = enrollment_token(enrollment)
        assert enrollment_for_token(renewed).pk == enrollment.pk
        assert enrollment_for_token(token) is None
    assert enrollment.link_expires_at == start + timedelta(days=37 + 7)


def test_regenerating_the_link_of_an_approved_enrollment_is_refused(world, submitted):
    approve(submitted, world.finance)
    token = enrollment_token(submitted)
    before = enrollment_row(submitted)

    with pytest.raises(
        EnrollmentRefused, match=r"^This enrollment is approved; it needs no link any more\.$"
    ):
        services.enrollment_link_regenerate(enrollment=submitted)

    assert enrollment_row(submitted) == before
    assert enrollment_for_token(token).pk == submitted.pk


# --- Creating an enrollment ---------------------------------------------------------------------
def test_an_enrollment_takes_the_class_price_and_starts_open(world):
    now = datetime(2026, 5, 1, 9, tzinfo=SHANGHAI)
    with time_machine.travel(now, tick=False):
        enrollment = services.enrollment_create(
            customer=world.sales_lead, class_list=world.class_a, by=world.sales
        )
    ClassList.objects.filter(pk=world.class_a.pk).update(price=Decimal("25000"))

    enrollment.refresh_from_db()
    assert enrollment.price == Decimal("19800")
    assert enrollment.status == Status.OPEN
    assert enrollment.consultant == world.sales
    assert enrollment.customer == world.sales_lead and enrollment.class_list == world.class_a
    assert enrollment.waitlisted is False
    assert enrollment.token_version == 1
    assert enrollment.created_at == now
    assert enrollment.link_expires_at == now + timedelta(days=7)
    assert enrollment.agreed_at is None and enrollment.submitted_at is None and enrollment.id_number == ""


def test_a_second_enrollment_of_one_customer_into_one_class_is_refused(world, enrollment):
    before = list(Enrollment.objects.values())

    for by in (world.sales, world.manager):
        with pytest.raises(EnrollmentRefused) as refused:
            services.enrollment_create(customer=world.sales_lead, class_list=world.class_a, by=by)
        assert str(refused.value) == f"{world.sales_lead} already has an enrollment for {world.class_a}."

    assert list(Enrollment.objects.values()) == before
    # The constraint is the database's, not only the service's.
    with pytest.raises(IntegrityError):
        Enrollment.objects.create(
            customer=world.sales_lead,
            class_list=world.class_a,
            consultant=world.sales,
            price=1,
            link_expires_at=timezone.now(),
        )


def test_the_same_customer_may_enroll_into_another_class(world, enrollment):
    other = services.enrollment_create(customer=world.sales_lead, class_list=world.class_b, by=world.sales)
    assert other.price == Decimal("16800")
    assert Enrollment.objects.filter(customer=world.sales_lead).count() == 2


def test_a_full_class_still_takes_enrollments_marked_waitlisted(world):
    ClassList.objects.filter(pk=world.class_a.pk).update(capacity=1)
    world.class_a.refresh_from_db()
    taken = enroll_and_approve(world, world.pool_lead, world.class_a)
    assert taken.waitlisted is False

    enrollment = services.enrollment_create(
        customer=world.sales_lead, class_list=world.class_a, by=world.sales
    )

    assert enrollment.waitlisted is True
    assert enrollment.status == Status.OPEN
    assert services.seats_taken(world.class_a) == 1


def test_seats_taken_counts_approved_enrollments_only(world, submitted):
    services.enrollment_create(customer=world.sales2_lead, class_list=world.class_a, by=world.sales2)
    seats = dict(services.classes_with_seats(ClassList.objects.all()).values_list("pk", "seats_taken"))
    assert seats == {world.class_a.pk: 0, world.class_b.pk: 0}

    approve(submitted, world.finance)

    seats = dict(services.classes_with_seats(ClassList.objects.all()).values_list("pk", "seats_taken"))
    assert seats == {world.class_a.pk: 1, world.class_b.pk: 0}
    assert services.seats_taken(world.class_a) == 1
    assert services.seats_taken(world.class_b) == 0


# --- Documents: content ---------------------------------------------------------------------------
def test_a_pdf_of_exactly_the_size_limit_is_accepted_and_one_byte_more_refused(settings):
    assert settings.ENROLLMENT_DOCUMENT_MAX_BYTES == 2 * 1024 * 1024
    assert document_type(pdf_of_size(max_bytes())) == "application/pdf"

    error = refusal(document_type, pdf_of_size(max_bytes() + 1))
    assert error.messages == ["A document may be at most 2.0\xa0MB."]


def test_a_png_of_exactly_the_size_limit_is_accepted_and_one_byte_more_refused():
    assert document_type(png_of_size(max_bytes())) == "image/png"
    assert refusal(document_type, png_of_size(max_bytes() + 1)).messages == [
        "A document may be at most 2.0\xa0MB."
    ]


@pytest.mark.parametrize(
    ("image_format", "mode", "content_type"),
    [
        ("JPEG", "RGB", "image/jpeg"),
        ("JPEG", "L", "image/jpeg"),
        ("PNG", "RGB", "image/png"),
        ("PNG", "RGBA", "image/png"),
        ("PNG", "1", "image/png"),
    ],
)
def test_photos_are_recognised_by_their_content(image_format, mode, content_type):
    assert document_type(image_bytes(image_format, (40, 30), mode)) == content_type


PHOTO_OR_PDF = "Upload a photo (JPEG or PNG) or a PDF."


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', id="svg"),
        pytest.param(
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>',
            id="svg-xml",
        ),
        pytest.param(b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>", id="html"),
        pytest.param(b"<html><body>x.jpg.html</body></html>", id="x.jpg.html"),
        pytest.param(PNG_SIGNATURE + b"<html><script>alert(1)</script></html>", id="png-header-then-html"),
        pytest.param(b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>", id="jpeg-magic-then-html"),
        pytest.param(image_bytes("GIF"), id="gif"),
        pytest.param(image_bytes("BMP"), id="bmp"),
        pytest.param(image_bytes("WEBP"), id="webp"),
        pytest.param(image_bytes("TIFF"), id="tiff"),
        pytest.param(b"MZ\x90\x00" + b"\x00" * 200, id="exe"),
        pytest.param(b"PK\x03\x04" + b"\x00" * 200, id="zip"),
        pytest.param(b"just some text", id="text"),
        pytest.param(image_bytes("PNG")[:40], id="truncated-png"),
    ],
)
def test_anything_but_jpeg_png_or_pdf_is_refused(data):
    assert refusal(document_type, data).messages == [PHOTO_OR_PDF]


def test_an_empty_file_is_refused():
    assert refusal(document_type, b"").messages == ["The file is empty."]


def test_a_pdf_without_its_end_marker_is_refused():
    data = pdf_of_size(5000)
    assert refusal(document_type, data.replace(b"%%EOF", b"%%EOX")).messages == [
        "This PDF is incomplete or damaged."
    ]
    # %%EOF must be at the end, not somewhere early followed by anything.
    assert refusal(document_type, b"%PDF-1.4\n%%EOF\n" + b"x" * 2000).messages == [
        "This PDF is incomplete or damaged."
    ]


def test_a_png_with_a_damaged_chunk_is_refused():
    data = bytearray(png_of_size(3000))
    data[100] ^= 0xFF  # inside the text chunk: its CRC no longer matches
    assert refusal(document_type, bytes(data)).messages == [PHOTO_OR_PDF]


@pytest.mark.parametrize("size", [(20000, 20000), (100000, 100000), (10000, 10000)])
def test_a_png_declaring_a_pixel_flood_is_refused(size):
    """A few hundred bytes claiming hundreds of millions of pixels: refused before decoding
    (10000 x 10000 is above Pillow's warning threshold, the others above its error one)."""
    data = png_declaring(*size)
    assert len(data) < 200
    assert refusal(document_type, data).messages == ["This image has too many pixels."]


def test_a_real_image_above_the_pixel_limit_is_refused(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    assert document_type(image_bytes("PNG", (30, 30), "1")) == "image/png"  # 900 pixels
    assert refusal(document_type, image_bytes("PNG", (40, 40), "1")).messages == [
        "This image has too many pixels."  # 1600: Pillow only warns, the warning is a refusal
    ]
    assert refusal(document_type, image_bytes("JPEG", (100, 100), "L")).messages == [
        "This image has too many pixels."  # 10000: Pillow's own error
    ]


# --- Documents: names ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("身份证正面.jpg", "身份证正面.jpg"),
        ("../../x.py", "x.py"),
        ("..\\..\\x.py", "x.py"),
        ("/etc/passwd", "passwd"),
        ("C:\\evil\\a.png", "a.png"),
        ("C:a.png", "Ca.png"),
        ("a\x00b.png", "ab.png"),
        ("x.png\x00.html", "x.png.html"),
        ("line\r\nbreak\t.pdf", "linebreak.pdf"),
        ("bell\x07\x1b[31m.png", "bell[31m.png"),
        ("del\x7f.png", "del.png"),
        ('a<b>:"c|?*.png', "abc.png"),
        ("  . hidden.png . ", "hidden.png"),
        ("x.jpg.html", "x.jpg.html"),
        ("", "document"),
        ("..", "document"),
        ("../", "document"),
        ("\x00\x01", "document"),
        (None, "document"),
    ],
)
def test_the_uploaded_name_is_reduced_to_a_plain_file_name(raw, shown):
    assert display_name(raw) == shown


def test_a_300_character_name_is_kept_to_100_with_its_extension():
    name = display_name("名" * 296 + ".png")
    assert len(name) == 100
    assert name == "名" * 96 + ".png"

    assert display_name("a" * 300) == "a" * 100
    # An "extension" of 10 or more characters is no extension: plain truncation.
    assert display_name("a" * 250 + "." + "b" * 49) == "a" * 100


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("a\x85b\x9b.png", id="C1-controls"),
        pytest.param("a\u0080\u009fb.png", id="C1-range-ends"),
    ],
)
def test_c1_control_characters_are_removed_from_the_name(raw):
    """The docstring promises control characters removed; U+0080-U+009F are controls too."""
    assert display_name(raw) == "ab.png"


def test_bidirectional_overrides_cannot_disguise_the_extension():
    """`photo<RLO>gnp.exe` is displayed as `photoexe.png`: a classic trick to pass a program
    for a picture in a reviewer's list."""
    name = display_name("photo\u202egnp.exe")
    assert "\u202e" not in name
    assert all(mark not in display_name(f"a{mark}b.pdf") for mark in "\u202a\u202b\u202d\u2066\u2067\u200f")


# --- Documents: storing and counting ------------------------------------------------------------
def add(enrollment, data=None, *, filename="id.pdf", kind="id_front") -> EnrollmentDocument:
    return services.enrollment_document_add(
        enrollment=enrollment, data=small_pdf() if data is None else data, filename=filename, kind=kind
    )


def stored_files(media_root: Path) -> list[Path]:
    return sorted(path for path in media_root.rglob("*") if path.is_file())


def test_a_document_is_stored_under_a_random_name_in_a_private_folder(enrollment, media_root):
    data = image_bytes("JPEG", (64, 48))
    document = add(enrollment, data, filename="../../我的身份证.jpg.html", kind="id_back")

    document.refresh_from_db()
    assert document.enrollment == enrollment
    assert document.kind == "id_back"
    assert document.original_name == "我的身份证.jpg.html"
    assert document.content_type == "image/jpeg"
    assert document.size == len(data)
    assert re.fullmatch(r"enrollment-documents/[0-9a-f]{32}\.jpg", document.file.name), document.file.name
    assert "身份证" not in document.file.name and "html" not in document.file.name
    path = media_root / document.file.name
    assert path.read_bytes() == data
    assert stored_files(media_root) == [path]

    pdf = add(enrollment, filename="C:\\evil\\" + "x" * 300 + ".pdf")
    png = add(enrollment, image_bytes("PNG"), filename="scan")
    assert pdf.file.name.endswith(".pdf") and png.file.name.endswith(".png")
    assert pdf.original_name == "x" * 96 + ".pdf"
    assert len({document.file.name, pdf.file.name, png.file.name}) == 3
    assert EnrollmentDocument.objects.get(pk=pdf.pk).original_name == "x" * 96 + ".pdf"


def test_a_refused_document_writes_nothing(enrollment, media_root):
    for data in (b"", b"<svg/>", pdf_of_size(max_bytes() + 1), png_declaring(20000, 20000)):
        with pytest.raises(ValidationError):
            add(enrollment, data, filename="x.png")
    assert not EnrollmentDocument.objects.exists()
    assert stored_files(media_root) == []


def test_the_fourth_document_is_refused(enrollment, media_root):
    for _ in range(3):
        add(enrollment)

    with pytest.raises(EnrollmentRefused, match=r"^At most 3 documents; remove one first\.$"):
        add(enrollment, image_bytes("PNG"))

    assert enrollment.documents.count() == 3
    assert len(stored_files(media_root)) == 3


def test_the_limit_counts_what_is_stored_not_what_the_caller_holds(enrollment):
    """Each upload is a separate request with its own copy of the enrollment."""
    for _ in range(3):
        add(Enrollment.objects.get(pk=enrollment.pk))
    with pytest.raises(EnrollmentRefused):
        add(Enrollment.objects.get(pk=enrollment.pk))
    assert EnrollmentDocument.objects.filter(enrollment=enrollment).count() == 3


def test_removing_a_document_frees_a_place(enrollment):
    first, *_rest = [add(enrollment) for _ in range(3)]
    services.enrollment_document_remove(document=first)
    add(enrollment)
    assert enrollment.documents.count() == 3


def test_removing_a_document_deletes_the_row_and_the_file_once_committed(
    enrollment, media_root, django_capture_on_commit_callbacks
):
    kept = add(enrollment)
    removed = add(enrollment, image_bytes("PNG"))
    path = media_root / removed.file.name

    with django_capture_on_commit_callbacks() as callbacks:
        services.enrollment_document_remove(document=removed)
    assert not EnrollmentDocument.objects.filter(pk=removed.pk).exists()
    assert path.exists(), "the file goes only when the deletion is committed"

    for callback in callbacks:
        callback()
    assert not path.exists()
    assert stored_files(media_root) == [media_root / kept.file.name]


def test_removing_with_callbacks_executed_deletes_the_file(
    enrollment, media_root, django_capture_on_commit_callbacks
):
    document = add(enrollment)
    with django_capture_on_commit_callbacks(execute=True):
        services.enrollment_document_remove(document=document)
    assert not EnrollmentDocument.objects.exists()
    assert stored_files(media_root) == []


def test_documents_cannot_change_after_submission(enrollment, student_values, media_root):
    document = add(enrollment)
    assert submit(enrollment, student_values)

    with pytest.raises(EnrollmentRefused, match="documents can no longer change"):
        add(enrollment)
    with pytest.raises(EnrollmentRefused, match="documents can no longer change"):
        services.enrollment_document_remove(document=document)

    assert list(enrollment.documents.all()) == [document]
    assert stored_files(media_root) == [media_root / document.file.name]


def test_documents_can_change_again_after_a_rejection(world, submitted):
    services.enrollment_reject(enrollment=submitted, by=world.finance, reason="身份证照片不清楚")
    document = add(submitted)
    services.enrollment_document_remove(document=document)
    assert not submitted.documents.exists()


def test_documents_of_an_approved_enrollment_cannot_change(world, submitted):
    approve(submitted, world.finance)
    with pytest.raises(EnrollmentRefused):
        add(submitted)


def test_parallel_uploads_cannot_pass_the_limit(shared_db, enrollment, media_root):
    """Six uploads at once (six tabs, or a script) on the enrollment with one document already."""
    add(enrollment)

    def upload():
        return add(Enrollment.objects.get(pk=enrollment.pk), image_bytes("PNG"))

    outcomes = run_together([upload] * 6)

    stored = [outcome for outcome in outcomes if isinstance(outcome, EnrollmentDocument)]
    refused = [outcome for outcome in outcomes if not isinstance(outcome, EnrollmentDocument)]
    assert len(stored) == 2, outcomes
    assert all(isinstance(outcome, EnrollmentRefused) for outcome in refused), refused
    assert EnrollmentDocument.objects.filter(enrollment=enrollment).count() == 3
    assert len(stored_files(media_root)) == 3, "a refused upload must leave no file behind"


# --- The contract -------------------------------------------------------------------------------
def test_the_contract_fills_the_course_template(world, enrollment):
    world.python.contract_template = (
        "甲方：{name}\n课程：{course}（{class}）\n学费：人民币{price}元\n开课：{start_date}\n校区：{campus}\n"
        "{unknown} {NAME} { name } {} {name"
    )
    world.python.save()
    enrollment = Enrollment.objects.get(pk=enrollment.pk)

    text = services.contract_for(enrollment)

    assert text == (
        f"甲方：萨乐\n课程：Python全栈开发（{world.class_a}）\n学费：人民币19,800.00元\n开课：2026-09-01\n"
        "校区：北京\n{unknown} {NAME} { name } {} {name"
    )
    assert str(world.class_a) == "Python全栈开发 Class 9 (北京)"


def test_the_contract_uses_the_enrollment_price_not_the_current_class_price(world, enrollment):
    world.python.contract_template = "{price}"
    world.python.save()
    ClassList.objects.filter(pk=world.class_a.pk).update(price=Decimal("1"))
    assert services.contract_for(Enrollment.objects.get(pk=enrollment.pk)) == "19,800.00"


def test_values_are_not_expanded_again(world, enrollment):
    """A customer called "{price}" is a name, not a placeholder."""
    Customer.objects.filter(pk=world.sales_lead.pk).update(name="{price}")
    world.python.contract_template = "{name} / {price}"
    world.python.save()
    assert services.contract_for(Enrollment.objects.get(pk=enrollment.pk)) == "{price} / 19,800.00"


def test_a_course_without_a_template_gets_the_default_contract(world, enrollment):
    assert world.python.contract_template == ""
    assert services.contract_for(enrollment) == (
        f"萨乐 enrolls in {world.class_a} (Python全栈开发) at 北京, starting 2026-09-01, for CNY 19,800.00."
    )


def test_the_contract_hash_is_the_sha256_of_the_exact_text():
    text = "甲方：萨乐\n学费：人民币19,800.00元"
    assert services.contract_hash(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert len(services.contract_hash(text)) == 64
    assert services.contract_hash(text + " ") != services.contract_hash(text)
    assert services.contract_hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


# --- The student's submission -------------------------------------------------------------------
def test_submitting_stores_the_form_and_the_accepted_contract(world, enrollment, student_values, gender):
    world.python.contract_template = "甲方{name}，学费{price}元。"
    world.python.save()
    enrollment = Enrollment.objects.get(pk=enrollment.pk)
    contract = services.contract_for(enrollment)
    now = datetime(2026, 5, 2, 20, 30, tzinfo=SHANGHAI)
    tampering = {
        **student_values,
        "status": Status.APPROVED,
        "price": Decimal("1"),
        "consultant": world.sales2,
        "class_list": world.class_b,
        "reviewed_by": world.admin,
        "token_version": 99,
    }

    with time_machine.travel(now, tick=False):
        assert services.enrollment_submit(
            enrollment=enrollment, values=tampering, contract_text=contract, ip="2001:db8::1"
        )

    enrollment.refresh_from_db()
    assert enrollment.status == Status.SUBMITTED
    for name in services.STUDENT_FIELDS:
        assert getattr(enrollment, name) == student_values[name], name
    assert enrollment.gender == gender
    assert enrollment.contract_text == "甲方萨乐，学费19,800.00元。"
    assert enrollment.contract_hash == hashlib.sha256(contract.encode()).hexdigest()
    assert enrollment.agreed_at == now and enrollment.submitted_at == now
    assert enrollment.agreed_ip == "2001:db8::1"
    # Nothing outside the student's fields came from the form.
    assert enrollment.price == Decimal("19800")
    assert enrollment.consultant == world.sales and enrollment.class_list == world.class_a
    assert enrollment.reviewed_by is None and enrollment.token_version == 1


def test_a_second_submission_from_another_tab_or_a_replay_changes_nothing(enrollment, student_values):
    assert submit(enrollment, student_values)
    before = enrollment_row(enrollment)

    later = {**student_values, "address": "另一个地址", "email": "other@example.test"}
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert submit(enrollment, later, ip="198.51.100.1") is False
        assert submit(Enrollment.objects.get(pk=enrollment.pk), later) is False

    assert enrollment_row(enrollment) == before


def test_a_submission_through_a_revoked_link_is_refused(enrollment, student_values):
    stale = Enrollment.objects.get(pk=enrollment.pk)  # the page opened with the old token
    services.enrollment_link_regenerate(enrollment=enrollment)
    before = enrollment_row(enrollment)

    assert submit(stale, student_values) is False

    assert enrollment_row(enrollment) == before
    assert enrollment_row(enrollment)["status"] == Status.OPEN
    assert submit(enrollment, student_values) is True


def test_a_rejected_enrollment_shows_the_reason_and_can_be_submitted_again(world, submitted, student_values):
    services.enrollment_reject(enrollment=submitted, by=world.finance, reason="身份证照片不清楚，请重新上传")
    submitted.refresh_from_db()
    assert submitted.status == Status.REJECTED
    assert submitted.reject_reason == "身份证照片不清楚，请重新上传"
    assert submitted.reviewed_by == world.finance and submitted.reviewed_at is not None
    assert submitted.is_editable_by_student
    assert enrollment_for_token(enrollment_token(submitted)).reject_reason == "身份证照片不清楚，请重新上传"

    assert submit(submitted, {**student_values, "address": "上海市浦东新区世纪大道100号"})

    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert submitted.reject_reason == ""
    assert submitted.address == "上海市浦东新区世纪大道100号"
    assert submit(submitted, student_values) is False


def test_only_a_submitted_enrollment_can_be_rejected(world, enrollment, student_values):
    with pytest.raises(EnrollmentRefused, match="not waiting for review"):
        services.enrollment_reject(enrollment=enrollment, by=world.finance, reason="x")
    assert submit(enrollment, student_values)
    services.enrollment_reject(enrollment=enrollment, by=world.finance, reason="first")
    with pytest.raises(EnrollmentRefused, match="not waiting for review"):
        services.enrollment_reject(enrollment=enrollment, by=world.admin, reason="second")
    assert enrollment_row(enrollment)["reject_reason"] == "first"


# --- Review: approval ---------------------------------------------------------------------------
def test_approval_creates_the_student_account_joins_the_class_and_signs_the_customer(
    world, submitted, mailoutbox, django_capture_on_commit_callbacks
):
    users_before = User.objects.count()
    now = datetime(2026, 5, 3, 10, tzinfo=SHANGHAI)

    with time_machine.travel(now, tick=False), django_capture_on_commit_callbacks(execute=True):
        student = approve(submitted, world.finance)

    assert User.objects.count() == users_before + 1
    user = User.objects.get(username="13800000002")
    assert student.user == user
    assert not user.has_usable_password()
    assert user.is_active
    assert user.email == "sale@example.test"
    assert user.display_name == "萨乐"
    assert user.phone == "+8613800000002"
    assert list(user.roles.values_list("slug", flat=True)) == [STUDENT]

    student = Student.objects.get(customer=world.sales_lead)
    assert student.user == user
    assert list(student.classes.all()) == [world.class_a]
    assert student.status == Student.Status.STUDYING
    assert student.id_number == ID_NUMBER
    assert student.birthday == date(1949, 12, 31)

    submitted.refresh_from_db()
    assert submitted.status == Status.APPROVED
    assert submitted.reviewed_by == world.finance and submitted.reviewed_at == now

    customer = Customer.objects.get(pk=world.sales_lead.pk)
    assert customer.status == Customer.Status.SIGNED
    assert customer.consultant == world.sales
    event = OwnershipEvent.objects.get(customer=customer, kind=OwnershipEvent.Kind.SIGN)
    assert (event.from_user, event.to_user, event.by, event.at) == (
        world.sales,
        world.sales,
        world.finance,
        now,
    )
    assert event.reason == str(world.class_a)
    assert len(mailoutbox) == 1


def password_links(body: str) -> list:
    """The set-password links in an email, resolved."""
    links = [resolve(urlparse(link).path) for link in re.findall(r"http://testserver/\S+", body)]
    return [match for match in links if match.view_name == "accounts:password-reset-confirm"]


def test_the_approval_email_goes_out_only_on_commit_with_a_working_set_password_link(
    world, submitted, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        student = approve(submitted, world.finance)
    assert mailoutbox == [], "no email before the transaction commits"
    assert len(callbacks) == 1

    callbacks[0]()

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["sale@example.test"]
    assert email.subject == f"Enrollment confirmed: {world.class_a}"
    assert f"Your enrollment in {world.class_a} succeeded." in email.body
    assert "13800000002" in email.body
    [match] = password_links(email.body)
    assert force_str(urlsafe_base64_decode(match.kwargs["uidb64"])) == str(student.user.pk)
    assert default_token_generator.check_token(student.user, match.kwargs["token"])


def test_a_refused_approval_sends_no_email(world, enrollment, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(EnrollmentRefused):
        approve(enrollment, world.finance)  # still open: nothing to review
    assert mailoutbox == []
    assert not Student.objects.exists()


def test_a_second_approval_is_refused_and_makes_no_second_account(
    world, submitted, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        approve(submitted, world.finance)
    users = User.objects.count()
    row = enrollment_row(submitted)

    for reviewer in (world.finance, world.admin):
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(EnrollmentRefused, match=r"^This enrollment is not waiting for review any more\.$"),
        ):
            approve(Enrollment.objects.get(pk=submitted.pk), reviewer, may_exceed_capacity=True)

    assert User.objects.count() == users
    assert Student.objects.count() == 1
    assert OwnershipEvent.objects.filter(kind=OwnershipEvent.Kind.SIGN).count() == 1
    assert enrollment_row(submitted) == row
    assert len(mailoutbox) == 1


def test_a_second_class_reuses_the_student(
    world, submitted, student_values, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        student = approve(submitted, world.finance)
    users = User.objects.count()
    second = services.enrollment_create(customer=world.sales_lead, class_list=world.class_b, by=world.sales)
    assert submit(second, {**student_values, "email": "new-address@example.test"})

    with django_capture_on_commit_callbacks(execute=True):
        again = approve(second, world.admin)

    # The second email confirms the new class; the account exists, so no set-password link.
    assert [email.subject for email in mailoutbox] == [
        f"Enrollment confirmed: {world.class_a}",
        f"Enrollment confirmed: {world.class_b}",
    ]
    assert mailoutbox[1].to == ["sale@example.test"]
    assert password_links(mailoutbox[1].body) == []

    assert again.pk == student.pk
    assert User.objects.count() == users
    assert Student.objects.count() == 1
    assert set(again.classes.all()) == {world.class_a, world.class_b}
    assert OwnershipEvent.objects.filter(kind=OwnershipEvent.Kind.SIGN).count() == 1


def test_the_birthday_falls_back_to_the_id_number(world, enrollment, student_values):
    assert submit(enrollment, {**student_values, "birthday": None})
    assert approve(enrollment, world.finance).birthday == date(1949, 12, 31)


def test_a_taken_phone_username_falls_back_to_the_customer_number(world, submitted):
    User.objects.create(username="13800000002", display_name="Somebody else")
    student = approve(submitted, world.finance)
    assert student.user.username == f"student{world.sales_lead.pk}"


def test_a_customer_without_phone_or_email_still_gets_an_account_without_email(
    world, student_values, mailoutbox, django_capture_on_commit_callbacks
):
    Customer.objects.filter(pk=world.pool_lead.pk).update(phone="")
    enrollment = services.enrollment_create(
        customer=world.pool_lead, class_list=world.class_a, by=world.sales
    )
    assert submit(enrollment, {**student_values, "email": ""})

    with django_capture_on_commit_callbacks(execute=True):
        student = approve(enrollment, world.finance)

    assert student.user.username == f"student{world.pool_lead.pk}"
    assert student.user.email == ""
    assert mailoutbox == []
    event = OwnershipEvent.objects.get(customer=world.pool_lead, kind=OwnershipEvent.Kind.SIGN)
    assert event.from_user is None and event.to_user is None


def test_approval_beyond_capacity_needs_the_right_to_exceed_it(world, student_values):
    ClassList.objects.filter(pk=world.class_a.pk).update(capacity=1)
    world.class_a.refresh_from_db()
    enroll_and_approve(world, world.pool_lead, world.class_a)
    enrollment = services.enrollment_create(
        customer=world.sales_lead, class_list=world.class_a, by=world.sales
    )
    assert enrollment.waitlisted
    assert submit(enrollment, student_values)
    users = User.objects.count()
    row = enrollment_row(enrollment)

    with pytest.raises(EnrollmentRefused) as refused:
        approve(enrollment, world.finance)

    assert str(refused.value) == (
        f"{world.class_a} is full; approving beyond its capacity needs a manager or an administrator."
    )
    assert enrollment_row(enrollment) == row
    assert User.objects.count() == users
    assert not Student.objects.filter(customer=world.sales_lead).exists()
    assert Customer.objects.get(pk=world.sales_lead.pk).status == Customer.Status.UNSIGNED

    student = approve(enrollment, world.manager, may_exceed_capacity=True)

    assert list(student.classes.all()) == [world.class_a]
    assert services.seats_taken(world.class_a) == 2


def test_a_failed_approval_writes_nothing(world, submitted, mailoutbox, django_capture_on_commit_callbacks):
    """Account, class, customer and email are one transaction: a failure half-way (here the
    student role is missing) leaves the enrollment waiting for review and nothing created."""
    Role.objects.filter(slug=STUDENT).update(slug="learner")
    users = User.objects.count()
    row = enrollment_row(submitted)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Role.DoesNotExist):
        approve(submitted, world.finance)

    assert enrollment_row(submitted) == row
    assert User.objects.count() == users
    assert not Student.objects.exists()
    assert Customer.objects.get(pk=world.sales_lead.pk).status == Customer.Status.UNSIGNED
    assert not OwnershipEvent.objects.filter(kind=OwnershipEvent.Kind.SIGN).exists()
    assert mailoutbox == []


def test_two_approvals_into_the_last_seat_at_once_fill_it_once(shared_db, world, student_values):
    ClassList.objects.filter(pk=world.class_a.pk).update(capacity=1)
    world.class_a.refresh_from_db()
    enrollments = []
    for customer in (world.sales_lead, world.sales2_lead):
        enrollment = services.enrollment_create(customer=customer, class_list=world.class_a, by=world.sales)
        assert submit(enrollment, student_values)
        enrollments.append(enrollment)

    def approve_one(enrollment, reviewer):
        return lambda: approve(Enrollment.objects.get(pk=enrollment.pk), reviewer)

    outcomes = run_together(
        [approve_one(enrollments[0], world.finance), approve_one(enrollments[1], world.admin)]
    )

    students = [outcome for outcome in outcomes if isinstance(outcome, Student)]
    refused = [outcome for outcome in outcomes if not isinstance(outcome, Student)]
    assert len(students) == 1 and len(refused) == 1, outcomes
    assert isinstance(refused[0], EnrollmentRefused), refused
    assert "is full" in str(refused[0])
    assert services.seats_taken(world.class_a) == 1
    assert Student.objects.count() == 1


def test_two_reviewers_approving_at_once_make_one_account(shared_db, world, submitted, mailoutbox):
    users = User.objects.count()

    def approve_as(reviewer):
        return lambda: approve(Enrollment.objects.get(pk=submitted.pk), reviewer)

    outcomes = run_together([approve_as(world.finance), approve_as(world.admin), approve_as(world.manager)])

    students = [outcome for outcome in outcomes if isinstance(outcome, Student)]
    refused = [outcome for outcome in outcomes if not isinstance(outcome, Student)]
    assert len(students) == 1, outcomes
    assert all(isinstance(outcome, EnrollmentRefused) for outcome in refused), refused
    assert {str(outcome) for outcome in refused} == {"This enrollment is not waiting for review any more."}
    assert User.objects.count() == users + 1
    assert Student.objects.count() == 1
    assert OwnershipEvent.objects.filter(kind=OwnershipEvent.Kind.SIGN).count() == 1
    assert Enrollment.objects.get(pk=submitted.pk).status == Status.APPROVED
    assert len(mailoutbox) == 1


def test_approving_two_classes_of_one_customer_at_once_makes_one_student(
    shared_db, world, submitted, student_values
):
    """Two reviewers approve the same customer's enrollments in two different classes at the
    same moment: one account, one student in both classes, no error."""
    second = services.enrollment_create(customer=world.sales_lead, class_list=world.class_b, by=world.sales)
    assert submit(second, student_values)
    users = User.objects.count()

    outcomes = run_together(
        [
            lambda: approve(Enrollment.objects.get(pk=submitted.pk), world.finance),
            lambda: approve(Enrollment.objects.get(pk=second.pk), world.admin),
        ]
    )

    assert all(isinstance(outcome, Student) for outcome in outcomes), outcomes
    assert User.objects.count() == users + 1
    student = Student.objects.get()
    assert set(student.classes.all()) == {world.class_a, world.class_b}


# --- Payments -----------------------------------------------------------------------------------
def payment_values(kind=Payment.Kind.DEPOSIT, amount="2000", **more) -> dict:
    return {"kind": kind, "amount": Decimal(amount), "paid_at": date(2026, 5, 4), **more}


def record(enrollment, by, key=None, **values):
    return services.payment_record(
        enrollment=enrollment, values=payment_values(**values), by=by, request_key=key or uuid.uuid4()
    )


def test_a_double_click_records_one_payment(world, enrollment):
    key = uuid.uuid4()
    first, created = record(enrollment, world.sales, key, note="微信转账")
    again, created_again = record(enrollment, world.sales, key, note="微信转账")

    assert created is True and created_again is False
    assert again.pk == first.pk
    assert Payment.objects.count() == 1
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PENDING
    assert payment.amount == Decimal("2000") and payment.kind == Payment.Kind.DEPOSIT
    assert payment.consultant == world.sales and payment.enrollment == enrollment
    assert payment.confirmed_by is None and payment.confirmed_at is None

    other, created_other = record(enrollment, world.sales, amount="500")
    assert created_other and other.pk != first.pk
    assert Payment.objects.count() == 2


def test_a_key_met_while_the_other_submission_rolled_back_is_tried_again(world, enrollment, monkeypatch):
    """Two submissions at once saw each other's uncommitted key and the other one rolled back: no
    payment holds the key, so this one is saved on its second try instead of being refused."""
    monkeypatch.setattr(services, "KEY_LOOKUP_PAUSE", 0)
    real_save = Payment.save
    collisions = []

    def collide_once(payment, *args, **kwargs):
        if not collisions:
            collisions.append(payment.request_key)
            raise IntegrityError("UNIQUE constraint failed: enrollment_payment.request_key")
        return real_save(payment, *args, **kwargs)

    monkeypatch.setattr(Payment, "save", collide_once)
    payment, created = record(enrollment, world.sales)
    assert created and collisions == [payment.request_key]
    assert Payment.objects.get() == payment


@pytest.mark.parametrize("amount", ["0", "-1", "-0.01", "0.00"])
def test_a_payment_of_zero_or_less_is_refused_by_the_database(world, enrollment, amount):
    with pytest.raises(IntegrityError):
        record(enrollment, world.sales, amount=amount)
    assert not Payment.objects.exists()
    record(enrollment, world.sales, amount="0.01")
    assert Payment.objects.count() == 1


def test_finance_confirms_a_payment_once(world, enrollment):
    payment, _created = record(enrollment, world.sales)
    now = datetime(2026, 5, 5, 11, tzinfo=SHANGHAI)

    with time_machine.travel(now, tick=False):
        services.payment_confirm(payment=payment, by=world.finance)

    payment.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED
    assert payment.confirmed_by == world.finance and payment.confirmed_at == now
    row = Payment.objects.filter(pk=payment.pk).values().get()

    with pytest.raises(EnrollmentRefused, match=r"^This payment was already confirmed or rejected\.$"):
        services.payment_confirm(payment=payment, by=world.admin)
    with pytest.raises(EnrollmentRefused, match="already confirmed or rejected"):
        services.payment_reject(payment=payment, by=world.admin, reason="late change of mind")

    assert Payment.objects.filter(pk=payment.pk).values().get() == row


def test_finance_rejects_a_payment_with_a_reason(world, enrollment):
    payment, _created = record(enrollment, world.sales)

    services.payment_reject(payment=payment, by=world.finance, reason="没有收到这笔转账")

    payment.refresh_from_db()
    assert payment.status == Payment.Status.REJECTED
    assert payment.reject_reason == "没有收到这笔转账"
    assert payment.confirmed_by == world.finance and payment.confirmed_at is not None
    with pytest.raises(EnrollmentRefused):
        services.payment_confirm(payment=payment, by=world.finance)
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.REJECTED


def test_the_balance_counts_confirmed_money_only(world, enrollment):
    kinds = Payment.Kind
    assert services.enrollment_balance(enrollment) == {
        "received": 0,
        "refunded": 0,
        "paid": 0,
        "owed": Decimal("19800"),
    }

    for kind, amount, decision in [
        (kinds.DEPOSIT, "2000", services.payment_confirm),
        (kinds.TUITION, "17800", services.payment_confirm),
        (kinds.TUITION, "500", None),
        (kinds.OTHER, "100", "reject"),
        (kinds.REFUND, "1000", services.payment_confirm),
    ]:
        payment, _created = record(enrollment, world.sales, kind=kind, amount=amount)
        if decision == "reject":
            services.payment_reject(payment=payment, by=world.finance, reason="重复")
        elif decision:
            decision(payment=payment, by=world.finance)

    balance = services.enrollment_balance(Enrollment.objects.get(pk=enrollment.pk))

    assert balance == {
        "received": Decimal("19800"),
        "refunded": Decimal("1000"),
        "paid": Decimal("18800"),
        "owed": Decimal("1000"),
    }
    assert all(isinstance(value, Decimal) for value in balance.values())


def test_the_balance_never_owes_less_than_nothing(world, enrollment):
    payment, _created = record(enrollment, world.sales, kind=Payment.Kind.TUITION, amount="20000")
    services.payment_confirm(payment=payment, by=world.finance)
    other = services.enrollment_create(customer=world.sales_lead, class_list=world.class_b, by=world.sales)
    record(other, world.sales, amount="99")

    balance = services.enrollment_balance(enrollment)

    assert balance["paid"] == Decimal("20000")
    assert balance["owed"] == Decimal("0")
    assert services.enrollment_balance(other)["paid"] == Decimal("0")


def test_a_full_width_id_number_typed_on_a_phone_is_stored_in_ascii():
    assert normalize_id_number("１１０１０５１９４９１２３１００２ｘ") == ID_NUMBER
