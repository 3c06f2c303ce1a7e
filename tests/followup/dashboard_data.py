"""Dashboard test data at a chosen size: a unit tree, measures with results and SPC summaries
for some quarters, goals with results, adoption, activities and support needs."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from base.periods import Quarter
from followup import triggers
from followup.models import ComputeRun, GoalResult, Measure, MeasureResult, SpcResult
from goals.models import Goal
from goals.status import Status
from organisation.models import Unit, UnitKind
from programmes.models import ProgrammeArea
from tests.factories import (
    ActivityFactory,
    ActivityPlanFactory,
    AdoptionRecordFactory,
    GoalFactory,
    MeasureFactory,
    PhaseFactory,
    ProgrammeAreaFactory,
    SupportNeedFactory,
    UnitFactory,
    WorkingMethodFactory,
)

LATEST = Quarter(2025, 4)


@dataclass
class DashboardData:
    region: Unit
    area: Unit
    vos: list[Unit]
    hcs: list[Unit]
    programme_area: ProgrammeArea
    measures: list[Measure]
    goals: list[Goal]
    quarters: list[Quarter]


def spc_summary(values: list[float], variation: str | None) -> dict[str, object]:
    """A stored SPC summary as the engine writes it (docs/spc.md), with monthly points."""
    start = datetime.date(2023, 1, 1)
    points = []
    for index, value in enumerate(values):
        month = start.month - 1 + index
        day = datetime.date(start.year + month // 12, month % 12 + 1, 1)
        points.append([day.isoformat(), value, "common_cause", []])
    enough = len(values) >= 13
    mean = sum(values) / len(values)
    return {
        "points": points,
        "mean": mean,
        "lower_limit": mean - 5 if enough else None,
        "upper_limit": mean + 5 if enough else None,
        "lower_two_sigma": None,
        "upper_two_sigma": None,
        "mean_moving_range": 1.0 if enough else None,
        "limits_available": enough,
        "variation": variation if enough else None,
        "assurance": None,
        "message": "" if enough else f"För få datapunkter ({len(values)} av 13) för styrgränser.",
    }


def dashboard_data_create(
    *, vos: int, hcs_per_vo: int, quarters: int, measures: int, goals: int
) -> DashboardData:
    """Build the data; every count scales a different part of what the pages read.

    The results are written here, as the engine would, so no recompute may run on commit
    (browser tests commit as they go).
    """
    with triggers.suppressed():
        return _create(
            vos=vos, hcs_per_vo=hcs_per_vo, quarters=quarters, measures=measures, goals=goals
        )


def _create(
    *, vos: int, hcs_per_vo: int, quarters: int, measures: int, goals: int
) -> DashboardData:
    def kind(code: str, name: str) -> UnitKind:
        return UnitKind.objects.get_or_create(
            code=code, defaults={"name": name, "name_plural": f"{name}er"}
        )[0]

    region = UnitFactory(code="REG", name="Region Testland", kind=kind("region", "Region"))
    area = UnitFactory(code="PV", name="Primärvård", kind=kind("omrade", "Område"), parent=region)
    hc_kind = kind("halsocentral", "Hälsocentral")
    vo_kind = kind("vo", "Verksamhetsområde")
    vo_units = [
        UnitFactory(code=f"VO{v}", name=f"VO {v}", kind=vo_kind, parent=area)
        for v in range(1, vos + 1)
    ]
    hcs = [
        UnitFactory(code=f"HC{v}{h}", name=f"Hälsocentral {v}-{h}", kind=hc_kind, parent=vo)
        for v, vo in enumerate(vo_units, start=1)
        for h in range(1, hcs_per_vo + 1)
    ]
    phase = PhaseFactory()
    po1 = ProgrammeAreaFactory(phase=phase, number=1, name="Teamarbete")
    method = WorkingMethodFactory(programme_area=po1, name="Teamrond", target_unit_kinds=[hc_kind])
    for index, hc in enumerate(hcs):
        if index % 2:
            AdoptionRecordFactory(unit=hc, working_method=method, adopted=True)
        else:
            AdoptionRecordFactory(unit=hc, working_method=method)
    for vo in vo_units:
        plan = ActivityPlanFactory(programme_area=po1, unit=vo)
        ActivityFactory(plan=plan, title=f"Utbilda team i {vo.name}")
        SupportNeedFactory(unit=vo, programme_area=po1, raised_by__username=f"vc-{vo.code}")

    measure_rows = []
    for m in range(measures):
        measure = MeasureFactory(name=f"Mått {m:02d}", code=f"matt-{m:02d}", share=bool(m % 2))
        measure.programme_areas.add(po1)
        measure.unit_kinds.add(hc_kind)
        measure_rows.append(measure)
    all_units = [region, area, *vo_units, *hcs]
    quarter_list = [LATEST]
    while len(quarter_list) < quarters:
        quarter_list.insert(0, quarter_list[0].previous())
    results, charts = [], []
    for q_index, quarter in enumerate(quarter_list):
        for measure in measure_rows:
            for u_index, unit in enumerate(all_units):
                results.append(
                    MeasureResult(
                        quarter=quarter.code,
                        unit=unit,
                        measure=measure,
                        value=Decimal(40 + q_index + u_index % 7),
                        reporting_units=1,
                        expected_units=1,
                    )
                )
                charts.append(
                    SpcResult(
                        quarter=quarter.code,
                        unit=unit,
                        measure=measure,
                        summary=spc_summary(
                            [40.0 + i % 5 for i in range(3 * (q_index + 1) + 10)],
                            "special_cause_improvement_high"
                            if u_index % 3 == 0
                            else "common_cause",
                        ),
                        digest="test",
                    )
                )
    MeasureResult.objects.bulk_create(results)
    SpcResult.objects.bulk_create(charts)

    goal_rows = []
    for g in range(goals):
        goal = GoalFactory(
            programme_area=po1, title=f"Mål {g}", deadline=datetime.date(2025, 12, 31)
        )
        milestone = GoalFactory(
            programme_area=po1,
            parent=goal,
            title=f"Delmål {g}",
            deadline=datetime.date(2025, 11, 30),
        )
        goal_rows += [goal, milestone]
    GoalResult.objects.bulk_create(
        GoalResult(goal=goal, quarter=quarter.code, status=Status.ON_TRACK.value, explanation="x")
        for goal in goal_rows
        for quarter in quarter_list
    )
    for quarter in quarter_list:
        ComputeRun.objects.create(
            quarter=quarter.code,
            started_at=datetime.datetime(2026, 1, 2, 3, 0, tzinfo=datetime.UTC),
            finished_at=datetime.datetime(2026, 1, 2, 3, 1, tzinfo=datetime.UTC),
        )
    return DashboardData(
        region=region,
        area=area,
        vos=vo_units,
        hcs=hcs,
        programme_area=po1,
        measures=measure_rows,
        goals=goal_rows,
        quarters=quarter_list,
    )


@dataclass
class SecondOrganisation:
    region: Unit
    vo: Unit
    hc: Unit
    programme_area: ProgrammeArea
    goals: list[Goal]


# The two-organisation tests' size (tests/followup/conftest.py: `testland`, `bergland`).
TWO_ORGANISATIONS_SIZE = {"vos": 2, "hcs_per_vo": 3, "quarters": 5, "measures": 2, "goals": 2}


def second_organisation_create(
    data: DashboardData, *, goals: int, number: int = 2
) -> SecondOrganisation:
    """A second organisation in the installation: the first one's phase gets its region as its
    organisation, and "Region Bergland" (first by name) its own tree (a VO with a health
    centre), phase, area "Nära vård Bergland" of the given number (1: each region's plan
    numbers from 1, so both have a "PO 1") with a working method for health centres that its
    health centre has adopted and its VO's activity plan, goals with results, and the first
    organisation's measures with its region's values. `goals` scales it as
    dashboard_data_create's does."""
    with triggers.suppressed():
        return _second(data, goals=goals, number=number)


