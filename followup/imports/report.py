"""What an import found: the problems, the changes and jumps listed, the counts (ImportReport),
and the exceptions that refuse a file, a store or an undo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from ..models import ImportBatch
from .messages import (
    ERROR_HAS_PROBLEMS,
    ERROR_MORE_PROBLEMS,
    JUMP_LINE,
    JUMP_LINE_FROM_ZERO,
    PROBLEM_LIMIT,
    WARNING_JUMP,
)

# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Why a row (or the file) was refused: row number as in the file, header = row 1."""

    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        where = _("Rad {row}").format(row=self.row)
        if self.column:
            where += ", " + _("kolumn ”{column}”").format(column=self.column)
        return f"{where}: {self.message}"


def source_label(source: str, *, own: bool = False, entered_by: str = "") -> str:
    """A value's source as the pages name it ("Manuell inrapportering"), with who entered a
    value reported by hand ("Manuell inrapportering av Anna Berg", "… av dig"); "" for none."""
    if not source:
        return ""
    label = str(ImportBatch.Source(source).label)
    if source != ImportBatch.Source.MANUAL:
        return label
    if own:
        return _("{source} av dig").format(source=label)
    if entered_by:
        return _("{source} av {name}").format(source=label, name=entered_by)
    return label


@dataclass(frozen=True)
class ChangeLine:
    """One value the import changes, as the preview shows it."""

    row: int
    unit: str
    measure: str
    period: str
    old: str
    new: str
    # Where the current value came from (an ImportBatch.Source code); "" for a new value.
    source: str = ""
    # What else changes with the value ("nämnare 33 → –"), so "71,1 → 71,1" explains itself.
    details: str = ""
    # A current value reported by hand: entered by the importing user themself (own), else by
    # whom ("" when the history names no one).
    own: bool = False
    entered_by: str = ""

    @property
    def is_new(self) -> bool:
        """Whether the file adds the value (none stored before): the preview says "Nytt värde:
        11 st", not "– → 11 st"."""
        return not self.source and self.old == "–"

    @property
    def source_label(self) -> str:
        """The current value's source as the pages name it ("Manuell inrapportering"), with
        who entered a value reported by hand ("Manuell inrapportering av Anna Berg", "… av
        dig")."""
        return source_label(self.source, own=self.own, entered_by=self.entered_by)

    @property
    def replaces_manual(self) -> bool:
        """Whether it replaces a value someone else reported by hand (the preview warns; the
        user's own earlier value is only a changed value)."""
        return self.source == ImportBatch.Source.MANUAL and not self.own


@dataclass(frozen=True)
class JumpLine:
    """A value the import writes, without a comment, that differs more than the limit
    (GONV_REPORT_JUMP_PCT) from the same unit's and measure's previous period: a warning."""

    row: int
    unit: str
    measure: str
    period: str
    previous: str  # the previous period's value after the import (the file's, else stored)
    new: str
    pct: str  # the limit as written in the message ("50")
    # How much it moved ("+82 %", "−100 %"; "" from 0) and the previous period ("okt 2025"):
    # the line under the summary says only these. A preview saved before they were kept has
    # neither and is listed with the whole sentence.
    change: str = ""
    previous_period: str = ""

    @property
    def message(self) -> str:
        """The whole rule, for a jump listed alone."""
        return _(WARNING_JUMP).format(pct=self.pct, previous=self.previous, new=self.new)

    @property
    def short(self) -> str:
        """The jump as a line under the summary, which says the rule once: "+82 % mot okt 2025
        (22 st → 40 st)", "från 0 st i okt 2025 till 5 st"."""
        if not self.previous_period:
            return self.message
        facts = {"period": self.previous_period, "previous": self.previous, "new": self.new}
        if not self.change:
            return _(JUMP_LINE_FROM_ZERO).format(**facts)
        return _(JUMP_LINE).format(change=self.change, **facts)

    def __str__(self) -> str:
        where = _("Rad {row}").format(row=self.row)
        return f"{where} ({self.unit}, {self.measure}, {self.period}): {self.short}"


@dataclass
class ImportReport:
    """What an import will do (preview) or did (stored): counts, changes and problems."""

    file_name: str = ""
    sha256: str = ""
    rows: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    changes: list[ChangeLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    # Changed values whose current value someone else reported by hand (source Manuell
    # inrapportering, entered by another user than the one importing, or by no one the history
    # names): the preview warns before an import replaces them. The user's own earlier values
    # are only changed values.
    manual_replaced: int = 0
    # Those values by who entered them (their name → count; "" when the history names no one).
    manual_replaced_by: dict[str, int] = field(default_factory=dict)
    # Changed values by their current value's source (an ImportBatch.Source code → count): a
    # file imported as Manuell inrapportering warns before it replaces a system's values.
    replaced_sources: dict[str, int] = field(default_factory=dict)
    # Rows of the template left unfilled (unit, measure and period, no värde, täljare,
    # nämnare or kommentar): skipped, not refused.
    skipped: int = 0
    # Weighted means (indices) given without a nämnare that keep their stored one.
    weights_kept: int = 0
    quarters: list[str] = field(default_factory=list)
    # How many values it writes (new or changed) in each quarter, by code: the preview notes
    # those of quarters whose report is already approved.
    quarter_values: dict[str, int] = field(default_factory=dict)
    # The measures of the values it writes: the preview names those whose own source is not
    # the one chosen for the file.
    measures: list[int] = field(default_factory=list)
    # Values written without a comment that differ more than GONV_REPORT_JUMP_PCT % from the
    # previous period (the first JUMP_LIMIT of them, in row order; jump_count counts all).
    jumps: list[JumpLine] = field(default_factory=list)
    jump_count: int = 0
    batch_id: int | None = None
    stored: bool = False
    # The file itself could not be opened or decoded (not CSV or XLSX, empty, a damaged
    # workbook): the pages say "Filen kunde inte läsas". A header problem (a column missing or
    # given twice) is a file that was read, refused as a whole (file_level) without it.
    unreadable: bool = False

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def file_level(self) -> bool:
        """Refused for the file as a whole (no problem names a row): unreadable, no rows, only
        unfilled rows, or an unexpected error."""
        return not self.ok and all(problem.row is None for problem in self.problems)

    @property
    def more_problems(self) -> int:
        return self.problem_count - len(self.problems)

    def add_problem(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < PROBLEM_LIMIT:
            self.problems.append(problem)

    def problem_lines(self) -> list[str]:
        """Every listed problem as one line, then the count of the rest."""
        lines = [str(problem) for problem in self.problems]
        if self.more_problems:
            lines.append(_(ERROR_MORE_PROBLEMS).format(count=self.more_problems))
        return lines

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for the job's JSON and Celery)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        if not data:
            return cls()
        return cls(
            **{
                **data,
                "changes": [ChangeLine(**c) for c in data.get("changes", [])],
                "problems": [Problem(**p) for p in data.get("problems", [])],
                "jumps": [JumpLine(**j) for j in data.get("jumps", [])],
            }
        )


class ImportRefused(Exception):
    """The file has problems; nothing was stored. The report lists them."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(_(ERROR_HAS_PROBLEMS).format(count=report.problem_count))
        self.report = report


class ImportConflict(Exception):
    """Values the file writes were changed by someone else during the import; nothing stored."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(
            "Some of the file's values were changed by someone else during the import; "
            "nothing was stored."
        )
        self.report = report


class UndoRefused(Exception):
    """The batch cannot be undone (with a Swedish message)."""


Progress = Callable[[int], None]
