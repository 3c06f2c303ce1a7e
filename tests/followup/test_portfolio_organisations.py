"""Portfölj with several organisations in one installation: one organisation's portfolio,
chosen with the "Organisation" select (`?organisation=`), by default the user's own."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from followup import warm
from followup.cache import bump_generation
from organisation.models import Role
from programmes.models import Phase
from tests.factories import UserFactory
from tests.followup.dashboard_data import (
    DashboardData,
    SecondOrganisation,
    dashboard_data_create,
    second_organisation_create,
)
from tests.followup.test_dashboards import LARGE, SMALL, _queries

HOME = reverse("home")
HX = {"HX-Request": "true"}
SELECT = 'name="organisation"'
# Testland's goals are "Mål 0", "Delmål 0", …; Bergland's "Bergmål 0", "Bergdelmål 0", ….
TESTLAND_GOAL = ">Mål 0<"
BERGLAND_GOAL = ">Bergmål 0<"


def _page(
    client: Client, user: User, query: str = "", headers: dict[str, str] | None = None
) -> str:
    client.force_login(user)
    response = client.get(HOME + query, headers=headers or {})
    assert response.status_code == 200
    return response.content.decode()


def _steering() -> User:
    return UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)


@pytest.fixture
def steering(db: None) -> User:
    return _steering()


def test_one_organisation_shows_its_whole_portfolio_without_a_select(
    client: Client, testland: DashboardData, steering: User
) -> None:
    # Gävleborg's case: one phase, with or without its organisation set.
    for organisation in (None, testland.region):
        Phase.objects.update(organisation_unit=organisation)
        bump_generation()

        content = _page(client, steering)

        assert SELECT not in content
        assert "Sidan visar portföljen för" not in content
        assert TESTLAND_GOAL in content
        assert "Regionens värden, Region Testland" in content


def test_several_organisations_offer_the_select_with_each_by_name(
    client: Client, testland: DashboardData, bergland: SecondOrganisation
) -> None:
    content = _page(client, _steering())

    assert '<label for="quarter-region-organisation">Organisation</label>' in content
    assert content.index('<option value="BERG"') < content.index('<option value="REG"')
    # The quarter select stays in the same form beside it.
    assert 'name="kvartal"' in content


def test_a_vc_sees_their_own_organisations_goals_and_not_the_others(
    client: Client, testland: DashboardData, bergland: SecondOrganisation
) -> None:
    vc_testland = UserFactory(username="vc-a", role=Role.HEAD_OF_AREA, role__unit=testland.vos[0])
    vc_bergland = UserFactory(username="vc-b", role=Role.HEAD_OF_AREA, role__unit=bergland.vo)

    testland_page = _page(client, vc_testland)
    berg = _page(client, vc_bergland)

    assert TESTLAND_GOAL in testland_page
    assert BERGLAND_GOAL not in testland_page
    assert "Regionens värden, Region Testland" in testland_page
    assert '<option value="REG" selected>' in testland_page
    assert BERGLAND_GOAL in berg
    assert TESTLAND_GOAL not in berg
    assert "Regionens värden, Region Bergland" in berg
    assert "Sidan visar portföljen för Region Bergland." in berg
    assert "första i bokstavsordning" not in berg


def test_a_programme_owner_sees_their_areas_organisation(
    client: Client, testland: DashboardData, bergland: SecondOrganisation
) -> None:
    owner = UserFactory(
        username="po-b",
        role=Role.PROGRAMME_OWNER,
        role__programme_area=testland.programme_area,  # Testland's area
    )

    content = _page(client, owner)

    assert TESTLAND_GOAL in content
    assert BERGLAND_GOAL not in content


def test_a_user_whose_roles_give_no_organisation_gets_the_first_by_name_and_is_told(
    client: Client, testland: DashboardData, bergland: SecondOrganisation
) -> None:
    content = _page(client, _steering())

    assert BERGLAND_GOAL in content
    assert TESTLAND_GOAL not in content
    assert "Sidan visar portföljen för Region Bergland." in content
    assert "Dina roller hör inte till någon av organisationerna" in content


def test_choosing_an_organisation_without_htmx_gives_the_whole_page_for_it(
    client: Client, testland: DashboardData, bergland: SecondOrganisation
) -> None:
    content = _page(client, _steering(), "?organisation=REG&kvartal=2025Q3")

    assert "<html" in content
    assert '<option value="REG" selected>' in content
    assert '<option value="2025Q3" selected>' in content
    assert TESTLAND_GOAL in content
    assert BERGLAND_GOAL not in content
    assert "Regionens värden, Region Testland, Kv 3 2025" in content
    assert "första i bokstavsordning" not in content  # chosen, not a default


def test_choosing_an_organisation_over_htmx_gives_only_the_region(
    client: Client, testland: DashboardData, bergland: SecondOrganisation
) -> None:
    content = _page(client, _steering(), "?organisation=REG", HX)

    assert "<html" not in content
    assert SELECT not in content  # the form stays; only its region is swapped
    # The title names the organisation chosen, as the quarterly report's does.
    title, region = content.lstrip().split("</title>", 1)
    assert title.startswith("<title>Portfölj")
    assert title.endswith(", Region Testland – GONV-uppföljning")
    assert region.lstrip().startswith('<div id="quarter-region"')
    assert TESTLAND_GOAL in content
    assert BERGLAND_GOAL not in content
    assert "Sidan visar portföljen för Region Testland." in content


def test_the_select_swaps_the_region_and_pushes_the_url(
    client: Client, testland: DashboardData, bergland: SecondOrganisation
) -> None:
    content = _page(client, _steering())
    form = content[content.index('<form class="quarter-selector"') :]
    form = form[: form.index("</form>")]

    assert 'hx-target="#quarter-region"' in form
    assert 'hx-push-url="true"' in form
    assert 'method="get"' in form  # and without JavaScript, a plain GET form
    assert SELECT in form
    assert 'name="kvartal"' in form


def test_an_unknown_organisation_gets_a_swedish_message_and_the_default(
    client: Client, testland: DashboardData, bergland: SecondOrganisation
) -> None:
    vc = UserFactory(username="vc-a", role=Role.HEAD_OF_AREA, role__unit=testland.vos[0])

    content = _page(client, vc, "?organisation=NOPE")

    assert (
        "”NOPE” är ingen organisation med en plan här. Sidan visar i stället Region Testland."
        in content
    )
    assert TESTLAND_GOAL in content
    assert BERGLAND_GOAL not in content


def test_the_summary_and_deadlines_follow_the_organisation(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, steering: User
) -> None:
    berg = _page(client, steering, "?organisation=BERG")
    testland_page = _page(client, steering, "?organisation=REG")

    summary_berg = berg.split('class="summary"')[1].split("</section>")[0]
    summary_testland = testland_page.split('class="summary"')[1].split("</section>")[0]
    # Bergland's four goals and milestones are at risk, Testland's four on track.
    assert "Under Kv 4 2025 följs 4 mål och delmål upp. Risk: 4." in summary_berg
    assert "Under Kv 4 2025 följs 4 mål och delmål upp. Enligt plan: 4." in summary_testland
    deadlines_berg = berg.split('id="deadlines-title"')[1].split("</section>")[0]
    assert "Bergdelmål 0" in deadlines_berg
    assert "Delmål 0<" not in deadlines_berg


def test_the_cache_keeps_each_organisations_portfolio_apart(
    client: Client, testland: DashboardData, bergland: SecondOrganisation
) -> None:
    steering = _steering()
    first = _page(client, steering)  # Bergland, cached
    vc = UserFactory(username="vc-a", role=Role.HEAD_OF_AREA, role__unit=testland.vos[0])

    # The same quarter, generation, language and day: only the organisation differs.
    testland_page = _page(client, vc)
    again = _page(client, steering, "?organisation=BERG")

    assert BERGLAND_GOAL in first
    assert TESTLAND_GOAL in testland_page
    assert BERGLAND_GOAL not in testland_page
    assert BERGLAND_GOAL in again
    assert TESTLAND_GOAL not in again


def test_phases_of_no_organisation_are_on_no_portfolio_and_the_page_says_where(
    client: Client, testland: DashboardData, bergland: SecondOrganisation
) -> None:
    from tests.factories import GoalFactory, PhaseFactory, ProgrammeAreaFactory

    shared = PhaseFactory(code="fas-gemensam", name="Gemensam fas")
    GoalFactory(programme_area=ProgrammeAreaFactory(phase=shared), title="Gemensamt mål")

    content = _page(client, _steering())

    assert "Gemensamt mål" not in content
    assert "En fas hör inte till någon organisation" in content
    assert f'<a href="{reverse("programme_area_list")}">Programområden</a>' in content


# --- constant query counts with several organisations -----------------------------------------


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["small", "large"])
def test_the_portfolio_of_one_of_several_organisations_reads_the_same_queries_at_any_size(
    client: Client, db: None, size: dict[str, int]
) -> None:
    testland = dashboard_data_create(**size)
    bergland = second_organisation_create(testland, goals=size["goals"])
    # The roles of test_dashboards' pinned counts: the strategist's give no organisation.
    strateg = UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)
    vc = UserFactory(username="vc-b", role=Role.HEAD_OF_AREA, role__unit=bergland.vo)
    counts = {}
    for name, user in (("strateg", strateg), ("vc", vc)):
        client.force_login(user)
        for query, headers in (("", None), ("?organisation=REG&kvartal=2025Q4", HX)):
            counts[(name, query, "cold")] = _queries(client, HOME + query, headers, cold=True)
            counts[(name, query, "warm")] = _queries(client, HOME + query, headers, cold=False)

    # As with one organisation (test_dashboards' EXPECTED_QUERIES: 23 cold, 7 warm, the full
    # page with the strategist's report notices; 22 and 6 for the quarter's region): the
    # organisation's unit replaces the root as the measures' region. A VC reads their subtree
    # (for their permissions; their default organisation, the one above their unit, comes with
    # their roles in the same query) and no report notices (they act on no report).
    assert counts == {
        ("strateg", "", "cold"): 23,
        ("strateg", "", "warm"): 7,
        ("strateg", "?organisation=REG&kvartal=2025Q4", "cold"): 22,
        ("strateg", "?organisation=REG&kvartal=2025Q4", "warm"): 6,
        ("vc", "", "cold"): 23,
        ("vc", "", "warm"): 7,
        ("vc", "?organisation=REG&kvartal=2025Q4", "cold"): 23,
        ("vc", "?organisation=REG&kvartal=2025Q4", "warm"): 7,
    }


# --- warming ------------------------------------------------------------------------------------


def test_warming_renders_each_organisations_portfolio(
    testland: DashboardData, bergland: SecondOrganisation, settings: Settings
) -> None:
    assert warm.warmed_paths()[:2] == [HOME, HOME + "?organisation=REG"]


def test_after_warming_a_vc_of_any_organisation_gets_their_portfolio_from_the_cache(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, settings: Settings
) -> None:
    settings.GONV_WARM_DASHBOARDS = True
    vc = UserFactory(username="vc-a", role=Role.HEAD_OF_AREA, role__unit=testland.vos[0])
    client.force_login(vc)
    client.get(HOME)  # the session, content types: not what is measured
    bump_generation()

    summary = warm.warm_dashboards()
    after_warming = _queries(client, HOME, None, cold=False)
    again = _queries(client, HOME, None, cold=False)

    assert HOME + "?organisation=REG" in summary["rendered"]
    assert after_warming == again == 7  # test above: the VC's warm count


def test_a_role_under_nested_organisations_gets_the_nearest(
    client: Client, testland: DashboardData, bergland: SecondOrganisation
) -> None:
    # A municipality's plan inside Testland's tree: its VC sees the municipality's, not the
    # region's, though both organisations are above their unit.
    Phase.objects.create(
        code="fas-kommun",
        name="Kommunens fas",
        start_date=testland.programme_area.phase.start_date,
        end_date=testland.programme_area.phase.end_date,
        organisation_unit=testland.area,
    )
    vc = UserFactory(username="vc-a", role=Role.HEAD_OF_AREA, role__unit=testland.vos[0])

    content = _page(client, vc)

    assert f"Sidan visar portföljen för {testland.area.name}." in content
    assert "Kommunens fas" in content
    assert TESTLAND_GOAL not in content


@pytest.mark.parametrize(
    ("path", "headers"),
    [(HOME, None), (HOME + "?kvartal=2025Q4", HX)],
    ids=["page", "quarter"],
)
def test_a_vcs_portfolio_reads_as_many_queries_with_one_organisation_as_with_several(
    client: Client, db: None, path: str, headers: dict[str, str] | None
) -> None:
    # The VC's default organisation comes with their roles (organisation.selectors.scope_for),
    # so a second organisation's plan costs their pages no query: the counts follow the data's
    # size nowhere, nor its number of organisations.
    testland = dashboard_data_create(**SMALL)
    vc = UserFactory(username="vc-a", role=Role.HEAD_OF_AREA, role__unit=testland.vos[0])
    client.force_login(vc)
    one = (_queries(client, path, headers, cold=True), _queries(client, path, headers, cold=False))

    second_organisation_create(testland, goals=SMALL["goals"])
    several = (
        _queries(client, path, headers, cold=True),
        _queries(client, path, headers, cold=False),
    )

    # With several, the select is there and shows the VC's own organisation.
    assert '<option value="REG" selected>' in client.get(path).content.decode()
    assert several == one