def _second(data: DashboardData, *, goals: int, number: int) -> SecondOrganisation:
    phase = data.programme_area.phase
    phase.organisation_unit = data.region
    phase.save()
    region = UnitFactory(code="BERG", name="Region Bergland", kind=data.region.kind)
    area = UnitFactory(
        code="BERG-PV", name="Primärvård Bergland", kind=data.area.kind, parent=region
    )
    vo = UnitFactory(code="BERG-VO1", name="VO Bergland", kind=data.vos[0].kind, parent=area)
    hc_kind = data.hcs[0].kind
    hc = UnitFactory(code="BERG-HC1", name="Hälsocentral Bergland", kind=hc_kind, parent=vo)
    other_phase = PhaseFactory(code="fas-bergland", name="Fas 2 Bergland", organisation_unit=region)
    programme_area = ProgrammeAreaFactory(
        phase=other_phase, number=number, name="Nära vård Bergland"
    )
    # The same measures as the first organisation's area: its page charts them for its units.
    programme_area.measures.add(*data.measures)
    method = WorkingMethodFactory(
        programme_area=programme_area, name="Bergrond", target_unit_kinds=[hc_kind]
    )
    AdoptionRecordFactory(unit=hc, working_method=method, adopted=True)
    plan = ActivityPlanFactory(programme_area=programme_area, unit=vo)
    ActivityFactory(plan=plan, title="Utbilda team i VO Bergland")
    goal_rows = []
    for g in range(goals):
        goal = GoalFactory(
            programme_area=programme_area,
            title=f"Bergmål {g}",
            deadline=datetime.date(2025, 12, 31),
        )
        milestone = GoalFactory(
            programme_area=programme_area,
            parent=goal,
            title=f"Bergdelmål {g}",
            deadline=datetime.date(2025, 11, 30),
        )
        goal_rows += [goal, milestone]
    GoalResult.objects.bulk_create(
        GoalResult(goal=goal, quarter=quarter.code, status=Status.AT_RISK.value, explanation="x")
        for goal in goal_rows
        for quarter in data.quarters
    )
    MeasureResult.objects.bulk_create(
        MeasureResult(
            quarter=quarter.code,
            unit=region,
            measure=measure,
            value=Decimal(77),
            reporting_units=1,
            expected_units=1,
        )
        for quarter in data.quarters
        for measure in data.measures
    )
    SpcResult.objects.bulk_create(
        SpcResult(
            quarter=quarter.code,
            unit=region,
            measure=measure,
            summary=spc_summary([77.0 + i % 3 for i in range(13)], "common_cause"),
            digest="test",
        )
        for quarter in data.quarters
        for measure in data.measures
    )
    return SecondOrganisation(
        region=region, vo=vo, hc=hc, programme_area=programme_area, goals=goal_rows
    )
