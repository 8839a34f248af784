"""Calendar months in the school's time zone, as the bounds reports filter on.

Reports never group by a date function of each row (on SQLite Django's Trunc* calls Python per
row): every figure is a count or sum over a range `start <= at < end` computed here once, so an
index on the timestamp answers it, and a trend is one query with a conditional sum per month."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils import timezone

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
# Reports reach back to 2000 and at most a year ahead: anything else is a typo or an attack.
EARLIEST_YEAR = 2000


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def current(cls) -> Month:
        today = timezone.localdate()
        return cls(today.year, today.month)

    @classmethod
    def parse(cls, text: str) -> Month | None:
        """ "2026-11" -> Month(2026, 11); None for anything malformed or out of range."""
        match = MONTH_PATTERN.match(text or "")
        if not match:
            return None
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or year < EARLIEST_YEAR:
            return None
        candidate = cls(year, month)
        return candidate if candidate <= cls.current().shift(12) else None

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shift(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> datetime.date:
        return self.shift(1).first_day

    @property
    def start(self) -> datetime.datetime:
        """Midnight of the first day in the school's time zone."""
        return timezone.make_aware(datetime.datetime.combine(self.first_day, datetime.time()))

    @property
    def end(self) -> datetime.datetime:
        """Midnight of the next month's first day (exclusive)."""
        return self.shift(1).start

    def elapsed_share(self) -> float:
        """How much of the month has gone by: 1 for a past month, 0 for a future one."""
        current = Month.current()
        if self < current:
            return 1.0
        if self > current:
            return 0.0
        days = (self.next_first_day - self.first_day).days
        return timezone.localdate().day / days

    def recent(self, count: int) -> list[Month]:
        """The `count` months ending with this one, oldest first."""
        return [self.shift(offset) for offset in range(1 - count, 1)]
