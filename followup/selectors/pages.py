"""The pages' reads, composed: a programme area's quarter and measures, a unit's dashboard and
the portfolio's quarter, each from the reads of portfolio.py and values.py.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from base.periods import Quarter
from goals.models import AdoptionRecord, Goal
from goals.selectors import (
    AdoptionOnDay,
    adoption_methods_for,
    adoption_on,
    adoption_records_of,
    evaluation_day,
    goal_tree_for_area,
)
from goals.status import overall_status
from organisation.models import Unit
from organisation.selectors import region_unit, unit_ancestors, unit_children, units_with_children
from programmes.models import Phase, ProgrammeArea

from ..models import Measure
from ..summary import DueGoal, SummaryFacts, quarter_summary
from .portfolio import Organisation, _area_report_unit, _goals_of, _status_of, status_counts
from .values import (
    PeerComparison,
    goal_results_of,
    latest_compute_run,
    measure_lines,
    peer_comparison,
)

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
