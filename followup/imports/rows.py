"""One row of a file: _RowChecker checks its cells into a _Row (or its problems into the
report), and the helpers that word a row's problem, change or jump for the preview.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

from base.formatting import MINUS, format_number
from base.periods import Quarter, month_label

from .. import value_rules
from ..formatting import format_value_pair
from ..models import Measure
from ..value_rules import (  # every writer's messages (the tests import them from here)
    ERROR_DENOMINATOR_PERCENT,
    ERROR_DENOMINATOR_ZERO,
    ERROR_KIND_DOES_NOT_REPORT,
    ERROR_NEGATIVE,
    ERROR_NUMERATOR_ABOVE_DENOMINATOR,
    ERROR_NUMERATOR_PERCENT,
    ERROR_PAIR_INCOMPLETE,
    ERROR_SHARE_PARTS_MISSING,
    ERROR_UNIT_NOT_ACTIVE,
    ERROR_VALUE_INCONSISTENT,
    number_text,
)
from . import parsing
from .lookups import (
    _ambiguous_measure,
    _ambiguous_unit,
    _Lookups,
    _MeasureInfo,
    _UnitInfo,
    unknown_measure_message,
    unknown_unit_message,
)
from .messages import (
    CHANGE_COMMENT,
    CHANGE_DENOMINATOR,
    CHANGE_NUMERATOR,
    CHANGE_WEIGHT_KEPT,
    ERROR_DUPLICATE,
    ERROR_MONTH_FOR_QUARTERLY,
    ERROR_PERCENT_NOT_SHARE,
    ERROR_QUARTER_FOR_MONTHLY,
    ERROR_VALUE_MISSING,
    FOUR_PLACES,
    JUMP_LIMIT,
    MONTHS_OR,
    NEW_COMMENT,
    NEW_DENOMINATOR,
    NEW_NUMERATOR,
)
from .parsing import COLUMN_LABELS, ERROR_TOO_PRECISE, HUNDRED, MAX_DECIMALS, MAX_VALUE, CellError
from .report import ImportReport, JumpLine, Problem

# --- one row ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    """A checked row, ready to compare with the stored value."""

    number: int
    unit: _UnitInfo
    measure: _MeasureInfo
    start: datetime.date
    end: datetime.date
    value: Decimal
    numerator: Decimal | None
    denominator: Decimal | None
    comment: str

    @property
    def key(self) -> tuple[int, int, datetime.date]:
        return (self.measure.id, self.unit.id, self.start)


def _cell(cells: list[Any], position: int | None) -> Any:
    if position is None or position >= len(cells):
        return None
    value = cells[position]
    return None if isinstance(value, str) and not value else value


def _change_texts(old: Decimal | None, new: Decimal, measure: _MeasureInfo) -> tuple[str, str]:
    """A change's values as the dashboards write the measure's values ("69,3 %", "1 234 st",
    a dash for none), with the decimals it takes for the two to read differently; a zero never
    as "−0"."""
    return format_value_pair(
        None if old is None else old.copy_abs() if old.is_zero() else old,
        new.copy_abs() if new.is_zero() else new,
        measure.unit,
    )


# A decimal as Swedes write it: 12,5 (no trailing zeros); a zero never as "−0".
_fmt = number_text


def percent_message(column: str, value: Decimal) -> str:
    """A number written with a percent sign where none fits: täljare and nämnare are counts
    whatever the measure ("Täljaren är ett antal, inte en procentsats …"), a value is a
    percentage only for a share. Every path says it so: the Python checker, the SQL checks'
    messages and the reporting grid (followup.forms.NumberField)."""
    if column == "numerator":
        return _(ERROR_NUMERATOR_PERCENT)
    if column == "denominator":
        return _(ERROR_DENOMINATOR_PERCENT)
    return _(ERROR_PERCENT_NOT_SHARE).format(value=_fmt(value))


def _part_text(number: Decimal | None) -> str:
    return "–" if number is None else _fmt(number)


COMMENT_SHOWN = 45  # characters of a comment the preview shows


def _comment_text(comment: str) -> str:
    """A comment as the preview quotes it: ”…”, a long one cut at a word; "–" for none."""
    if not comment:
        return "–"
    text = " ".join(comment.split())
    if len(text) > COMMENT_SHOWN:
        cut = text[:COMMENT_SHOWN]
        if text[COMMENT_SHOWN] != " " and " " in cut:
            cut = cut.rsplit(" ", 1)[0]
        text = cut.rstrip(" ,;:.") + "…"
    return f"”{text}”"


def _change_details(
    old: tuple[Decimal | None, Decimal | None, str],
    new: tuple[Decimal | None, Decimal | None, str],
    *,
    kept: bool,
) -> str:
    """What changes beside the value, as the preview lists it: "täljare 12 → –; nämnare
    33 → –", "nämnaren 18 behålls" (a weighted mean given without one), "kommentar ”Räknat
    för hand” → ”Från Cyklop”" (an empty cell has kept the stored comment: not mentioned)."""
    (old_num, old_den, old_comment), (new_num, new_den, new_comment) = old, new
    parts = []
    if old_num != new_num:
        parts.append(_(CHANGE_NUMERATOR).format(old=_part_text(old_num), new=_part_text(new_num)))
    if kept:
        parts.append(_(CHANGE_WEIGHT_KEPT).format(value=_part_text(new_den)))
    elif old_den != new_den:
        parts.append(_(CHANGE_DENOMINATOR).format(old=_part_text(old_den), new=_part_text(new_den)))
    if old_comment != new_comment:
        parts.append(
            _(CHANGE_COMMENT).format(old=_comment_text(old_comment), new=_comment_text(new_comment))
        )
    return "; ".join(parts)


