"""The portfolio and its organisations: which organisation a page is of, the programme areas
with their status, whose quarterly report covers what, the status counts, whether demo data
is present and which quarters have results.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Q, Subquery
from django.utils import timezone

from base.periods import Quarter
from goals.models import Goal
from goals.selectors import portfolio_overview
from goals.status import Status, overall_status
from organisation.models import Unit
from organisation.selectors import Scope
from programmes.models import Phase, ProgrammeArea

from ..cache import cached
from ..models import ComputeRun, GoalResult, ImportBatch, Observation, QuarterReport

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


def _goals_of(phases: list[Phase]) -> list[Goal]:
    """The goals and milestones of portfolio_overview's phases (prefetched: no query)."""
    return [
        g
        for phase in phases
        for area in phase.programme_areas.all()
        for goal in area.top_goals  # type: ignore[attr-defined]
        for g in (goal, *goal.milestones.all())
    ]


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
