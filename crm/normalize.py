"""Normalised keys for customers' contact details and names.

Duplicates are found by exact, indexed keys: a phone number in E.164 form whatever way it was
typed (`138 0013 8000`, `+86-138-0013-8000`), a QQ number as bare digits, and the name's pinyin
(`zhangsan`) and initials (`zs`) for searching Chinese names with a Latin keyboard.

Imports normalise a phone and convert a name for every row, so both have a quick way: the usual
Chinese mobile is checked against phonenumbers' own pattern for Chinese mobiles without a full
parse, and the last few thousand names and the words they are made of are remembered, so each is
converted once. Both give exactly what the slow way gives (tests/crm/test_import.py checks them).
"""

import re
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from pypinyin.converter import UltimateConverter
from pypinyin.core import Pinyin

DEFAULT_REGION = "CN"
# An 11-digit number as people type a Chinese mobile: `13800138000`, `138 0013 8000`,
# `138-0013-8000`, after `+86`, `86` or `0086` or not. ASCII digits only: anything else
# (full-width digits, brackets, extensions) takes phonenumbers' full parse.
PLAIN_MOBILE = re.compile(r"(?:(?:\+|00)?86[ -]?)?(1[0-9]{2})[ -]?([0-9]{4})[ -]?([0-9]{4})")
# phonenumbers' metadata for Chinese mobiles: a number it matches is valid, so the fast path
# follows the installed phonenumbers when its metadata changes.
CHINESE_MOBILE = re.compile(
    phonenumbers.PhoneMetadata.metadata_for_region(DEFAULT_REGION).mobile.national_number_pattern
)
NAME_CACHE_SIZE = 16_384
WORD_CACHE_SIZE = 32_768
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
    plain = PLAIN_MOBILE.fullmatch(raw)
    if plain:
        digits = "".join(plain.groups())
        if CHINESE_MOBILE.fullmatch(digits):
            return f"+86{digits}"
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
    # A list shows twenty mobiles a page: those are grouped 3-4-4 without parsing each one.
    digits = phone.removeprefix("+86")
    if len(digits) == 11 and digits.isascii() and digits.isdigit() and CHINESE_MOBILE.fullmatch(digits):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
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


@lru_cache(maxsize=NAME_CACHE_SIZE)
def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lower-case Latin only: 张三 -> ("zhangsan", "zs").

    One conversion gives both: a Chinese character's initial is its syllable's first letter,
    and text that is not Chinese ("Tom") is kept whole in both keys. Imports call this for
    every row, so converting once instead of twice halves its cost; names and their words
    repeat, so both are remembered (see _RememberingConverter)."""
    syllables, initials = [], []
    for chunk in _PINYIN.lazy_pinyin(name or "", errors=_not_chinese):
        if chunk.startswith(NOT_CHINESE):
            syllables.append(chunk[1:])
            initials.append(chunk[1:])
        else:
            syllables.append(chunk)
            initials.append(chunk[:1])
    return _latin(syllables)[:200], _latin(initials)[:50]


def _not_chinese(text: str) -> str:
    return NOT_CHINESE + text


class _RememberingConverter(UltimateConverter):
    """What `pypinyin.lazy_pinyin` converts with, remembering the syllables of the first
    WORD_CACHE_SIZE words: pypinyin splits a name into words (mostly single characters, a few
    thousand of which make nearly all names) and converts each through a dozen steps. A word's
    syllables depend only on the arguments, which are part of the key."""

    def __init__(self) -> None:
        super().__init__()
        self._words: dict[tuple, list[list[str]]] = {}

    def convert(self, words, style, heteronym, errors, strict, **kwargs):
        key = (words, style, heteronym, errors, strict, tuple(sorted(kwargs.items())))
        syllables = self._words.get(key)
        if syllables is None:
            syllables = super().convert(words, style, heteronym, errors, strict, **kwargs)
            if len(self._words) < WORD_CACHE_SIZE:
                self._words[key] = syllables
        return [list(readings) for readings in syllables]


_PINYIN = Pinyin(_RememberingConverter())


def _latin(parts: list[str]) -> str:
    return NOT_LATIN.sub("", "".join(parts).lower())
