"""Calendar quarters, the rhythm of the follow-up ("Kv 4 2025", stored as "2025Q4")."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*-?\s*[QqKk](?:v\s*)?([1-4])\s*$")
# Text shaped as a quarter, whatever its year (telling "9999Q4" apart from "förra året").
QUARTER_SHAPE = _QUARTER_RE

MONTHS_SV = (
    "jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
)  # fmt: skip
# In running text, where a month is a period of its own ("i september 2026").
MONTH_NAMES_SV = (
    "januari", "februari", "mars", "april", "maj", "juni",
    "juli", "augusti", "september", "oktober", "november", "december",
)  # fmt: skip


# Refusals, translated where raised (the command line and forms show them).
ERROR_QUARTER_NUMBER = gettext_noop("Kvartal måste vara 1–4, inte {number}.")
ERROR_NOT_A_QUARTER = gettext_noop("”{text}” är inte ett kvartal; skriv till exempel 2025Q4.")

ERROR_QUARTER_YEAR = gettext_noop("”{text}” ligger utanför åren {first}–{last}.")

# The years a period may name, on every entry (a quarter in a URL, an imported period): the
# follow-up's and the calendar's (datetime stops at 9999) sensible span.
FIRST_YEAR = 2000
LAST_YEAR = 2100

# A stored quarter code, as the database checks it ("2025Q4").
QUARTER_CODE_PATTERN = r"^[0-9]{4}Q[1-4]$"


class InvalidQuarter(ValueError):
    """Raised for text that is not a quarter such as 2025Q4."""


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise InvalidQuarter(gettext(ERROR_QUARTER_NUMBER).format(number=self.number))

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse "2025Q4", "2025-Q4" or "2025K4", of a year FIRST_YEAR–LAST_YEAR."""
        match = _QUARTER_RE.match(text or "")
        if not match:
            raise InvalidQuarter(gettext(ERROR_NOT_A_QUARTER).format(text=text))
        year = int(match.group(1))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            # Year 0 or 9999 would pass the pattern and fail later, in date arithmetic.
            raise InvalidQuarter(
                gettext(ERROR_QUARTER_YEAR).format(
                    text=text.strip(), first=FIRST_YEAR, last=LAST_YEAR
                )
            )
        return cls(year, int(match.group(2)))

    @classmethod
    def containing(cls, day: datetime.date) -> Quarter:
        """The quarter a date falls in."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def code(self) -> str:
        """The stored form, "2025Q4"."""
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        """The Swedish display form, "Kv 4 2025"."""
        return f"Kv {self.number} {self.year}"

    @property
    def start(self) -> datetime.date:
        """First day of the quarter."""
        return datetime.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> datetime.date:
        """Last day of the quarter."""
        return self.next().start - datetime.timedelta(days=1)

    def next(self) -> Quarter:
        """The following quarter."""
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def previous(self) -> Quarter:
        """The preceding quarter."""
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    def year_before(self) -> Quarter:
        """The same quarter one year earlier."""
        return Quarter(self.year - 1, self.number)

    def __str__(self) -> str:
        return self.label


def quarter_range(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from first to last, inclusive."""
    out: list[Quarter] = []
    current = first
    while current <= last:
        out.append(current)
        current = current.next()
    return out


def day_label(day: datetime.date) -> str:
    """A date as Swedish text writes it, "31 dec 2025" (the dashboards and the engine's
    explanations; ISO dates stay in data: forms, JSON, exports)."""
    return f"{day.day} {MONTHS_SV[day.month - 1]} {day.year}"


def days_label(start: datetime.date, end: datetime.date) -> str:
    """The days from `start` to `end` as one label: "1 jul–30 sep 2026" within a year (the
    year once), "1–15 jul 2026" within a month, "1 dec 2025 – 31 jan 2026" across a new year
    (spaced, as months_label), "31 dec 2025" for one day."""
    if start == end:
        return day_label(end)
    if start.year != end.year:
        return f"{day_label(start)} – {day_label(end)}"
    if start.month == end.month:
        return f"{start.day}–{day_label(end)}"
    return f"{start.day} {MONTHS_SV[start.month - 1]}–{day_label(end)}"


def month_label(day: datetime.date) -> str:
    """Swedish month label, "dec 2025"."""
    return f"{MONTHS_SV[day.month - 1]} {day.year}"


def months_label(start: datetime.date, end: datetime.date) -> str:
    """The months from `start` to `end` as one label: "dec 2025" for one month, "jan–dec
    2025" within a year, "nov 2025 – feb 2026" across a new year (a goal's baseline period)."""
    if (start.year, start.month) == (end.year, end.month):
        return month_label(end)
    if start.year == end.year:
        return f"{MONTHS_SV[start.month - 1]}–{month_label(end)}"
    return f"{month_label(start)} – {month_label(end)}"


def quarters_label(first: str, last: str) -> str:
    """The quarters from `first` to `last` (codes, "2025Q1") as one label, as days_label and
    months_label write a range: "Kv 1–3 2025" within a year ("Kv" and the year once, as
    Swedish writes it), "Kv 4 2025 – Kv 2 2026" across a new year (spaced), "Kv 4 2025" for
    one quarter."""
    start, end = Quarter.parse(first), Quarter.parse(last)
    if start == end:
        return end.label
    if start.year == end.year:
        return f"Kv {start.number}–{end.number} {end.year}"
    return f"{start.label} – {end.label}"


def quarter_label(code: str) -> str:
    """ "2025Q4" as users read it, "Kv 4 2025"; text that is no quarter is returned as it is."""
    try:
        return Quarter.parse(code).label
    except InvalidQuarter:
        return code
