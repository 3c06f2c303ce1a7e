"""What the editing pages' change history and menu show: local times, people by name, labels
as written, numbers with their unit and minus sign, the right menu item, a delete that says what
it deletes."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from goals.models import Goal
from programmes.models import ActivityPlan, ProgrammeArea
from tests.factories import (
    ActivityPlanFactory,
    GoalFactory,
    MeasureFactory,
    OrgTree,
    SupportNeedFactory,
)

pytestmark = pytest.mark.django_db


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def history_of(page: str) -> str:
    """The text of the page's "Ändringshistorik" section, tags removed."""
    section = page[page.index('class="history"') :]
    section = section[: section.index("</section>")]
    return " ".join(re.sub(r"<[^>]+>", " ", section).split())


def current_menu_item(page: str) -> list[str]:
    """The text of the main menu's links marked as the current page."""
    nav = page[page.index('class="main-nav"') :]
    nav = nav[: nav.index("</nav>")]
    return re.findall(r'aria-current="page">([^<]+)</a>', nav)


# --- history ------------------------------------------------------------------------------------


def test_the_history_shows_a_submitted_time_in_local_time_like_the_page(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    ActivityPlanFactory(
        unit=org_tree.vo1,
        programme_area=programme_area,
        status=ActivityPlan.Status.SUBMITTED,
        submitted_at=datetime.datetime(2025, 4, 30, 13, 0, tzinfo=datetime.UTC),
    )

    page = login(vc).get(
        reverse("programmes:activity_plan", args=[programme_area.pk, org_tree.vo1.pk])
    )

    history = history_of(page.content.decode())
    assert "Inlämnad: 30 apr 2025 15:00" in history  # Stockholm summer time, as the page says
    assert "13:00" not in history
    assert "Enhet (VO): VO Norr" in history  # the label as written, not "Enhet (vo)"


def test_the_history_names_the_person_who_raised_a_need_not_their_username(
    vec: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    need = SupportNeedFactory(raised_by=vec, unit=org_tree.hc1a, programme_area=programme_area)

    page = login(vec).get(reverse("programmes:support_need", args=[need.pk]))

    history = history_of(page.content.decode())
    assert f"Framfört av: {vec.get_full_name()}" in history
    assert vec.username not in history


def test_the_history_shows_numbers_with_their_unit_and_a_minus_sign(
    strategist: User, programme_area: ProgrammeArea
) -> None:
    share = GoalFactory(
        measure_absolute=True,
        measure=MeasureFactory(share=True),
        target_value=Decimal("100"),
        programme_area=programme_area,
    )
    count = GoalFactory(
        measure_absolute=True,
        measure=MeasureFactory(unit="st"),
        target_value=Decimal("1234.5"),
        programme_area=programme_area,
    )
    relative = GoalFactory(measure_relative=True, programme_area=programme_area)
    relative.relative_change_pct = Decimal("-5")
    relative.save()
    client = login(strategist)

    def history(goal: Goal) -> str:
        page = client.get(reverse("goals:goal_detail", args=[goal.pk]))
        return history_of(page.content.decode())

    assert "Målvärde: 100 %" in history(share)
    assert "Målvärde: 1 234,5 st" in history(count)
    changed = history(relative)
    assert "Förändring mot basperiod (%): +50 % → ändrat till −5 %" in changed
    assert "-5 %" not in changed  # the minus sign, not a hyphen


# --- the menu -----------------------------------------------------------------------------------


def test_each_editing_page_marks_its_own_menu_item(
    strategist: User, vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area)
    plan = ActivityPlanFactory(unit=org_tree.vo1, programme_area=programme_area)
    need = SupportNeedFactory(unit=org_tree.vo1, programme_area=programme_area)
    strategist_pages = {
        reverse("goals:area", args=[programme_area.pk]): "Programområden",
        reverse("goals:goal_detail", args=[goal.pk]): "Programområden",
        reverse("goals:goal_edit", args=[goal.pk]): "Programområden",
        reverse("goals:goal_create", args=[programme_area.pk]): "Programområden",
        reverse("programmes:working_methods", args=[programme_area.pk]): "Programområden",
        reverse("goals:adoption_start"): "Rapportera införande",
        reverse("goals:adoption_grid", args=[org_tree.vo1.pk]): "Rapportera införande",
        reverse("report_start"): "Rapportera värden",
        reverse("report_grid", args=[org_tree.vo1.pk]): "Rapportera värden",
        reverse("programmes:support_need", args=[need.pk]): "Stödbehov",
        # The dashboard's pages: a goal under its area, a measure and a unit under their own.
        reverse("goal_detail", args=[goal.code]): "Programområden",
        reverse("unit_detail", args=[org_tree.vo1.code]): "Enheter",
        reverse("measure_list"): "Mått",
    }
    client = login(strategist)
    for url, item in strategist_pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert current_menu_item(response.content.decode()) == [item], url

    vc_pages = {
        reverse("programmes:activity_plans"): "Aktivitetsplaner",
        reverse("programmes:activity_plan", args=[plan.programme_area_id, plan.unit_id]): (
            "Aktivitetsplaner"
        ),
        reverse("programmes:support_need_create"): "Stödbehov",
    }
    client = login(vc)
    for url, item in vc_pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert current_menu_item(response.content.decode()) == [item], url


# --- the goal page ------------------------------------------------------------------------------


def test_the_goal_page_says_that_its_delete_deletes_the_goal_before_the_milestones(
    strategist: User, programme_area: ProgrammeArea
) -> None:
    milestone = GoalFactory(milestone=True, programme_area=programme_area)
    GoalFactory(parent=milestone.parent, programme_area=programme_area)
    client = login(strategist)

    goal_page = client.get(reverse("goals:goal_detail", args=[milestone.parent_id])).content
    page = goal_page.decode()
    delete = page.index("Ta bort målet")
    assert delete < page.index('id="milestones-title"')  # with the goal, not under "Nytt delmål"
    assert page.count('class="button button-secondary button-small"') == 2  # Flytta upp/ned
    assert (
        "Ta bort delmålet"
        in client.get(reverse("goals:goal_detail", args=[milestone.pk])).content.decode()
    )


# --- choosing a unit to report for ------------------------------------------------------------


def test_the_strategist_chooses_a_unit_in_tree_order_region_first(
    strategist: User, org_tree: OrgTree
) -> None:
    client = login(strategist)
    for url in (reverse("report_start"), reverse("goals:adoption_start")):
        page = client.get(url).content.decode()
        main = page[page.index("<main") :]
        links = re.findall(r"<a href=\"/redigera/[^\"]+/\">([^<]+)</a>", main)
        assert links == ["Region Testland", "Primärvård", "VO Norr", "VO Söder"], url
        # Nested: the VOs are in a list inside the area's item, inside the region's.
        region_item = main[main.index("Region Testland") :]
        assert region_item.index("<ul") < region_item.index("Primärvård"), url


def test_the_goal_history_page_has_one_h1_naming_the_goal_like_its_title(
    strategist: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area, title="Teamrond på alla HC")
    url = reverse("goals:goal_history", args=[goal.pk])
    client = login(strategist)

    page = client.get(url).content.decode()

    assert "<title>Ändringshistorik: Teamrond på alla HC – GONV-uppföljning</title>" in page
    assert re.findall(r"<h1[^>]*>(.*?)</h1>", page) == ["Ändringshistorik: Teamrond på alla HC"]
    assert (
        f'<section class="history" id="history-goal-{goal.pk}" aria-labelledby="page-title">'
        in page
    )
    assert "<h2" not in history_of(page)
    # Paging on the page itself keeps the h1 alone; on the goal's page the section has its h2.
    on_page = client.get(
        url, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{url}?sida=1"
    ).content.decode()
    assert "<h2" not in on_page
    on_goal = client.get(
        url,
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{reverse('goals:goal_detail', args=[goal.pk])}",
    ).content.decode()
    assert "<h2" in on_goal
