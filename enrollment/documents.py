"""Checking the documents a student uploads (ID card photos, certificates) by their content.

Only JPEG, PNG and PDF are taken, whatever the name or the browser's content type says: images
are opened and verified with Pillow, with its decompression-bomb guard turned into a refusal;
PDFs must start and end like one. The uploaded name is kept only for display, reduced to a
plain file name.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
NAME_LIMIT = 100
UNSAFE_NAME = re.compile(r"[/\\:*?\"<>|]")


def display_name(raw: str) -> str:
    """`../../x.py` -> `x.py`; control characters and path separators removed; at most 100
    characters, keeping the extension."""
    base = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Control and format characters (C0, C1, right-to-left overrides that disguise an
    # extension, zero-width marks) go, with the characters Windows forbids in names.
    visible = "".join(char for char in base if not unicodedata.category(char).startswith("C"))
    name = UNSAFE_NAME.sub("", visible).strip(" .")
    if len(name) > NAME_LIMIT:
        stem, dot, extension = name.rpartition(".")
        name = (
            f"{stem[: NAME_LIMIT - len(extension) - 1]}.{extension}"
            if dot and len(extension) < 10
            else name[:NAME_LIMIT]
        )
    return name or _("document")


def too_large_message() -> str:
    return _("A document may be at most %(size)s.") % {
        "size": filesizeformat(settings.ENROLLMENT_DOCUMENT_MAX_BYTES)
    }


def verified_image_format(data: bytes) -> str | None:
    """Pillow's name of the image format ("PNG", "JPEG"...) once the image is verified; None
    when the bytes are no image; ValidationError for a decompression bomb."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValidationError(_("This image has too many pixels."), code="content") from error
    except Exception:  # Pillow raises many kinds for files that are no image
        return None
    return image_format


def document_type(data: bytes) -> str:
    """The document's content type from its bytes; ValidationError if it is not a JPEG, PNG
    or PDF we can open, or if it is too large."""
    limit = settings.ENROLLMENT_DOCUMENT_MAX_BYTES
    if not data:
        raise ValidationError(_("The file is empty."))
    if len(data) > limit:
        raise ValidationError(too_large_message())
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-1024:]:
            raise ValidationError(_("This PDF is incomplete or damaged."))
        return "application/pdf"
    image_format = verified_image_format(data)
    if image_format not in IMAGE_TYPES:
        raise ValidationError(_("Upload a photo (JPEG or PNG) or a PDF."))
    return IMAGE_TYPES[image_format]
