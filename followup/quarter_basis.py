"""What a measure's quarterly value rests on: how many of the quarter's periods have values,
which units reported in each period that has ended, and whether the value may be compared
with another quarter's.

A count is summed over the quarter's months, so a quarter with one month of three (the quarter
in progress, or one whose last month has not arrived) holds a third of a whole quarter's count:
against a whole quarter that is no fall. Such a change is not shown ("Jämförs när kvartalet är
komplett"). A share, mean or index is a ratio over the months there are, so it may be compared
with the months so far; the value then says "hittills", and its change what it is against
("jämfört med hela Kv 4 2025": not the same months of that quarter). The SPC chart judges the
monthly points; where its latest point is not the quarter's last period the table says which
period it is about. A point that only some of the expected units have reported is drawn but
not judged (followup.compute.series.is_incomplete); where it is the latest, the note says so
and which period the icons are about.

Above the care units a month may have values from some of the units expected and not all: a
VO's count for a quarter in which one of five units lacks July holds a fifth of a month less
than a whole quarter. A count's change is then not shown ("Jämförs inte: 1 enhet saknar
värden för jul 2026"), in either of the two quarters compared, unless every month of both has
every unit its quarter expects (the engine's PeriodResult.reporting_units against
MeasureResult.expected_units). A share, mean or index is a ratio of sums, not a sum: its change
is shown, and the months short of units are said beside it, since the units that are missing
still change what it is taken over.

Pure: the selectors read the rows (one query of PeriodResult) and pass them here.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from base.formatting import format_count
from base.periods import MONTHS_SV, Quarter, month_label

from .models import Measure, MeasureResult
from .spc import latest_judged, stored_incomplete

# (measure id, quarter code) → {period start: (reporting units, has a value)}
PeriodRows = Mapping[tuple[int, str], Mapping[datetime.date, tuple[int, bool]]]


def quarter_periods(quarter: Quarter, frequency: str) -> list[datetime.date]:
    """The starts of a quarter's periods: its three months, or the quarter for a quarterly
    measure."""
    if frequency == Measure.Frequency.QUARTERLY:
        return [quarter.start]
    start = quarter.start
    return [start.replace(month=start.month + offset) for offset in range(3)]


def _period_end(start: datetime.date, frequency: str, quarter: Quarter) -> datetime.date:
    if frequency == Measure.Frequency.QUARTERLY:
        return quarter.end
    following = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def _period_text(start: datetime.date, frequency: str) -> str:
    if frequency == Measure.Frequency.QUARTERLY:
        return Quarter.containing(start).label
    return month_label(start)


@dataclass(frozen=True)
class PeriodCoverage:
    """One period of the quarter that has ended: the units that reported for it, of those
    expected."""

    start: datetime.date
    label: str
    reporting: int
    expected: int


@dataclass(frozen=True)
class QuarterBasis:
    """A measure's quarter for one unit: what its value covers and what it may be compared with.

    Notes are empty where there is nothing to say; the templates show a note instead of the
    change it stands for.
    """

    quarter: Quarter
    periods: int  # in the quarter: 3 months, or 1 for a quarterly measure
    with_values: int  # of those, the periods that have a value
    ongoing: bool  # the quarter has not ended
    due: tuple[PeriodCoverage, ...]  # the quarter's periods that have ended by today
    value_note: str = ""
    previous_quarter_note: str = ""
    previous_year_note: str = ""
    # Beside a change that is shown (a share, mean or index): the months of either quarter
    # that lack some expected units' values, "1 enhet saknar värden för jul 2026".
    previous_quarter_caveat: str = ""
    previous_year_caveat: str = ""
    # Beside a change that is shown of a value over part of its quarter (hittills, or an ended
    # quarter short of months): what it is compared with, "jämfört med hela Kv 4 2025". A share
    # is compared with the months there are, and the other quarter may be whole: without this
    # a reader takes "+2,3 procentenheter" for the same months against the same months.
    previous_quarter_against: str = ""
    previous_year_against: str = ""
    # Which period the SPC icons judge, where that needs saying (below, _spc_note).
    spc_note: str = ""
    # The note only names the latest point ("Senaste punkten: okt 2026"): a measure table,
    # which names the judged point beside the icon ("Punkten för okt 2026"), leaves it out.
    spc_note_names_latest: bool = False
    # (reporting, expected) units of the whole quarter, where the period series is not written
    # yet (the Celery path writes it after the quarter's values): the basis is then unknown.
    quarter_units: tuple[int, int] | None = None
    # A quarterly measure in its own quarter with no value yet: it is reported after the
    # quarter's end, so its "–" is no gap (the pages say so and show the latest value).
    awaiting_report: bool = False

    @property
    def nothing_due(self) -> bool:
        """Whether no value is expected yet: the quarter is under way and none of its periods
        has ended (a quarterly measure is reported after the quarter's end). Datatäckning
        counts only ended periods, so such a measure is no gap in it, nor in the summary."""
        return self.awaiting_report or (
            self.ongoing and not self.due and self.quarter_units is None
        )

    @property
    def partial(self) -> bool:
        """Whether some of the quarter's periods have no value (yet)."""
        return self.with_values < self.periods

    @property
    def reports(self) -> tuple[int, int]:
        """(made, expected) reports for the periods that have ended: units × periods."""
        if self.quarter_units is not None:
            return self.quarter_units
        return (
            sum(period.reporting for period in self.due),
            sum(period.expected for period in self.due),
        )

    @property
    def coverage_pct(self) -> float | None:
        """Share of the expected reports for the periods that have ended."""
        made, expected = self.reports
        return 100.0 * made / expected if expected else None

    @property
    def coverage_lines(self) -> list[str]:
        """The units that reported, period by period: "okt: 5 av 5", "nov: 0 av 5"; one line
        where every period's count is the same ("30 av 30 varje månad"); thousands grouped
        ("1 006 av 1 020")."""
        if self.quarter_units is not None:
            reporting, expected = self.quarter_units
            if not expected:
                return []
            return [
                _("%(reporting)s av %(expected)s")
                % {"reporting": format_count(reporting), "expected": format_count(expected)}
            ]
        if not self.due or not self.due[0].expected:
            return []
        counts = {(period.reporting, period.expected) for period in self.due}
        if len(counts) == 1:
            reporting, expected = counts.pop()
            if len(self.due) == 1 and self.periods > 1:
                return [
                    _("%(reporting)s av %(expected)s för %(period)s")
                    % {
                        "reporting": format_count(reporting),
                        "expected": format_count(expected),
                        "period": self.due[0].label,
                    }
                ]
            if len(self.due) == 1:
                return [
                    _("%(reporting)s av %(expected)s")
                    % {"reporting": format_count(reporting), "expected": format_count(expected)}
                ]
            return [
                _("%(reporting)s av %(expected)s varje månad")
                % {"reporting": format_count(reporting), "expected": format_count(expected)}
            ]
        return [
            _("%(period)s: %(reporting)s av %(expected)s")
            % {
                "period": period.label,
                "reporting": format_count(period.reporting),
                "expected": format_count(period.expected),
            }
            for period in self.due
        ]


def _with_values(rows: PeriodRows, measure_id: int, quarter: Quarter) -> int:
    return sum(
        1 for _count, has_value in rows.get((measure_id, quarter.code), {}).values() if has_value
    )


def _months_text(with_values: int, periods: int) -> str:
    return ngettext("%(count)s av %(total)s månad", "%(count)s av %(total)s månader", periods) % {
        "count": with_values,
        "total": periods,
    }


def months_note(measure: Measure, with_values: int, ongoing: bool) -> str:
    """What a monthly measure's value over part of a quarter covers: "hittills (2 av 3
    månader)" in the quarter under way, "2 av 3 månader" in an ended one; "" for a whole
    quarter, no value or a quarterly measure."""
    periods = len(quarter_periods(Quarter(2000, 1), measure.frequency))
    if not with_values or with_values >= periods:
        return ""
    months = _months_text(with_values, periods)
    return _("hittills (%(months)s)") % {"months": months} if ongoing else months


# (period start, period, units expected but without a value for it)
Gap = tuple[datetime.date, str, int]


def _period_gaps(
    periods: Mapping[datetime.date, tuple[int, bool]], measure: Measure, expected: int
) -> list[Gap]:
    """The periods that have values from some but not all of the units expected (a care unit,
    expecting itself alone, has none: its period is there or not)."""
    if expected <= 1:
        return []
    return [
        (start, _period_text(start, measure.frequency), expected - reporting)
        for start, (reporting, has_value) in sorted(periods.items())
        if has_value and reporting < expected
    ]


def _unit_gaps(rows: PeriodRows, measure: Measure, quarter: Quarter, expected: int) -> list[Gap]:
    """The quarter's periods short of units (_period_gaps)."""
    return _period_gaps(rows.get((measure.pk, quarter.code), {}), measure, expected)


def missing_units_text(
    periods: Mapping[datetime.date, tuple[int, bool]], measure: Measure, expected: int
) -> str:
    """ "1 enhet saknar värden för jul 2026" where the periods ({start: (reporting units, has
    a value)}) lack some of the units expected; "" where none does."""
    gaps = _period_gaps(periods, measure, expected)
    return _gaps_text(gaps) if gaps else ""


def _gaps_text(gaps: list[Gap]) -> str:
    """ "1 enhet saknar värden för jul 2026"; "1 enhet saknar värden för maj 2025 och 2 för
    jun 2025"."""
    (_start, period, count), *rest = sorted(gaps)
    parts = [
        ngettext(
            "%(count)s enhet saknar värden för %(period)s",
            "%(count)s enheter saknar värden för %(period)s",
            count,
        )
        % {"count": count, "period": period}
    ]
    parts += [
        _("%(count)s för %(period)s") % {"count": count, "period": period}
        for _start, period, count in rest
    ]
    if len(parts) == 1:
        return parts[0]
    return _("%(list)s och %(last)s") % {"list": ", ".join(parts[:-1]), "last": parts[-1]}


def _compare_note(
    measure: Measure,
    with_values: int,
    ongoing: bool,
    other: Quarter,
    other_values: int,
    gaps: list[Gap],
) -> str:
    """Why a summed measure's change against `other` is not shown, or "" where it is. gaps:
    the months of both quarters that lack some expected units' values."""
    if measure.aggregation != Measure.Aggregation.SUM or not with_values:
        return ""
    if with_values < len(quarter_periods(other, measure.frequency)):
        if ongoing:
            return _("Jämförs när kvartalet är komplett")
        return _("Jämförs inte: kvartalet saknar värden för några månader")
    periods = len(quarter_periods(other, measure.frequency))
    if 0 < other_values < periods:
        return _("Jämförs inte: %(quarter)s har värden för %(months)s") % {
            "quarter": other.label,
            "months": _months_text(other_values, periods),
        }
    if not other_values:
        # Nothing to compare with (the data start later): the change is "–", as for any
        # measure without a value that quarter, not a gap of this quarter's units.
        return ""
    if gaps:
        return _("Jämförs inte: %(gaps)s") % {"gaps": _gaps_text(gaps)}
    return ""


def _against_note(
    measure: Measure, with_values: int, periods: int, other: Quarter, other_values: int
) -> str:
    """What a shown change (a share, mean or index) of a value over part of its quarter is
    compared with: "jämfört med hela Kv 4 2025", or "jämfört med Kv 4 2025, 2 av 3 månader"
    where that one is partial too; "" for a whole quarter, a count (its change over part of a
    quarter is not shown: _compare_note) or another quarter whose months are not read."""
    if measure.aggregation == Measure.Aggregation.SUM or not 0 < with_values < periods:
        return ""
    if not other_values:
        return ""
    other_periods = len(quarter_periods(other, measure.frequency))
    if other_values >= other_periods:
        return _("jämfört med hela %(quarter)s") % {"quarter": other.label}
    return _("jämfört med %(quarter)s, %(months)s") % {
        "quarter": other.label,
        "months": _months_text(other_values, other_periods),
    }


def _compare_caveat(measure: Measure, gaps: list[Gap]) -> str:
    """What a shown change (a share, mean or index) is taken without: the months short of
    units."""
    if measure.aggregation == Measure.Aggregation.SUM or not gaps:
        return ""
    return _gaps_text(gaps)


def _spc_note(
    summary: Mapping[str, Any] | None,
    measure: Measure,
    periods: list[datetime.date],
    *,
    partial: bool,
) -> str:
    """Which period the SPC icons judge, where it is not the quarter's last; and, where the
    chart's latest point rests on only some of the units expected, that it is not judged."""
    points = (summary or {}).get("points") or []
    if not points:
        return ""
    judged = latest_judged(points)
    units = stored_incomplete(points[-1])
    if units is not None:
        last = datetime.date.fromisoformat(str(points[-1][0]))
        note = _(
            "Senaste punkten, %(period)s, är ofullständig (%(reporting)s av %(expected)s "
            "enheter) och bedöms inte."
        ) % {
            "period": _period_text(last, measure.frequency),
            "reporting": units[0],
            "expected": units[1],
        }
        if judged is None:
            return note
        day = datetime.date.fromisoformat(str(judged[0]))
        icons = _("Ikonerna gäller %(period)s.") % {"period": _period_text(day, measure.frequency)}
        return f"{note} {icons}"
    latest = datetime.date.fromisoformat(str(points[-1][0]))
    if not partial or latest == periods[-1]:
        return ""
    return _("Senaste punkten: %(period)s") % {"period": _period_text(latest, measure.frequency)}


def _spc_note_names_latest(summary: Mapping[str, Any] | None) -> bool:
    """Whether _spc_note is the plain "Senaste punkten: …" (the latest point is whole)."""
    points = (summary or {}).get("points") or []
    return bool(points) and stored_incomplete(points[-1]) is None


def quarter_basis(
    *,
    measure: Measure,
    quarter: Quarter,
    result: MeasureResult | None,
    rows: PeriodRows,
    today: datetime.date,
    summary: Mapping[str, Any] | None = None,
) -> QuarterBasis:
    """The basis of a measure's value for a quarter, from the unit's period rows (which must
    hold the quarter, the one before it and the same quarter a year before)."""
    starts = quarter_periods(quarter, measure.frequency)
    own = rows.get((measure.pk, quarter.code), {})
    with_values = _with_values(rows, measure.pk, quarter)
    ongoing = quarter.end >= today
    if not own and result is not None and result.reporting_units:
        # Values without their period series: nothing to judge the quarter by yet.
        return QuarterBasis(
            quarter=quarter,
            periods=len(starts),
            with_values=len(starts),
            ongoing=ongoing,
            due=(),
            quarter_units=(result.reporting_units, result.expected_units),
        )
    expected = result.expected_units if result is not None else 0
    due = tuple(
        PeriodCoverage(
            start=start,
            # Within the quarter a month needs no year: "okt: 5 av 5".
            label=MONTHS_SV[start.month - 1]
            if measure.frequency == Measure.Frequency.MONTHLY
            else quarter.label,
            reporting=own.get(start, (0, False))[0],
            expected=expected,
        )
        for start in starts
        if _period_end(start, measure.frequency, quarter) < today
    )
    partial = with_values < len(starts)
    value_note = months_note(measure, with_values, ongoing)
    own_gaps = _unit_gaps(rows, measure, quarter, expected)

    def gaps_with(other: Quarter, expected_attr: str) -> list[Gap]:
        # The units the other quarter expected (read with the result, of_quarter); a row read
        # without them is taken to expect the same units as this quarter.
        other_expected = getattr(result, expected_attr, None)
        if other_expected is None:
            other_expected = expected
        return own_gaps + _unit_gaps(rows, measure, other, other_expected)

    previous_gaps = gaps_with(quarter.previous(), "expected_previous_quarter")
    year_gaps = gaps_with(quarter.year_before(), "expected_previous_year")
    return QuarterBasis(
        quarter=quarter,
        periods=len(starts),
        with_values=with_values,
        ongoing=ongoing,
        due=due,
        value_note=value_note,
        awaiting_report=(
            ongoing
            and measure.frequency == Measure.Frequency.QUARTERLY
            and (result is None or result.value is None)
        ),
        previous_quarter_note=_compare_note(
            measure,
            with_values,
            ongoing,
            quarter.previous(),
            _with_values(rows, measure.pk, quarter.previous()),
            previous_gaps,
        ),
        previous_year_note=_compare_note(
            measure,
            with_values,
            ongoing,
            quarter.year_before(),
            _with_values(rows, measure.pk, quarter.year_before()),
            year_gaps,
        ),
        previous_quarter_caveat=_compare_caveat(measure, previous_gaps),
        previous_year_caveat=_compare_caveat(measure, year_gaps),
        previous_quarter_against=_against_note(
            measure,
            with_values,
            len(starts),
            quarter.previous(),
            _with_values(rows, measure.pk, quarter.previous()),
        ),
        previous_year_against=_against_note(
            measure,
            with_values,
            len(starts),
            quarter.year_before(),
            _with_values(rows, measure.pk, quarter.year_before()),
        ),
        spc_note=_spc_note(summary, measure, starts, partial=partial),
        spc_note_names_latest=_spc_note_names_latest(summary),
    )
