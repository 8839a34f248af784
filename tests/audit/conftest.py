"""Fixtures of the access log tests: an enrollment of the sales consultant's lead, submitted with
an ID card number and both sides of the ID card, and clients that come from a known address."""

from __future__ import annotations

import pytest

from audit.models import AccessRecord
from enrollment import services
from enrollment.models import Enrollment
from tests.conftest import make_client
from tests.enrollment.conftest import (
    ID_NUMBER,
    enrollment,
    gender,
    image_bytes,
    media_root,
    student_values,
    submitted,
)

__all__ = ["enrollment", "gender", "media_root", "student_values", "submitted"]

# Where the test clients' requests come from (a documentation address, RFC 5737).
CLIENT_IP = "203.0.113.9"
MASKED_ID_NUMBER = "110105********002X"


def client_of(user):
    """A signed-in English client whose requests come from CLIENT_IP."""
    return make_client(user, REMOTE_ADDR=CLIENT_IP)


def records() -> list[AccessRecord]:
    return list(AccessRecord.objects.order_by("id"))


@pytest.fixture
def documented(submitted) -> Enrollment:
    """The submitted enrollment with both sides of the ID card, as the student uploads them
    (uploads are only taken while the link is open, so they go in before it is submitted)."""
    Enrollment.objects.filter(pk=submitted.pk).update(status=Enrollment.Status.OPEN)
    for kind in ("id_front", "id_back"):
        services.enrollment_document_add(
            enrollment=submitted, data=image_bytes("PNG"), filename=f"{kind}.png", kind=kind
        )
    Enrollment.objects.filter(pk=submitted.pk).update(status=Enrollment.Status.SUBMITTED)
    submitted.refresh_from_db()
    assert submitted.id_number == ID_NUMBER
    return submitted
