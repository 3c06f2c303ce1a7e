"""Reads of the precomputed follow-up for pages and reports, and of which quarters there are to
compute (no computation here)."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext

from base.periods import Quarter, day_label, quarter_range
from goals.models import AdoptionRecord, Assessment, ClosedQuarter, Goal
from goals.selectors import (
    ADOPTED,
    NOT_STARTED,
    PLANNED,
    PLANNED_LATE,
    AdoptionOnDay,
    adoption_methods_for,
    adoption_on,
    adoption_records_of,
    adoption_standing,
    done_status,
    evaluation_day,
    goal_tree_for_area,
    portfolio_overview,
)
from goals.status import Status, overall_status
from organisation.models import Unit, UnitClosure
from organisation.selectors import (
    Scope,
    region_unit,
    unit_ancestors,
    unit_children,
    units_with_children,
)
from programmes.models import Phase, ProgrammeArea
from programmes.selectors import activities_of_area

from .cache import cached
from .models import (
    ERROR_REPORT_NOT_COMPUTED,
    ERROR_REPORT_QUARTER_ONGOING,
    ERROR_REPORT_RECOMPUTE_PENDING,
    ComputeRun,
    GoalResult,
    ImportBatch,
    Measure,
    MeasureResult,
    Observation,
    PeriodResult,
    QuarterReport,
    RecomputeRequest,
    SpcResult,
)
from .quarter_basis import PeriodRows, QuarterBasis, missing_units_text, months_note, quarter_basis
from .spc import RULES, Reasons, latest_judged, stored_reasons
from .summary import DueGoal, SummaryFacts, quarter_summary

SYNTHETIC_CACHE_KEY = "followup:synthetic-data-present"
# A write that no receiver sees (a bulk update, a raw delete) shows within this many seconds.
SYNTHETIC_CACHE_SECONDS = 300


@dataclass(frozen=True)
class ReportChange:
    """The quarter's quarterly report is Fastställd or Godkänd (`decided_at`: when it was closed,
    or approved) and a recompute has changed the quarter's results since its body was frozen
    (`changed_at`): the dashboards say their values may differ from the report's.
    `organisation_code` names the report's organisation in its link ("" with one)."""

    quarter: Quarter
    approved: bool
    decided_at: datetime.datetime | None
    changed_at: datetime.datetime
    organisation_code: str = ""


@dataclass(frozen=True)
class ReportOf:
    """Whose quarterly report a dashboard compares with: the unit the report belongs to (an id,
    or the tree's root as a subquery) and the organisation code its link names ("" with one)."""

    unit: Any
    organisation_code: str = ""


@dataclass(frozen=True)
class PortfolioStatus:
    """The portfolio with each goal's `result` and each area's `overall_status` attached."""

    phases: list[Phase]
    quarter: Quarter | None
    computed_at: datetime.datetime | None
    report_change: ReportChange | None = None


def status_quarter(today: datetime.date | None = None) -> Quarter | None:
    """The quarter the dashboards show: the current one, else the latest computed one."""
    current = Quarter.containing(today or timezone.localdate())
    latest = (
        GoalResult.objects.filter(quarter__lte=current.code)
        .order_by("-quarter")
        .values_list("quarter", flat=True)
        .first()
    )
    return Quarter.parse(latest) if latest else None


@dataclass(frozen=True)
class Organisation:
    """A region or municipality some phase belongs to (`Phase.organisation_unit`)."""

    id: int
    code: str
    name: str


def _phase_organisations() -> list[tuple[int, str, int | None, str | None, str | None]]:
    """Each phase's id, code and organisation unit (id, code, name), None's for a phase of none
    (one query, cached per generation; plain tuples: nothing pickled that a code change could
    break, and a new key whenever the tuple changes)."""

    def build() -> list[tuple[int, str, int | None, str | None, str | None]]:
        return list(
            Phase.objects.order_by("id").values_list(
                "id",
                "code",
                "organisation_unit_id",
                "organisation_unit__code",
                "organisation_unit__name",
            )
        )

    return cached("phase-organisation-units", build)


def organisations() -> list[Organisation]:
    """The units that phases belong to, by name (no query but the cached one).

    More than one: the installation holds several organisations' plans, and the portfolio shows
    one organisation's at a time.
    """
    found = {
        Organisation(unit_id, code, name)
        for _, _, unit_id, code, name in _phase_organisations()
        if unit_id is not None and code is not None and name is not None
    }
    return sorted(found, key=lambda o: (o.name, o.code))


def phases_without_organisation() -> int:
    """How many phases belong to no organisation (the same cached read as organisations)."""
    return sum(1 for _, _, unit_id, _, _ in _phase_organisations() if unit_id is None)


@dataclass(frozen=True)
class PhaseOrganisation:
    """A phase's code, the organisation it belongs to (None: none), and whether phases belong
    to several organisations (its areas' links then name it)."""

    code: str
    organisation: Organisation | None
    several: bool


def phase_organisation(phase_id: int) -> PhaseOrganisation | None:
    """A phase's code and organisation (one read of the same cache: a link to an area names
    its organisation without loading the area's phase); None for a phase not (yet) cached."""
    rows = _phase_organisations()
    several = len({unit_id for _, _, unit_id, _, _ in rows if unit_id is not None}) > 1
    for found_id, phase_code, unit_id, code, name in rows:
        if found_id == phase_id:
            organisation = (
                Organisation(unit_id, code, name)
                if unit_id is not None and code is not None and name is not None
                else None
            )
            return PhaseOrganisation(phase_code, organisation, several)
    return None


def organisation_of_roles(*, choices: list[Organisation], scope: Scope) -> Organisation | None:
    """The organisation of a user's roles: the nearest one above (or at) a role's unit, else the
    organisation of a role's programme area; None for roles of neither. No query: the scope
    read the roles' organisations along with the roles (Scope.unit_organisations)."""
    by_id = {organisation.id: organisation for organisation in choices}
    if scope.root_unit_ids:
        found = sorted(
            (depth, by_id[unit_id].name, unit_id)
            for depth, unit_id in scope.unit_organisations
            if unit_id in by_id
        )
        return by_id[found[0][2]] if found else None
    if scope.area_ids:
        areas = sorted(
            (by_id[unit_id].name, unit_id)
            for unit_id in scope.area_organisations
            if unit_id in by_id
        )
        return by_id[areas[0][1]] if areas else None
    return None


