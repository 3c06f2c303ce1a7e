"""Reads of goals for pages and reports."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Prefetch, Q

from organisation.models import Unit
from programmes.models import Phase, ProgrammeArea, ProgrammeAreaProcess, WorkingMethod

from .models import AdoptionRecord, Assessment, Goal


def portfolio_overview(
    *, organisation_id: int | None = None, with_unassigned: bool = False
) -> list[Phase]:
    """Phases with their timeline, areas, process links, goals and milestones (fixed queries).

    With `organisation_id`: that organisation's phases only. Not the phases of no organisation:
    the engine counts their goals on the tree's first root (followup.compute), so with several
    organisations they are no one organisation's portfolio; Programområden lists them beside
    each organisation's (`with_unassigned`).
    """
    # Nulls last on both databases, so goals without a deadline sort alike everywhere.
    by_deadline = (F("deadline").asc(nulls_last=True), "order", "id")
    milestones = Goal.objects.select_related("unit_kind", "measure", "working_method").order_by(
        *by_deadline
    )
    goals = (
        Goal.objects.top_level()
        .select_related("unit_kind", "measure", "working_method")
        .order_by("order", *by_deadline)
        .prefetch_related(Prefetch("milestones", queryset=milestones))
    )
    links = ProgrammeAreaProcess.objects.select_related("supporting_process").order_by(
        "supporting_process__name"
    )
    areas = ProgrammeArea.objects.prefetch_related(
        Prefetch("goals", queryset=goals, to_attr="top_goals"),
        Prefetch("process_links", queryset=links),
    )
    phases = Phase.objects.prefetch_related(Prefetch("programme_areas", queryset=areas), "events")
    if organisation_id is None:
        return list(phases.order_by("start_date"))
    mine = Q(organisation_unit_id=organisation_id)
    if with_unassigned:
        mine |= Q(organisation_unit__isnull=True)
    return list(phases.filter(mine).order_by("start_date", "id"))


def goal_tree_for_area(*, area: ProgrammeArea) -> list[Goal]:
    """An area's top-level goals with their milestones and both's assessments (newest first)."""
    by_deadline = (F("deadline").asc(nulls_last=True), "order", "id")
    assessments = Assessment.objects.select_related("author").order_by("-quarter")
    milestones = (
        Goal.objects.select_related("unit_kind", "measure", "working_method")
        .prefetch_related(Prefetch("assessments", queryset=assessments))
        .order_by(*by_deadline)
    )
    return list(
        Goal.objects.top_level()
        .filter(programme_area=area)
        .select_related("unit_kind", "measure", "working_method")
        .prefetch_related(
            Prefetch("milestones", queryset=milestones),
            Prefetch("assessments", queryset=assessments),
        )
        .order_by("order", *by_deadline)
    )


def adoption_records_of(*, unit_ids: list[int]) -> list[AdoptionRecord]:
    """The adoption records of these units with their working methods (one query)."""
    return list(
        AdoptionRecord.objects.filter(unit_id__in=unit_ids)
        .select_related("working_method__programme_area")
        .order_by("working_method__programme_area__number", "working_method__name")
    )


def adoption_records_without_plan(*, unit_ids: list[int]) -> list[AdoptionRecord]:
    """Adoption not started or planned but without a planned date (the units' to-do)."""
    return list(
        AdoptionRecord.objects.filter(
            unit_id__in=unit_ids,
            status__in=[AdoptionRecord.Status.NOT_STARTED, AdoptionRecord.Status.PLANNED],
            planned_date__isnull=True,
        )
        .select_related("unit", "working_method")
        .order_by("unit__name", "working_method__name")
    )


DONE_STATUSES = (AdoptionRecord.Status.ADOPTED, AdoptionRecord.Status.PHASED_OUT)
MATRIX_SORTS = ("enhet", "status")


@dataclass(frozen=True)
class MatrixRow:
    unit: Unit
    cells: list[AdoptionRecord | None]  # one per working method, None: nothing recorded

    @property
    def done(self) -> int:
        return sum(1 for cell in self.cells if _is_done(cell))


@dataclass(frozen=True)
class Share:
    done: int
    total: int
    target: Decimal | None = None  # the adoption goal's target share (%), if there is one

    @property
    def percent(self) -> Decimal | None:
        return Decimal(100 * self.done) / self.total if self.total else None


@dataclass(frozen=True)
class MatrixGroup:
    vo: Unit | None
    rows: list[MatrixRow]
    shares: list[Share]


@dataclass(frozen=True)
class AdoptionMatrix:
    methods: list[WorkingMethod]
    groups: list[MatrixGroup]
    totals: list[Share]
    vos: list[Unit]  # every VO, for the filter
    # More units than a page can list (settings.GONV_ADOPTION_MATRIX_UNIT_LIMIT) and no VO
    # chosen: the groups carry their shares but no rows; a VO's units are one filter away.
    collapsed: bool = False
    unit_count: int = 0


def _is_done(record: AdoptionRecord | None) -> bool:
    return record is not None and record.status in DONE_STATUSES


def _shares(rows: list[MatrixRow], count: int, targets: list[Decimal | None]) -> list[Share]:
    return [
        Share(
            done=sum(1 for row in rows if _is_done(row.cells[i])),
            total=len(rows),
            target=targets[i],
        )
        for i in range(count)
    ]


def adoption_matrix(
    *,
    area: ProgrammeArea,
    day: datetime.date,
    vo_code: str = "",
    sort: str = "enhet",
    unit_limit: int | None = None,
) -> AdoptionMatrix:
    """The area's working methods × the units they target, grouped by VO, with the share done
    per VO and in all against the adoption goals' targets (four queries).

    The units are those of the area's organisation (`Phase.organisation_unit`: Region B's area
    lists Region B's health centres, not every region's; one join on the closure table), or of
    the whole tree for a phase of no organisation. The area's phase must be loaded with it.

    With more than `unit_limit` units and no VO chosen the matrix is collapsed: every VO with
    its shares, no unit rows (a national area would list every health centre of the nation,
    megabytes of HTML). The shares are computed over all units either way.
    """
    methods = list(
        WorkingMethod.objects.filter(programme_area=area)
        .prefetch_related("target_unit_kinds")
        .order_by("name")
    )
    kind_ids = {kind.pk for m in methods for kind in m.target_unit_kinds.all()}
    targeted = Unit.objects.filter(kind_id__in=kind_ids)
    organisation_id = area.phase.organisation_unit_id
    if organisation_id is not None:
        targeted = targeted.in_subtree(organisation_id)
    units = list(targeted.active_on(day).select_related("parent").order_by("parent__name", "name"))
    records = {
        (r.unit_id, r.working_method_id): r
        for r in AdoptionRecord.objects.filter(
            working_method__in=methods, unit_id__in=[u.pk for u in units]
        )
    }
    # The nearest adoption goal's target per method (a goal and its milestone share a method).
    targets_by_method: dict[int | None, Decimal | None] = {}
    for goal in Goal.objects.filter(
        programme_area=area, kind=Goal.Kind.ADOPTION, deadline__gte=day
    ).order_by("-deadline"):
        targets_by_method[goal.working_method_id] = goal.target_share
    targets = [targets_by_method.get(m.pk) for m in methods]

    vos = list({u.parent_id: u.parent for u in units if u.parent is not None}.values())
    collapsed = not vo_code and unit_limit is not None and len(units) > unit_limit
    groups = []
    all_rows: list[MatrixRow] = []
    for vo in vos:
        rows = [
            MatrixRow(unit=u, cells=[records.get((u.pk, m.pk)) for m in methods])
            for u in units
            if u.parent_id == vo.pk
        ]
        all_rows += rows
        if vo_code and vo.code != vo_code:
            continue
        if sort == "status":
            rows.sort(key=lambda row: (-row.done, row.unit.name))
        shares = _shares(rows, len(methods), targets)
        groups.append(MatrixGroup(vo=vo, rows=[] if collapsed else rows, shares=shares))
    if collapsed and sort == "status":
        # No unit rows to sort: the VOs themselves, most adopted first.
        groups.sort(key=lambda g: (-sum(s.done for s in g.shares), g.vo.name if g.vo else ""))
    return AdoptionMatrix(
        methods=methods,
        groups=groups,
        totals=_shares(all_rows, len(methods), targets),
        vos=vos,
        collapsed=collapsed,
        unit_count=len(units),
    )
