"""Programme area pages with several organisations in one installation: each region has its own
"PO 1", so `/programomraden/1/` is the area of the organisation chosen as on Portfölj
(`?organisation=`, else the user's own), and every link to an area names its organisation."""

from __future__ import annotations

import html
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from followup import warm
from followup.cache import GENERATION_KEY, bump_generation
from goals.models import Goal
from gonv.views import landing_url
from organisation.models import Role
from programmes.models import Phase, ProgrammeArea
from tests.factories import (
    GoalFactory,
    MeasureFactory,
    PhaseFactory,
    ProgrammeAreaFactory,
    UserFactory,
)
from tests.followup.dashboard_data import (
    DashboardData,
    SecondOrganisation,
    dashboard_data_create,
    second_organisation_create,
)
from tests.followup.test_dashboards import LARGE, SMALL, _queries

HOME = reverse("home")
AREA_1 = reverse("programme_area_detail", kwargs={"number": 1})
AREA_LIST = reverse("programme_area_list")
HX = {"HX-Request": "true"}
SELECT = 'name="organisation"'
TESTLAND_AREA = "PO 1. Teamarbete"
BERGLAND_AREA = "PO 1. Nära vård Bergland"
TESTLAND_GOAL = ">Mål 0<"
BERGLAND_GOAL = ">Bergmål 0<"


@pytest.fixture
def vc_testland(testland: DashboardData, bergland: SecondOrganisation) -> User:
    return UserFactory(username="vc-a", role=Role.HEAD_OF_AREA, role__unit=testland.vos[0])


@pytest.fixture
def vc_bergland(bergland: SecondOrganisation) -> User:
    return UserFactory(username="vc-b", role=Role.HEAD_OF_AREA, role__unit=bergland.vo)


def _get(client: Client, user: User, url: str, headers: dict[str, str] | None = None) -> str:
    client.force_login(user)
    response = client.get(url, headers=headers or {})
    assert response.status_code == 200, url
    return response.content.decode()


def _h1(content: str) -> str:
    return content.split("<h1>")[1].split("</h1>")[0]


# --- the links and the page of each organisation's "PO 1" ------------------------------------


def test_each_users_portfolio_link_opens_their_own_area(
    client: Client, testland: DashboardData, vc_testland: User, vc_bergland: User
) -> None:
    measure = MeasureFactory()  # an area without measures offers no unit to chart them for
    for area in ProgrammeArea.objects.filter(number=1):
        area.measures.add(measure)
    bump_generation()
    for user, code, name, goal, other_goal in (
        (vc_testland, "REG", TESTLAND_AREA, TESTLAND_GOAL, BERGLAND_GOAL),
        (vc_bergland, "BERG", BERGLAND_AREA, BERGLAND_GOAL, TESTLAND_GOAL),
    ):
        link = f"{AREA_1}?organisation={code}"
        portfolio = _get(client, user, HOME)
        assert f'href="{link}">{name}</a>' in portfolio

        page = _get(client, user, link)

        assert _h1(page) == name
        assert goal in page
        assert other_goal not in page
        # Its measures compare with its own organisation, not the first root by code.
        assert f'<option value="{code}" selected>' in page.split('id="area-enhet"')[1]


def test_the_plain_url_opens_the_users_own_organisations_area(
    client: Client, testland: DashboardData, vc_testland: User, vc_bergland: User
) -> None:
    assert _h1(_get(client, vc_testland, AREA_1)) == TESTLAND_AREA
    assert _h1(_get(client, vc_bergland, AREA_1)) == BERGLAND_AREA


def test_the_organisation_in_the_url_opens_the_other_organisations_area(
    client: Client, testland: DashboardData, vc_testland: User, vc_bergland: User
) -> None:
    assert _h1(_get(client, vc_testland, AREA_1 + "?organisation=BERG")) == BERGLAND_AREA
    assert _h1(_get(client, vc_bergland, AREA_1 + "?organisation=reg")) == TESTLAND_AREA


