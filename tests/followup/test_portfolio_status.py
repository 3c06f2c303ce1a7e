"""The start page's status: each goal's computed result, assessments beside it, area roll-up."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from base.periods import Quarter
from followup.selectors import portfolio_with_status, status_quarter
from goals.status import Status
from tests.factories import ComputeRunFactory, GoalFactory, GoalResultFactory

TODAY = datetime.date(2026, 2, 10)  # in Kv 1 2026


@pytest.fixture
def area_goals(programme_area):
    goal = GoalFactory(adoption=True, programme_area=programme_area, title="Teamrond på alla HC")
    milestone = GoalFactory(
        adoption=True, programme_area=programme_area, parent=goal, title="Teamrond på hälften"
    )
    return goal, milestone


def _area(portfolio, area):
    return next(a for p in portfolio.phases for a in p.programme_areas.all() if a.pk == area.pk)


def test_the_area_takes_the_worst_status_of_its_goals_and_milestones(programme_area, area_goals):
    goal, milestone = area_goals
    GoalResultFactory(goal=goal, quarter="2026Q1", status=Status.AT_RISK)
    GoalResultFactory(goal=milestone, quarter="2026Q1", status=Status.ACHIEVED)

    portfolio = portfolio_with_status(quarter=status_quarter(TODAY))

    area = _area(portfolio, programme_area)
    assert portfolio.quarter.code == "2026Q1"
    assert area.overall_status == Status.AT_RISK
    assert area.top_goals[0].milestones.all()[0].result.status == Status.ACHIEVED


def test_a_direction_goal_contributes_its_assessed_status(programme_area):
    direction = GoalFactory(direction=True, programme_area=programme_area)
    GoalResultFactory(
        goal=direction, quarter="2026Q1", status=None, assessment_status=Status.OFF_TRACK
    )

    area = _area(portfolio_with_status(quarter=status_quarter(TODAY)), programme_area)

    assert area.overall_status == Status.OFF_TRACK


def test_the_latest_computed_quarter_is_shown_until_the_current_one_is_computed(area_goals):
    GoalResultFactory(goal=area_goals[0], quarter="2025Q4")

    assert status_quarter(TODAY).code == "2025Q4"
    GoalResultFactory(goal=area_goals[0], quarter="2026Q2")  # a future quarter is never shown
    assert status_quarter(TODAY).code == "2025Q4"


def test_the_start_page_shows_status_explanation_and_assessment_side_by_side(
    client, strategist, area_goals
):
    goal, _ = area_goals
    code = Quarter.containing(timezone.localdate()).code
    GoalResultFactory(
        goal=goal,
        quarter=code,
        status=Status.OFF_TRACK,
        explanation="3 av 26 hälsocentraler (12 %) har infört Teamrond; målet är 100 %.",
        assessment_status=Status.AT_RISK,
        assessment_comment="Två VO saknar aktivitetsplan.",
        assessment_author="Sara Provberg",
        assessment_quarter=code,
    )
    ComputeRunFactory(quarter=code)
    client.force_login(strategist)

    content = client.get("/").content.decode()

    assert "3 av 26 hälsocentraler (12 %) har infört Teamrond" in content
    assert '<span class="status status-ej_enligt_plan">Ej enligt plan</span>' in content
    assert "av Sara Provberg:" in content
    assert '<span class="status status-risk">Risk</span>' in content
    assert "Två VO saknar aktivitetsplan." in content


def test_before_any_computation_the_page_says_so(client, strategist, area_goals):
    client.force_login(strategist)

    content = client.get("/").content.decode()

    assert "Ingen uppföljning är beräknad ännu" in content


# --- the latest assessment, once ----------------------------------------------------------------


def _previous(quarter: Quarter) -> Quarter:
    return (
        Quarter(quarter.year, quarter.number - 1)
        if quarter.number > 1
        else Quarter(quarter.year - 1, 4)
    )


def _start_page(client, strategist, code: str) -> str:
    ComputeRunFactory(quarter=code)
    client.force_login(strategist)
    body = client.get("/").content.decode()
    return " ".join(body.split())


def test_a_direction_goals_assessment_of_the_quarter_is_one_line(
    client, strategist, programme_area
):
    code = Quarter.containing(timezone.localdate()).code
    goal = GoalFactory(direction=True, programme_area=programme_area, title="Ökat teamarbete")
    GoalResultFactory(
        goal=goal,
        quarter=code,
        status=None,
        explanation="Sara Provberg bedömde 9 okt 2026 läget som risk.",
        basis={"kind": "direction", "rule": "manual_only", "assessed_on": "2026-10-09"},
        assessment_status=Status.AT_RISK,
        assessment_comment="Två hälsocentraler har inte startat.",
        assessment_author="Sara Provberg",
        assessment_quarter=code,
    )

    page = _start_page(client, strategist, code)

    label = Quarter.parse(code).label
    assert f"Bedömning {label} av Sara Provberg" in page
    assert "Två hälsocentraler har inte startat." in page
    # Not the engine's sentence and then the same assessment again.
    assert "bedömde 9 okt 2026 läget som risk" not in page
    assert page.count("Sara Provberg") == 1


def test_an_older_assessment_the_status_does_not_rest_on_is_not_repeated(
    client, strategist, area_goals
):
    goal, _ = area_goals
    current = Quarter.containing(timezone.localdate())
    older = _previous(current)
    GoalResultFactory(
        goal=goal,
        quarter=current.code,
        status=Status.ACHIEVED,
        explanation="26 av 26 hälsocentraler har infört Teamrond.",
        basis={"kind": "adoption", "rule": "achieved"},
        assessment_status=Status.ACHIEVED,
        assessment_author="Sara Provberg",
        assessment_comment="Klart.",
        assessment_quarter=older.code,
    )

    page = _start_page(client, strategist, current.code)

    assert "26 av 26 hälsocentraler har infört Teamrond." in page
    assert f"Bedömning {older.label}" not in page
    assert "Klart." not in page


def test_an_older_assessment_the_status_rests_on_says_its_quarter(
    client, strategist, programme_area
):
    current = Quarter.containing(timezone.localdate())
    older = _previous(current)
    direction = GoalFactory(direction=True, programme_area=programme_area, title="Inriktning")
    deliverable = GoalFactory(programme_area=programme_area, title="Modul i Cosmic")
    GoalResultFactory(
        goal=direction,
        quarter=current.code,
        status=None,
        explanation="Sara Provberg bedömde 2 dec 2025 läget som uppnått.",
        basis={"kind": "direction", "rule": "manual_only"},
        assessment_status=Status.ACHIEVED,
        assessment_author="Sara Provberg",
        assessment_quarter=older.code,
    )
    GoalResultFactory(
        goal=deliverable,
        quarter=current.code,
        status=Status.AT_RISK,
        explanation="”Modul i Cosmic” har inte slutförts ännu.",
        basis={"kind": "deliverable", "rule": "open_assessed"},
        assessment_status=Status.AT_RISK,
        assessment_author="Per Provare",
        assessment_quarter=older.code,
    )

    page = _start_page(client, strategist, current.code)

    assert (
        f"Senaste bedömningen är från {older.label}, av Sara Provberg; "
        f"ingen ny bedömning under {current.label}."
    ) in page
    assert f"Statusen bygger på bedömningen {older.label} av Per Provare:" in page


def test_an_unassessed_direction_goal_says_so_in_the_words_of_its_status(
    client, strategist, programme_area
):
    # The status is "Ej bedömt"; the line once said "Ej bedömd ännu." (a row stored then still
    # does) and was never translated.
    code = Quarter.containing(timezone.localdate()).code
    goal = GoalFactory(direction=True, programme_area=programme_area, title="Inriktning")
    GoalResultFactory(
        goal=goal,
        quarter=code,
        status=None,
        explanation="Ej bedömd ännu.",
        basis={"kind": "direction", "rule": "manual_only"},
    )

    page = _start_page(client, strategist, code)

    assert '<span class="goal-explanation">Ej bedömt ännu.</span>' in page
    assert "Ej bedömd" not in page
    with translation.override("en"):
        english = " ".join(client.get("/").content.decode().split())
    assert '<span class="goal-explanation">Not assessed yet.</span>' in english
