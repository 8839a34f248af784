"""Normalised keys for customers' contact details and names.

Duplicates are found by exact, indexed keys: a phone number in E.164 form whatever way it was
typed (`138 0013 8000`, `+86-138-0013-8000`), a QQ number as bare digits, and the name's pinyin
(`zhangsan`) and initials (`zs`) for searching Chinese names with a Latin keyboard.
"""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from pypinyin import lazy_pinyin

DEFAULT_REGION = "CN"
QQ_PATTERN = re.compile(r"^[1-9][0-9]{4,11}$")
NOT_LATIN = re.compile(r"[^a-z0-9]")
MASK = "****"
# Marks text pypinyin passed through unconverted (see name_keys).
NOT_CHINESE = "\x00"


def normalize_phone(raw: str) -> str:
    """E.164 (`+8613800138000`) or "" for an empty value; ValidationError if it is no number."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Enter a valid phone number, e.g. 138 0013 8000."), code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_or_none(raw: str) -> str | None:
    """The normalised phone, or None when `raw` is not a phone number (for search boxes)."""
    try:
        return normalize_phone(raw) or None
    except ValidationError:
        return None


def normalize_qq(raw: str) -> str:
    """QQ numbers are 5-12 digits without a leading zero; spaces are dropped."""
    value = re.sub(r"\s+", "", raw or "")
    if not value:
        return ""
    if not QQ_PATTERN.match(value):
        raise ValidationError(
            _("A QQ number has 5 to 12 digits and does not start with 0."), code="invalid_qq"
        )
    return value


def national_digits(phone: str) -> str:
    """`+8613800138000` -> `13800138000`; other countries keep their international form."""
    if phone.startswith("+86"):
        return phone[3:]
    return phone


def format_phone(phone: str) -> str:
    """How people read a stored phone: `138 0013 8000` for Chinese mobiles."""
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return phone
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 86
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def mask_phone(phone: str) -> str:
    """`+8613800138000` -> `138****8000`: enough to recognise, not enough to call."""
    digits = national_digits(phone)
    if len(digits) < 7:
        return MASK if digits else ""
    return f"{digits[:3]}{MASK}{digits[-4:]}"


def mask_middle(value: str, keep: int = 2) -> str:
    """`12345678` -> `12****78`; short values are masked whole."""
    if not value:
        return ""
    if len(value) <= keep * 2:
        return MASK
    return f"{value[:keep]}{MASK}{value[-keep:]}"


def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lower-case Latin only: 张三 -> ("zhangsan", "zs").

    One conversion gives both: a Chinese character's initial is its syllable's first letter,
    and text that is not Chinese ("Tom") is kept whole in both keys. Imports call this for
    every row, so converting once instead of twice halves its cost."""
    syllables, initials = [], []
    for chunk in lazy_pinyin(name or "", errors=lambda text: NOT_CHINESE + text):
        if chunk.startswith(NOT_CHINESE):
            syllables.append(chunk[1:])
            initials.append(chunk[1:])
        else:
            syllables.append(chunk)
            initials.append(chunk[:1])
    return _latin(syllables)[:200], _latin(initials)[:50]


def _latin(parts: list[str]) -> str:
    return NOT_LATIN.sub("", "".join(parts).lower())