def test_an_unknown_organisation_gets_a_swedish_message_and_the_users_area(
    client: Client, testland: DashboardData, vc_bergland: User
) -> None:
    content = _get(client, vc_bergland, AREA_1 + "?organisation=NOPE")

    assert _h1(content) == BERGLAND_AREA
    assert (
        "”NOPE” är ingen organisation med en plan här. Sidan visar i stället Region Bergland."
        in content
    )


def test_a_number_the_organisation_has_no_area_of_is_404_not_anothers_area(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, vc_bergland: User
) -> None:
    ProgrammeAreaFactory(phase=testland.programme_area.phase, number=5, name="Bara Testland")
    client.force_login(vc_bergland)

    assert client.get(reverse("programme_area_detail", kwargs={"number": 5})).status_code == 404
    found = client.get(reverse("programme_area_detail", kwargs={"number": 5}) + "?organisation=REG")
    assert found.status_code == 200


def test_the_area_pages_forms_and_links_keep_its_organisation(
    client: Client, testland: DashboardData, vc_testland: User
) -> None:
    # Testland's VC opens Bergland's area: every swap and plain GET of the page must stay on it.
    content = _get(client, vc_testland, AREA_1 + "?organisation=BERG")

    keep = '<input type="hidden" name="organisation" value="BERG">'
    quarter_form = content.split('<form class="quarter-selector"')[1].split("</form>")[0]
    charts_form = content.split('<form class="unit-form')[1].split("</form>")[0]
    assert keep in quarter_form
    assert keep in charts_form
    # No select on an area's page: its URL names the area.
    assert '<select id="quarter-region-organisation"' not in content
    assert f'<li><a href="{HOME}?organisation=BERG">Portfölj</a></li>' in content
    assert f'<li><a href="{AREA_LIST}?organisation=BERG">Programområden</a></li>' in content


def test_a_quarter_swap_of_the_other_organisations_area_stays_on_it(
    client: Client, testland: DashboardData, vc_testland: User
) -> None:
    content = _get(
        client,
        vc_testland,
        AREA_1 + "?organisation=BERG&kvartal=2025Q3",
        {**HX, "HX-Target": "quarter-region"},
    )

    assert "<html" not in content
    assert BERGLAND_GOAL in content
    assert TESTLAND_GOAL not in content


def test_the_cache_keeps_each_organisations_area_apart(
    client: Client, testland: DashboardData, vc_testland: User, vc_bergland: User
) -> None:
    # The same number, quarter, generation, language and day: only the area differs.
    first = _get(client, vc_testland, AREA_1)
    second = _get(client, vc_bergland, AREA_1)

    assert TESTLAND_GOAL in first
    assert BERGLAND_GOAL in second
    assert TESTLAND_GOAL not in second


def test_a_goal_pages_breadcrumb_leads_to_its_organisations_portfolio(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, vc_testland: User
) -> None:
    goal = bergland.goals[0]

    content = _get(client, vc_testland, reverse("goal_detail", kwargs={"code": goal.code}))

    crumb = f'href="{HOME}?organisation=BERG#po-{goal.programme_area_id}"'
    assert crumb in content
    portfolio = _get(client, vc_testland, f"{HOME}?organisation=BERG")
    assert f'id="po-{goal.programme_area_id}"' in portfolio


def test_saving_a_goal_inline_without_javascript_leads_back_to_its_own_area(
    client: Client, testland: DashboardData, bergland: SecondOrganisation
) -> None:
    strateg = UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)
    goal: Goal = bergland.goals[0]
    url = reverse("goal_inline_edit", kwargs={"code": goal.code}) + "?vy=omrade&kvartal=2025Q4"

    content = _get(client, strateg, url)

    next_url = f"{AREA_1}?organisation=BERG&kvartal=2025Q4"
    assert f'value="{html.escape(next_url)}"' in content


def test_a_programme_owner_lands_on_their_own_area(
    testland: DashboardData, bergland: SecondOrganisation
) -> None:
    owner = UserFactory(
        username="po-b", role=Role.PROGRAMME_OWNER, role__programme_area=bergland.programme_area
    )

    assert landing_url(owner) == f"{AREA_1}?organisation=BERG"