def _new_details(numerator: Decimal | None, denominator: Decimal | None, comment: str) -> str:
    """What a new value comes with, as the preview lists it: "täljare 40; nämnare 200;
    kommentar ”Från Cyklop”" (what is not given is not mentioned)."""
    parts = []
    if numerator is not None:
        parts.append(_(NEW_NUMERATOR).format(value=_part_text(numerator)))
    if denominator is not None:
        parts.append(_(NEW_DENOMINATOR).format(value=_part_text(denominator)))
    if comment:
        parts.append(_(NEW_COMMENT).format(value=_comment_text(comment)))
    return "; ".join(parts)


_decimals = parsing.decimals_written


def inconsistent_message(value: Decimal, computed: Decimal, tolerance: Decimal) -> str:
    """That a share's value is further from täljare ÷ nämnare × 100 than its tolerance (both
    checking paths say the same)."""
    return _(ERROR_VALUE_INCONSISTENT).format(
        value=_fmt(value),
        computed=_fmt(computed.quantize(Decimal("0.01"))),
        tolerance=_fmt(tolerance),
    )


def period_kind_message(kind: str, start: datetime.date, *, text: str, measure: str) -> str:
    """A month given for a quarterly measure, or a quarter for a monthly one, suggesting the
    period that holds what was typed (both checking paths say the same)."""
    quarter = Quarter.containing(start)
    if kind == "month":
        return _(ERROR_MONTH_FOR_QUARTERLY).format(
            text=text, measure=measure, quarter=quarter.label
        )
    months = [month_label(quarter.start.replace(month=quarter.start.month + i)) for i in range(3)]
    first, second, third = months
    return _(ERROR_QUARTER_FOR_MONTHLY).format(
        text=text,
        measure=measure,
        months=_(MONTHS_OR).format(first=first, second=second, third=third),
    )


def _period_label(kind: str, start: datetime.date) -> str:
    return Quarter.containing(start).label if kind == "quarter" else month_label(start)


# What a template row left unfilled has, and has not (the comment aside).
UNFILLED_GIVEN = ("unit", "measure", "period")
UNFILLED_EMPTY = ("value", "numerator", "denominator")


