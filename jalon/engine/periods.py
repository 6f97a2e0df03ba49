"""Reporting periods (year, academic year, quarter, month) and their arithmetic.

A period's `position` is its start in fractional years (2018/19 starting in September
is 2018.667): trends, trajectories and growth rates all use it as their time axis.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from enum import StrEnum


class Frequency(StrEnum):
    """How often an indicator is measured."""

    YEAR = "year"
    ACADEMIC_YEAR = "academic_year"
    QUARTER = "quarter"
    MONTH = "month"


class PeriodError(ValueError):
    """A period code or period arithmetic that makes no sense, said in a plain sentence."""


# Months per period, and the default start month of an academic year.
_MONTHS = {
    Frequency.YEAR: 12,
    Frequency.ACADEMIC_YEAR: 12,
    Frequency.QUARTER: 3,
    Frequency.MONTH: 1,
}
ACADEMIC_START_MONTH = 9

_PATTERNS = {
    Frequency.YEAR: (re.compile(r"(\d{4})"), "a year: expected YYYY"),
    Frequency.ACADEMIC_YEAR: (
        re.compile(r"(\d{4})/(\d{2})"),
        "an academic year: expected YYYY/YY with consecutive years",
    ),
    Frequency.QUARTER: (
        re.compile(r"(\d{4})-Q([1-4])"),
        "a quarter: expected YYYY-Qn, n from 1 to 4",
    ),
    Frequency.MONTH: (
        re.compile(r"(\d{4})-(\d{2})"),
        "a month: expected YYYY-MM, MM from 01 to 12",
    ),
}


def _frequency(value: Frequency | str) -> Frequency:
    try:
        return Frequency(value)
    except ValueError:
        choices = ", ".join(f.value for f in Frequency)
        raise PeriodError(f"'{value}' is not a frequency: expected one of {choices}") from None


@dataclass(frozen=True, order=False)
class Period:
    """One reporting period of a given frequency.

    `index` is the quarter (1-4) or month (1-12), 0 for years and academic years.
    `start_month` only matters for academic years; None (the default) means September
    for an academic year and January otherwise, so two equal periods always compare and
    hash equal.
    """

    frequency: Frequency
    year: int
    index: int = 0
    start_month: int | None = None

    def __post_init__(self):
        freq = _frequency(self.frequency)
        object.__setattr__(self, "frequency", freq)
        if freq is Frequency.ACADEMIC_YEAR:
            month = ACADEMIC_START_MONTH if self.start_month is None else self.start_month
            if not 2 <= month <= 12:
                raise PeriodError(
                    f"An academic year cannot start in month {month}: expected 2 to 12 "
                    "(one that starts in January is a calendar year)"
                )
        else:
            month = 1
        object.__setattr__(self, "start_month", month)
        limits = {Frequency.QUARTER: (1, 4), Frequency.MONTH: (1, 12)}.get(freq, (0, 0))
        if not limits[0] <= self.index <= limits[1]:
            raise PeriodError(
                f"Index {self.index} is out of range for a {freq.value.replace('_', ' ')}: "
                f"expected {limits[0]} to {limits[1]}"
            )
        if not 1 <= self.year <= 9998:
            raise PeriodError(f"Year {self.year} is out of range")
        # Periods key many dictionaries in evaluation: hash once. They are compared as
        # often: by (first month, month after the last), counted from year 0.
        object.__setattr__(self, "_hash", hash((freq, self.year, self.index, month)))
        first = {Frequency.QUARTER: 3 * (self.index - 1) + 1, Frequency.MONTH: self.index}
        start = self.year * 12 + first.get(freq, month) - 1
        object.__setattr__(self, "_order", (start, start + _MONTHS[freq]))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self):
        # Rebuild through __init__ so that a cached hash never crosses processes.
        return (Period, (self.frequency, self.year, self.index, self.start_month))

    @classmethod
    def parse(
        cls, code: str, frequency: Frequency | str, start_month: int | None = ACADEMIC_START_MONTH
    ) -> Period:
        """Return the period written `code` for `frequency` ("2018", "2018/19", "2018-Q1", "2018-03")."""
        freq = _frequency(frequency)
        pattern, expected = _PATTERNS[freq]
        text = str(code).strip()
        match = pattern.fullmatch(text)
        if match is None:
            raise PeriodError(f"'{code}' is not {expected}")
        year = int(match.group(1))
        if freq is Frequency.YEAR:
            return cls(freq, year)
        if freq is Frequency.ACADEMIC_YEAR:
            if int(match.group(2)) != (year + 1) % 100:
                raise PeriodError(f"'{code}' is not {expected}")
            return cls(freq, year, 0, start_month)
        index = int(match.group(2))
        if freq is Frequency.MONTH and not 1 <= index <= 12:
            raise PeriodError(f"'{code}' is not {expected}")
        return cls(freq, year, index)

    @classmethod
    def containing(
        cls,
        day: dt.date,
        frequency: Frequency | str,
        start_month: int | None = ACADEMIC_START_MONTH,
    ) -> Period:
        """Return the period of `frequency` that contains `day`."""
        freq = _frequency(frequency)
        if freq is Frequency.YEAR:
            return cls(freq, day.year)
        if freq is Frequency.ACADEMIC_YEAR:
            start_month = ACADEMIC_START_MONTH if start_month is None else start_month
            year = day.year if day.month >= start_month else day.year - 1
            return cls(freq, year, 0, start_month)
        if freq is Frequency.QUARTER:
            return cls(freq, day.year, (day.month - 1) // 3 + 1)
        return cls(freq, day.year, day.month)

    @property
    def first_month(self) -> int:
        """Return the calendar month (1-12) in which the period starts."""
        if self.frequency is Frequency.QUARTER:
            return 3 * (self.index - 1) + 1
        if self.frequency is Frequency.MONTH:
            return self.index
        return self.start_month

    @property
    def months(self) -> int:
        """Return the period's length in months."""
        return _MONTHS[self.frequency]

    @property
    def code(self) -> str:
        """Return the period's code, as written in plan files and on pages."""
        if self.frequency is Frequency.YEAR:
            return f"{self.year:04d}"
        if self.frequency is Frequency.ACADEMIC_YEAR:
            return f"{self.year:04d}/{(self.year + 1) % 100:02d}"
        if self.frequency is Frequency.QUARTER:
            return f"{self.year:04d}-Q{self.index}"
        return f"{self.year:04d}-{self.index:02d}"

    @functools.cached_property
    def start(self) -> dt.date:
        """Return the period's first day (worked out once: pages ask it of every period)."""
        return dt.date(self.year, self.first_month, 1)

    @property
    def end(self) -> dt.date:
        """Return the period's last day (inclusive)."""
        return self.next().start - dt.timedelta(days=1)

    @property
    def position(self) -> float:
        """Return the period's start in fractional years: year + (first month − 1) / 12."""
        return self.year + (self.first_month - 1) / 12

    def shift(self, n: int) -> Period:
        """Return the period `n` steps later (earlier when n < 0) on the same axis."""
        if self.frequency in (Frequency.YEAR, Frequency.ACADEMIC_YEAR):
            return Period(self.frequency, self.year + n, 0, self.start_month)
        per_year = 12 // self.months
        ordinal = self.year * per_year + (self.index - 1) + n
        return Period(self.frequency, ordinal // per_year, ordinal % per_year + 1)

    def next(self) -> Period:
        """Return the following period."""
        return self.shift(1)

    def prev(self) -> Period:
        """Return the preceding period."""
        return self.shift(-1)

    def contains(self, other: Period) -> bool:
        """Return whether `other` lies wholly within this period."""
        return self.start <= other.start and other.end <= self.end

    # No two periods share their key (a year starts in January, an academic year does not;
    # a quarter and a month differ in length): comparing keys compares periods.
    def __lt__(self, other: Period) -> bool:
        return self._order < other._order if isinstance(other, Period) else NotImplemented

    def __le__(self, other: Period) -> bool:
        return self._order <= other._order if isinstance(other, Period) else NotImplemented

    def __gt__(self, other: Period) -> bool:
        return self._order > other._order if isinstance(other, Period) else NotImplemented

    def __ge__(self, other: Period) -> bool:
        return self._order >= other._order if isinstance(other, Period) else NotImplemented

    def __str__(self) -> str:
        return self.code


def period_range(first: Period, last: Period) -> list[Period]:
    """Return the periods from `first` to `last` inclusive (empty when last < first)."""
    if (first.frequency, first.start_month) != (last.frequency, last.start_month):
        raise PeriodError(f"{first.code} and {last.code} are not on the same period axis")
    out = []
    period = first
    while period <= last:
        out.append(period)
        period = period.next()
    return out


def years_between(a: Period, b: Period) -> float:
    """Return the time from the start of `a` to the start of `b`, in years."""
    return b.position - a.position