# --- Programområden per organisation ---------------------------------------------------------


def test_the_area_list_shows_the_chosen_organisations_areas_with_the_select(
    client: Client, testland: DashboardData, vc_testland: User, vc_bergland: User
) -> None:
    testland_page = _get(client, vc_testland, AREA_LIST)
    berg = _get(client, vc_bergland, AREA_LIST)
    chosen = _get(client, vc_bergland, AREA_LIST + "?organisation=REG")

    assert '<label for="quarter-region-organisation">Organisation</label>' in testland_page
    assert '<option value="REG" selected>' in testland_page
    assert f'href="{AREA_1}?organisation=REG">{TESTLAND_AREA}</a>' in testland_page
    assert BERGLAND_AREA not in testland_page
    assert "Sidan visar programområdena för Region Testland." in testland_page
    assert f'href="{AREA_1}?organisation=BERG">{BERGLAND_AREA}</a>' in berg
    assert TESTLAND_AREA not in berg
    assert TESTLAND_AREA in chosen
    assert BERGLAND_AREA not in chosen


def test_the_area_lists_select_swaps_the_region_and_pushes_the_url(
    client: Client, testland: DashboardData, vc_testland: User
) -> None:
    page = _get(client, vc_testland, AREA_LIST)
    form = page.split('<form class="quarter-selector"')[1].split("</form>")[0]
    region = _get(client, vc_testland, AREA_LIST + "?organisation=BERG", HX)

    assert 'method="get"' in form  # without JavaScript, a plain GET form
    assert 'hx-target="#quarter-region"' in form
    assert 'hx-push-url="true"' in form
    assert SELECT in form
    assert "<html" not in region
    assert region.lstrip().startswith("<title>Programområden")
    assert region.split("</title>", 1)[1].lstrip().startswith('<div id="quarter-region"')
    assert BERGLAND_AREA in region
    assert TESTLAND_AREA not in region


def test_the_area_list_with_an_unknown_organisation_says_so_and_shows_the_users(
    client: Client, testland: DashboardData, vc_testland: User
) -> None:
    content = _get(client, vc_testland, AREA_LIST + "?organisation=NOPE")

    assert (
        "”NOPE” är ingen organisation med en plan här. Sidan visar i stället Region Testland."
        in content
    )
    assert TESTLAND_AREA in content
    assert BERGLAND_AREA not in content


def test_a_phase_of_no_organisation_is_on_every_list_and_its_link_names_its_phase(
    client: Client, testland: DashboardData, vc_testland: User, vc_bergland: User
) -> None:
    shared = PhaseFactory(code="fas-gemensam", name="Gemensam fas")
    ProgrammeAreaFactory(phase=shared, number=1, name="Gemensamma arbetssätt")
    GoalFactory(programme_area=ProgrammeArea.objects.get(phase=shared), title="Gemensamt mål")
    link = f'href="{AREA_1}?fas=fas-gemensam">PO 1. Gemensamma arbetssätt</a>'

    for user in (vc_testland, vc_bergland):
        content = _get(client, user, AREA_LIST)
        assert link in content
        assert "Den visar också fasen som inte hör till någon organisation." in content

    # The shared PO 1, not the user's own PO 1.
    page = _get(client, vc_bergland, AREA_1 + "?fas=fas-gemensam")
    assert _h1(page) == "PO 1. Gemensamma arbetssätt"
    assert ">Gemensamt mål<" in page
    assert '<input type="hidden" name="fas" value="fas-gemensam">' in page
    # On no organisation's portfolio: the breadcrumbs lead to the user's own pages.
    assert f'<li><a href="{HOME}">Portfölj</a></li>' in page
    assert f'<li><a href="{AREA_LIST}">Programområden</a></li>' in page


# --- one organisation: the URLs as they always were ------------------------------------------