class _RowChecker:
    """Parses and checks one row at a time, adding its problems to the report."""

    def __init__(
        self, header: parsing.Header, lookups: _Lookups, report: ImportReport, today: datetime.date
    ) -> None:
        self.header = header
        self.lookups = lookups
        self.report = report
        self.today = today
        # The keys seen, for a value given twice: only where the database does not find them
        # (the staged PostgreSQL path finds them with one query, keeping memory flat).
        self.seen: dict[tuple[int, int, int], int] | None = {}

    def _label(self, key: str) -> str:
        return self.header.names.get(key, COLUMN_LABELS[key])

    def _problem(self, row: int, key: str | None, message: str) -> None:
        self.report.add_problem(Problem(message, row, self._label(key) if key else None))

    def _number(
        self, row: int, cells: list[Any], key: str, *, whole: bool = False
    ) -> tuple[parsing.Number | None, bool]:
        """The column's number (None when blank) and whether it was readable (`whole`: a
        count's value, whose example in the message is a whole number)."""
        raw = _cell(cells, self.header.positions.get(key))
        if raw is None:
            return None, True
        try:
            number = parsing.parse_number(raw, whole=whole)
        except CellError as error:
            self._problem(row, key, str(error))
            return None, False
        if abs(number.value) >= MAX_VALUE:
            self._problem(row, key, parsing.too_large_message(number.value))
            return None, False
        return number, True

    def check(self, row: int, cells: list[Any]) -> _Row | None:
        """The row as checked values, or None after adding its problems to the report (or
        counting it as skipped: a template row left unfilled)."""
        positions = self.header.positions
        if self._unfilled(cells):
            self.report.skipped += 1
            return None
        before = self.report.problem_count
        unit_code = str(_cell(cells, positions["unit"]) or "").strip()
        unit = self.lookups.unit(unit_code)
        if isinstance(unit, list):
            self._problem(row, "unit", _ambiguous_unit(self.lookups, unit_code))
            unit = None
        elif unit is None:
            self._problem(row, "unit", unknown_unit_message(self.lookups, unit_code))
        measure_code = str(_cell(cells, positions["measure"]) or "").strip()
        measure = self.lookups.measure(measure_code)
        if isinstance(measure, list):
            self._problem(row, "measure", _ambiguous_measure(self.lookups, measure_code))
            measure = None
        elif measure is None:
            self._problem(row, "measure", unknown_measure_message(self.lookups, measure_code))
        period: parsing.Period | None = None
        raw_period = _cell(cells, positions["period"])
        try:
            period = parsing.parse_period(raw_period)
        except CellError as error:
            self._problem(row, "period", str(error))
        count = measure is not None and measure.value_type == Measure.ValueType.COUNT
        value, value_ok = self._number(row, cells, "value", whole=count)
        numerator, numerator_ok = self._number(row, cells, "numerator")
        denominator, denominator_ok = self._number(row, cells, "denominator")
        comment = str(_cell(cells, positions.get("comment")) or "").strip()

        if unit is not None and not self.lookups.may_write(unit.id):
            self._problem(row, "unit", self.lookups.out_of_scope_message(unit.id, unit.name))
        if period is not None and measure is not None:
            text = str(raw_period).strip() if not hasattr(raw_period, "year") else ""
            text = text or period.start.isoformat()
            if (period.kind == "month" and measure.frequency == Measure.Frequency.QUARTERLY) or (
                period.kind == "quarter" and measure.frequency == Measure.Frequency.MONTHLY
            ):
                self._problem(
                    row,
                    "period",
                    period_kind_message(period.kind, period.start, text=text, measure=measure.name),
                )
                period = None
        if period is not None:
            label = _period_label(period.kind, period.start)
            still_open = value_rules.period_open_problem(
                period.start, quarterly=period.kind == "quarter", today=self.today
            )
            if still_open is not None:
                self._problem(row, "period", still_open)
            elif unit is not None and not (
                (unit.valid_from is None or unit.valid_from <= period.end)
                and (unit.valid_to is None or unit.valid_to >= period.start)
            ):
                self._problem(
                    row, "period", _(ERROR_UNIT_NOT_ACTIVE).format(unit=unit.name, period=label)
                )
        if (
            unit is not None
            and measure is not None
            and measure.kind_ids
            and unit.kind_id not in measure.kind_ids
        ):
            self._problem(
                row,
                "unit",
                _(ERROR_KIND_DOES_NOT_REPORT).format(
                    kind=unit.kind_name.lower(), measure=measure.name
                ),
            )
        final = None
        if value_ok and numerator_ok and denominator_ok:
            final = self._values(row, measure, value, numerator, denominator)
        if (
            self.report.problem_count > before
            or final is None
            or unit is None
            or measure is None
            or period is None
        ):
            return None
        checked = _Row(row, unit, measure, period.start, period.end, *final, comment)
        if self.seen is not None:
            packed = (measure.id, unit.id, period.start.toordinal())
            first = self.seen.setdefault(packed, row)
            if first != row:
                self._problem(row, "unit", _(ERROR_DUPLICATE).format(row=first))
                return None
        return checked

    def _unfilled(self, cells: list[Any]) -> bool:
        """A template row left unfilled: unit, measure and period given, and no värde, täljare,
        nämnare or kommentar (sqlcheck.unfilled_sql says the same in SQL)."""
        positions = self.header.positions
        return (
            all(_cell(cells, positions.get(key)) is not None for key in UNFILLED_GIVEN)
            and all(_cell(cells, positions.get(key)) is None for key in UNFILLED_EMPTY)
            and not str(_cell(cells, positions.get("comment")) or "").strip()
        )

    def _values(
        self,
        row: int,
        measure: _MeasureInfo | None,
        value: parsing.Number | None,
        numerator: parsing.Number | None,
        denominator: parsing.Number | None,
    ) -> tuple[Decimal, Decimal | None, Decimal | None] | None:
        """The value, numerator and denominator to store, checked against the measure's type."""
        problems = self.report.problem_count
        for key, number in (("numerator", numerator), ("denominator", denominator)):
            if number is None:
                continue
            if number.percent:
                self._problem(row, key, percent_message(key, number.value))
            elif number.value < 0:
                self._problem(row, key, _(ERROR_NEGATIVE).format(value=_fmt(number.value)))
        if denominator is not None and denominator.value == 0:
            self._problem(row, "denominator", _(ERROR_DENOMINATOR_ZERO))
        # A weighted mean's (an index's) nämnare beside its value needs no täljare.
        missing = value_rules.pair_missing(
            measure.aggregation if measure is not None else "", numerator, denominator
        )
        if missing is not None:
            self._problem(row, missing, _(ERROR_PAIR_INCOMPLETE))
        if value is None and (numerator is None or denominator is None):
            if problems == self.report.problem_count:
                self._problem(row, "value", _(ERROR_VALUE_MISSING))
            return None
        if measure is None or self.report.problem_count > problems:
            return None
        value_type = measure.value_type
        if value is not None and value.percent and value_type != Measure.ValueType.SHARE:
            self._problem(row, "value", percent_message("value", value.value))
            return None
        num = numerator.value if numerator else None
        den = denominator.value if denominator else None
        if (
            num is not None
            and den is not None
            and value_type == Measure.ValueType.SHARE
            and num > den
        ):
            self._problem(
                row,
                "numerator",
                _(ERROR_NUMERATOR_ABOVE_DENOMINATOR).format(
                    numerator=_fmt(num), denominator=_fmt(den)
                ),
            )
            return None
        computed: Decimal | None = None
        if num is not None and den is not None:
            ratio = num / den
            computed = ratio * HUNDRED if value_type == Measure.ValueType.SHARE else ratio
        # A share's value beside its täljare and nämnare is only a check: the value stored is
        # computed from them, as the reporting grid computes it, so that a rounded export
        # ("69,0" for 68,999) neither changes the stored value nor moves it off its parts.
        checked = computed is not None and value_type == Measure.ValueType.SHARE
        if value is None or checked:
            if computed is None:  # pragma: no cover - a missing pair was refused above
                return None
            final = computed.quantize(FOUR_PLACES)
        else:
            final = value.value
        if value is not None and not checked and _decimals(final) > MAX_DECIMALS:
            self._problem(row, "value", _(ERROR_TOO_PRECISE).format(value=_fmt(final)))
            return None
        if value is not None and computed is not None and checked:
            tolerance = parsing.value_tolerance(value.value)
            if abs(value.value - computed) > tolerance:
                self._problem(row, "value", inconsistent_message(value.value, computed, tolerance))
                return None
        for key, part in (("numerator", num), ("denominator", den)):
            if part is not None and _decimals(part) > MAX_DECIMALS:
                self._problem(row, key, _(ERROR_TOO_PRECISE).format(value=_fmt(part)))
                return None
        # A share or an index 0–100, a count not negative and whole: the one rule of every
        # value of a measure (base.measure_values, through value_rules), in its words.
        problem = (
            value_rules.count_problem(final)
            if value_type == Measure.ValueType.COUNT
            else value_rules.range_problem(value_type, final)
        )
        if problem is not None:
            self._problem(row, "value", problem)
            return None
        if value_type == Measure.ValueType.SHARE and (num is None or den is None):
            self._problem(
                row,
                "numerator",
                _(ERROR_SHARE_PARTS_MISSING).format(measure=measure.name if measure else ""),
            )
            return None
        return final, num, den


