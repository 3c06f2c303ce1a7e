"""What the pages call things, as a user reads them: one name per task in the menu, links,
titles and headings; titles built alike; the unit page's headings; delivery owners by name and
role; a measure's value type in words; dashes and date ranges as Swedish text writes them."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from followup.cache import bump_generation
from followup.compute.evaluate import evaluate_goal
from followup.models import Measure
from goals.status import DEFAULT_RULES
from organisation.models import Role
from programmes.models import PhaseEvent, WorkingMethod
from tests.factories import GoalFactory, UserFactory
from tests.followup.dashboard_data import DashboardData, dashboard_data_create


@pytest.fixture
def data(db: None) -> DashboardData:
    return dashboard_data_create(vos=2, hcs_per_vo=3, quarters=5, measures=2, goals=2)


@pytest.fixture
def strategist(data: DashboardData) -> Client:
    client = Client()
    client.force_login(UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST))
    return client


@pytest.fixture
def vc(data: DashboardData) -> Client:
    client = Client()
    client.force_login(UserFactory(username="vc", role=Role.HEAD_OF_AREA, role__unit=data.vos[0]))
    return client


def _title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found is not None
    return " ".join(found.group(1).split())


def _h1(page: str) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert found is not None
    return " ".join(found.group(1).split())


# --- one name per task --------------------------------------------------------------------------


def test_reporting_values_and_adoption_have_one_name_each_in_menu_links_titles_and_headings(
    strategist: Client, data: DashboardData
) -> None:
    vo = data.vos[0]
    report_start = strategist.get(reverse("report_start")).content.decode()
    adoption_start = strategist.get(reverse("goals:adoption_start")).content.decode()
    report_grid = strategist.get(reverse("report_grid", args=[vo.pk])).content.decode()
    adoption_grid = strategist.get(reverse("goals:adoption_grid", args=[vo.pk])).content.decode()
    unit_page = strategist.get(reverse("unit_detail", kwargs={"code": vo.code})).content.decode()
    measures = strategist.get(reverse("measure_list")).content.decode()

    assert _title(report_start) == "Rapportera värden – GONV-uppföljning"
    assert _h1(report_start) == "Rapportera värden"
    assert _title(adoption_start) == "Rapportera införande – GONV-uppföljning"
    assert _h1(adoption_start) == "Rapportera införande"
    assert _title(adoption_grid) == f"Rapportera införande: {vo.name} – GONV-uppföljning"
    assert _h1(adoption_grid) == f"Rapportera införande: {vo.name}"
    assert re.fullmatch(
        rf"Rapportera värden: {vo.name}, \w+ \d{{4}} – GONV-uppföljning", _title(report_grid)
    )
    assert _h1(report_grid) == _title(report_grid).removesuffix(" – GONV-uppföljning")
    # The menu and the links that lead there say the same.
    for page in (report_start, unit_page, measures):
        assert f'href="{reverse("report_start")}"' in page
        assert ">Rapportera värden</a>" in page
        assert ">Rapportera införande</a>" in page
    assert f'<a href="{reverse("report_grid", args=[vo.pk])}">Rapportera värden</a>' in unit_page
    grid = reverse("goals:adoption_grid", args=[vo.pk])
    assert f'<a href="{grid}">Rapportera införande</a>' in unit_page
    for page in (report_start, adoption_start, report_grid, adoption_grid, unit_page, measures):
        for old in ("Rapportera mätvärden", "Ändra införandestatus", "Införande av arbetssätt:"):
            assert old not in page


# --- titles -------------------------------------------------------------------------------------


def test_titles_put_a_comma_before_the_quarter_and_a_colon_before_what_is_edited(
    strategist: Client, data: DashboardData
) -> None:
    goal = data.goals[0]
    milestone = GoalFactory(milestone=True, programme_area=data.programme_area, title="Halvvägs")

    home = strategist.get(reverse("home")).content.decode()
    measures = strategist.get(reverse("measure_list")).content.decode()
    areas = strategist.get(reverse("programme_area_list")).content.decode()
    edit = strategist.get(reverse("goals:goal_edit", args=[goal.pk])).content.decode()
    edit_milestone = strategist.get(reverse("goals:goal_edit", args=[milestone.pk])).content

    assert re.search(r"<title>Portfölj, Kv \d 20\d\d – GONV-uppföljning</title>", home)
    assert re.search(r"<title>Mått, Kv \d 20\d\d – GONV-uppföljning</title>", measures)
    assert re.search(r"<title>Programområden, Kv \d 20\d\d – GONV-uppföljning</title>", areas)
    assert _title(edit) == f"Redigera mål: {goal.title} – GONV-uppföljning"
    assert _h1(edit) == f"Redigera mål: {goal.title}"
    assert _title(edit_milestone.decode()) == "Redigera delmål: Halvvägs – GONV-uppföljning"


# --- the unit page ------------------------------------------------------------------------------


def test_the_unit_page_heads_its_child_units_with_the_units_name(
    vc: Client, data: DashboardData
) -> None:
    vo = data.vos[0]

    page = vc.get(reverse("unit_detail", kwargs={"code": vo.code})).content.decode()

    assert f'<h2 id="children-title">Enheter under {vo.name}</h2>' in page


def test_a_whole_todo_list_counts_its_tasks_in_the_singular_and_the_plural(
    vc: Client, data: DashboardData
) -> None:
    vo = data.vos[0]
    support = reverse("unit_todo_list", kwargs={"code": vo.code, "key": "support"})
    missing = reverse("unit_todo_list", kwargs={"code": vo.code, "key": "missing"})

    one = vc.get(support).content.decode()
    many = vc.get(missing).content.decode()

    assert f"1 uppgift för {vo.name} och enheterna under den" in one
    found = re.search(rf"(\d+) uppgifter för {vo.name} och enheterna under den", many)
    assert found is not None
    assert int(found.group(1)) > 1
    assert _title(many) == f"{_h1(many)}: {vo.name} – GONV-uppföljning"
    assert "Att göra för" not in one + many


# --- the programme area and Portfölj ------------------------------------------------------------


def test_delivery_owners_are_named_with_their_role(strategist: Client, data: DashboardData) -> None:
    sara = UserFactory(
        username="sprov", first_name="Sara", last_name="Provberg", role=Role.STEERING_GROUP
    )
    data.programme_area.delivery_owners.add(sara)
    bump_generation()
    url = reverse("programme_area_detail", kwargs={"number": data.programme_area.number})

    page = strategist.get(url).content.decode()

    assert "<dt>Leveransansvariga</dt>\n    <dd>Sara Provberg, HSL styrgrupp</dd>" in page
    assert "sprov" not in page


def test_goal_lines_and_start_dates_read_as_swedish_text(
    strategist: Client, data: DashboardData
) -> None:
    phase = data.programme_area.phase
    PhaseEvent.objects.create(
        phase=phase,
        code="dialog",
        title="Dialogmodellen presenteras",
        start_date=datetime.date(2025, 2, 1),
        end_date=datetime.date(2025, 3, 31),
    )
    bump_generation()

    page = strategist.get(reverse("home")).content.decode()

    assert "—" not in page  # no em dash: a spaced en dash between a title and its deadline
    assert '<span class="goal-deadline"><span aria-hidden="true">–</span>' in page
    assert re.search(r'Start:\s*<time datetime="2025-03-01">1 mar 2025</time>', page)
    assert re.search(r"feb–mar 2025:\s*</span>\s*Dialogmodellen presenteras", page)


# --- a measure ----------------------------------------------------------------------------------


def test_a_measures_value_type_is_said_in_words(strategist: Client, data: DashboardData) -> None:
    count, other = data.measures[:2]
    Measure.objects.filter(pk=count.pk).update(value_type="count", unit="st")
    Measure.objects.filter(pk=other.pk).update(value_type="index", unit="")
    bump_generation()

    counted = strategist.get(reverse("measure_detail", args=[count.code])).content.decode()
    indexed = strategist.get(reverse("measure_detail", args=[other.code])).content.decode()

    assert "<dt>Värdetyp</dt><dd>antal</dd>" in counted
    assert "<dt>Värdetyp</dt><dd>index</dd>" in indexed
    assert "Antal (st)" not in counted
    assert _title(counted).startswith(f"{count.name}: ")


# --- a phase-out goal ---------------------------------------------------------------------------


def test_a_goal_to_phase_a_method_out_says_the_units_have_phased_it_out(
    data: DashboardData,
) -> None:
    goal = GoalFactory(adoption=True, programme_area=data.programme_area, target_share=Decimal(50))
    WorkingMethod.objects.filter(pk=goal.working_method_id).update(
        direction=WorkingMethod.Direction.PHASE_OUT
    )
    goal.refresh_from_db()

    evaluation = evaluate_goal(
        goal,
        as_of=datetime.date(2025, 11, 30),
        assessment=None,
        adoption=(10, 6, 0),
        series=None,
        rules=DEFAULT_RULES,
    )

    assert "6 av 10" in evaluation.explanation
    assert f"har fasat ut arbetssättet ”{goal.working_method.name}”" in evaluation.explanation
    assert "infört" not in evaluation.explanation


def test_who_may_not_report_is_offered_neither_reporting_task(data: DashboardData) -> None:
    client = Client()
    client.force_login(UserFactory(username="styrgrupp", role=Role.STEERING_GROUP))

    page = client.get(reverse("home")).content.decode()

    assert ">Rapportera värden</a>" not in page
    assert ">Rapportera införande</a>" not in page
