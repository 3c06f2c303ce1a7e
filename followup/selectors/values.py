"""Measure values of units, as the dashboards show them: a unit's measure lines with their
quarters and sparklines, goal results, the peer comparison, the latest compute run and the
missing observations.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from base.periods import Quarter
from goals.models import Goal
from organisation.models import Unit

from ..charts import chart_value_text
from ..models import (
    ComputeRun,
    GoalResult,
    Measure,
    MeasureResult,
    Observation,
    PeriodResult,
    SpcResult,
)
from ..quarter_basis import PeriodRows, QuarterBasis, missing_units_text, months_note, quarter_basis
from .portfolio import ReportOf, _report_change_annotations, _report_change_of

# --- measure values of units, as the dashboards show them ---------------------------------------


@dataclass
class MeasureLine:
    """One measure's computed value for a unit and quarter, with its SPC chart's summary and the
    same measure's value for the units it is compared with (its parent, the region)."""

    measure: Measure
    result: MeasureResult | None
    spc: dict[str, Any] | None = None
    parent_result: MeasureResult | None = None
    region_result: MeasureResult | None = None
    # What the unit's value covers of the quarter and what it may be compared with.
    basis: QuarterBasis | None = None
    # Why the chart has no assurance icon, where a page asked (selectors.assurance_reason).
    assurance_reason: Any = None

    @property
    def variation(self) -> str | None:
        """The Making Data Count variation icon's code for the latest point."""
        return (self.spc or {}).get("variation")

    @property
    def assurance(self) -> str | None:
        """The Making Data Count assurance icon's code."""
        return (self.spc or {}).get("assurance")

    @property
    def previous_value(self) -> Decimal | None:
        """The unit's value the quarter before (a quarterly measure's latest while its own
        quarter is under way)."""
        return getattr(self.result, "previous_value", None)

    @property
    def recent_points(self) -> list[list[Any]]:
        """The series' latest 12 points, [period start, value, type, rules], for a sparkline."""
        return list((self.spc or {}).get("points", []))[-SPARKLINE_POINTS:]


SPARKLINE_POINTS = 12


def period_rows(*, unit_id: int, measure_ids: list[int], quarters: list[Quarter]) -> PeriodRows:
    """The unit's period results of some measures in some quarters (one query): for each
    (measure, quarter), each period's reporting units and whether it has a value."""
    rows: dict[tuple[int, str], dict[datetime.date, tuple[int, bool]]] = {}
    if not measure_ids:
        return rows
    for measure_id, quarter, start, reporting, value in PeriodResult.objects.filter(
        unit_id=unit_id,
        measure_id__in=measure_ids,
        quarter__in=sorted({q.code for q in quarters}),
    ).values_list("measure_id", "quarter", "period_start", "reporting_units", "value"):
        rows.setdefault((measure_id, quarter), {})[start] = (reporting, value is not None)
    return rows


def _compared_quarters(quarter: Quarter) -> list[Quarter]:
    """The quarter and the two its changes are against."""
    return [quarter, quarter.previous(), quarter.year_before()]