def _add_jump(
    report: ImportReport,
    line: int,
    unit: str,
    measure: _MeasureInfo,
    start: datetime.date,
    previous: Decimal,
    value: Decimal,
) -> None:
    """Count a jump without a comment, and list it while fewer than JUMP_LIMIT are."""
    report.jump_count += 1
    if len(report.jumps) >= JUMP_LIMIT:
        return
    quarterly = measure.frequency == Measure.Frequency.QUARTERLY
    kind = "quarter" if quarterly else "month"
    before, after = _change_texts(previous, value, measure)
    limit = value_rules.jump_limit()
    previous_start = (
        Quarter.containing(start).previous().start
        if quarterly
        else (start - datetime.timedelta(days=1)).replace(day=1)
    )
    report.jumps.append(
        JumpLine(
            line,
            unit,
            measure.name,
            _period_label(kind, start),
            before,
            after,
            value_rules.jump_limit_text(limit),
            change=jump_change_text(previous, value, limit),
            previous_period=_period_label(kind, previous_start),
        )
    )


def jump_change_text(previous: Decimal, value: Decimal, limit: Decimal) -> str:
    """How much a value moved from the previous period, in per cent of it, signed: "+82 %",
    "−100 %" (whole per cent; one decimal, rounded away from zero, where whole per cent would
    read as within the limit: "+50,4 %", not "+50 %" beside "mer än 50 %"). "" from 0, which
    has no percentage."""
    if previous == 0:
        return ""
    pct = (value - previous) * 100 / abs(previous)
    shown = pct.quantize(Decimal(1), ROUND_HALF_UP)
    decimals = 0
    if abs(shown) <= limit:
        shown, decimals = pct.quantize(Decimal("0.1"), ROUND_UP), 1
    sign = "+" if shown > 0 else MINUS
    return f"{sign}{format_number(abs(shown), decimals)}\u00a0%"