def test_with_one_organisation_the_links_and_list_are_as_before(
    client: Client, testland: DashboardData
) -> None:
    steering = UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    for organisation in (None, testland.region):
        Phase.objects.update(organisation_unit=organisation)
        bump_generation()

        portfolio = _get(client, steering, HOME)
        listed = _get(client, steering, AREA_LIST)
        page = _get(client, steering, AREA_1)

        assert f'href="{AREA_1}">{TESTLAND_AREA}</a>' in portfolio
        assert f'href="{AREA_1}">{TESTLAND_AREA}</a>' in listed
        assert SELECT not in listed
        assert "Sidan visar programområdena" not in listed
        assert (
            "organisation"
            not in page.split('<form class="quarter-selector"')[1].split("</form>")[0]
        )
        assert f'<li><a href="{HOME}">Portfölj</a></li>' in page
        assert _h1(page) == TESTLAND_AREA


# --- constant query counts and warming ---------------------------------------------------------


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["small", "large"])
def test_an_area_of_one_of_several_organisations_reads_the_same_queries_at_any_size(
    client: Client, db: None, size: dict[str, int]
) -> None:
    testland = dashboard_data_create(**size)
    second_organisation_create(testland, goals=size["goals"], number=1)
    strateg = UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)
    client.force_login(strateg)
    counts = {}
    for url, headers in (
        (AREA_1 + "?organisation=REG", None),
        (AREA_1 + "?organisation=REG&kvartal=2025Q4", {**HX, "HX-Target": "quarter-region"}),
        (AREA_LIST + "?organisation=REG", None),
    ):
        counts[(url, "cold")] = _queries(client, url, headers, cold=True)
        counts[(url, "warm")] = _queries(client, url, headers, cold=False)

    # As with one organisation (test_dashboards' EXPECTED_QUERIES: area 30/9, area-region
    # 29/9, area-list 17/6): the adoption matrix's units of the organisation only are one
    # join, not one more query. The strategist may act in the area: +1 on the full page for what
    # waits for them there (as there for the strategist).
    assert counts == {
        (AREA_1 + "?organisation=REG", "cold"): 31,
        (AREA_1 + "?organisation=REG", "warm"): 10,
        (AREA_1 + "?organisation=REG&kvartal=2025Q4", "cold"): 29,
        (AREA_1 + "?organisation=REG&kvartal=2025Q4", "warm"): 9,
        (AREA_LIST + "?organisation=REG", "cold"): 17,
        (AREA_LIST + "?organisation=REG", "warm"): 6,
    }


def test_a_page_of_many_area_links_reads_the_generation_and_the_phases_once_from_the_cache(
    transactional_db: None, client: Client, testland: DashboardData, vc_testland: User
) -> None:
    """Each link to an area names its organisation (the phases' organisations, cached per
    generation); a cold page of many links still asks the cache once for each. (Committed:
    in a test's transaction the generation is the edits' own, read from no cache.)"""
    for number in range(2, 12):
        ProgrammeAreaFactory(
            phase=testland.programme_area.phase, number=number, name=f"Område {number}"
        )
    client.force_login(vc_testland)
    client.get(HOME)  # sessions, content types
    bump_generation()  # cold: as right after a recompute or an edit
    backend = caches["default"]
    real_get = backend.get
    reads: list[str] = []

    def counting_get(key: str, *args: Any, **kwargs: Any) -> Any:
        reads.append(key)
        return real_get(key, *args, **kwargs)

    area_11 = reverse("programme_area_detail", kwargs={"number": 11})
    with mock.patch.object(backend, "get", counting_get):
        for url in (HOME, AREA_LIST):
            reads.clear()
            content = client.get(url).content.decode()
            assert f'href="{area_11}?organisation=REG"' in content
            assert reads.count(GENERATION_KEY) == 1, url
            assert sum(key.endswith(":phase-organisation-units") for key in reads) == 1, url


def test_warming_renders_each_organisations_area_under_its_own_url(
    testland: DashboardData, bergland: SecondOrganisation
) -> None:
    paths = warm.warmed_paths()

    assert f"{AREA_1}?organisation=REG" in paths
    assert f"{AREA_1}?organisation=BERG" in paths
    assert AREA_1 not in paths
    # Programområden as Portfölj: the reader's default (Bergland), then Testland's.
    assert AREA_LIST in paths
    assert f"{AREA_LIST}?organisation=REG" in paths
