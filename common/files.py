"""Storing uploads."""

import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext

logger = logging.getLogger(__name__)


def file_store(field_file: FieldFile, name: str, data: bytes) -> None:
    """Write an upload into storage under a new name (its row is saved by the caller, who deletes
    the file again if that fails). A storage that refuses it (a full disk, a directory EduCRM may
    not write) is a message for the person uploading, and a log line for the administrator."""
    try:
        field_file.save(name, ContentFile(data), save=False)
    except OSError as error:
        logger.error("An upload could not be stored: %s", error)
        raise ValidationError(
            gettext(
                "The file could not be stored on the server, so nothing was saved. "
                "Try again later, or tell the administrator."
            ),
            code="storage",
        ) from error
