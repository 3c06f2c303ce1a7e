"""The dashboards: landing per role, navigation, quarter selector, Portfölj, Programområde and
Enhet pages with their htmx partials, and their constant query counts."""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.fixtures import DjangoAssertNumQueries, Settings

from followup import cache as cache_module
from followup import triggers
from followup.cache import bump_generation
from followup.forms import ERROR_UNKNOWN_UNIT
from followup.models import GoalResult, SpcResult
from followup.quarter_selection import QUARTER_PARAM
from followup.todo import adoption_record_url, support_need_url
from goals.models import AdoptionRecord, Goal
from goals.status import Status
from organisation.models import Role
from programmes.models import Activity, ActivityPlan, SupportNeed
from tests.factories import TEST_PASSWORD, ProgrammeAreaFactory, UserFactory
from tests.followup.dashboard_data import (
    LATEST,
    DashboardData,
    dashboard_data_create,
    spc_summary,
)

HX = {"HX-Request": "true"}


@pytest.fixture
def data(db: None) -> DashboardData:
    return dashboard_data_create(vos=2, hcs_per_vo=3, quarters=5, measures=2, goals=2)


@pytest.fixture
def users(data: DashboardData) -> dict[str, User]:
    return {
        "strateg": UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST),
        "styrgrupp": UserFactory(username="styrgrupp", role=Role.STEERING_GROUP),
        "portfoljagare": UserFactory(username="portfoljagare", role=Role.PORTFOLIO_OWNER),
        "poansvarig": UserFactory(
            username="poansvarig",
            role=Role.PROGRAMME_OWNER,
            role__programme_area=data.programme_area,
        ),
        "vc": UserFactory(username="vc", role=Role.HEAD_OF_AREA, role__unit=data.vos[0]),
        "vec": UserFactory(username="vec", role=Role.HEAD_OF_UNIT, role__unit=data.hcs[0]),
    }


def unit_url(code: str) -> str:
    return reverse("unit_detail", kwargs={"code": code})


