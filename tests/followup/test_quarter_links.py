"""The quarter a user chose stays with them: links to other quarter-dependent pages carry it,
the unit page's adoption stands as of it, and the goal page says its basis and its manual
status history in words."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from base.periods import Quarter, day_label
from followup.cache import bump_generation
from followup.quarter_selection import QuarterSelection, with_quarter
from goals.models import AdoptionRecord, Goal
from gonv.templatetags.followup_pages import basis_items
from organisation.models import Role
from tests.factories import GoalFactory, GoalResultFactory, UserFactory
from tests.followup.dashboard_data import DashboardData, dashboard_data_create

HX = {"HX-Request": "true"}


@pytest.fixture
def data(db: None) -> DashboardData:
    # Quarters 2025Q1–2025Q4 computed: the pages open on 2025Q4, the latest ended one.
    return dashboard_data_create(vos=2, hcs_per_vo=2, quarters=4, measures=1, goals=1)


@pytest.fixture
def client(data: DashboardData) -> Client:
    client = Client()
    client.force_login(UserFactory(username="styrgrupp", role=Role.STEERING_GROUP))
    return client


def _unit_url(code: str) -> str:
    return reverse("unit_detail", kwargs={"code": code})


def _adopted_in_march(data: DashboardData) -> AdoptionRecord:
    """HC 1-2 (adopted in the data) adopted Teamrond on 18 Mar 2026, planned for 8 Mar."""
    record = data.hcs[1].adoption_records.get()
    record.status = AdoptionRecord.Status.ADOPTED
    record.planned_date = datetime.date(2026, 3, 8)
    record.actual_date = datetime.date(2026, 3, 18)
    record.save()
    return record


def _row(html: str, unit_name: str) -> str:
    match = re.search(rf'<th scope="row">{re.escape(unit_name)}</th>(.*?)</tr>', html, re.S)
    assert match, unit_name
    return match.group(1)


# --- 1. the unit page's adoption as of the quarter ---------------------------------------------


def test_the_unit_pages_adoption_stands_as_of_the_selected_quarter(
    client: Client, data: DashboardData
) -> None:
    _adopted_in_march(data)
    url = _unit_url(data.vos[0].code)

    q4 = client.get(url, {"kvartal": "2025Q4"}).content.decode()
    assert "Införande per 31 dec 2025: status per arbetssätt, VO 1" in q4
    # Adopted after the quarter: as of its end it was planned, as on the area's page.
    row = _row(q4, "Hälsocentral 1-2")
    assert "Planerat" in row
    assert "planerat" in row
    assert 'datetime="2026-03-08"' in row
    assert "Infört" not in row
    area = client.get(
        reverse("programme_area_detail", kwargs={"number": 1}), {"kvartal": "2025Q4", "vo": "VO1"}
    ).content.decode()
    assert "Införande per 31 dec 2025" in area
    assert 'datetime="2026-03-08"' in area
    # Only introductions are dated facts: the pages say that one made after the day shows as
    # planned (as HC 1-2 does), and that other statuses are today's.
    note = (
        "Införda och utfasade räknas per 31 dec 2025, från dagen det skedde. Enheter som har "
        "infört eller fasat ut efter 31 dec 2025 visas som Planerat, med sitt planerade datum, "
        "eller utan planerat datum som Ej infört (Ej utfasat), med dagen det skedde. "
        "Övriga visas som de står i dag"
    )
    assert note in q4
    assert note in area

    # A quarter after it: adopted, with its date (the page's default opens on 2025Q4 too).
    q1 = client.get(url, {"kvartal": "2026Q1"}).content.decode()
    assert "Införande per 31 mar 2026: status per arbetssätt, VO 1" in q1
    row = _row(q1, "Hälsocentral 1-2")
    assert "Infört" in row
    assert 'datetime="2026-03-18"' in row
    assert "Införande per 31 dec 2025" in client.get(url).content.decode()


def test_a_unit_introduced_later_without_a_plan_shows_as_not_introduced_then(
    client: Client, data: DashboardData
) -> None:
    """Introduced on 21 May 2026 with no planned date: as of Kv 4 2025 it had not introduced
    the method, and it was never planned for the day it was done."""
    record = data.hcs[1].adoption_records.get()
    record.status = AdoptionRecord.Status.ADOPTED
    record.planned_date = None
    record.actual_date = datetime.date(2026, 5, 21)
    record.save()

    q4 = client.get(_unit_url(data.vos[0].code), {"kvartal": "2025Q4"}).content.decode()
    row = " ".join(re.sub(r"<[^>]+>", " ", _row(q4, "Hälsocentral 1-2")).split())
    assert row == "Ej infört infört senare, 21 maj 2026"
    assert 'datetime="2026-05-21"' in _row(q4, "Hälsocentral 1-2")


def test_the_ongoing_quarter_shows_adoption_as_of_today(
    client: Client, data: DashboardData
) -> None:
    current = Quarter.containing(timezone.localdate())
    html = client.get(_unit_url(data.vos[0].code), {"kvartal": current.code}).content.decode()
    assert f"Införande per {day_label(timezone.localdate())}: status per arbetssätt" in html
    assert "Övriga visas som de står i dag" not in html


def test_a_quarter_swap_sends_the_adoption_and_the_links_along(
    client: Client, data: DashboardData
) -> None:
    _adopted_in_march(data)
    response = client.get(
        _unit_url(data.vos[0].code),
        {"kvartal": "2025Q3"},
        headers={**HX, "HX-Target": "quarter-region"},
    )
    html = response.content.decode()
    assert "<html" not in html
    assert '<div id="unit-below" hx-swap-oob="true">' in html
    assert '<div id="unit-path" hx-swap-oob="true">' in html
    assert "Införande per 30 sep 2025" in html
    assert f'href="{_unit_url("HC11")}?kvartal=2025Q3"' in html


# --- 2. links keep the chosen quarter ------------------------------------------------------------


def test_with_quarter_adds_the_chosen_quarter_only() -> None:
    chosen = QuarterSelection(
        quarter=Quarter(2025, 3), computed=[Quarter(2025, 4)], default=Quarter(2025, 4)
    )
    default = QuarterSelection(
        quarter=Quarter(2025, 4), computed=[Quarter(2025, 4)], default=Quarter(2025, 4)
    )
    assert with_quarter("/", chosen) == "/?kvartal=2025Q3"
    assert with_quarter("/?organisation=x#po-1", chosen) == "/?organisation=x&kvartal=2025Q3#po-1"
    assert with_quarter("/#po-1", chosen) == "/?kvartal=2025Q3#po-1"
    assert with_quarter("/#po-1", default) == "/#po-1"
    assert with_quarter("/", None) == "/"


def test_portfolio_links_areas_at_the_chosen_quarter(client: Client, data: DashboardData) -> None:
    area = reverse("programme_area_detail", kwargs={"number": 1})
    chosen = client.get(reverse("home"), {"kvartal": "2025Q3"}).content.decode()
    assert f'href="{area}?kvartal=2025Q3"' in chosen
    # On its default quarter a bare link is right: the area's default is the same.
    default = client.get(reverse("home")).content.decode()
    assert f'href="{area}"' in default
    assert "kvartal=2025Q4" not in default.split("<main", 1)[1].split("quarter-select")[0]
    listing = client.get(reverse("programme_area_list"), {"kvartal": "2025Q3"}).content.decode()
    assert f'href="{area}?kvartal=2025Q3"' in listing


def test_the_unit_page_links_units_at_the_chosen_quarter(
    client: Client, data: DashboardData
) -> None:
    html = client.get(_unit_url(data.vos[0].code), {"kvartal": "2025Q3"}).content.decode()
    # "Enheter under" and the units of "Jämförelse mellan enheter" (and the breadcrumbs).
    assert html.count(f'href="{_unit_url("HC11")}?kvartal=2025Q3"') == 2
    assert f'href="{_unit_url("HC12")}?kvartal=2025Q3"' in html
    assert f'href="{_unit_url("REG")}?kvartal=2025Q3"' in html
    bare = client.get(_unit_url(data.vos[0].code)).content.decode()
    assert bare.count(f'href="{_unit_url("HC11")}"') == 2
    # A unit's page under the chosen quarter links its parent at it too.
    hc = client.get(_unit_url("HC11"), {"kvartal": "2025Q3"}).content.decode()
    assert f'href="{_unit_url("VO1")}?kvartal=2025Q3"' in hc


def test_the_area_page_links_units_and_portfolio_at_the_chosen_quarter(
    client: Client, data: DashboardData
) -> None:
    url = reverse("programme_area_detail", kwargs={"number": 1})
    html = client.get(url, {"kvartal": "2025Q3"}).content.decode()
    assert f'href="{_unit_url("VO1")}?kvartal=2025Q3"' in html
    assert f'href="{reverse("home")}?kvartal=2025Q3"' in html
    opened = client.get(url, {"kvartal": "2025Q3", "vo": "VO1"}).content.decode()
    assert f'href="{_unit_url("HC11")}?kvartal=2025Q3"' in opened


def test_an_area_quarter_swap_sends_the_matrix_and_the_breadcrumbs_along(
    client: Client, data: DashboardData
) -> None:
    _adopted_in_march(data)
    response = client.get(
        reverse("programme_area_detail", kwargs={"number": 1}),
        {"kvartal": "2025Q3"},
        headers={**HX, "HX-Target": "quarter-region"},
    )
    html = response.content.decode()
    assert "<html" not in html
    assert '<div id="area-adoption" hx-swap-oob="true">' in html
    assert 'id="area-breadcrumbs" hx-swap-oob="true"' in html
    assert "Införande per 30 sep 2025" in html
    assert f'href="{reverse("home")}?kvartal=2025Q3"' in html


def test_the_goal_breadcrumb_leads_to_portfolio_at_the_chosen_quarter(
    client: Client, data: DashboardData
) -> None:
    goal = data.goals[0]
    url = reverse("goal_detail", args=[goal.code])
    html = client.get(url, {"kvartal": "2025Q3"}).content.decode()
    assert f'href="/?kvartal=2025Q3#po-{goal.programme_area_id}"' in html
    assert f'href="/#po-{goal.programme_area_id}"' in client.get(url).content.decode()


# --- 3. the expected share by its day ------------------------------------------------------------


def test_the_expected_share_is_labelled_by_its_day() -> None:
    today = timezone.localdate()
    past = {"evaluated_on": "2026-09-30", "expected_share_pct": "86.3"}
    assert ("Förväntad andel 30 sep 2026", "86,3\u00a0%", False) in basis_items(past)
    ongoing = {"evaluated_on": today.isoformat(), "expected_share_pct": "50"}
    assert basis_items(ongoing)[-1][0] == "Förväntad andel i dag"


def test_the_underlag_writes_computed_shares_to_one_decimal_and_set_levels_as_set() -> None:
    adoption = {
        "share_pct": 0.0,
        "target_pct": 50.0,
        "forecast_pct": 48.0,
        "evaluated_on": "2026-09-30",
        "expected_share_pct": 60.0,
    }
    assert basis_items(adoption) == [
        ("Bedömd per", "30 sep 2026", False),
        ("Andel", "0,0\u00a0%", False),
        ("Målandel", "50\u00a0%", False),
        ("Förväntad andel 30 sep 2026", "60,0\u00a0%", False),
        ("Prognos vid måldatum", "48,0\u00a0%", False),
    ]
    # A relative goal: the change is the one it sets, with its sign; the baseline measured.
    relative = {"baseline_value": 52.0, "relative_change_pct": 50.0, "target": 78.0}
    assert basis_items(relative, "%") == [
        ("Målvärde", "78\u00a0%", False),
        ("Basvärde", "52,0\u00a0%", False),
        ("Målförändring mot basperioden", "+50\u00a0%", False),
    ]


def test_a_goal_before_its_start_shows_the_start_and_the_rule_in_words() -> None:
    basis = {"kind": "measure", "starts_on": "2025-05-01", "rule": "before_start"}
    assert basis_items(basis) == [
        ("Startdatum", "1 maj 2025", False),
        ("Regel som avgjorde", "Målet har inte startat ännu", False),
    ]


def test_the_goal_page_of_a_past_quarter_says_the_expected_share_of_its_end(
    client: Client, data: DashboardData
) -> None:
    goal = data.goals[0]
    result = goal.results.get(quarter="2025Q3")
    result.basis = {
        "kind": "adoption",
        "as_of": "2025-09-30",
        "evaluated_on": "2025-09-30",
        "expected_share_pct": "86.3",
        "rule": "behind_pace",
    }
    result.save()
    html = client.get(reverse("goal_detail", args=[goal.code]), {"kvartal": "2025Q3"})
    content = html.content.decode()
    assert "<dt>Förväntad andel 30 sep 2025</dt><dd>86,3\u00a0%</dd>" in content
    assert "i dag" not in content.split("Underlag", 1)[1].split("</dl>", 1)[0]


# --- 4. a goal judged only by assessment -------------------------------------------------------


@pytest.fixture
def direction_goal(data: DashboardData) -> Goal:
    """Teamarbete as a direction: assessed "Enligt plan" in 2025Q2 and "Risk" in 2025Q4, not
    in 2025Q3 (whose result carries 2025Q2's assessment, as the engine stores it)."""
    goal = GoalFactory(programme_area=data.programme_area, direction=True, title="Teamarbete")
    basis = {"kind": "direction", "rule": "manual_only"}
    for quarter, assessed, assessed_in in (
        ("2025Q1", None, ""),
        ("2025Q2", "enligt_plan", "2025Q2"),
        ("2025Q3", "enligt_plan", "2025Q2"),
        ("2025Q4", "risk", "2025Q4"),
    ):
        GoalResultFactory(
            goal=goal,
            quarter=quarter,
            status=None,
            progress=None,
            target=None,
            explanation="Bedömd.",
            basis=basis,
            assessment_status=assessed,
            assessment_author="Stina Strateg" if assessed else "",
            assessment_quarter=assessed_in,
        )
    return goal


def _history_rows(html: str) -> dict[str, str]:
    table = html.split('<table class="chart-table">', 1)[1].split("</table>", 1)[0]
    return {
        label: re.sub(r"<[^>]+>", "", cell).strip()
        for label, cell in re.findall(r'<th scope="row">([^<]+)</th>\s*<td>(.*?)</td>', table, re.S)
    }


def test_a_direction_goal_says_its_rule_in_words_and_its_assessed_history(
    client: Client, direction_goal: Goal
) -> None:
    html = client.get(
        reverse("goal_detail", args=[direction_goal.code]), {"kvartal": "2025Q4"}
    ).content.decode()
    assert "<dt>Regel som avgjorde</dt><dd>Bedöms manuellt (ingen mätbar målnivå)</dd>" in html
    assert "manual_only" not in html
    assert "Bedömd status per kvartal till och med Kv 4 2025" in html
    assert _history_rows(html) == {
        "Kv 1 2025": "Ej bedömt",
        "Kv 2 2025": "Bedömd: Enligt plan",
        "Kv 3 2025": "Ej bedömt",  # 2025Q2's assessment is not one of 2025Q3
        "Kv 4 2025": "Bedömd: Risk",
    }
    assert 'class="status-column status-cell-risk"' in html
    assert "Bedöms manuellt</td>" not in html
    # No bars, so no room for them: the chart is as high as its row of cells and their labels.
    chart = html.split('class="chart-svg status-chart-svg"', 1)[1].split("</svg>", 1)[0]
    assert re.match(r' viewBox="0 0 520 98(\.0)?"', chart)
    assert 'class="progress-bar"' not in chart


def test_the_direction_goal_page_runs_the_same_queries_with_assessments(
    client: Client, data: DashboardData, direction_goal: Goal
) -> None:
    url = reverse("goal_detail", args=[direction_goal.code])
    plain = GoalFactory(programme_area=data.programme_area, direction=True, title="Utan")
    GoalResultFactory(goal=plain, quarter="2025Q4", status=None, basis={"rule": "manual_only"})
    client.get(url, {"kvartal": "2025Q4"})  # the session and the user, as on any later page
    counts = []
    for goal_url in (url, reverse("goal_detail", args=[plain.code])):
        bump_generation()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(goal_url, {"kvartal": "2025Q4"}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_computed_status_is_not_labelled_as_an_assessment(
    client: Client, data: DashboardData
) -> None:
    goal = data.goals[0]
    html = client.get(reverse("goal_detail", args=[goal.code])).content.decode()
    assert "Bedömd:" not in html
    assert _history_rows(html)["Kv 4 2025"] == "Enligt plan"
