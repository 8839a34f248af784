"""Homework files: which files a programming school takes (checked by content, not by the name or
the browser's word), and the whole lesson's homework as one zip written while it is sent.

A file is taken when its extension is on the allow-list and its first bytes agree with it:
archives and new Office documents are zips, old Office documents OLE containers, PDFs start like
one, images open in Pillow (with its decompression-bomb guard), and code and notes are text
(UTF-8 or GB18030, no NUL bytes). The type it is served with comes from this table, never from
the upload.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from enrollment.documents import display_name, verified_image_format

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TEXT, ZIP, OLE, PDF, IMAGE = "text", "zip", "ole", "pdf", "image"


@dataclass(frozen=True)
class FileKind:
    check: str
    content_type: str


ALLOWED = {
    "zip": FileKind(ZIP, "application/zip"),
    "pdf": FileKind(PDF, "application/pdf"),
    "py": FileKind(TEXT, "text/plain; charset=utf-8"),
    "txt": FileKind(TEXT, "text/plain; charset=utf-8"),
    "md": FileKind(TEXT, "text/markdown; charset=utf-8"),
    "jpg": FileKind(IMAGE, "image/jpeg"),
    "jpeg": FileKind(IMAGE, "image/jpeg"),
    "png": FileKind(IMAGE, "image/png"),
    "gif": FileKind(IMAGE, "image/gif"),
    "webp": FileKind(IMAGE, "image/webp"),
    "docx": FileKind(ZIP, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": FileKind(ZIP, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": FileKind(ZIP, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "doc": FileKind(OLE, "application/msword"),
    "xls": FileKind(OLE, "application/vnd.ms-excel"),
    "ppt": FileKind(OLE, "application/vnd.ms-powerpoint"),
}
IMAGE_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}
CHUNK = 64 * 1024


def allowed_extensions() -> str:
    return ", ".join(sorted(ALLOWED))


def too_large_message() -> str:
    return _("A homework file may be at most %(size)s.") % {
        "size": filesizeformat(settings.HOMEWORK_MAX_BYTES)
    }


def _refuse_type(extension: str) -> ValidationError:
    return ValidationError(
        _("This file is not a real .%(extension)s file.") % {"extension": extension}, code="content"
    )


def _text_encoding(data: bytes) -> str | None:
    """ "utf-8" or "gb18030" (what Windows saves Chinese text in), None for anything else."""
    if b"\x00" in data:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding.removesuffix("-sig")
    return None


def homework_kind(filename: str, data: bytes) -> tuple[str, FileKind]:
    """(extension, kind) of an uploaded homework file; ValidationError with the reason when it is
    empty, too large, of a type not taken, or not what its name says."""
    name = display_name(filename)
    extension = PurePosixPath(name).suffix.lower().lstrip(".")
    if extension not in ALLOWED:
        raise ValidationError(
            _("Files of this type are not taken. Allowed: %(types)s.") % {"types": allowed_extensions()},
            code="type",
        )
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    if len(data) > settings.HOMEWORK_MAX_BYTES:
        raise ValidationError(too_large_message(), code="size")
    kind = ALLOWED[extension]
    genuine = {
        ZIP: lambda: data.startswith(ZIP_MAGIC),
        OLE: lambda: data.startswith(OLE_MAGIC),
        PDF: lambda: data.startswith(b"%PDF-"),
        TEXT: lambda: _text_encoding(data) is not None,
        IMAGE: lambda: verified_image_format(data) == IMAGE_FORMATS[extension],
    }[kind.check]()
    if not genuine:
        raise _refuse_type(extension)
    if kind.check == TEXT:
        kind = FileKind(TEXT, kind.content_type.replace("utf-8", _text_encoding(data)))
    return extension, kind


# --- One zip of a lesson's homework -----------------------------------------------------------
def _unique(name: str, taken: set[str]) -> str:
    """`name`, or `name (2)`, `name (3)`... (before the extension) so no two entries collide."""
    candidate, number = name, 2
    stem, dot, extension = name.rpartition(".")
    if not dot or "/" in extension:
        stem, dot, extension = name, "", ""
    while candidate.lower() in taken:
        candidate = f"{stem} ({number}){dot}{extension}"
        number += 1
    taken.add(candidate.lower())
    return candidate


def zip_member_names(files: Iterable[tuple[str, str, str]]) -> list[str]:
    """Entry names for (student key, student name, file name) triples: one folder per student,
    named after the student (made unique when two share a name), the file names inside made
    unique too; path characters cannot leave the folder."""
    folders: dict[str, str] = {}
    taken_folders: set[str] = set()
    taken_files: dict[str, set[str]] = {}
    names = []
    for student_key, student_name, file_name in files:
        if student_key not in folders:
            folders[student_key] = _unique(display_name(student_name), taken_folders)
            taken_files[student_key] = set()
        folder = folders[student_key]
        names.append(f"{folder}/{_unique(display_name(file_name), taken_files[student_key])}")
    return names


class _Sink:
    """A write-only file for zipfile: what it writes is collected and handed out in pieces, so
    the archive is sent while it is being written (zipfile adds data descriptors when it cannot
    seek)."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._pieces.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._pieces = b"".join(self._pieces), []
        return data


def zip_stream(members: Iterable[tuple[str, object]]) -> Iterator[bytes]:
    """Yield a zip archive of (entry name, Django File field) pairs a piece at a time; at most
    one chunk of one file is in memory."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, field_file in members:
            with field_file.open("rb") as source, archive.open(name, mode="w", force_zip64=True) as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()