# --- landing and navigation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("strateg", lambda d: reverse("home")),
        ("styrgrupp", lambda d: reverse("home")),
        ("portfoljagare", lambda d: reverse("home")),
        ("poansvarig", lambda d: reverse("programme_area_detail", kwargs={"number": 1})),
        ("vc", lambda d: unit_url(d.vos[0].code)),
        ("vec", lambda d: unit_url(d.hcs[0].code)),
    ],
)
def test_each_role_lands_on_its_page_after_login(
    client: Client,
    data: DashboardData,
    users: dict[str, User],
    username: str,
    expected: Callable[[DashboardData], str],
) -> None:
    response = client.post(reverse("login"), {"username": username, "password": TEST_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == expected(data)


def test_the_login_forms_next_wins_over_the_landing_page(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    response = client.post(
        reverse("login") + "?next=/programomraden/",
        {"username": "vc", "password": TEST_PASSWORD, "next": "/programomraden/"},
    )

    assert response["Location"] == "/programomraden/"


def test_navigation_offers_min_enhet_only_to_a_vc_or_vec(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["vc"])
    content = client.get(reverse("home")).content.decode()
    for label in ("Portfölj", "Programområden", "Enheter", "Min enhet"):
        assert f">{label}</a>" in content
    assert 'href="/" aria-current="page"' in content

    client.force_login(users["styrgrupp"])
    assert ">Min enhet</a>" not in client.get(reverse("home")).content.decode()


def test_min_enhet_opens_the_vcs_vo_and_marks_it_current(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["vc"])

    response = client.get(reverse("my_unit"), follow=True)

    assert response.redirect_chain[-1][0] == unit_url(data.vos[0].code)
    assert 'href="/enheter/min-enhet/" aria-current="page"' in response.content.decode()


def test_a_programme_owner_sees_their_area_in_the_header_and_a_link_to_it(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["poansvarig"])
    content = client.get(reverse("programme_area_list")).content.decode()
    roles = content[content.index('<p class="user-roles">') :].split("</p>")[0]
    assert "Programområdesansvarig (PO 1)" in roles
    assert '<a href="/programomraden/mitt/">Mitt programområde</a>' in content

    response = client.get(reverse("my_area"))
    assert response.status_code == 302
    assert response["Location"] == reverse("programme_area_detail", kwargs={"number": 1})

    # Nobody else is offered it, and one who follows the address gets the list of areas.
    client.force_login(users["vc"])
    assert "Mitt programområde" not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("my_area"))["Location"] == reverse("programme_area_list")


def test_mitt_programomrade_is_the_current_menu_item_on_the_owners_own_area_only(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    other = ProgrammeAreaFactory(
        phase=data.programme_area.phase, number=data.programme_area.number + 1
    )
    client.force_login(users["poansvarig"])

    own = client.get(reverse("my_area"), follow=True).content.decode()
    elsewhere = client.get(reverse("programme_area_detail", kwargs={"number": other.number}))

    assert '<a href="/programomraden/mitt/" aria-current="page">Mitt programområde</a>' in own
    assert '<a href="/programomraden/">Programområden</a>' in own  # one current item
    page = elsewhere.content.decode()
    assert '<a href="/programomraden/mitt/">Mitt programområde</a>' in page
    assert '<a href="/programomraden/" aria-current="page">Programområden</a>' in page


def test_anonymous_users_go_to_login_from_every_page(client: Client, data: DashboardData) -> None:
    for url in (
        reverse("programme_area_list"),
        reverse("programme_area_detail", kwargs={"number": 1}),
        reverse("unit_list"),
        unit_url("VO1"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- the quarter selector -----------------------------------------------------------------------


def test_quarter_selector_offers_the_computed_quarters_with_swedish_labels(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["styrgrupp"])

    content = client.get(reverse("home")).content.decode()

    assert '<option value="2025Q4" selected>Kv 4 2025</option>' in content
    assert '<option value="2024Q4">Kv 4 2024</option>' in content
    assert 'hx-push-url="true"' in content
    assert 'hx-target="#quarter-region"' in content
    assert 'method="get"' in content  # works as a plain form without JavaScript


def test_choosing_a_quarter_without_htmx_gives_the_whole_page_for_that_quarter(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["styrgrupp"])

    response = client.get(reverse("home"), {QUARTER_PARAM: "2025Q2"})

    content = response.content.decode()
    assert "<html" in content
    assert '<option value="2025Q2" selected>Kv 2 2025</option>' in content
    assert "Status för Kv 2 2025." in content


def test_choosing_a_quarter_over_htmx_gives_only_the_region(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["styrgrupp"])

    response = client.get(reverse("home"), {QUARTER_PARAM: "2025Q2"}, headers=HX)

    content = response.content.decode()
    # The region, after the document's new title: htmx takes it from a <title> at the top.
    title, region = content.lstrip().split("\n", 1)
    assert title == "<title>Portfölj, Kv 2 2025 – GONV-uppföljning</title>"
    assert region.lstrip().startswith('<div id="quarter-region"')
    assert "<html" not in content
    assert "Status för Kv 2 2025." in content
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["styrgrupp"])

    response = client.get(
        reverse("home"),
        {QUARTER_PARAM: "2025Q2"},
        headers={**HX, "HX-History-Restore-Request": "true"},
    )

    assert "<html" in response.content.decode()


def test_a_quarter_without_results_says_so_and_offers_the_computed_ones(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["styrgrupp"])

    content = client.get(reverse("home"), {QUARTER_PARAM: "2030Q1"}).content.decode()

    assert "Inga resultat är beräknade för Kv 1 2030." in content
    assert "Kv 1 2030 – inte beräknat" in content
    assert '<option value="2025Q4">Kv 4 2025</option>' in content


def test_text_that_is_no_quarter_gets_a_swedish_message_and_the_default(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["styrgrupp"])

    content = client.get(reverse("home"), {QUARTER_PARAM: "förra året"}).content.decode()

    assert "”förra året” är inget kvartal; skriv till exempel 2025Q4." in content
    assert "Sidan visar i stället Kv 4 2025." in content
    assert "Status för Kv 4 2025." in content


@pytest.mark.parametrize("text", ["9999Q4", "0000Q1", "1999Q4", "2101Q1"])
def test_a_quarter_of_a_year_out_of_range_gets_a_swedish_message_on_every_page(
    client: Client, data: DashboardData, users: dict[str, User], text: str
) -> None:
    # Year 0 and 9999 once passed the pattern and failed in date arithmetic: a 500.
    client.force_login(users["vc"])
    goal = data.programme_area.goals.first()
    assert goal is not None
    pages = [
        reverse("home"),
        reverse("programme_area_detail", kwargs={"number": 1}),
        unit_url(data.vos[0].code),
        unit_url(data.hcs[0].code),
        reverse("goal_detail", args=[goal.code]),
        reverse("measure_detail", args=[data.measures[0].code]),
    ]
    for url in pages:
        response = client.get(url, {QUARTER_PARAM: text})
        content = response.content.decode()
        assert response.status_code == 200, url
        assert f"”{text}” ligger utanför åren 2000–2100. Sidan visar i stället Kv 4 2025." in (
            content
        ), url


def test_nothing_computed_says_so(client: Client, users: dict[str, User]) -> None:
    from followup.models import ComputeRun, GoalResult

    GoalResult.objects.all().delete()
    ComputeRun.objects.all().delete()
    client.force_login(users["styrgrupp"])

    content = client.get(reverse("home")).content.decode()

    assert "Ingen uppföljning är beräknad ännu" in content
    assert 'name="kvartal"' not in content


# --- Portfölj -----------------------------------------------------------------------------------


def test_portfolio_shows_summary_deadlines_and_region_measures_with_changes(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["styrgrupp"])

    content = client.get(reverse("home")).content.decode()

    assert "Under Kv 4 2025 följs 4 mål och delmål upp. Enligt plan: 4." in content
    assert "2 mål och 2 delmål hade måldatum under kvartalet." in content
    assert "Förändring mot föregående kvartal" in content
    assert "Förändring mot samma kvartal året före" in content
    assert "Mått 00" in content
    assert "+1\u00a0st" in content  # each quarter's value is one more than the one before
    assert "+4\u00a0st" in content
    assert "30 nov 2025" in content
    assert 'class="sparkline"' in content
    assert "Särskild orsak – förbättring" in content


def test_portfolio_says_a_chart_without_limits_has_too_few_points_in_todays_words(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    # A chart stored with the engine's older sentence ("För få datapunkter (10 av 13) för
    # styrgränser."): the table says it as the charts do, from the points.
    SpcResult.objects.filter(
        quarter=LATEST.code, unit=data.region, measure=data.measures[0]
    ).update(summary=spc_summary([40.0 + i % 5 for i in range(10)], None))
    bump_generation()
    client.force_login(users["styrgrupp"])

    content = client.get(reverse("home")).content.decode()

    assert "För få punkter för styrgränser (10 av minst 13)." in content
    assert "datapunkter" not in content


@pytest.mark.parametrize("page", ["home", "report"])
def test_the_quarters_figures_and_the_latest_months_are_told_apart_on_portfolio_and_report(
    client: Client, data: DashboardData, users: dict[str, User], page: str
) -> None:
    client.force_login(users["styrgrupp"])
    url = (
        reverse("home")
        if page == "home"
        else reverse("quarter_report_detail", kwargs={"quarter": "2025Q4"})
    )

    content = client.get(url).content.decode()

    # The value and its changes are the quarter's; the sparkline and the icon the months'.
    assert ">Värde för kvartalet</th>" in content
    assert ">Styrdiagram (SPC), senaste punkten</th>" in content
    month = re.search(
        r'<span class="sparkline-caption">Månadsvärden t\.o\.m\. (\w+ \d{4})</span>', content
    )
    assert month
    assert f'<span class="muted cell-note">Punkten för {month.group(1)}</span>' in content


# --- Programområde ------------------------------------------------------------------------------


def test_programme_area_list_links_every_area(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["vec"])

    content = client.get(reverse("programme_area_list")).content.decode()

    assert 'href="/programomraden/1/"' in content
    assert "PO 1. Teamarbete" in content


def test_programme_area_list_counts_goals_and_milestones_with_their_statuses(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    GoalResult.objects.filter(goal=data.goals[-1], quarter=LATEST.code).update(
        status=Status.AT_RISK.value
    )
    client.force_login(users["styrgrupp"])

    content = client.get(reverse("programme_area_list")).content.decode()

    card = " ".join(re.sub(r"<[^>]+>", " ", content.split("PO 1. Teamarbete", 1)[1]).split())
    # As Portfölj counts them: "Under Kv 4 2025 följs 4 mål och delmål upp".
    assert "2 mål, 2 delmål" in card
    assert "Enligt plan 3 Risk 1" in card


def test_programme_area_page_shows_goals_with_status_and_its_measures(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["poansvarig"])

    content = client.get(reverse("programme_area_detail", kwargs={"number": 1})).content.decode()

    assert "Mål 0" in content
    assert "Delmål 1" in content
    assert "status-enligt_plan" in content
    assert "Programområdets mått för Region Testland, Kv 4 2025" in content


def area_url() -> str:
    return reverse("programme_area_detail", kwargs={"number": 1})


@pytest.mark.parametrize(
    "role", ["strateg", "styrgrupp", "portfoljagare", "poansvarig", "vc", "vec"]
)
def test_each_role_sees_the_areas_measures_as_spc_charts_for_the_region(
    client: Client, data: DashboardData, users: dict[str, User], role: str
) -> None:
    client.force_login(users[role])

    content = client.get(area_url()).content.decode()

    assert 'id="area-charts"' in content
    assert content.count('class="chart spc-chart') == len(data.measures)
    assert "Mått 01, Region Testland" in content
    assert '<option value="REG" selected>Region Testland</option>' in content
    assert '<option value="VO1">VO 1</option>' in content
    assert 'value="HC11"' not in content  # the select offers units with units below


def test_choosing_a_unit_over_htmx_swaps_only_the_charts(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["styrgrupp"])

    response = client.get(
        area_url(),
        {"enhet": "VO1", "kvartal": "2025Q4"},
        headers={**HX, "HX-Target": "area-charts"},
    )
    content = response.content.decode()

    assert content.lstrip().startswith('<section id="area-charts"')
    assert "<html" not in content
    assert "Mål 0" not in content  # the goal tree is not swapped
    assert "Mått 01, VO 1" in content
    assert "Mått 01, Region Testland" not in content
    assert '<option value="VO1" selected>VO 1</option>' in content
    assert 'hx-get="/programomraden/1/"' in content
    assert 'hx-target="#area-charts"' in content
    assert 'hx-push-url="true"' in content
    assert 'hx-indicator="#area-charts-indicator"' in content
    assert '<input type="hidden" name="kvartal" value="2025Q4">' in content
    assert response["Vary"] == "HX-Request" or "HX-Request" in response["Vary"]


def test_choosing_a_unit_without_js_gives_the_whole_page_with_its_charts(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["poansvarig"])

    content = client.get(area_url(), {"enhet": "VO2"}).content.decode()

    assert "<html" in content
    assert "Mål 0" in content
    assert "Programområdets mått för VO 2, Kv 4 2025" in content
    assert "Mått 00, VO 2" in content
    assert '<form class="unit-form inline-form" method="get" action="/programomraden/1/"' in content


def test_changing_quarter_keeps_the_charts_unit(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["strateg"])

    content = client.get(area_url(), {"enhet": "VO1"}).content.decode()
    region = client.get(
        area_url(),
        {"enhet": "VO1", "kvartal": "2025Q3"},
        headers={**HX, "HX-Target": "quarter-region"},
    ).content.decode()

    assert '<input type="hidden" name="enhet" value="VO1">' in content  # without JS
    assert 'hx-include="#area-enhet"' in content  # with htmx, the current select
    assert "Programområdets mått för VO 1, Kv 3 2025" in region


def test_the_area_pages_title_names_the_quarter_and_a_swap_sends_the_new_one(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["styrgrupp"])

    content = client.get(area_url(), {"kvartal": "2025Q4"}).content.decode()
    region = client.get(
        area_url(), {"kvartal": "2025Q3"}, headers={**HX, "HX-Target": "quarter-region"}
    ).content.decode()

    area = data.programme_area
    assert f"<title>PO 1. {area.name}, Kv 4 2025 – GONV-uppföljning</title>" in content
    # htmx takes the document's title from a <title> at the top of the swapped region.
    assert region.lstrip().startswith(f"<title>PO 1. {area.name}, Kv 3 2025 – GONV-uppföljning")


def test_the_get_filters_selects_keep_no_form_state_of_their_own(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    """Without JavaScript, Back restored a select's last choice over the page it came back to
    (a quarter shown in the select, another on the page): the selects ask for no restoring."""
    client.force_login(users["styrgrupp"])

    content = client.get(area_url()).content.decode()

    for select in ("quarter-region-kvartal", "area-enhet", "adoption-vo", "adoption-sort"):
        tag = re.search(rf'<select id="{select}"[^>]*>', content)
        assert tag, select
        assert 'autocomplete="off"' in tag.group(0), select


def test_an_area_without_measures_or_dates_says_so(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    """PO 4 and PO 5 of the plan follow no measure: no unit to chart them for, and the page
    says there are none, not that none is computed; nor a timeline of today alone."""
    client.force_login(users["styrgrupp"])
    ProgrammeAreaFactory(phase=data.programme_area.phase, number=4, name="Digitala arbetssätt")

    # A day within the phase (2025–2027): the timeline would have today, and nothing else.
    with mock.patch("django.utils.timezone.localdate", return_value=datetime.date(2026, 6, 1)):
        content = client.get(
            reverse("programme_area_detail", kwargs={"number": 4})
        ).content.decode()

    charts = content.split('id="area-charts"')[1].split("</section>")[0]
    assert "Programområdet har inga uppföljningsmått." in charts
    assert "Inga beräknade mått" not in charts
    assert 'id="area-enhet"' not in content
    timeline = content.split('id="timeline-title"')[1].split("</section>")[0]
    assert "Inga mål, delmål eller aktiviteter har datum i fasen." in timeline
    assert "I dag" not in timeline
    assert 'id="area-enhet"' in client.get(area_url()).content.decode()  # PO 1 has measures


def test_an_unknown_unit_shows_the_region_with_a_swedish_message(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["styrgrupp"])

    content = html.unescape(client.get(area_url(), {"enhet": "NOPE"}).content.decode())

    assert str(ERROR_UNKNOWN_UNIT % {"code": "NOPE"}) in content
    assert "Programområdets mått för Region Testland, Kv 4 2025" in content


def test_unknown_programme_area_is_404(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["styrgrupp"])

    assert client.get(reverse("programme_area_detail", kwargs={"number": 9})).status_code == 404


# --- Enhet --------------------------------------------------------------------------------------


def test_the_unit_search_finds_units_by_part_of_name_code_or_hsa_id(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    data.hcs[4].hsa_id = "SE2321000180-1234"
    data.hcs[4].save()
    data.hcs[5].valid_to = datetime.date(2024, 12, 31)
    data.hcs[5].save()
    client.force_login(users["styrgrupp"])

    by_name = client.get(reverse("unit_list"), {"sok": "  centRAL 2- "}).content.decode()
    by_hsa = client.get(reverse("unit_list"), {"sok": "se2321000180-1234"}).content.decode()
    by_code = client.get(reverse("unit_list"), {"sok": "vo1"}).content.decode()

    hits = by_name[by_name.index('id="unit-search-results"') :].split("</section>")[0]
    assert "Sökträffar för ”centRAL 2-”" in hits
    assert [
        html.unescape(t) for t in re.findall(r'<a href="/enheter/[^"]+/">([^<]+)</a>', hits)
    ] == [
        "Hälsocentral 2-1",
        "Hälsocentral 2-2",
        "Hälsocentral 2-3",
    ]
    assert "stängd 31 dec 2024" in hits  # a closed unit is found, and said to be closed
    assert "under VO 2" in hits
    assert f'href="{unit_url(data.hcs[4].code)}"' in by_hsa.split('id="unit-search-results"')[1]
    # An exact code comes first, before names that merely contain it.
    first = re.search(r'search-hits">\s*<li><a href="([^"]+)"', by_code)
    assert first
    assert first.group(1) == unit_url(data.vos[0].code)


def test_the_unit_search_says_what_it_could_not_do(
    client: Client, data: DashboardData, users: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    client.force_login(users["vc"])

    short = client.get(reverse("unit_list"), {"sok": "H"}).content.decode()
    nothing = client.get(reverse("unit_list"), {"sok": "Finns inte"}).content.decode()
    monkeypatch.setattr("organisation.selectors.UNIT_SEARCH_LIMIT", 2)
    many = client.get(reverse("unit_list"), {"sok": "Hälsocentral"}).content.decode()

    assert "Skriv minst 2 tecken." in short
    # Over htmx the page's live region gets the same in short.
    swap = {**HX, "HX-Target": "unit-search-results"}
    for text, said in (
        ("H", "Skriv minst 2 tecken."),
        ("Finns inte", "Inga enheter hittades"),
        ("Hälsocentral", "Fler än 2 enheter hittades; de första 2 visas."),
        ("", ""),
    ):
        answer = client.get(reverse("unit_list"), {"sok": text}, headers=swap).content.decode()
        assert f'<p id="unit-search-status" hx-swap-oob="innerHTML">{said}</p>' in answer
    page = client.get(reverse("unit_list")).content.decode()
    assert '<p id="unit-search-status" class="visually-hidden" role="status"></p>' in page
    assert "Sökträffar för" not in short  # no heading over results that are not there
    assert "Ingen enhet har ”Finns inte” i namnet eller koden, eller som HSA-id." in nothing
    assert "Visar de första 2; skriv mer för att hitta färre." in many


def test_the_unit_search_swaps_only_its_results_over_htmx(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["styrgrupp"])

    response = client.get(
        reverse("unit_list"),
        {"sok": "VO 2"},
        headers={**HX, "HX-Target": "unit-search-results"},
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="unit-search-results"')
    assert "aria-live" not in content  # the results are no live region of their own...
    # ...the count goes into the page's one, which stays (out of band, its content only).
    assert '<p id="unit-search-status" hx-swap-oob="innerHTML">1 enhet hittades</p>' in content
    assert "<h1>" not in content
    assert 'class="unit-tree"' not in content
    assert f'href="{unit_url(data.vos[1].code)}"' in content
    assert "HX-Request" in response["Vary"]


def test_unit_tree_shows_the_units_down_to_the_vos_and_folds_the_units_below(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["styrgrupp"])

    content = client.get(reverse("unit_list")).content.decode()

    for unit in (data.region, data.area, *data.vos):
        assert f'href="{unit_url(unit.code)}"' in content
    for hc in data.hcs:
        assert f'href="{unit_url(hc.code)}"' not in content
    # Each VO's link is followed by a <details> ("3 enheter under VO 1") whose units come on
    # its first opening; without JavaScript the link inside leads to the VO's page, which
    # lists them.
    vo = data.vos[0]
    children_url = reverse("unit_tree_children", kwargs={"code": vo.code})
    fold = content[content.index(f'<a href="{unit_url(vo.code)}">VO 1</a>') :]
    fold = fold[: fold.index("</details>")]
    # data-print-closed: printing does not open the fold (its units are fetched on opening).
    assert (
        f'<details class="unit-fold" data-print-closed hx-get="{children_url}" '
        'hx-trigger="toggle once"'
    ) in fold
    summary = fold[fold.index("<summary>") : fold.index("</summary>")]
    assert re.sub(r"<[^>]+>", "", summary) == "3 enheter under VO 1"
    assert "Enheterna under VO 1 finns på enhetens sida" in fold
    unit_page = client.get(unit_url(vo.code)).content.decode()
    for hc in data.hcs[:3]:
        assert f'href="{unit_url(hc.code)}"' in unit_page


def test_a_folded_units_children_come_over_htmx_and_lead_to_the_page_without(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["styrgrupp"])
    url = reverse("unit_tree_children", kwargs={"code": data.vos[1].code})

    fragment = client.get(url, headers=HX).content.decode()

    assert fragment.lstrip().startswith("<ul>")
    assert "<html" not in fragment
    for hc in data.hcs[3:]:
        assert f'href="{unit_url(hc.code)}"' in fragment
    assert f'href="{unit_url(data.hcs[0].code)}"' not in fragment
    assert "<details" not in fragment  # health centres have no units below
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == unit_url(data.vos[1].code)
    unknown = reverse("unit_tree_children", kwargs={"code": "X"})
    assert client.get(unknown, headers=HX).status_code == 404
    # A folded node's own children fold again: the area's VOs, each with its count.
    area = client.get(
        reverse("unit_tree_children", kwargs={"code": data.area.code}), headers=HX
    ).content.decode()
    assert area.count("<details") == 2
    assert f'hx-get="{reverse("unit_tree_children", kwargs={"code": "VO2"})}"' in area


def test_the_unit_tree_folds_at_the_configured_depth(
    client: Client, data: DashboardData, users: dict[str, User], settings: Settings
) -> None:
    client.force_login(users["styrgrupp"])
    settings.GONV_UNIT_TREE_DEPTH = 3

    content = client.get(reverse("unit_list")).content.decode()

    assert "<details" not in content
    for unit in (data.region, data.area, *data.vos, *data.hcs):
        assert f'href="{unit_url(unit.code)}"' in content

    settings.GONV_UNIT_TREE_DEPTH = 0
    content = client.get(reverse("unit_list")).content.decode()
    assert content.count("<details") == 1  # the region, with the area below it
    assert f'href="{unit_url(data.area.code)}"' not in content
    assert "1 enhet<span" in content


def test_a_tree_too_large_for_the_page_folds_higher_up(
    client: Client, data: DashboardData, users: dict[str, User], settings: Settings
) -> None:
    client.force_login(users["styrgrupp"])
    # Region and area: 2 units; down to the VOs: 4; down to the health centres: 10.
    settings.GONV_UNIT_TREE_MAX_NODES = 3

    content = client.get(reverse("unit_list")).content.decode()

    assert f'href="{unit_url(data.area.code)}"' in content
    assert f'href="{unit_url(data.vos[0].code)}"' not in content
    assert content.count("<details") == 1
    assert '2 enheter<span class="visually-hidden"> under Primärvård</span>' in content

    settings.GONV_UNIT_TREE_MAX_NODES = 4
    content = client.get(reverse("unit_list")).content.decode()
    assert f'href="{unit_url(data.vos[0].code)}"' in content
    assert content.count("<details") == 2


def test_vc_sees_todo_with_links_on_their_own_vo(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["vc"])  # no staff access: the links open the editing pages
    need = SupportNeed.objects.get(unit=data.vos[0])
    need.response = "Vi bokar en workshop."
    need.save()

    content = client.get(unit_url(data.vos[0].code)).content.decode()

    assert "Att göra" in content
    assert "Saknade värden <span" in content
    assert f'href="{support_need_url(need=need)}"' in content
    assert "Svar: Vi bokar en workshop." in content
    record = data.hcs[0].adoption_records.get()
    assert f'href="{adoption_record_url(record=record)}"' in content
    assert "Utbilda team i VO 1" in content  # overdue since Dec 2025
    assert "/admin/" not in content
    # The VO's draft plan has an activity but was never submitted: left to do.
    assert f"{data.vos[0].name}, PO 1: utkast, inte inskickat" in content
    plan = Activity.objects.get(title="Utbilda team i VO 1").plan
    plan.status = "inlamnad"
    plan.save()
    bump_generation()
    content = client.get(unit_url(data.vos[0].code)).content.decode()
    assert "utkast, inte inskickat" not in content


def test_an_adoption_planned_for_a_day_that_has_passed_is_on_the_todo_list(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["vc"])
    record = data.hcs[1].adoption_records.select_related("working_method").get()
    record.status = AdoptionRecord.Status.PLANNED
    record.planned_date = datetime.date(2020, 1, 1)
    record.actual_date = None
    record.save()

    content = html.unescape(client.get(unit_url(data.vos[0].code)).content.decode())

    assert "Införande efter planerat datum <span" in content
    assert (
        f"{data.hcs[1].name}: {record.working_method.name} (planerat) planerades till 1 jan 2020"
    ) in content
    assert f'href="{adoption_record_url(record=record)}"' in content
    # Introduced: nothing left to do.
    record.status = AdoptionRecord.Status.ADOPTED
    record.actual_date = datetime.date(2020, 2, 1)
    record.save()
    content = html.unescape(client.get(unit_url(data.vos[0].code)).content.decode())
    assert "planerades till 1 jan 2020" not in content


def test_vc_on_another_vo_reads_it_without_todo_or_edit_links(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["vc"])

    response = client.get(unit_url(data.vos[1].code))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Att göra" not in content
    assert "/admin/" not in content
    assert "Hälsocentral 2-1" in content


@pytest.mark.parametrize(
    ("username", "vo", "offered"),
    [("vc", 0, True), ("vc", 1, False), ("strateg", 1, True), ("styrgrupp", 0, False)],
)
def test_a_unit_page_leads_to_reporting_import_and_adoption_only_for_who_may_write_it(
    client: Client,
    data: DashboardData,
    users: dict[str, User],
    username: str,
    vo: int,
    offered: bool,
) -> None:
    client.force_login(users[username])
    unit = data.vos[vo]

    content = client.get(unit_url(unit.code)).content.decode()
    start = content.find('<ul class="action-links"')
    actions = "" if start < 0 else content[start : content.index("</ul>", start)]

    links = [
        f'href="{reverse("report_grid", args=[unit.pk])}"',
        f'href="{reverse("goals:adoption_grid", args=[unit.pk])}"',
        f'href="{reverse("import_upload")}"',
    ]
    assert [link in actions for link in links] == [offered] * 3
    if offered:  # in the main menu's order: införande, värden, import
        assert actions.index(links[1]) < actions.index(links[0]) < actions.index(links[2])
    if offered:  # and the links lead to pages that user may use
        for url in (reverse("report_grid", args=[unit.pk]), reverse("import_upload")):
            assert client.get(url).status_code == 200


def test_the_measure_pages_lead_to_import_for_who_may_import(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    pages = [reverse("measure_list"), reverse("measure_detail", args=[data.measures[0].code])]
    for username, offered in (("vec", True), ("styrgrupp", False)):
        client.force_login(users[username])
        for page in pages:
            content = client.get(page).content.decode()
            assert (
                f'<p class="action-links"><a href="{reverse("import_upload")}"' in content
            ) is offered


def test_readers_see_no_todo(client: Client, data: DashboardData, users: dict[str, User]) -> None:
    client.force_login(users["styrgrupp"])

    content = client.get(unit_url(data.vos[0].code)).content.decode()

    assert "Att göra" not in content
    assert "/admin/" not in content


def test_unit_page_compares_with_parent_and_region_and_peers(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["vc"])

    content = client.get(unit_url(data.vos[0].code)).content.decode()

    assert "Mått för VO 1, Kv 4 2025" in content
    assert '<th scope="col" role="columnheader" class="num">Primärvård</th>' in content
    assert '<th scope="col" role="columnheader" class="num">Region Testland</th>' in content
    assert "Mått 00 per enhet jämfört med medelvärdet per enhet i VO 1, Kv 4 2025" in content
    assert "Införande per 31 dec 2025: status per arbetssätt, VO 1" in content
    for hc in data.hcs[:3]:
        assert hc.name in content


def test_the_measure_table_compares_with_the_region_once_and_the_region_with_nothing(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    """Primärvård's parent is the region: one column for it, not two alike. The region's own
    page has nothing above it to compare with."""
    client.force_login(users["styrgrupp"])
    header = '<th scope="col" role="columnheader" class="num">{}</th>'

    area = client.get(unit_url(data.area.code)).content.decode()
    region = client.get(unit_url(data.region.code)).content.decode()

    table = area[area.index('class="data-table measure-table') :].split("</thead>")[0]
    assert table.count(header.format("Region Testland")) == 1
    assert "Mått för Primärvård, Kv 4 2025" in area
    table = region[region.index('class="data-table measure-table') :].split("</thead>")[0]
    assert header.format("Region Testland") not in table
    assert header.format("Värde för kvartalet") in table


def test_peer_comparison_swaps_alone_for_another_measure(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["vc"])

    response = client.get(
        unit_url(data.vos[0].code),
        {"kvartal": "2025Q4", "matt": "matt-01"},
        headers={**HX, "HX-Target": "peers"},
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="peers"')
    assert "Mått 01 per enhet jämfört med VO 1, Kv 4 2025" in content
    assert "<html" not in content


def test_a_care_unit_compares_with_its_siblings(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["vec"])

    content = client.get(unit_url(data.hcs[0].code)).content.decode()

    assert "Mått 00 per enhet jämfört med medelvärdet per enhet i VO 1, Kv 4 2025" in content
    assert '<tr class="current">' in content


def test_a_unit_with_no_data_says_so(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    from tests.factories import UnitFactory

    UnitFactory(code="NY", name="Ny hälsocentral", parent=data.vos[0])
    client.force_login(users["styrgrupp"])

    content = client.get(unit_url("NY")).content.decode()

    assert "Enheten har inga beräknade mått detta kvartal." in content


def test_unknown_unit_is_404(client: Client, data: DashboardData, users: dict[str, User]) -> None:
    client.force_login(users["styrgrupp"])

    assert client.get(unit_url("FINNS-INTE")).status_code == 404


# --- constant query counts ----------------------------------------------------------------------

SMALL = {"vos": 1, "hcs_per_vo": 3, "quarters": 2, "measures": 2, "goals": 1}
LARGE = {"vos": 5, "hcs_per_vo": 6, "quarters": 12, "measures": 5, "goals": 4}

# page name → (url from the data, htmx headers or None)
PAGES: dict[str, tuple[Callable[[DashboardData], str], dict[str, str] | None]] = {
    "portfolio": (lambda d: reverse("home"), None),
    "portfolio-region": (lambda d: reverse("home") + "?kvartal=2025Q4", HX),
    "area-list": (lambda d: reverse("programme_area_list"), None),
    "area-list-region": (lambda d: reverse("programme_area_list") + "?kvartal=2025Q4", HX),
    "area": (lambda d: reverse("programme_area_detail", kwargs={"number": 1}), None),
    "area-region": (
        lambda d: reverse("programme_area_detail", kwargs={"number": 1}) + "?kvartal=2025Q4",
        {**HX, "HX-Target": "quarter-region"},
    ),
    "area-adoption": (
        lambda d: reverse("programme_area_detail", kwargs={"number": 1}) + "?vo=VO1",
        {**HX, "HX-Target": "adoption"},
    ),
    "area-charts": (
        lambda d: reverse("programme_area_detail", kwargs={"number": 1}) + "?enhet=VO1",
        {**HX, "HX-Target": "area-charts"},
    ),
    "unit-list": (lambda d: reverse("unit_list"), None),
    "unit-search": (
        lambda d: reverse("unit_list") + "?sok=Hälsocentral",
        {**HX, "HX-Target": "unit-search-results"},
    ),
    "unit-tree-children": (
        lambda d: reverse("unit_tree_children", kwargs={"code": d.vos[0].code}),
        HX,
    ),
    "unit": (lambda d: unit_url(d.vos[0].code), None),
    "unit-region": (
        lambda d: unit_url(d.vos[0].code) + "?kvartal=2025Q4",
        {**HX, "HX-Target": "quarter-region"},
    ),
    "unit-peers": (
        lambda d: unit_url(d.vos[0].code) + "?kvartal=2025Q4&matt=matt-01",
        {**HX, "HX-Target": "peers"},
    ),
    "care-unit": (lambda d: unit_url(d.hcs[0].code), None),
    "unit-todo-list": (
        lambda d: reverse("unit_todo_list", kwargs={"code": d.vos[0].code, "key": "missing"}),
        None,
    ),
}

# Pinned counts, the same at both sizes: the session, the user and their role assignments (and
# for a VC their subtree) come first, the session save last; the rest is the page's reads.
# Cold: as right after a recompute or an edit (a new cache generation), so the computed
# quarters are read too (two queries) and every region is rendered from the database.
EXPECTED_QUERIES = {
    # session, user, roles; the computed quarters; the phases' organisations; phases, their
    # timeline, areas, processes, goals, milestones; goal results, the computation time;
    # region, measures, their results and SPC, their period results (what each value covers
    # of the quarter: followup.quarter_basis); session save. Every page with a measure table
    # reads the period results too. On the full page (not its region), for a strategist, a
    # portfolio owner or an administrator, the quarterly reports waiting for them, outside
    # the cache (one query: NOTICE_QUERIES).
    "portfolio": 23,
    "portfolio-region": 22,
    # The area list and the area pages read the phases' organisations too (one query per
    # generation, shared with Portfölj): the organisation an area is found in, and whether its
    # links name one (followup.organisation_selection).
    "area-list": 17,
    "area-list-region": 17,
    # + the area, owners, processes, goals, milestones and assessments, measures, results, SPC,
    # and the goals that follow the measures (why a chart has no assurance icon); on the full
    # page also the adoption matrix (methods, their unit kinds, units, records,
    # adoption goals) and the timeline's activities. (The units and records: the data's
    # working method targets the health centres; before it targeted none, so those two
    # queries never ran here and the counts were 26 and 15.)
    "area": 30,
    # A quarter swap renders the adoption matrix too (out of band: it stands as of the quarter),
    # the full page's five matrix queries.
    "area-region": 29,
    "area-adoption": 17,
    # + the area (owners, processes), the chosen unit, the units with units below, measures,
    # their results and SPC (one query for the area's measures and the unit), the goals that
    # follow the measures.
    "area-charts": 19,
    # + the units per level (how deep to render), the tree down to it with each unit's count.
    "unit-list": 8,
    # The session's queries and one for the units found (not cached).
    "unit-search": 7,
    # + the unit, its children with their counts.
    "unit-tree-children": 8,
    # + ancestors, children, adoption (the methods the grid offers: the units' organisations,
    # the methods, their unit kinds; then the records), results, SPC, peers (their results, SPC
    # and the months each value covers: a count is compared like with like), the to-do (units,
    # measures and their kinds, observations, adoption, plans sent back, activities, support
    # needs).
    "unit": 30,
    "unit-region": 22,
    "unit-peers": 22,
    "care-unit": 31,
    # + the unit, its ancestors, the to-do's reads; not cached (its page is seldom opened).
    "unit-todo-list": 16,
}

# Warm: the same request again. Its regions come from the cache (followup.cache): what is left
# is the session, user and roles, what the view needs before the cache (the area, unit or
# measure of the URL and, on an area page, its header: owners, processes, phase), and the
# session save. The unit tree reads only the session's queries.
EXPECTED_WARM_QUERIES = {
    "portfolio": 7,
    "portfolio-region": 6,
    "area-list": 6,
    "area-list-region": 6,
    "area": 9,
    "area-region": 9,
    "area-adoption": 9,
    "area-charts": 10,
    "unit-list": 6,
    "unit-search": 7,
    "unit-tree-children": 7,
    "unit": 7,
    "unit-region": 7,
    "unit-peers": 7,
    "care-unit": 7,
    "unit-todo-list": 16,
}


# The pages that read the quarterly reports waiting for the user (Portfölj's notices): one
# query, only for those who may act on a report (a VC may not), never cached.
NOTICE_QUERIES = {"portfolio": 1}


def _queries(client: Client, url: str, headers: dict[str, str] | None, *, cold: bool) -> int:
    """The queries of one request: cold, as right after a recompute or an edit (a new cache
    generation: nothing of the page cached, not even the computed quarters), or warm (the
    same request again: its regions come from the cache)."""
    client.get(url, headers=headers or {})  # warm: content types, sessions, the cache
    if cold:
        bump_generation()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["small", "large"])
@pytest.mark.parametrize("role", ["strateg", "vc"])
def test_every_page_and_partial_runs_the_same_small_number_of_queries_at_any_size(
    client: Client,
    db: None,
    django_assert_num_queries: DjangoAssertNumQueries,
    size: dict[str, int],
    role: str,
) -> None:
    data = dashboard_data_create(**size)
    user = (
        UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)
        if role == "strateg"
        else UserFactory(username="vc", role=Role.HEAD_OF_AREA, role__unit=data.vos[0])
    )
    client.force_login(user)
    extra = 1 if role == "vc" else 0  # the VC's subtree, read once for their permissions
    cold = {
        name: _queries(client, url(data), headers, cold=True)
        for name, (url, headers) in PAGES.items()
    }
    warm = {
        name: _queries(client, url(data), headers, cold=False)
        for name, (url, headers) in PAGES.items()
    }

    # Who may act in the area (the strategist; not the VC) reads what waits for them there, the
    # counts beside its links: one query on the full area page, never cached (their own). A VC
    # acts on no quarterly report either: no query for Portfölj's notices.
    acts = {"area": 1} if role == "strateg" else {}
    notices = NOTICE_QUERIES if role == "vc" else {}
    assert cold == {
        name: count + extra + acts.get(name, 0) - notices.get(name, 0)
        for name, count in EXPECTED_QUERIES.items()
    }
    assert warm == {
        name: count + extra + acts.get(name, 0) - notices.get(name, 0)
        for name, count in EXPECTED_WARM_QUERIES.items()
    }


def test_a_pinned_page_runs_exactly_its_queries(
    client: Client,
    data: DashboardData,
    users: dict[str, User],
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    client.force_login(users["strateg"])
    url = unit_url(data.vos[0].code)
    client.get(url)
    bump_generation()  # as after a recompute: nothing cached

    with django_assert_num_queries(EXPECTED_QUERIES["unit"]):
        client.get(url)
    with django_assert_num_queries(EXPECTED_WARM_QUERIES["unit"]):
        client.get(url)


def test_changing_quarter_keeps_the_peer_comparisons_measure(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["vc"])

    content = client.get(unit_url(data.vos[0].code), {"matt": "matt-01"}).content.decode()

    assert '<input type="hidden" name="matt" value="matt-01">' in content  # without JS
    assert 'hx-include="#peer-measure"' in content  # with htmx, the current select


def test_programme_area_adoption_matrix_groups_units_by_vo_with_shares_and_target(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    from tests.factories import GoalFactory

    method = data.programme_area.working_methods.get()
    method.target_unit_kinds.add(data.hcs[0].kind)
    GoalFactory(
        adoption=True,
        programme_area=data.programme_area,
        working_method=method,
        unit_kind=data.hcs[0].kind,
        deadline=datetime.date(2099, 12, 31),
    )
    client.force_login(users["styrgrupp"])
    url = reverse("programme_area_detail", kwargs={"number": 1})

    content = client.get(url).content.decode()

    assert "status per enhet och arbetssätt, PO 1" in content
    # Every other health centre has adopted: VO 1 has HC 1-2, VO 2 has HC 2-1 and 2-3.
    assert "1 av 3 (33,3\u00a0%)" in content
    assert "2 av 3 (66,7\u00a0%)" in content
    assert "3 av 6 (50,0\u00a0%)" in content
    assert "mål 100\u00a0%" in content

    response = client.get(
        url, {"vo": "VO2", "sortera": "status"}, headers={**HX, "HX-Target": "adoption"}
    )
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section id="adoption"')
    assert "VO 1</a>" not in fragment
    # Sorted by status: the adopted units of VO 2 first.
    assert fragment.index("Hälsocentral 2-1") < fragment.index("Hälsocentral 2-2")
    assert fragment.index("Hälsocentral 2-3") < fragment.index("Hälsocentral 2-2")


def _adoption_setup(data: DashboardData) -> None:
    """Every other health centre has adopted the area's method (goal: 100 %)."""
    from tests.factories import GoalFactory

    method = data.programme_area.working_methods.get()
    method.target_unit_kinds.add(data.hcs[0].kind)
    GoalFactory(
        adoption=True,
        programme_area=data.programme_area,
        working_method=method,
        unit_kind=data.hcs[0].kind,
        deadline=datetime.date(2099, 12, 31),
    )


def test_a_matrix_of_more_units_than_the_limit_shows_the_vos_and_opens_one_on_request(
    client: Client, data: DashboardData, users: dict[str, User], settings: Settings
) -> None:
    _adoption_setup(data)
    settings.GONV_ADOPTION_MATRIX_UNIT_LIMIT = 5  # 6 health centres
    client.force_login(users["styrgrupp"])
    url = reverse("programme_area_detail", kwargs={"number": 1})

    content = client.get(url, {"kvartal": "2025Q3"}).content.decode()

    section = content[content.index('<section id="adoption"') :]
    section = section[: section.index("</section>")]
    assert "Visar verksamhetsområden; välj ett för att se dess enheter." in section
    assert "6 enheter i 2 verksamhetsområden." in section
    assert "Hälsocentral" not in section  # no unit rows
    # Each VO with its own share, the footer over all units.
    assert "1 av 3 (33,3\u00a0%)" in section
    assert "2 av 3 (66,7\u00a0%)" in section
    assert "3 av 6 (50,0\u00a0%)" in section
    assert "mål 100\u00a0%" in section
    # "Visa enheter": the VO filter as a plain link (to the matrix), and over htmx its swap.
    link = f"{url}?vo=VO2&amp;kvartal=2025Q3"
    assert f'href="{link}#adoption"' in section
    assert f'hx-get="{link}"' in section
    assert '<tbody hx-target="#adoption" hx-swap="outerHTML" hx-push-url="true"' in section
    assert 'Visa enheter<span class="visually-hidden"> i VO 2</span>' in section

    for headers in ({}, {**HX, "HX-Target": "adoption"}):
        opened = client.get(url, {"vo": "VO2", "kvartal": "2025Q3"}, headers=headers)
        fragment = opened.content.decode()
        assert "Hälsocentral 2-1" in fragment
        assert "Hälsocentral 1-1" not in fragment
        assert "Visar verksamhetsområden" not in fragment
        assert "3 av 6 (50,0\u00a0%)" in fragment  # the footer still over all units
    assert fragment.lstrip().startswith('<section id="adoption"')


def test_a_matrix_within_the_limit_lists_every_unit(
    client: Client, data: DashboardData, users: dict[str, User], settings: Settings
) -> None:
    _adoption_setup(data)
    settings.GONV_ADOPTION_MATRIX_UNIT_LIMIT = 6
    client.force_login(users["styrgrupp"])

    content = client.get(reverse("programme_area_detail", kwargs={"number": 1})).content.decode()

    assert "Visar verksamhetsområden" not in content
    assert "Visa enheter" not in content
    for hc in data.hcs:
        assert f">{hc.name}</a>" in content


def test_a_collapsed_matrix_sorted_by_status_puts_the_most_adopted_vo_first(
    client: Client, data: DashboardData, users: dict[str, User], settings: Settings
) -> None:
    _adoption_setup(data)
    settings.GONV_ADOPTION_MATRIX_UNIT_LIMIT = 0
    client.force_login(users["styrgrupp"])
    url = reverse("programme_area_detail", kwargs={"number": 1})

    fragment = client.get(
        url, {"sortera": "status"}, headers={**HX, "HX-Target": "adoption"}
    ).content.decode()

    assert fragment.index(">VO 2</a>") < fragment.index(">VO 1</a>")  # 2 of 3 before 1 of 3
    assert re.search(rf'href="{url}\?vo=VO1&amp;kvartal=\w+&amp;sortera=status#adoption"', fragment)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["small", "large"])
@pytest.mark.parametrize("limit", [0, 1000], ids=["collapsed", "full"])
def test_the_adoption_matrix_reads_the_same_queries_collapsed_or_full_at_any_size(
    client: Client, db: None, settings: Settings, size: dict[str, int], limit: int
) -> None:
    settings.GONV_ADOPTION_MATRIX_UNIT_LIMIT = limit
    data = dashboard_data_create(**size)
    _adoption_setup(data)
    client.force_login(UserFactory(username="styrgrupp", role=Role.STEERING_GROUP))
    url = reverse("programme_area_detail", kwargs={"number": 1})

    full = _queries(client, url, None, cold=True)
    partial = _queries(client, url, {**HX, "HX-Target": "adoption"}, cold=True)
    opened = _queries(client, url + "?vo=VO1", {**HX, "HX-Target": "adoption"}, cold=True)

    # The same in both modes and at both sizes (more than EXPECTED_QUERIES' "area" and
    # "area-adoption": the adoption goal's target and status are read too; like them, one for
    # the phases' organisations).
    assert (full, partial, opened) == (32, 17, 17)


def test_programme_area_timeline_has_deadlines_activities_and_today(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["styrgrupp"])
    # A submitted plan's activities are on the timeline; a draft's (VO 2's) are its VO's own.
    ActivityPlan.objects.filter(activities__title="Utbilda team i VO 1").update(
        status=ActivityPlan.Status.SUBMITTED
    )

    content = client.get(reverse("programme_area_detail", kwargs={"number": 1})).content.decode()

    assert "Tidslinje, Fas 2: göra, lära, bredda (2025–2027)" in content
    assert "Aktivitet (VO 1): Utbilda team i VO 1" in content
    assert "Utbilda team i VO 2" not in content
    assert "Delmål: <a" in content
    assert "<strong>I dag</strong>" in content
    timeline = content[content.index("Tidslinje") :]
    assert timeline.index("Delmål: <a") < timeline.index("Mål: <a") < timeline.index("I dag")


def _todo_links(content: str) -> list[str]:
    """The hrefs of the "Att göra" section."""
    section = content[content.index('<section class="card todo"') :]
    section = section[: section.index("</section>")]
    return re.findall(r'href="([^"]+)"', section)


@pytest.mark.parametrize(("role", "unit"), [("vc", "vos"), ("vec", "hcs")])
def test_every_todo_link_opens_an_editing_page_the_vc_or_vec_may_use(
    client: Client, data: DashboardData, users: dict[str, User], role: str, unit: str
) -> None:
    client.force_login(users[role])  # neither is staff: no link may lead to the admin

    content = client.get(unit_url(getattr(data, unit)[0].code)).content.decode()

    links = _todo_links(content)
    assert links, "the to-do lists items with links"
    assert all(link.startswith("/redigera/") for link in links), links
    for link in links:
        assert client.get(html.unescape(link)).status_code == 200, link


def test_todo_links_open_the_grids_at_the_item_the_plan_and_the_need(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["vc"])

    content = client.get(unit_url(data.vos[0].code)).content.decode()

    links = [html.unescape(link) for link in _todo_links(content)]
    record = data.hcs[0].adoption_records.select_related("working_method").get()
    grid = reverse("goals:adoption_grid", args=[record.unit_id])
    assert f"{grid}#c{record.unit_id}m{record.working_method_id}-unit" in links
    assert any(link.startswith(reverse("report_grid", args=[data.hcs[0].pk])) for link in links)
    assert any("?period=" in link and "#m" in link for link in links)
    need = SupportNeed.objects.get(unit=data.vos[0])
    assert reverse("programmes:support_need", args=[need.pk]) in links
    plan = Activity.objects.get(title="Utbilda team i VO 1").plan
    assert reverse("programmes:activity_plan", args=[plan.programme_area_id, plan.unit_id]) in links


def test_a_long_todo_list_links_to_the_whole_list_paged(
    client: Client, data: DashboardData, users: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("followup.todo.TODO_LIMIT", 2)
    monkeypatch.setattr("followup.todo.TODO_PAGE_SIZE", 3)
    monkeypatch.setattr("followup.views.TODO_PAGE_SIZE", 3)
    client.force_login(users["vc"])
    whole = reverse("unit_todo_list", kwargs={"code": data.vos[0].code, "key": "missing"})

    content = client.get(unit_url(data.vos[0].code)).content.decode()

    section = content[content.index('<section class="card todo"') :]
    total = int(re.search(r"Visar 2 av (\d+)\.", section).group(1))  # type: ignore[union-attr]
    assert total > 3, "the data set misses more values than one page of the whole list holds"
    assert f'href="{whole}"' in section
    assert f"Visa alla {total}" in section
    first = client.get(whole).content.decode()
    second = client.get(f"{whole}?sida=2").content.decode()
    assert "<h1>Saknade värden</h1>" in first
    assert f"Sida 1 av {-(-total // 3)}" in first
    items = [
        item
        for page in (first, second)
        for item in re.findall(
            r"<li><a href=\"/redigera/[^\"]+\">([^<]+)</a></li>",
            page[page.index('<ul class="todo-list') :].split("</ul>")[0],
        )
    ]
    assert len(items) == min(total, 6)
    assert len(set(items)) == len(items)  # the second page goes on where the first stopped
    assert f'href="{unit_url(data.vos[0].code)}"' in first  # the way back


@pytest.mark.parametrize(
    ("username", "vo", "status"),
    [("vc", 0, 200), ("vec", 0, 403), ("vc", 1, 403), ("styrgrupp", 0, 403), ("strateg", 1, 200)],
)
def test_the_whole_todo_list_is_only_for_who_may_write_the_unit(
    client: Client,
    data: DashboardData,
    users: dict[str, User],
    username: str,
    vo: int,
    status: int,
) -> None:
    client.force_login(users[username])
    url = reverse("unit_todo_list", kwargs={"code": data.vos[vo].code, "key": "support"})

    response = client.get(url)

    assert response.status_code == status


def test_a_refused_todo_list_says_why(data: DashboardData, users: dict[str, User]) -> None:
    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory

    from followup.views import unit_todo_list

    code = data.vos[1].code
    request = RequestFactory().get(reverse("unit_todo_list", kwargs={"code": code, "key": "x"}))
    request.user = users["vc"]

    with pytest.raises(PermissionDenied, match="Att göra visas bara för den som får ändra"):
        unit_todo_list(request, code=code, key="support")


def test_an_unknown_todo_list_or_unit_is_404(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["vc"])

    unknown_list = reverse("unit_todo_list", kwargs={"code": data.vos[0].code, "key": "nagot"})
    unknown_unit = reverse("unit_todo_list", kwargs={"code": "FINNS-INTE", "key": "missing"})

    assert client.get(unknown_list).status_code == 404
    assert client.get(unknown_unit).status_code == 404


def test_a_short_todo_list_has_no_link_to_the_whole(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["vc"])

    content = client.get(unit_url(data.vos[0].code)).content.decode()

    assert "Visa alla" not in content


# --- ways into the editing pages ------------------------------------------------------------------

EDIT_MARKERS = ("/andra/", "/bedom/", ">Redigera", "Bedöm kvartalet", "Nytt mål")


@pytest.fixture
def other_owner(data: DashboardData) -> User:
    """The owner of another programme area: reads PO 1, writes nothing there."""
    other = ProgrammeAreaFactory(phase=data.programme_area.phase, number=2, name="Annat")
    return UserFactory(username="po2", role=Role.PROGRAMME_OWNER, role__programme_area=other)


@pytest.mark.parametrize(
    ("role", "may_edit"),
    [
        ("strateg", True),
        ("poansvarig", True),
        ("other_owner", False),
        ("styrgrupp", False),
        ("portfoljagare", False),
        ("vc", False),
        ("vec", False),
    ],
)
def test_area_and_goal_pages_offer_editing_only_to_who_may_write(
    client: Client,
    data: DashboardData,
    users: dict[str, User],
    other_owner: User,
    role: str,
    may_edit: bool,
) -> None:
    client.force_login(other_owner if role == "other_owner" else users[role])
    goal = Goal.objects.filter(programme_area=data.programme_area, parent=None).first()
    assert goal is not None
    area_url = reverse("programme_area_detail", kwargs={"number": 1})
    goal_url = reverse("goal_detail", args=[goal.code])

    area = client.get(area_url).content.decode()
    region = client.get(
        area_url + "?kvartal=2025Q4", headers={**HX, "HX-Target": "quarter-region"}
    ).content.decode()
    page = client.get(goal_url).content.decode()

    edit = reverse("goals:goal_edit", args=[goal.pk])
    for content in (area, region, page):
        assert (edit in content) is may_edit
        assert all((marker in content) is may_edit for marker in EDIT_MARKERS[:4])
        # The history is readable by everyone.
        assert reverse("goals:goal_detail", args=[goal.pk]) + f"#history-goal-{goal.pk}" in content
    assert (reverse("goals:area", args=[data.programme_area.pk]) in area) is may_edit
    assert (
        reverse("programmes:working_methods", args=[data.programme_area.pk]) in area
    ) is may_edit
    assert (reverse("goals:goal_assess", args=[goal.pk]) in page) is may_edit


def test_every_milestone_on_the_area_page_has_its_edit_link(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["poansvarig"])

    content = client.get(reverse("programme_area_detail", kwargs={"number": 1})).content.decode()

    for goal in Goal.objects.filter(programme_area=data.programme_area):
        assert reverse("goals:goal_edit", args=[goal.pk]) in content
        assert reverse("goals:goal_assess", args=[goal.pk]) in content


def test_strateg_changes_a_deadline_from_the_area_page_and_comes_back_to_it(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["strateg"])
    area_url = reverse("programme_area_detail", kwargs={"number": 1})
    goal = Goal.objects.filter(programme_area=data.programme_area, parent=None).first()
    assert goal is not None
    content = client.get(area_url).content.decode()
    edit_url = html.unescape(
        re.search(rf'href="({reverse("goals:goal_edit", args=[goal.pk])}[^"]*)"', content)[1]
    )

    form = client.get(edit_url).context["form"]  # the goal as it is, version included
    post = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    post.update(deadline="2026-03-31", deadline_reason="Upphandlingen försenad", next=area_url)
    response = client.post(edit_url, post)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == area_url
    goal.refresh_from_db()
    assert goal.deadline == datetime.date(2026, 3, 31)
    page = client.get(reverse("goals:goal_detail", args=[goal.pk])).content.decode()
    assert "2026-03-31" in page


# --- the cached regions: never stale after an edit, never one user's links for another ---------


def _edit_goal(client: Client, goal: Goal, next_url: str, **changes: str) -> None:
    """Save the goal through its editing page, as the strategist does in the browser."""
    edit_url = reverse("goals:goal_edit", args=[goal.pk]) + f"?next={next_url}"
    form = client.get(edit_url).context["form"]  # the goal as it is, version included
    post = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    post.update(next=next_url, **changes)
    response = client.post(edit_url, post)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_a_strategists_new_goal_title_shows_at_once_on_the_cached_portfolio(
    client: Client,
    data: DashboardData,
    users: dict[str, User],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client.force_login(users["strateg"])
    goal = Goal.objects.filter(programme_area=data.programme_area, parent=None).first()
    assert goal is not None
    for url in (reverse("home"), reverse("goal_detail", args=[goal.code])):
        assert goal.title in client.get(url).content.decode()  # now cached
        assert goal.title in client.get(url, headers=HX).content.decode()

    # The title is no input of the engine's results: no recompute has run when the page is read.
    with django_capture_on_commit_callbacks(execute=True):
        _edit_goal(client, goal, reverse("home"), title="Ny rubrik för målet")

    for role in ("strateg", "styrgrupp"):
        client.force_login(users[role])
        assert "Ny rubrik för målet" in client.get(reverse("home")).content.decode()
        assert "Ny rubrik för målet" in client.get(reverse("home"), headers=HX).content.decode()
        area = reverse("programme_area_detail", kwargs={"number": 1})
        assert "Ny rubrik för målet" in client.get(area).content.decode()


def test_an_adoption_record_saved_without_the_engine_shows_at_once_on_the_unit_page(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    client.force_login(users["styrgrupp"])
    url = unit_url(data.vos[0].code)
    record = data.hcs[0].adoption_records.get()
    before = client.get(url).content.decode()  # cached
    assert "2031-05-17" not in before

    record.planned_date = datetime.date(2031, 5, 17)
    record.actual_date = None
    record.status = AdoptionRecord.Status.PLANNED
    record.save()

    assert 'datetime="2031-05-17"' in client.get(url).content.decode()


def test_a_transaction_publishes_one_new_generation_and_only_when_it_commits(
    transactional_db: None, client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    """Several saves in one transaction: other requests keep the published generation (and
    the pages cached under it) until the commit, the transaction reads its edits at once, and
    the commit publishes one new generation, the one the transaction read under."""
    client.force_login(users["styrgrupp"])
    url = unit_url(data.vos[0].code)
    client.get(url)  # cached under the published generation
    published = cache_module.cache.get(cache_module.GENERATION_KEY)
    records = list(AdoptionRecord.objects.filter(unit__in=data.hcs)[:3])
    assert len(records) == 3
    writes = []
    real_set = cache_module.cache.set

    def counting_set(key: str, value: Any, *args: Any, **kwargs: Any) -> Any:
        if key == cache_module.GENERATION_KEY:
            writes.append(value)
        return real_set(key, value, *args, **kwargs)

    # No recompute: it publishes a generation of its own after writing the results.
    with (
        triggers.suppressed(),
        mock.patch.object(cache_module.cache, "set", counting_set),
        transaction.atomic(),
    ):
        for record in records:
            record.comment = "Ändrad i samma transaktion"
            record.planned_date = datetime.date(2031, 5, 17)
            record.actual_date = None
            record.status = AdoptionRecord.Status.PLANNED
            record.save()
        assert writes == []  # nothing published before the commit
        assert cache_module.cache.get(cache_module.GENERATION_KEY) == published
        read_under = cache_module.current_generation()
        assert read_under != published
        assert 'datetime="2031-05-17"' in client.get(url).content.decode()  # its own edit

    assert writes == [read_under]  # once, on commit
    assert cache_module.current_generation() == read_under
    assert 'datetime="2031-05-17"' in client.get(url).content.decode()


def _edit(record: AdoptionRecord, comment: str) -> None:
    record.comment = comment
    record.save()


def test_an_edit_rolled_back_publishes_nothing_and_the_next_transaction_publishes_its_own(
    transactional_db: None, client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    """A rolled-back transaction's generation is dropped with it: the next transaction on the
    same connection reads the published one until it edits, and its commit publishes."""
    client.force_login(users["styrgrupp"])
    url = unit_url(data.vos[0].code)
    record = AdoptionRecord.objects.filter(unit__in=data.hcs).first()
    assert record is not None
    published = cache_module.current_generation()

    with triggers.suppressed():
        with transaction.atomic():
            _edit(record, "Ångrad")
            assert cache_module.current_generation() != published
            transaction.set_rollback(True)
        assert cache_module.cache.get(cache_module.GENERATION_KEY) == published
        record.refresh_from_db()  # its version too

        with transaction.atomic():
            # Nothing left of the rolled-back one: this transaction shares the cached pages.
            assert cache_module.current_generation() == published
            record.planned_date = datetime.date(2031, 5, 17)
            record.actual_date = None
            record.status = AdoptionRecord.Status.PLANNED
            _edit(record, "Sparad")
            read_under = cache_module.current_generation()
            assert read_under != published

    assert cache_module.cache.get(cache_module.GENERATION_KEY) == read_under
    assert 'datetime="2031-05-17"' in client.get(url).content.decode()


def test_an_edit_rolled_back_to_a_savepoint_is_forgotten_and_a_later_edit_publishes(
    transactional_db: None, data: DashboardData
) -> None:
    records = list(AdoptionRecord.objects.filter(unit__in=data.hcs)[:2])
    published = cache_module.current_generation()

    with triggers.suppressed(), transaction.atomic():
        with transaction.atomic():
            _edit(records[0], "Ångrad")
            transaction.set_rollback(True)  # back to the savepoint
        # Its edit undone, the transaction reads what every other request reads.
        assert cache_module.current_generation() == published
        _edit(records[1], "Sparad")
        read_under = cache_module.current_generation()
        assert read_under != published
        # An edit in a savepoint that is kept goes under the same pending generation.
        records[0].refresh_from_db()
        with transaction.atomic():
            _edit(records[0], "Sparad i en sparpunkt")
        assert cache_module.current_generation() != published

    assert cache_module.cache.get(cache_module.GENERATION_KEY) == cache_module.current_generation()
    assert cache_module.current_generation() != published


def test_a_recompute_requested_in_a_rolled_back_transaction_is_not_dispatched(
    transactional_db: None, data: DashboardData
) -> None:
    """The quarters collected by a rolled-back transaction are dropped with it; the next
    transaction dispatches only its own."""
    dispatched: list[set[str]] = []

    def dispatch(quarters: set[Any], trigger: str) -> None:
        dispatched.append({quarter.code for quarter in quarters})

    q1, q2 = data.quarters[0], data.quarters[1]
    with mock.patch.object(triggers, "_dispatch", dispatch):
        with transaction.atomic():
            triggers.request_recompute([q1])
            transaction.set_rollback(True)
        with transaction.atomic():
            triggers.request_recompute([q2])
            triggers.request_recompute([q2])

    assert dispatched == [{q2.code}]


def test_a_cached_page_never_shows_one_users_todo_or_edit_links_to_another(
    client: Client, data: DashboardData, users: dict[str, User]
) -> None:
    unit = unit_url(data.vos[0].code)
    area = reverse("programme_area_detail", kwargs={"number": 1})
    goal = Goal.objects.filter(programme_area=data.programme_area, parent=None).first()
    assert goal is not None
    goal_url = reverse("goal_detail", args=[goal.code])
    edit_link = reverse("goals:goal_edit", args=[goal.pk])
    milestone = goal.milestones.first()
    assert milestone is not None
    # In the swapped region of both pages (the goal page's own link sits above it).
    milestone_link = reverse("goals:goal_edit", args=[milestone.pk])

    # Those who may write fill the cache first ...
    client.force_login(users["vc"])
    assert "Att göra" in client.get(unit).content.decode()
    client.force_login(users["poansvarig"])
    for url in (area, goal_url):
        assert edit_link in client.get(url).content.decode()
        partial = client.get(url + "?kvartal=2025Q4", headers=HX).content.decode()
        assert milestone_link in partial

    # ... and readers, served from the same cache, get neither "Att göra" nor edit links.
    client.force_login(users["styrgrupp"])
    assert "Att göra" not in client.get(unit).content.decode()
    for url in (area, goal_url):
        assert edit_link not in client.get(url).content.decode()
        partial = client.get(url + "?kvartal=2025Q4", headers=HX).content.decode()
        assert milestone_link not in partial

    # The edit links return to the page they were followed from, not to the one cached first.
    client.force_login(users["poansvarig"])
    content = client.get(area + "?kvartal=2025Q3").content.decode()
    assert f"{edit_link}?next={area}%3Fkvartal%3D2025Q3" in content