def measure_lines(
    *,
    quarter: Quarter,
    unit: Unit,
    measures: list[Measure] | None = None,
    parent: Unit | None = None,
    region: Unit | None = None,
) -> list[MeasureLine]:
    """The quarter's value of each measure for a unit, with SPC and what the value covers of the
    quarter, beside its parent's and the region's (four queries whatever the number of measures).

    With `measures` None: every measure the unit has a result for in the quarter.
    """
    compare_ids = [u.pk for u in (parent, region) if u is not None and u.pk != unit.pk]
    rows = (
        MeasureResult.objects.of_quarter(quarter)
        .with_previous_value(quarter)
        .filter(unit_id__in=[unit.pk, *compare_ids])
    )
    if measures is not None:
        rows = rows.filter(measure_id__in=[m.pk for m in measures])
    else:
        rows = rows.select_related("measure")
    results = {(row.unit_id, row.measure_id): row for row in rows}
    spc_rows = SpcResult.objects.filter(quarter=quarter.code, unit_id=unit.pk)
    if measures is not None:
        spc_rows = spc_rows.filter(measure_id__in=[m.pk for m in measures])
    spcs = dict(spc_rows.values_list("measure_id", "summary"))
    if measures is None:
        measures = sorted(
            {row.measure for row in results.values() if row.unit_id == unit.pk},
            key=lambda m: (m.name, m.pk),
        )
    rows_by_period = period_rows(
        unit_id=unit.pk, measure_ids=[m.pk for m in measures], quarters=_compared_quarters(quarter)
    )
    today = timezone.localdate()
    return [
        MeasureLine(
            measure=measure,
            result=results.get((unit.pk, measure.pk)),
            spc=spcs.get(measure.pk),
            parent_result=results.get((parent.pk, measure.pk)) if parent else None,
            region_result=results.get((region.pk, measure.pk)) if region else None,
            basis=quarter_basis(
                measure=measure,
                quarter=quarter,
                result=results.get((unit.pk, measure.pk)),
                rows=rows_by_period,
                today=today,
                summary=spcs.get(measure.pk),
            ),
        )
        for measure in measures
    ]


def goal_results_of(*, quarter: Quarter, goals: list[Goal]) -> dict[int, GoalResult]:
    """The quarter's computed result of each goal, by goal id (one query)."""
    return {
        row.goal_id: row
        for row in GoalResult.objects.filter(quarter=quarter.code, goal__in=[g.pk for g in goals])
    }


@dataclass(frozen=True)
class Peer:
    """One unit of a peer comparison: its value, SPC variation and place against the parent."""

    unit: Unit
    result: MeasureResult | None
    variation: str | None
    # "above", "below", "equal", or "" when either value is missing or they are not compared
    against_parent: str
    # What the value covers of a quarter not all there: "hittills (2 av 3 månader)".
    value_note: str = ""
    # Why a value is not compared: it covers other months than the mean it would be set against.
    against_note: str = ""
    # Peers above the care units, for a count: the value per reporting unit, and those units.
    per_reporting_unit: Decimal | None = None
    reporting_units: int = 0


@dataclass(frozen=True)
class PeerComparison:
    """Units side by side for a measure and quarter, and what each is compared with.

    A summed measure's (a count's) parent value is the sum of its units, so each unit is
    compared with the mean per unit instead (`per_unit`), over the units whose values cover
    the same months: in a quarter under way one unit's two months are not set against the
    others' one. Peers above the care units (VOs, areas) hold different numbers of units, so
    their counts are compared per reporting unit instead (`per_reporting_unit`): each one's
    value ÷ its reporting units against the compared peers' sum ÷ their reporting units.
    """

    parent_result: MeasureResult | None
    peers: list[Peer]
    per_unit: bool = False
    # The value each compared unit is set against: the parent's, or the mean per unit.
    reference: Decimal | None = None
    reference_units: int = 0  # the units the mean per unit is taken over
    reference_note: str = ""  # what the mean covers of the quarter: "hittills (1 av 3 månader)"
    left_out: int = 0  # units with a value over other months, not compared
    # A count of aggregates of different sizes: compared per reporting unit (the reference is
    # the compared peers' sum ÷ their reporting units, `reference_reporting_units` of them).
    per_reporting_unit: bool = False
    reference_reporting_units: int = 0
    short_of_units: int = 0  # peers whose months lack some of their units' values, not compared
    reference_total: Decimal | None = None  # the compared peers' sum (per reporting unit)
    # A quarterly measure in its own quarter that no unit has reported yet: it is reported
    # after the quarter's end; the page says so and links to the quarter before.
    awaiting_report: bool = False

    @property
    def previous_quarter(self) -> Quarter | None:
        """The quarter before, where the parent has a value for it (what to look at instead)."""
        row = self.parent_result
        if row is None or getattr(row, "previous_value", None) is None:
            return None
        return Quarter.parse(row.quarter).previous()


