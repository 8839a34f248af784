"""Fixtures of the enrollment tests: an enrollment of the sales consultant's lead into class A at
each stage (open, submitted), the student's form values, and documents built byte by byte.

`english` and `shared_db` are the sales desk's fixtures, shared here rather than copied.
"""

from __future__ import annotations

import io
import struct
import zlib
from datetime import date

import pytest
from django.conf import settings
from PIL import Image

from crm.models import DictItem
from enrollment import services
from enrollment.models import Enrollment
from tests.crm.conftest import english, shared_db

__all__ = ["english", "shared_db"]

# What the student types on the form; the ID number's check digit is X.
ID_NUMBER = "11010519491231002X"
BASE_URL = "http://testserver"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads go to a fresh folder per test, never to var/uploads."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def gender(world) -> DictItem:
    return DictItem.objects.create(kind=DictItem.Kind.GENDER, code="female", label="女", order=1)


@pytest.fixture
def student_values(gender) -> dict:
    """The cleaned form of the student's page, with every field of STUDENT_FIELDS."""
    return {
        "id_number": ID_NUMBER,
        "gender": gender,
        "birthday": date(1949, 12, 31),
        "emergency_contact": "萨母",
        "emergency_phone": "+8613900000009",
        "address": "北京市海淀区中关村大街1号",
        "email": "sale@example.test",
    }


@pytest.fixture
def enrollment(world) -> Enrollment:
    """The sales consultant's lead enrolling into class A, link open."""
    return services.enrollment_create(customer=world.sales_lead, class_list=world.class_a, by=world.sales)


def submit(enrollment: Enrollment, values: dict, *, ip: str = "203.0.113.7") -> bool:
    """The student accepts the contract shown and submits `values`, as the link page does."""
    return services.enrollment_submit(
        enrollment=enrollment, values=values, contract_text=services.contract_for(enrollment), ip=ip
    )


@pytest.fixture
def submitted(enrollment, student_values) -> Enrollment:
    assert submit(enrollment, student_values)
    enrollment.refresh_from_db()
    return enrollment


def approve(enrollment: Enrollment, by, *, may_exceed_capacity: bool = False):
    return services.enrollment_approve(
        enrollment=enrollment, by=by, may_exceed_capacity=may_exceed_capacity, base_url=BASE_URL
    )


def enroll_and_approve(world, customer, class_list) -> Enrollment:
    """Another customer taking a seat: created, submitted and approved by finance."""
    other = services.enrollment_create(customer=customer, class_list=class_list, by=world.sales)
    values = dict.fromkeys(services.STUDENT_FIELDS, "")
    values.update(gender=None, birthday=None)
    assert submit(other, values)
    approve(other, world.finance, may_exceed_capacity=True)
    other.refresh_from_db()
    return other


# --- Documents, byte by byte ------------------------------------------------------------------
def image_bytes(image_format: str, size: tuple[int, int] = (8, 8), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "white").save(buffer, image_format)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_declaring(width: int, height: int) -> bytes:
    """A small PNG whose header claims `width` x `height` 1-bit pixels (its data is a stub)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + png_chunk(b"IEND", b"")
    )


def png_of_size(total: int) -> bytes:
    """A valid 8x8 PNG padded to exactly `total` bytes with an ancillary text chunk."""
    image = image_bytes("PNG")
    end = image.rindex(b"IEND") - 4
    overhead = len(image) + 12 + len(b"Comment\x00")
    text = b"Comment\x00" + b"x" * (total - overhead)
    padded = image[:end] + png_chunk(b"tEXt", text) + image[end:]
    assert len(padded) == total
    return padded


def pdf_of_size(total: int) -> bytes:
    """A minimal PDF padded with a comment before `%%EOF` to exactly `total` bytes."""
    head = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
    tail = b"\n%%EOF\n"
    padding = total - len(head) - len(tail) - 1
    data = head + b"%" + b"x" * padding + tail
    assert len(data) == total
    return data


def small_pdf() -> bytes:
    return pdf_of_size(200)


def max_bytes() -> int:
    return settings.ENROLLMENT_DOCUMENT_MAX_BYTES