def portfolio_with_status(
    *,
    quarter: Quarter | None,
    organisation: Organisation | None = None,
    with_unassigned: bool = False,
    with_report: bool = False,
) -> PortfolioStatus:
    """Phases → areas → goals and milestones, each with its computed result for the quarter.

    With `organisation`: only its phases, and with `with_unassigned` those of no organisation
    too (goals.selectors.portfolio_overview). With `with_report`: whether the organisation's
    quarterly report of the quarter is closed and recomputed since (`report_change`, read in
    the query of the computation time).
    """
    phases = portfolio_overview(
        organisation_id=organisation.id if organisation else None,
        with_unassigned=with_unassigned,
    )
    results: dict[int, GoalResult] = {}
    if quarter is not None:
        rows = GoalResult.objects.filter(quarter=quarter.code)
        if organisation is not None:
            # Only the shown goals' results, not every organisation's.
            rows = rows.filter(goal_id__in=[goal.pk for goal in _goals_of(phases)])
        results = {row.goal_id: row for row in rows}
    for phase in phases:
        for area in phase.programme_areas.all():
            statuses: list[Status | None] = []
            milestones = 0
            # top_goals: the Prefetch's to_attr (goals.selectors); the results are attached here.
            for goal in area.top_goals:  # type: ignore[attr-defined]
                goal.result = results.get(goal.pk)
                statuses.append(_status_of(goal.result))
                for milestone in goal.milestones.all():
                    milestone.result = results.get(milestone.pk)
                    statuses.append(_status_of(milestone.result))
                    milestones += 1
            area.overall_status = overall_status(statuses)  # type: ignore[attr-defined]
            area.milestone_count = milestones  # type: ignore[attr-defined]
            area.status_counts = status_counts(statuses)  # type: ignore[attr-defined]
    if quarter is None:
        return PortfolioStatus(phases=phases, quarter=None, computed_at=None)
    report_of = (
        (ReportOf(organisation.id, organisation.code) if organisation else _root_report())
        if with_report
        else None
    )
    latest = (
        ComputeRun.objects.filter(quarter=quarter.code, error="")
        .annotate(**_report_change_annotations(quarter, report_of))
        .order_by("-finished_at")
        .first()
    )
    return PortfolioStatus(
        phases=phases,
        quarter=quarter,
        computed_at=latest.finished_at if latest else None,
        report_change=_report_change_of(latest, quarter, report_of),
    )


def _root_report() -> ReportOf:
    """The report of the tree's root (with one organisation or none), by a subquery."""
    root = Unit.objects.filter(parent__isnull=True).order_by("code").values("pk")[:1]
    return ReportOf(Subquery(root))


def _area_report_unit(area: ProgrammeArea) -> ReportOf | None:
    """Whose report shows the area's goals (report_organisation_unit_id_of_area, from the cached
    phases' organisations: no query): its phase's organisation with several, else the root."""
    found = phase_organisation(area.phase_id)
    if found is None or not found.several:
        return _root_report()
    if found.organisation is None:
        return None
    return ReportOf(found.organisation.id, found.organisation.code)


def measure_report_unit(unit: Unit) -> ReportOf | None:
    """Whose report the measure page's unit compares with: the root's with one organisation
    (or none); with several, the organisation's when the unit shown is one, else none."""
    several = organisations()
    if len(several) < 2:
        return _root_report()
    found = next((o for o in several if o.id == unit.pk), None)
    return ReportOf(found.id, found.code) if found is not None else None


def _report_change_annotations(quarter: Quarter, report_of: ReportOf | None) -> dict[str, Any]:
    """What a ComputeRun row of the quarter carries along of the quarter's closed report (in
    the same query: subqueries of no outer row): its status, when it was closed and approved,
    and the latest recompute that changed results after its body was frozen."""
    if report_of is None:
        return {}
    report = QuarterReport.objects.filter(
        organisation_id=report_of.unit,
        quarter=quarter.code,
        status__in=[QuarterReport.Status.CLOSED, QuarterReport.Status.APPROVED],
    )
    frozen_at = Subquery(report.values("content_computed_at")[:1])
    # As quarter_changed_since: a run that wrote no rows changed nothing the report shows.
    changed = (
        ComputeRun.objects.filter(quarter=quarter.code, error="", finished_at__gt=frozen_at)
        .filter(Q(measure_rows__gt=0) | Q(period_rows__gt=0) | Q(goal_rows__gt=0))
        .order_by("-finished_at")
        .values("finished_at")[:1]
    )
    return {
        "report_status": Subquery(report.values("status")[:1]),
        "report_closed_at": Subquery(report.values("closed_at")[:1]),
        "report_approved_at": Subquery(report.values("approved_at")[:1]),
        "report_changed_at": Subquery(changed),
    }


def _report_change_of(
    run: ComputeRun | None, quarter: Quarter, report_of: ReportOf | None
) -> ReportChange | None:
    changed_at = getattr(run, "report_changed_at", None)
    if run is None or report_of is None or changed_at is None:
        return None
    approved = getattr(run, "report_status", "") == QuarterReport.Status.APPROVED
    return ReportChange(
        quarter=quarter,
        approved=approved,
        decided_at=getattr(run, "report_approved_at" if approved else "report_closed_at", None),
        changed_at=changed_at,
        organisation_code=report_of.organisation_code,
    )


@dataclass(frozen=True)
class StatusCount:
    """How many of an area's goals and milestones have one status (None: none yet)."""

    status: Status | None
    count: int


def status_counts(statuses: list[Status | None]) -> list[StatusCount]:
    """The statuses counted, in the order the pages list statuses (goals.status.Status), those
    without one last; only the statuses that occur."""
    counted = Counter(statuses)
    ordered: list[Status | None] = [*Status, None]
    return [StatusCount(status, counted[status]) for status in ordered if counted[status]]


def _status_of(result: GoalResult | None) -> Status | None:
    """The status a goal contributes to its area: computed, or the manual one for direction."""
    if result is None:
        return None
    code = result.status or result.assessment_status
    return Status(code) if code else None


def synthetic_data_present() -> bool:
    """Whether the database holds synthetic (demo) data: a batch flagged so, or its values.

    Every page asks (the banner), so the answer is cached and forgotten on each change to an
    import batch or to observations of the demo.
    """
    present = cache.get(SYNTHETIC_CACHE_KEY)
    if present is None:
        present = (
            ImportBatch.objects.filter(synthetic=True).exists()
            or Observation.objects.filter(source=ImportBatch.Source.DEMO).exists()
        )
        cache.set(SYNTHETIC_CACHE_KEY, present, timeout=SYNTHETIC_CACHE_SECONDS)
    return bool(present)