def _against(
    value: Decimal | None,
    reference: Decimal | None,
    shown: tuple[Callable[[Decimal], str], Callable[[Decimal], str]],
) -> str:
    """ "above", "below" or "equal" as the page shows the two values (`shown`: how the value
    and the reference are written): two values that read the same, "16,8 %" beside "16,8 %",
    are "Lika", not one "Över" and the other "Under" by a difference nobody can see."""
    if value is None or reference is None:
        return ""
    if shown[0](value) == shown[1](reference):
        return "equal"
    return "above" if value > reference else "below"


def peer_comparison(
    *, quarter: Quarter, measure: Measure, parent: Unit, units: list[Unit]
) -> PeerComparison:
    """Units of the same kind side by side for a measure and quarter, each against the parent's
    value or, for a summed measure, the mean per unit (care units) or the value per reporting
    unit (units above them) (three queries)."""
    unit_ids = [u.pk for u in units]
    rows = {
        row.unit_id: row
        for row in MeasureResult.objects.of_quarter(quarter)
        .with_previous_value(quarter)
        .filter(measure_id=measure.pk, unit_id__in=[parent.pk, *unit_ids])
    }
    variations = {
        unit_id: (summary or {}).get("variation")
        for unit_id, summary in SpcResult.objects.filter(
            quarter=quarter.code, measure_id=measure.pk, unit_id__in=unit_ids
        ).values_list("unit_id", "summary")
    }
    # The months each unit's value covers (None: its period series is not written yet).
    months: dict[int, dict[datetime.date, tuple[int, bool]]] = {}
    for unit_id, start, reporting in PeriodResult.objects.filter(
        quarter=quarter.code, measure_id=measure.pk, unit_id__in=unit_ids, value__isnull=False
    ).values_list("unit_id", "period_start", "reporting_units"):
        months.setdefault(unit_id, {})[start] = (reporting, True)
    ongoing = quarter.end >= timezone.localdate()

    def covered(unit: Unit) -> frozenset[datetime.date] | None:
        return frozenset(months[unit.pk]) if unit.pk in months else None

    valued = [u for u in units if (row := rows.get(u.pk)) is not None and row.value is not None]
    parent_row = rows.get(parent.pk)
    per_unit = measure.aggregation == Measure.Aggregation.SUM
    # Peers with units below them (a VO's five hälsocentraler against a psychiatric clinic's
    # one): a sum says how many units there are more than how they do, so compare per unit.
    aggregates = per_unit and any(
        max(rows[u.pk].reporting_units, rows[u.pk].expected_units) > 1 for u in valued
    )

    def per_reporting(unit: Unit) -> Decimal | None:
        row = rows.get(unit.pk)
        if not aggregates or row is None or row.value is None or not row.reporting_units:
            return None
        return row.value / row.reporting_units

    # A peer whose months lack some of its units' values holds less than its units' count, as
    # a quarter does (followup.quarter_basis): it is not compared ("1 enhet saknar värden för
    # jul 2026"), nor taken into what the others are compared with.
    short_of_units = {
        unit.pk: text
        for unit in valued
        if aggregates
        and (
            text := missing_units_text(
                months.get(unit.pk, {}), measure, rows[unit.pk].expected_units
            )
        )
    }
    reference_reporting = 0
    reference_total: Decimal | None = None
    reference: Decimal | None = parent_row.value if parent_row else None
    same: set[int] = {u.pk for u in valued}
    reference_note = ""
    if per_unit:
        # The months most units' values cover (ties: the more months), and the mean over them.
        groups: dict[frozenset[datetime.date] | None, list[Unit]] = {}
        for unit in valued:
            if unit.pk not in short_of_units:
                groups.setdefault(covered(unit), []).append(unit)
        reference = None
        same = set()
        if groups:
            key, members = max(groups.items(), key=lambda item: (len(item[1]), len(item[0] or ())))
            if len(members) > 1:
                same = {u.pk for u in members}
                total = sum((rows[u.pk].value or Decimal(0) for u in members), Decimal(0))
                reference_reporting = sum(rows[u.pk].reporting_units for u in members)
                if not aggregates:
                    reference = total / len(members)
                elif reference_reporting:
                    reference = total / reference_reporting
                    reference_total = total
                if key is not None:
                    reference_note = months_note(measure, len(key), ongoing)

    def measure_text(number: Decimal) -> str:
        return chart_value_text(number, measure.unit, measure.value_type)

    def value_text(number: Decimal) -> str:
        return chart_value_text(number, measure.unit)

    peers = []
    for unit in units:
        row = rows.get(unit.pk)
        value = row.value if row else None
        unit_months = covered(unit)
        note = months_note(measure, len(unit_months), ongoing) if unit_months else ""
        against_note = ""
        if unit.pk in short_of_units:
            against_note = gettext("Jämförs inte: %(gaps)s") % {"gaps": short_of_units[unit.pk]}
        elif per_unit and value is not None and reference is not None and unit.pk not in same:
            against_note = (
                gettext("Jämförs inte: värdet gäller andra månader än jämförelsevärdet")
                if aggregates
                else gettext("Jämförs inte: värdet gäller andra månader än medelvärdet")
            )
        compared = per_reporting(unit) if aggregates else value
        # Written as the page writes them (followup/unit_detail.html): a value with its
        # measure's kind, a mean or a value per reporting unit with the unit alone.
        shown = (
            value_text if aggregates else measure_text,
            value_text if per_unit else measure_text,
        )
        peers.append(
            Peer(
                unit=unit,
                result=row,
                variation=variations.get(unit.pk),
                against_parent=_against(compared, reference, shown) if unit.pk in same else "",
                value_note=note,
                against_note=against_note,
                per_reporting_unit=per_reporting(unit),
                reporting_units=row.reporting_units if aggregates and row else 0,
            )
        )
    return PeerComparison(
        parent_result=parent_row,
        peers=peers,
        per_unit=per_unit,
        reference=reference,
        reference_units=len(same) if per_unit else 0,
        reference_note=reference_note,
        left_out=(
            len(valued) - len(same) - len(short_of_units)
            if per_unit and reference is not None
            else 0
        ),
        short_of_units=len(short_of_units),
        reference_total=reference_total,
        per_reporting_unit=aggregates,
        reference_reporting_units=reference_reporting if aggregates else 0,
        awaiting_report=(
            ongoing and measure.frequency == Measure.Frequency.QUARTERLY and not valued
        ),
    )


