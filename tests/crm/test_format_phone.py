"""format_phone's quick path for mobiles writes what phonenumbers writes."""

import random

import phonenumbers

from crm.normalize import DEFAULT_REGION, format_phone


def by_phonenumbers(phone: str) -> str:
    number = phonenumbers.parse(phone, DEFAULT_REGION)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 86
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def test_mobiles_landlines_and_foreign_numbers_read_as_phonenumbers_writes_them():
    generator = random.Random(7)
    phones = [f"+861{generator.randrange(10**9, 10**10)}" for _ in range(3000)]
    phones += ["+8613800138000", "+8619912345678", "+8617012345678", "+861064529988", "+862161234567"]
    phones += ["+85291234567", "+14155552671", "+447911123456", "13800138000"]
    for phone in phones:
        assert format_phone(phone) == by_phonenumbers(phone), phone


def test_empty_and_unparseable_values_are_kept():
    assert format_phone("") == ""
    assert format_phone("not a phone") == "not a phone"