def forget_synthetic_data_presence(*args: object, **kwargs: object) -> None:
    """Drop the cached answer of synthetic_data_present (a signal receiver as well)."""
    cache.delete(SYNTHETIC_CACHE_KEY)


def computed_quarters() -> list[Quarter]:
    """Every quarter the engine has written results for, newest first (cached per generation)."""

    def build() -> list[str]:
        codes = set(GoalResult.objects.values_list("quarter", flat=True).distinct())
        codes |= set(ComputeRun.objects.values_list("quarter", flat=True).distinct())
        return sorted(codes, reverse=True)

    return [Quarter.parse(code) for code in cached("computed-quarters", build)]


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


def _against(value: Decimal | None, reference: Decimal | None) -> str:
    if value is None or reference is None:
        return ""
    return "above" if value > reference else "below" if value < reference else "equal"


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
        peers.append(
            Peer(
                unit=unit,
                result=row,
                variation=variations.get(unit.pk),
                against_parent=_against(compared, reference) if unit.pk in same else "",
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


# --- the pages' reads, composed ------------------------------------------------------------------


def programme_area_quarter(
    *,
    area: ProgrammeArea,
    quarter: Quarter | None,
    unit: Unit | None = None,
    goals: list[Goal] | None = None,
) -> dict[str, Any]:
    """What a programme area's page shows for a quarter: its goal tree with each goal's result,
    and its measures for a unit, default the region (a fixed number of queries). goals: the
    area's goal tree if the caller has read it already (goal_tree_for_area)."""
    goals = goal_tree_for_area(area=area) if goals is None else goals
    everything = [g for goal in goals for g in (goal, *goal.milestones.all())]
    results = goal_results_of(quarter=quarter, goals=everything) if quarter else {}
    for goal in everything:
        goal.result = results.get(goal.pk)
    # The area's overall status as Portfölj and the report roll it up (portfolio_with_status):
    # from the same goals' and milestones' results, no query of its own.
    statuses = [_status_of(results.get(goal.pk)) for goal in everything]
    return {
        "goals": goals,
        "overall_status": overall_status(statuses) if quarter else None,
        "status_counts": status_counts(statuses) if quarter else [],
        **programme_area_measures(area=area, unit=unit, quarter=quarter),
        "computed_at": (
            latest_compute_run(quarter=quarter, report_unit=_area_report_unit(area))
            if quarter
            else None
        ),
    }


def programme_area_measures(
    *, area: ProgrammeArea, unit: Unit | None, quarter: Quarter | None
) -> dict[str, Any]:
    """The area's measures for a unit (default the region: the area's organisation, else the
    root) with their SPC charts, and the units the page's select offers: the organisation's
    (five queries whatever the number of measures or units)."""
    # With several organisations, Region B's area compares with Region B, not the first root,
    # and offers Region B's units only (a national tree: not every region's areas and VOs).
    own = area.phase.organisation_unit_id
    choices = units_with_children(root_id=own)
    region = (
        next((u for u in choices if own is not None and u.pk == own), None)
        or next((u for u in choices if u.parent_id is None), None)
        or region_unit()
    )
    chosen = unit or region
    if chosen is not None and chosen not in choices:
        choices.append(chosen)  # a care unit chosen by its code stays selectable
    measures = list(area.measures.order_by("name"))
    lines = (
        measure_lines(quarter=quarter, unit=chosen, measures=measures)
        if quarter and chosen and measures
        else []
    )
    return {"region": region, "chart_unit": chosen, "unit_choices": choices, "measure_lines": lines}


@dataclass(frozen=True)
class AdoptionCell:
    """A unit's adoption of one working method: its record (None where it has none), and
    whether the method applies to the unit at all (a kind it targets, its organisation)."""

    record: AdoptionRecord | None
    applies: bool
    # The record as it stood on the dashboard's day (goals.selectors.adoption_on): the selected
    # quarter's end, today in the ongoing quarter.
    on_day: AdoptionOnDay | None = None


@dataclass(frozen=True)
class AdoptionRow:
    """A unit and its adoption of each working method of the table, as it stood on the
    dashboard's day."""

    unit: Unit
    cells: list[AdoptionCell]


def unit_dashboard(
    *, unit: Unit, quarter: Quarter | None, measure_code: str | None
) -> dict[str, Any]:
    """What a unit's dashboard shows for a quarter (a fixed number of queries)."""
    ancestors = unit_ancestors(unit=unit)
    region = ancestors[0] if ancestors else unit
    parent = ancestors[-2] if len(ancestors) > 1 else None
    children = unit_children(unit=unit)

    rows_units = children or [unit]
    # The methods the adoption grid offers for these units (one selector), with or without
    # records: a method nobody has begun is shown as such, not left out.
    applied = adoption_methods_for(units=rows_units)
    methods = [method for method, _units in applied]
    targets = {(u.pk, method.pk) for method, units in applied for u in units}
    records = adoption_records_of(unit_ids=[u.pk for u in rows_units])
    by_key = {(r.unit_id, r.working_method_id): r for r in records}
    # As of the quarter's evaluation day, as the area's matrix and the goals count: its end,
    # today in the ongoing quarter (or without a quarter).
    adoption_day = evaluation_day(
        quarter.end if quarter else None, today=timezone.localdate(), deadline=None
    )
    adoption = [
        AdoptionRow(
            unit=u,
            cells=[
                AdoptionCell(
                    record=by_key.get((u.pk, m.pk)),
                    applies=(u.pk, m.pk) in targets,
                    on_day=adoption_on(by_key.get((u.pk, m.pk)), day=adoption_day),
                )
                for m in methods
            ],
        )
        for u in rows_units
    ]

    # The measure table's comparison columns: the parent where it is not the region (one
    # "Region Gävleborg" column, not two), the region where the unit is not the region itself.
    compare_parent = parent if parent is not None and parent.pk != region.pk else None
    compare_region = region if region.pk != unit.pk else None
    lines = (
        measure_lines(quarter=quarter, unit=unit, parent=compare_parent, region=compare_region)
        if quarter
        else []
    )
    # Peers: a unit with units below compares those; a unit without compares its siblings.
    peer_parent, peer_units = (unit, children) if children else (parent, [])
    if not children and parent is not None:
        peer_units = [u for u in unit_children(unit=parent) if u.kind_id == unit.kind_id]
    peer_measures = [line.measure for line in lines]
    peer_measure = next(
        (m for m in peer_measures if m.code == measure_code),
        peer_measures[0] if peer_measures else None,
    )
    comparison = (
        peer_comparison(quarter=quarter, measure=peer_measure, parent=peer_parent, units=peer_units)
        if quarter and peer_measure and peer_parent and peer_units
        else PeerComparison(parent_result=None, peers=[])
    )
    return {
        "ancestors": ancestors[:-1],
        "region": compare_region,
        "parent": compare_parent,
        "children": children,
        "methods": methods,
        "adoption": adoption,
        "adoption_day": adoption_day,
        "measure_lines": lines,
        "peer_parent": peer_parent,
        "peer_measures": peer_measures,
        "peer_measure": peer_measure,
        "peer_parent_result": comparison.parent_result,
        "peers": comparison.peers,
        "peer_comparison": comparison,
        "computed_at": latest_compute_run(quarter=quarter) if quarter else None,
    }


@dataclass(frozen=True)
class Deadline:
    """A goal or milestone due soon, with the days left from the quarter's reference day (an
    ended quarter's last day, else today; negative: passed)."""

    goal: Goal
    days_left: int


def _goals_of(phases: list[Phase]) -> list[Goal]:
    """The goals and milestones of portfolio_overview's phases (prefetched: no query)."""
    return [
        g
        for phase in phases
        for area in phase.programme_areas.all()
        for goal in area.top_goals  # type: ignore[attr-defined]
        for g in (goal, *goal.milestones.all())
    ]


def portfolio_quarter(
    *,
    phases: list[Phase],
    quarter: Quarter | None,
    today: datetime.date,
    organisation: Organisation | None = None,
) -> dict[str, Any]:
    """What the portfolio shows for a quarter besides the areas: the region's measures, the
    deadlines of the quarter and the next, and the summary paragraph (five queries).

    `today` is the day the deadlines count from: the quarter's reference day
    (QuarterSelection.reference_day: an ended quarter's last day, else today).

    The region is the organisation's unit when one is chosen, else the root of the tree.
    """
    if quarter is None:
        return {"measure_lines": [], "deadlines": [], "summary": [], "region": None}
    goals = _goals_of(phases)
    if organisation is None:
        region = region_unit()
    else:
        region = Unit.objects.select_related("kind").filter(pk=organisation.id).first()
    measures = list(Measure.objects.order_by("name"))
    lines = measure_lines(quarter=quarter, unit=region, measures=measures) if region else []
    window_end = quarter.next().end
    dated = [(g, g.deadline) for g in goals if g.deadline is not None]
    deadlines = [
        Deadline(goal=g, days_left=(deadline - today).days)
        for g, deadline in sorted(
            ((g, d) for g, d in dated if quarter.start <= d <= window_end),
            key=lambda pair: (pair[1], pair[0].title),
        )
    ]
    # Goals and milestones alike: the table below lists both, and the paragraph must not
    # leave out a goal that falls due.
    due = [
        DueGoal(
            title=g.title,
            status=_status_of(getattr(g, "result", None)),
            pending=deadline > today,
            milestone=g.is_milestone,
        )
        for g, deadline in sorted(dated, key=lambda pair: (pair[1], pair[0].title))
        if quarter.start <= deadline <= quarter.end
    ]
    facts = SummaryFacts(
        quarter=quarter,
        statuses=[_status_of(getattr(g, "result", None)) for g in goals],
        due=due,
        improvements=[
            line.measure.name
            for line in lines
            if (line.variation or "").startswith("special_cause_improvement")
        ],
        concerns=[
            line.measure.name
            for line in lines
            if (line.variation or "").startswith("special_cause_concern")
        ],
        measures_with_spc=sum(1 for line in lines if line.variation),
        # The reports made of those expected for the periods that have ended, as the table's
        # Datatäckning counts them (a unit reporting October only is not complete in December).
        reporting_units=sum(line.basis.reports[0] for line in lines if line.basis),
        expected_units=sum(line.basis.reports[1] for line in lines if line.basis),
        # As Datatäckning: a measure none of whose periods has ended is not yet due, so its
        # "–" is no gap (a quarterly measure in its own quarter, a month not yet over).
        missing_values=[
            line.measure.name
            for line in lines
            if (not line.result or line.result.value is None)
            and not (line.basis and line.basis.nothing_due)
        ],
    )
    return {
        "measure_lines": lines,
        "deadlines": deadlines,
        "summary": quarter_summary(facts),
        "region": region,
    }


# --- measures (the Mått pages) and goals (the Mål page) -----------------------------------------
#
# Each read below runs a fixed number of queries whatever the data's size (tests pin them), and
# reads MeasureResult by its primary key's leading columns (quarter IN (…), unit, measure).

SERIES_QUARTERS = 12  # the quarters a measure's table and a goal's status chart go back


def measure_get(*, code: str) -> Measure | None:
    """A measure by its code."""
    return Measure.objects.filter(code=code).first()


def goal_get(*, code: str) -> Goal | None:
    """A goal or milestone by its code, with what its page shows of its relations."""
    return (
        Goal.objects.with_deadline_move()
        .select_related(
            "programme_area__phase__organisation_unit",
            "parent",
            "measure",
            "working_method",
            "unit_kind",
        )
        .filter(code=code)
        .first()
    )


def _quarters_back(quarter: Quarter, count: int = SERIES_QUARTERS) -> list[Quarter]:
    """The quarter and the count − 1 before it, oldest first."""
    quarters = [quarter]
    while len(quarters) < count:
        quarters.insert(0, quarters[0].previous())
    return quarters


@dataclass(frozen=True)
class MeasureRow:
    """One measure on the list: the region's value for the quarter and its SPC chart."""

    measure: Measure
    result: MeasureResult | None
    summary: dict[str, Any] | None
    basis: QuarterBasis | None = None


def measure_rows(*, unit: Unit | None, quarter: Quarter | None) -> list[MeasureRow]:
    """Every measure with the unit's result (and changes) and SPC summary for the quarter."""
    measures = list(Measure.objects.prefetch_related("programme_areas").order_by("name"))
    if unit is None or quarter is None:
        return [MeasureRow(measure, None, None) for measure in measures]
    results = {
        row.measure_id: row
        for row in MeasureResult.objects.of_quarter(quarter)
        .with_previous_value(quarter)
        .filter(unit=unit)
    }
    summaries = dict(
        SpcResult.objects.filter(quarter=quarter.code, unit=unit).values_list(
            "measure_id", "summary"
        )
    )
    rows_by_period = period_rows(
        unit_id=unit.pk, measure_ids=[m.pk for m in measures], quarters=_compared_quarters(quarter)
    )
    today = timezone.localdate()
    return [
        MeasureRow(
            measure,
            results.get(measure.pk),
            summaries.get(measure.pk),
            quarter_basis(
                measure=measure,
                quarter=quarter,
                result=results.get(measure.pk),
                rows=rows_by_period,
                today=today,
                summary=summaries.get(measure.pk),
            ),
        )
        for measure in measures
    ]


@dataclass(frozen=True)
class UnitChoices:
    """The units a measure's page offers: the path from the region, the unit's siblings and
    the units below it, so the select stays short at any size and still reaches every unit."""

    ancestors: list[Unit]
    siblings: list[Unit]
    children: list[Unit]


def unit_choices(unit: Unit) -> UnitChoices:
    """The units around `unit` for the select (two queries)."""
    ancestors = [
        link.ancestor
        for link in UnitClosure.objects.filter(descendant=unit, depth__gt=0)
        .select_related("ancestor")
        .order_by("-depth")
    ]
    near = Unit.objects.filter(
        Q(parent_id=unit.parent_id) if unit.parent_id else Q(parent__isnull=True)
    ) | Unit.objects.filter(parent=unit)
    siblings: list[Unit] = []
    children: list[Unit] = []
    for other in near.order_by("name"):
        (children if other.parent_id == unit.pk else siblings).append(other)
    return UnitChoices(ancestors=ancestors, siblings=siblings, children=children)


@dataclass(frozen=True)
class SignalGroup:
    """The periods of a quarter that the same special cause flags, for the same reasons."""

    type: str  # improvement, concern, conflict or neither (followup.spc.Verdict)
    periods: list[str]  # period starts, ISO dates
    rules: list[str]  # in the order of followup.spc.RULES
    # Each rule with its side (followup.spc.reasons); None for a chart stored before signals
    # had sides (SPC format 2), whose periods are then grouped by type alone.
    reasons: Reasons | None = None


@dataclass(frozen=True)
class QuarterRow:
    """A quarter of a measure for a unit: its result and the SPC signals among its periods."""

    quarter: Quarter
    result: MeasureResult
    signals: list[SignalGroup]
    basis: QuarterBasis | None = None


def _signals_in(
    points: list[list[Any]], quarter: Quarter, improvement: Any = None
) -> list[SignalGroup]:
    """The quarter's special-cause points, one group per verdict and reasons, so that each
    period is listed with exactly the rules that flag it and the side each flags it on (a
    point below the lower limit is never listed under an improvement it is not)."""
    first, last = quarter.start.isoformat(), quarter.end.isoformat()
    groups: dict[tuple[str, Reasons | None], SignalGroup] = {}
    for point in points:
        start, kind, rules = point[0], point[2], point[3]
        if kind == "common_cause" or not first <= start <= last:
            continue
        why = stored_reasons(point, improvement)
        verdict = why.verdict if why is not None else kind
        group = groups.setdefault((verdict, why), SignalGroup(verdict, [], [], why))
        group.periods.append(start)
        group.rules.extend(rule for rule in rules if rule not in group.rules)
    for group in groups.values():
        group.rules.sort(key=lambda rule: RULES.index(rule) if rule in RULES else len(RULES))
    return list(groups.values())


@dataclass(frozen=True)
class MeasureSeries:
    """A measure for one unit up to a quarter: its SPC chart, quarters, target and goals."""

    measure: Measure
    unit: Unit
    quarter: Quarter | None
    current: MeasureResult | None
    summary: dict[str, Any] | None
    rows: list[QuarterRow]
    target: Decimal | None
    goals: list[GoalResult]
    basis: QuarterBasis | None = None
    # The latest earlier quarter with a value: what a quarterly measure shows while its own
    # quarter is under way.
    latest: QuarterRow | None = None
    # What the chart's latest point says (the variation icon's point): a conflict is told
    # beside the icon, which shows improvement as Making Data Count's tool does.
    latest_reasons: Reasons | None = None

    @property
    def goals_elsewhere(self) -> bool:
        """Goals follow the measure, but none has a target for this unit: they are about
        their organisation as a whole, and goal attainment is not judged for the unit."""
        return bool(self.goals) and self.target is None


def measure_series(*, measure: Measure, unit: Unit, quarter: Quarter | None) -> MeasureSeries:
    """What the measure page shows for a unit and quarter (five queries)."""
    if quarter is None:
        return MeasureSeries(measure, unit, None, None, None, [], None, [])
    current = MeasureResult.objects.of_quarter(quarter).filter(unit=unit, measure=measure).first()
    spc = SpcResult.objects.filter(quarter=quarter.code, unit=unit, measure=measure).first()
    summary = spc.summary if spc else None
    back = _quarters_back(quarter)
    codes = [q.code for q in back]
    stored = MeasureResult.objects.filter(quarter__in=codes, unit=unit, measure=measure)
    points = (summary or {}).get("points") or []
    # The 12 quarters back hold the selected quarter's previous one and the year before.
    rows_by_period = period_rows(unit_id=unit.pk, measure_ids=[measure.pk], quarters=back)
    today = timezone.localdate()

    def basis(of: Quarter, result: MeasureResult | None) -> QuarterBasis:
        return quarter_basis(
            measure=measure,
            quarter=of,
            result=result,
            rows=rows_by_period,
            today=today,
            summary=summary if of == quarter else None,
        )

    rows = [
        QuarterRow(
            Quarter.parse(r.quarter),
            r,
            _signals_in(points, Quarter.parse(r.quarter), (summary or {}).get("improvement")),
            basis(Quarter.parse(r.quarter), r),
        )
        for r in sorted(stored, key=lambda r: r.quarter, reverse=True)
    ]
    # The goals that follow the measure, with their status this quarter; the target line is
    # theirs for the unit the goals are about (the region), as the engine's assurance icon.
    goals = list(
        GoalResult.objects.filter(
            quarter=quarter.code, goal__kind=Goal.Kind.MEASURE, goal__measure=measure
        )
        .select_related("goal__programme_area__phase")
        .order_by("goal__programme_area__number", "goal__order", "goal_id")
    )
    target = next(
        (
            r.target
            for r in goals
            if r.target is not None
            and (r.goal.programme_area.phase.organisation_unit_id or _root_id(unit)) == unit.pk
        ),
        None,
    )
    latest = next(
        (row for row in rows if row.quarter < quarter and row.result.value is not None), None
    )
    return MeasureSeries(
        measure,
        unit,
        quarter,
        current,
        summary,
        rows,
        target,
        goals,
        basis(quarter, current),
        latest,
        stored_reasons(judged, (summary or {}).get("improvement"))
        if (judged := latest_judged(points)) is not None
        else None,
    )


def _root_id(unit: Unit) -> int | None:
    """The unit's tree root, if the unit is one (no query: goals without a phase unit are
    about the region, the tree's root)."""
    return unit.pk if unit.parent_id is None else None


@dataclass(frozen=True)
class AdoptionUnit:
    """A unit an adoption goal counts, with where it stands with the goal's working method."""

    unit: Unit
    record: AdoptionRecord | None
    # As the status engine counts (goals.selectors.adoption_standing): "adopted" by its
    # evaluation day, "planned" by the deadline; "planned_late" (a date after the deadline) and
    # "not_started" count as neither.
    standing: str
    # The record's status on the evaluation day, as the area's matrix shows it (adoption_on).
    on_day: AdoptionOnDay | None = None


@dataclass(frozen=True)
class MilestoneRow:
    """A milestone with its result for the quarter (None where none is computed)."""

    goal: Goal
    result: GoalResult | None


@dataclass(frozen=True)
class GoalPage:
    """A goal or milestone: its results per quarter, milestones, and what lies behind it."""

    goal: Goal
    quarter: Quarter | None
    results: list[GoalResult]  # oldest first, up to the quarter
    latest: GoalResult | None  # the quarter's
    milestones: list[MilestoneRow]
    adoption: list[AdoptionUnit]
    summary: dict[str, Any] | None  # a measure goal's SPC chart for the unit it is about
    scope_unit: Unit | None
    adoption_day: datetime.date | None = None  # the day the units' statuses are as of


def goal_page(*, goal: Goal, quarter: Quarter | None) -> GoalPage:
    """What the goal page shows (a fixed number of queries, whatever the goal's kind)."""
    if quarter is None:
        return GoalPage(goal, None, [], None, [], [], None, None)  # nothing computed yet
    codes = [q.code for q in _quarters_back(quarter)]
    results = list(GoalResult.objects.filter(goal=goal, quarter__in=codes).order_by("quarter"))
    latest = next((r for r in results if r.quarter == quarter.code), None)
    milestones = list(
        Goal.objects.filter(parent=goal)
        .with_deadline_move()
        .select_related("unit_kind", "measure", "working_method")
        .order_by(F("deadline").asc(nulls_last=True), "order", "id")
    )
    by_goal = (
        {r.goal_id: r for r in GoalResult.objects.filter(quarter=quarter.code, goal__parent=goal)}
        if milestones
        else {}
    )
    for milestone in milestones:  # each milestone's line reads its result (goal_line.html)
        milestone.result = by_goal.get(milestone.pk)  # type: ignore[attr-defined]
    milestone_rows = [MilestoneRow(m, by_goal.get(m.pk)) for m in milestones]
    scope_unit = None
    adoption: list[AdoptionUnit] = []
    summary = None
    if goal.kind in (Goal.Kind.ADOPTION, Goal.Kind.MEASURE):
        scope_unit = goal.programme_area.phase.organisation_unit or region_unit()
    adoption_day = None
    if goal.kind == Goal.Kind.ADOPTION and scope_unit is not None:
        adoption_day = _evaluated_on(latest, goal, quarter)
        adoption = _adoption_units(goal, scope_unit, adoption_day)
    if goal.kind == Goal.Kind.MEASURE and scope_unit is not None:
        summary = (
            SpcResult.objects.filter(quarter=quarter.code, unit=scope_unit, measure=goal.measure_id)
            .values_list("summary", flat=True)
            .first()
        )
    return GoalPage(
        goal, quarter, results, latest, milestone_rows, adoption, summary, scope_unit, adoption_day
    )


def _adoption_units(goal: Goal, scope: Unit, evaluated_on: datetime.date) -> list[AdoptionUnit]:
    """The units the goal counts, grouped as the engine counted them on its evaluation day.

    Adopted: the working method introduced (or phased out) by that day; planned: a planned
    date by the deadline; the rest not started. Two queries.
    """
    method = goal.working_method
    if method is None:  # an adoption goal always has one (its constraint)
        return []
    done = done_status(method)
    records = AdoptionRecord.objects.filter(working_method_id=goal.working_method_id)
    units = (
        Unit.objects.in_subtree(scope)
        .filter(kind_id=goal.unit_kind_id)
        .active_on(evaluated_on)
        .select_related("parent")
        .prefetch_related(Prefetch("adoption_records", queryset=records, to_attr="records"))
        .order_by("parent__name", "name")
    )
    out = []
    for unit in units:
        record = unit.records[0] if unit.records else None
        standing = adoption_standing(record, day=evaluated_on, deadline=goal.deadline, done=done)
        out.append(AdoptionUnit(unit, record, standing, adoption_on(record, day=evaluated_on)))
    # Grouped as the engine counts them (the page's group headings), each group by VO and name.
    order = [ADOPTED, PLANNED, PLANNED_LATE, NOT_STARTED]
    return sorted(out, key=lambda row: order.index(row.standing))


def _evaluated_on(latest: GoalResult | None, goal: Goal, quarter: Quarter) -> datetime.date:
    """The day the engine evaluated the goal on (its basis), else the quarter's end."""
    raw = (latest.basis or {}).get("evaluated_on") if latest else None
    if raw:
        return datetime.date.fromisoformat(raw)
    return evaluation_day(quarter.end, today=timezone.localdate(), deadline=goal.deadline)


@dataclass(frozen=True)
class TimelineEntry:
    """A dated line of a programme area's timeline: a deadline, an activity, or today."""

    day: datetime.date
    kind: str  # "goal", "milestone", "activity" or "today"
    title: str
    end: datetime.date | None = None
    unit_name: str = ""
    goal: Goal | None = None
    # An activity's status as its VO reported it, and the status description that explains it.
    status: str = ""
    note: str = ""


def programme_area_timeline(
    *, area: ProgrammeArea, goals: list[Goal], today: datetime.date
) -> list[TimelineEntry]:
    """The phase's dated events in order: goals' and milestones' deadlines, the VOs' activities
    (one query), and today among them."""
    start, end = area.phase.start_date, area.phase.end_date
    entries: list[TimelineEntry] = [
        TimelineEntry(
            day=g.deadline,
            kind="milestone" if g.is_milestone else "goal",
            title=g.title,
            goal=g,
        )
        for goal in goals
        for g in (goal, *goal.milestones.all())
        if g.deadline and start <= g.deadline <= end
    ]
    for activity in activities_of_area(area=area):
        first = activity.start_date or activity.end_date
        if first is not None:
            entries.append(
                TimelineEntry(
                    day=first,
                    kind="activity",
                    title=activity.title,
                    end=activity.end_date,
                    unit_name=activity.plan.unit.name,
                    status=activity.get_status_display(),
                    note=activity.status_note,
                )
            )
    if start <= today <= end:
        entries.append(TimelineEntry(day=today, kind="today", title=""))
    order = {"today": 0, "goal": 1, "milestone": 2, "activity": 3}
    return sorted(entries, key=lambda e: (e.day, order[e.kind], e.title))


# --- which quarters to compute ---------------------------------------------------------------


def quarters_in_scope(today: datetime.date | None = None) -> list[Quarter]:
    """Every quarter with data or plan to compute: from the earliest to the current one."""
    today = today or timezone.localdate()
    starts = [
        day
        for day in (
            Phase.objects.order_by("start_date").values_list("start_date", flat=True).first(),
            Observation.objects.order_by("period_start")
            .values_list("period_start", flat=True)
            .first(),
        )
        if day is not None
    ]
    if not starts:
        return [Quarter.containing(today)]
    first = Quarter.containing(min(starts))
    return quarter_range(first, max(first, Quarter.containing(today)))


def quarters_affected_from(
    first: Quarter | str, today: datetime.date | None = None
) -> list[Quarter]:
    """A change in one quarter alters it and every later one (SPC series, goal status)."""
    start = Quarter.parse(first) if isinstance(first, str) else first
    current = Quarter.containing(today or timezone.localdate())
    return quarter_range(start, current) if start <= current else []


def goal_block_get(*, code: str, quarter: Quarter | None) -> Goal | None:
    """A goal or milestone as its block on the dashboards shows it (the inline editing's
    "Spara" and "Avbryt" give the block back): the relations its line and the Mål page's header
    read, its assessments (newest first) and its result for the quarter as `result`."""
    assessments = Assessment.objects.select_related("author").order_by("-quarter")
    goal = (
        Goal.objects.with_deadline_move()
        .select_related("programme_area", "parent", "measure", "working_method", "unit_kind")
        .prefetch_related(Prefetch("assessments", queryset=assessments))
        .filter(code=code)
        .first()
    )
    if goal is not None:
        results = goal_results_of(quarter=quarter, goals=[goal]) if quarter else {}
        goal.result = results.get(goal.pk)  # type: ignore[attr-defined]
    return goal


# --- the quarterly report -----------------------------------------------------------------------


def report_organisation_unit_id(organisation: Organisation | None) -> int | None:
    """The unit a quarterly report belongs to: the chosen organisation's, or with one
    organisation or none the root of the tree (whose portfolio is then every phase)."""
    if organisation is not None:
        return organisation.id
    root = region_unit()
    return root.pk if root is not None else None


@dataclass(frozen=True)
class ReportNotice:
    """What Portfölj tells those who can act on a quarterly report: the portfolio owner that
    one waits for approval ("waiting"), the strategist that one was sent back ("returned") or
    that an ended quarter can be closed ("closable"). `report` is None for a quarter nobody
    has closed yet; `url` is the report page's, the view's to fill in."""

    kind: str
    quarter: Quarter
    report: QuarterReport | None
    url: str = ""


def quarter_report_notices(
    *,
    organisation: Organisation | None,
    computed: list[Quarter],
    today: datetime.date,
    may_close: bool,
    may_approve: Callable[[QuarterReport], bool],
) -> list[ReportNotice]:
    """The reports of the organisation shown on Portfölj (the root's with one organisation or
    none) that wait for the user, newest quarter first (one query; `may_approve` is asked of
    each closed report found, and the view asks nothing of a user who may act on none).

    Closed reports wait for approval; reports sent back wait for the strategist, and so does
    the latest computed quarter that has ended while nobody has closed it."""
    if organisation is not None:
        reports = QuarterReport.objects.filter(organisation_id=organisation.id)
    else:
        root = Unit.objects.filter(parent__isnull=True).order_by("code").values("pk")[:1]
        reports = QuarterReport.objects.filter(organisation_id=Subquery(root))
    ended = [quarter for quarter in computed if quarter.end < today]
    latest = max(ended) if ended else None
    # Approved reports ask nothing of anyone, bar the latest ended quarter's: then it is closed.
    open_or_latest = ~Q(status=QuarterReport.Status.APPROVED)
    if latest is not None:
        open_or_latest |= Q(quarter=latest.code)
    rows = list(
        reports.filter(open_or_latest)
        .select_related("returned_by")
        .only(
            "organisation_id",
            "quarter",
            "status",
            "version",
            "returned_at",
            "return_comment",
            "returned_by__first_name",
            "returned_by__last_name",
            "returned_by__username",
        )
        .order_by("-quarter")
    )
    notices: list[ReportNotice] = []
    by_quarter = {row.quarter: row for row in rows}
    for row in rows:
        quarter = Quarter.parse(row.quarter)
        if row.status == QuarterReport.Status.CLOSED and may_approve(row):
            notices.append(ReportNotice(kind="waiting", quarter=quarter, report=row))
        elif may_close and row.status == QuarterReport.Status.DRAFT and row.returned_at:
            notices.append(ReportNotice(kind="returned", quarter=quarter, report=row))
    if may_close and latest is not None:
        unclosed = by_quarter.get(latest.code)
        if unclosed is None or (
            unclosed.status == QuarterReport.Status.DRAFT and not unclosed.returned_at
        ):
            notices.append(ReportNotice(kind="closable", quarter=latest, report=unclosed))
    return sorted(notices, key=lambda notice: notice.quarter, reverse=True)


def report_organisation_unit_id_of_area(area_id: int) -> int | None:
    """The unit whose quarterly report shows a programme area's goals: with several
    organisations the area's phase's organisation (None for a phase of none: on no
    organisation's portfolio), else the root of the tree (report_organisation_unit_id)."""
    if len(organisations()) < 2:
        return report_organisation_unit_id(None)
    phase_id = ProgrammeArea.objects.filter(pk=area_id).values_list("phase_id", flat=True).first()
    found = phase_organisation(phase_id) if phase_id is not None else None
    return found.organisation.id if found is not None and found.organisation else None


def closed_report_quarters(
    area_id: int, quarters: Collection[str] | None
) -> dict[str, ClosedQuarter]:
    """The quarters among `quarters` (None: every quarter) whose quarterly report showing the
    programme area's goals is Fastställd or Godkänd, with when it was closed (registered with
    goals.models.register_closed_quarters: the rule that an assessment of such a quarter is not
    created, changed or deleted, nor a goal the report showed)."""
    unit_id = report_organisation_unit_id_of_area(area_id)
    if unit_id is None or (quarters is not None and not quarters):
        return {}
    rows = QuarterReport.objects.filter(
        organisation_id=unit_id,
        status__in=[QuarterReport.Status.CLOSED, QuarterReport.Status.APPROVED],
    )
    if quarters is not None:
        rows = rows.filter(quarter__in=list(quarters))
    return {
        code: ClosedQuarter(
            code=code, approved=status == QuarterReport.Status.APPROVED, closed_at=closed_at
        )
        for code, status, closed_at in rows.values_list("quarter", "status", "closed_at")
    }


def quarter_report_get(*, organisation_id: int, quarter: Quarter) -> QuarterReport | None:
    """The report of an organisation and quarter with who closed, approved and returned it
    (one query); None while nobody has closed it (an unsaved draft)."""
    # Whether it was ever sent back (its history says): only then are the send-backs read.
    sent_back = QuarterReport.history.model.objects.filter(
        id=OuterRef("pk"), returned_at__isnull=False
    )
    return (
        QuarterReport.objects.select_related("closed_by", "approved_by", "returned_by")
        .annotate(was_sent_back=Exists(sent_back))
        .filter(organisation_id=organisation_id, quarter=quarter.code)
        .first()
    )


def quarter_report_only_saver_since(
    *, organisation_id: int, quarter: Quarter, version: int
) -> int | None:
    """The one user who made every change of the report after `version`, None if several (or
    none, or a loader) did (one query): a stale page's conflict says when it was the user's
    own change in another tab (as base.editing.Conflict.user_id does for the forms)."""
    savers = set(
        QuarterReport.history.filter(
            organisation_id=organisation_id, quarter=quarter.code, version__gt=version
        ).values_list("history_user_id", flat=True)
    )
    if len(savers) != 1:
        return None
    (only,) = savers
    return int(only) if only is not None else None


@dataclass(frozen=True)
class SendBack:
    """A send-back of a quarterly report: who, when, and the comment the strategist answers."""

    name: str
    returned_at: datetime.datetime
    comment: str


def quarter_report_send_backs(*, report: QuarterReport) -> list[SendBack]:
    """Every send-back of the report, oldest first, read from its history (one query): the
    close that answers one clears the report's fields, the history keeps each one. No query
    for a report read by quarter_report_get that was never sent back."""
    if getattr(report, "was_sent_back", True) is False:
        return []
    rows = (
        report.history.filter(returned_at__isnull=False)
        .select_related("returned_by")
        .order_by("returned_at", "history_id")
    )
    found: dict[datetime.datetime, SendBack] = {}
    for row in rows:
        if row.returned_at in found:
            continue
        user = row.returned_by
        name = (user.get_full_name() or user.get_username()) if user is not None else ""
        found[row.returned_at] = SendBack(name, row.returned_at, row.return_comment)
    return list(found.values())


def quarter_reports_of(*, organisation_id: int) -> dict[str, QuarterReport]:
    """Every stored report of an organisation by quarter code (one query)."""
    rows = QuarterReport.objects.select_related("closed_by", "approved_by").filter(
        organisation_id=organisation_id
    )
    return {row.quarter: row for row in rows.defer("content_html")}


def quarter_close_refusal(*, quarter: Quarter, today: datetime.date) -> str:
    """Why a quarter cannot be closed yet, in Swedish ("" when it can): it has not ended, its
    follow-up has not been computed, or a recompute of it is still waiting (the report would
    freeze results the latest changes are not in). At most two queries."""
    if today <= quarter.end:
        return gettext(ERROR_REPORT_QUARTER_ONGOING).format(
            quarter=quarter.label, end=day_label(quarter.end)
        )
    computed = ComputeRun.objects.filter(
        quarter=quarter.code, finished_at__isnull=False, error=""
    ).exists()
    if not computed:
        return gettext(ERROR_REPORT_NOT_COMPUTED).format(quarter=quarter.label)
    if RecomputeRequest.objects.filter(quarter=quarter.code).exists():
        return gettext(ERROR_REPORT_RECOMPUTE_PENDING).format(quarter=quarter.label)
    return ""


def quarter_report_body(
    *, organisation: Organisation | None, quarter: Quarter, today: datetime.date
) -> dict[str, Any]:
    """What a quarter's report shows, read as Portfölj reads it (portfolio_with_status and
    portfolio_quarter: the same rows, a fixed number of queries): the areas with their goals
    and milestones, the summary paragraph, the deadlines and the region's measures."""
    portfolio = portfolio_with_status(quarter=quarter, organisation=organisation)
    return {
        "phases": portfolio.phases,
        "computed_at": portfolio.computed_at,
        **portfolio_quarter(
            phases=portfolio.phases, quarter=quarter, today=today, organisation=organisation
        ),
    }


def quarter_changed_since(
    *, quarter: Quarter, since: datetime.datetime
) -> datetime.datetime | None:
    """When a recompute after `since` last changed the quarter's results, None if none did
    (one query). A recompute writes only changed rows, so a run that wrote none (the nightly
    run over unchanged data) changed nothing a closed report shows."""
    return (
        ComputeRun.objects.filter(quarter=quarter.code, finished_at__gt=since, error="")
        .filter(Q(measure_rows__gt=0) | Q(period_rows__gt=0) | Q(goal_rows__gt=0))
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