def latest_compute_run(
    *, quarter: Quarter, report_unit: ReportOf | None = None
) -> ComputeRun | None:
    """The latest finished computation of the quarter (pages say when results were computed).

    With `report_unit`: its `report_change` says whether that unit's quarterly report of the
    quarter is closed and recomputed since (in the same query, ReportChange)."""
    run = (
        ComputeRun.objects.filter(quarter=quarter.code, finished_at__isnull=False)
        .annotate(**_report_change_annotations(quarter, report_unit))
        .order_by("-finished_at")
        .first()
    )
    if run is not None:
        run.report_change = _report_change_of(run, quarter, report_unit)  # type: ignore[attr-defined]
    return run


def missing_observations(
    *, units: list[Unit], period_for: Mapping[str, datetime.date | list[datetime.date]]
) -> list[tuple[Unit, Measure, datetime.date]]:
    """(unit, measure, period start) for each measure a unit is expected to report for the
    period(s) of its frequency (its latest complete one, or each month of a quarter) but has
    not, period by period (three queries)."""
    measures = list(Measure.objects.prefetch_related("unit_kinds").order_by("name"))
    periods = {
        frequency: value if isinstance(value, list) else [value]
        for frequency, value in period_for.items()
    }
    starts = sorted({start for values in periods.values() for start in values})
    reported = set(
        Observation.objects.filter(
            unit_id__in=[u.pk for u in units], period_start__in=starts
        ).values_list("unit_id", "measure_id", "period_start")
    )
    missing = []
    for measure in measures:
        kinds = {kind.pk for kind in measure.unit_kinds.all()}
        for start in periods.get(measure.frequency, []):
            for unit in units:
                if unit.kind_id in kinds and (unit.pk, measure.pk, start) not in reported:
                    missing.append((unit, measure, start))
    return missing
