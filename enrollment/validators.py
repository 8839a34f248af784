"""The Chinese resident identity card number (GB 11643-1999): 18 characters, the 7th to 14th a
real date of birth, the last a check digit (0-9 or X) over the first 17."""

import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ID_PATTERN = re.compile(r"^[1-9][0-9]{16}[0-9X]$")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_DIGITS = "10X98765432"


def id_check_digit(first_17: str) -> str:
    return CHECK_DIGITS[
        sum(int(digit) * weight for digit, weight in zip(first_17, WEIGHTS, strict=True)) % 11
    ]


def normalize_id_number(raw: str) -> str:
    """Upper-case, spaces removed, full-width characters (phone keyboards type them) made ASCII,
    validated; ValidationError says what is wrong."""
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw or "")).upper()
    if not ID_PATTERN.match(value):
        raise ValidationError(
            _("An ID card number has 18 characters: 17 digits and a digit or X."), code="format"
        )
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as error:
        raise ValidationError(
            _("The date of birth in this ID card number does not exist."), code="date"
        ) from error
    if not date(1900, 1, 1) <= born <= date.today():
        raise ValidationError(_("The date of birth in this ID card number does not exist."), code="date")
    if id_check_digit(value[:17]) != value[17]:
        raise ValidationError(
            _("This ID card number's check digit is wrong; check it for a typing error."), code="checksum"
        )
    return value


def birthday_from_id(value: str) -> date:
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
