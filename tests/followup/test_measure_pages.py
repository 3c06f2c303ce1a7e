"""The Mått pages: the list of measures and a measure for a unit (SPC chart, quarters)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from base.periods import Quarter
from followup.cache import bump_generation
from followup.models import GoalResult, Measure
from tests.factories import (
    GoalFactory,
    GoalResultFactory,
    MeasureFactory,
    MeasureResultFactory,
    OrgTree,
    UnitFactory,
)
from tests.followup.measure_data import ComputedMeasure, compute_measure, quarters_up_to

READERS = [
    "strategist",
    "admin_user",
    "portfolio_owner",
    "steering_member",
    "programme_owner",
    "vc",
    "vec",
]
HX = {"HTTP_HX_REQUEST": "true"}


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def steering_client(steering_member: User) -> Client:
    return _client_for(steering_member)


def _detail(measure: Measure, **params: str) -> str:
    url = reverse("measure_detail", args=[measure.code])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


# --- who may read -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS)
def test_every_role_reads_the_measure_pages(
    role: str, request: pytest.FixtureRequest, computed_measure: ComputedMeasure
) -> None:
    client = _client_for(request.getfixturevalue(role))
    listing = client.get(reverse("measure_list"))
    detail = client.get(_detail(computed_measure.measure))
    assert listing.status_code == 200
    assert detail.status_code == 200
    assert "Rätt hjälp på en gång" in listing.content.decode()
    assert "Styrdiagram (XmR)" in detail.content.decode()


def test_anonymous_users_are_sent_to_login(
    client: Client, computed_measure: ComputedMeasure
) -> None:
    for url in (reverse("measure_list"), _detail(computed_measure.measure)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_user_without_a_role_reads_nothing(
    no_role_user: User, computed_measure: ComputedMeasure
) -> None:
    client = _client_for(no_role_user)
    assert client.get(reverse("measure_list")).status_code == 403
    assert client.get(_detail(computed_measure.measure)).status_code == 403


def test_pages_show_no_edit_links(
    steering_client: Client, computed_measure: ComputedMeasure
) -> None:
    html = steering_client.get(_detail(computed_measure.measure)).content.decode()
    assert "/admin/" not in html


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_the_regions_value_changes_sparkline_and_icons(
    steering_client: Client, computed_measure: ComputedMeasure
) -> None:
    html = steering_client.get(reverse("measure_list")).content.decode()
    assert "Region Testland, Kv 4 2025" in html
    assert "71,0\u00a0%" in html  # 60 + 11 in the 12th quarter, to the decimal of its column
    assert "+1,0 procentenheter" in html  # against the previous quarter
    assert "+4,0 procentenheter" in html  # against the same quarter a year before
    assert 'class="sparkline-svg"' in html
    assert "Särskild orsak – förbättring (högre är bättre)" in html  # the icon's name
    assert "3 av 4" in html
    assert reverse("measure_detail", args=[computed_measure.measure.code]) in html


def test_the_list_says_which_columns_are_the_quarter_and_which_the_latest_months(
    steering_client: Client, computed_measure: ComputedMeasure
) -> None:
    html = steering_client.get(reverse("measure_list")).content.decode()
    # The value and its changes are the quarter's; the sparkline and the SPC icon its months.
    assert ">Värde för kvartalet</th>" in html
    assert ">Styrdiagram (SPC), senaste punkten</th>" in html
    assert '<span class="sparkline-caption">Månadsvärden t.o.m. dec 2025</span>' in html
    assert "Punkten för dec 2025" in html


def test_the_lists_icons_carry_their_meaning_as_text_not_only_in_a_tooltip(
    steering_client: Client, computed_measure: ComputedMeasure
) -> None:
    html = steering_client.get(reverse("measure_list")).content.decode()
    table = html[html.index("<table") : html.index("</table>")]
    # Touch screens show no <title>: the meaning stands beside the icon, as on Portfölj.
    assert '<span class="mdc-label">Särskild orsak – förbättring (högre är bättre)</span>' in table
    # No goal follows the measure: the column says that, not "inget mål eller för få punkter".
    assert '<span class="mdc-label">Måluppfyllelse bedöms inte – inget mål följer måttet' in table
    MeasureFactory(name="Utan värden")
    bump_generation()
    html = steering_client.get(reverse("measure_list")).content.decode()
    row = html[html.index("Utan värden") :]
    row = row[: row.index("</tr>")]
    # The SPC column says there is no chart; the target column why attainment is not judged.
    assert row.count("Inget styrdiagram") == 1
    assert "Bedöms inte – inget mål följer måttet" in row


def test_a_measure_without_a_chart_that_a_goal_follows_says_so_in_the_target_column(
    steering_client: Client, computed_measure: ComputedMeasure
) -> None:
    measure = MeasureFactory(name="Utan värden")
    goal = GoalFactory(measure_absolute=True, measure=measure, target_value=Decimal("80"))
    GoalResultFactory(goal=goal, quarter="2025Q4", target=Decimal("80"), status="underlag_saknas")
    bump_generation()

    html = steering_client.get(reverse("measure_list")).content.decode()

    row = html[html.index("Utan värden") :]
    row = row[: row.index("</tr>")]
    assert "Bedöms inte – inget styrdiagram" in row
    assert "inget mål följer måttet" not in row


def test_the_list_changes_quarter_over_htmx_with_only_its_region(
    steering_client: Client, computed_measure: ComputedMeasure
) -> None:
    response = steering_client.get(reverse("measure_list") + "?kvartal=2025Q3", **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert "<html" not in html
    assert html.lstrip().startswith("<title>Mått, Kv 3 2025 – GONV-uppföljning</title>")
    assert '<div id="quarter-region"' in html
    assert "Region Testland, Kv 3 2025" in html
    assert "70,0\u00a0%" in html


def test_the_list_says_when_nothing_is_computed(steering_client: Client, org_tree: OrgTree) -> None:
    MeasureFactory(name="Frigjorda läkartider")
    html = steering_client.get(reverse("measure_list")).content.decode()
    assert "Ingen uppföljning är beräknad ännu" in html
    assert "Frigjorda läkartider" in html


def test_a_history_restore_gets_the_whole_page(
    steering_client: Client, computed_measure: ComputedMeasure
) -> None:
    response = steering_client.get(
        reverse("measure_list"), **HX, HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()


# --- a measure ----------------------------------------------------------------------------------


def test_a_measure_defaults_to_the_region_with_its_spc_chart_and_quarters(
    steering_client: Client, computed_measure: ComputedMeasure
) -> None:
    html = steering_client.get(_detail(computed_measure.measure)).content.decode()
    assert "Region Testland, Kv 4 2025" in html
    assert 'id="measure-chart"' in html
    assert "Övre gräns" in html
    assert "Övre 2-sigmalinje" not in html  # two-sigma lines only when asked
    # The table: every quarter with value, numerator, denominator and reporting units.
    for quarter in computed_measure.quarters:
        assert f'<th scope="row">{quarter.label}</th>' in html
    assert "611" in html
    assert "1\u00a0000" in html
    # The signals with their rule, in the table (and in the chart's tooltips).
    assert "Sex punkter i rad över medelvärdet" in html
    assert "Särskild orsak – förbättring" in html


def test_a_measure_page_says_up_to_which_quarter_its_limits_are_computed(
    steering_client: Client, computed_measure: ComputedMeasure
) -> None:
    # The engine computes the limits on the series up to the selected quarter: an earlier
    # quarter's row is judged with later limits here, and the page says so.
    html = steering_client.get(_detail(computed_measure.measure)).content.decode()
    assert "Per kvartal, signaler bedömda med styrgränser beräknade t.o.m. Kv 4 2025" in html
    assert "Styrgränser och signaler är beräknade på värdena t.o.m. Kv 4 2025." in html
    early = computed_measure.quarters[3]
    html = steering_client.get(_detail(computed_measure.measure, kvartal=early.code)).content
    html = html.decode()
    assert (
        f"Per kvartal; signaler bedöms inte – för få punkter för styrgränser t.o.m. {early.label}"
    ) in html
    assert "Bedöms inte – för få punkter för styrgränser" in html


def test_the_two_sigma_lines_show_when_asked(
    steering_client: Client, computed_measure: ComputedMeasure
) -> None:
    html = steering_client.get(_detail(computed_measure.measure, sigma="1")).content.decode()
    # "2-sigmalinje" as the checkbox says it, not "2σ" or "2 sigma".
    assert "Övre 2-sigmalinje" in html
    assert "Undre 2-sigmalinje" in html
    assert "2σ" not in html
    assert 'name="sigma" value="1" checked' in html


def test_choosing_a_unit_swaps_only_the_chart_region_over_htmx(
    steering_client: Client, computed_measure: ComputedMeasure, org_tree: OrgTree
) -> None:
    response = steering_client.get(_detail(computed_measure.measure, enhet="HC1A"), **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert "<html" not in html
    # htmx sets the document's title from a <title> at the top of the response.
    assert html.lstrip().startswith("<title>Rätt hjälp på en gång: Hälsocentral Norrby")
    assert '<section id="measure-unit"' in html
    assert "Hälsocentral Norrby, Kv 4 2025" in html
    # The select offers the path to the region and the unit's siblings.
    assert '<option value="VO1">VO Norr</option>' in html
    assert '<option value="HC1B">Hälsocentral Nordvik</option>' in html
    assert '<option value="HC1A" selected>' in html


def test_the_same_url_without_htmx_gives_the_whole_page(
    steering_client: Client, computed_measure: ComputedMeasure
) -> None:
    html = steering_client.get(_detail(computed_measure.measure, enhet="HC1A")).content.decode()
    assert "<html" in html
    assert "Hälsocentral Norrby, Kv 4 2025" in html
    assert 'hx-push-url="true"' in html
    assert 'method="get"' in html  # works as a plain form without JavaScript


def test_the_region_offers_the_units_below_it(
    steering_client: Client, computed_measure: ComputedMeasure
) -> None:
    html = steering_client.get(_detail(computed_measure.measure)).content.decode()
    assert '<option value="PV">Primärvård</option>' in html


def test_an_unknown_unit_shows_the_region_and_says_so(
    steering_client: Client, computed_measure: ComputedMeasure
) -> None:
    response = steering_client.get(_detail(computed_measure.measure, enhet="FINNSEJ"))
    html = response.content.decode()
    assert "Det finns ingen enhet med koden ”FINNSEJ”; sidan visar regionen." in html
    assert "Region Testland, Kv 4 2025" in html


def test_a_unit_with_no_data_says_so(
    steering_client: Client, computed_measure: ComputedMeasure
) -> None:
    html = steering_client.get(_detail(computed_measure.measure, enhet="HC2A")).content.decode()
    assert "Hälsocentral Söderby har inga värden för måttet till och med Kv 4 2025." in html
    assert 'id="measure-chart"' not in html


def test_a_measure_without_any_value_says_so_not_that_a_chart_shows_earlier_periods(
    steering_client: Client, computed_measure: ComputedMeasure, org_tree: OrgTree
) -> None:
    # Results for every quarter, none with a value (a Cyklop measure nobody has imported yet).
    measure = MeasureFactory(name="Åtgärder (Cyklop)")
    for quarter in computed_measure.quarters:
        MeasureResultFactory(
            measure=measure,
            unit=org_tree.region,
            quarter=quarter.code,
            value=None,
            reporting_units=0,
            expected_units=4,
        )
    bump_generation()

    html = steering_client.get(_detail(measure)).content.decode()

    assert (
        "Måttet har inga värden ännu, i något kvartal t.o.m. Kv 4 2025, så inget diagram visas."
    ) in html
    assert "diagrammet visar perioderna fram till dess" not in html
    assert "oavrundade värdena" not in html  # no change to explain
    assert 'id="measure-chart"' not in html
    table = html[html.index("<table") : html.index("</table>")]
    body = " ".join(table[table.index("<tbody>") :].split())
    assert body.count("<td> Inga värden </td>") == len(computed_measure.quarters)
    assert "för få punkter" not in table


def test_fewer_than_13_points_give_a_run_chart_and_the_engines_sentence(
    steering_client: Client, org_tree: OrgTree
) -> None:
    computed = compute_measure(
        units=[org_tree.region], quarters=quarters_up_to(Quarter(2025, 4), 4)
    )
    html = steering_client.get(_detail(computed.measure)).content.decode()
    # One wording for too few points: the chart's kind, its message, the table's rows.
    assert "Seriediagram (för få punkter för styrgränser)" in html
    assert "För få punkter för styrgränser (12 av minst 13)." in html
    assert "Övre gräns" not in html
    assert "Bedöms inte – för få punkter för styrgränser" in html
    assert "datapunkter" not in html
    assert "Körschema" not in html


def test_a_measure_goal_draws_its_target_on_the_regions_chart(
    steering_client: Client, computed_measure: ComputedMeasure
) -> None:
    goal = GoalFactory(
        measure_absolute=True,
        measure=computed_measure.measure,
        target_value=Decimal("80"),
        title="Minst 80 % rätt hjälp",
    )
    GoalResultFactory(goal=goal, quarter="2025Q4", target=Decimal("80"), status="risk")
    html = steering_client.get(_detail(computed_measure.measure)).content.decode()
    assert "Mål 80\u00a0%" in html
    assert "Minst 80 % rätt hjälp" in html
    assert reverse("goal_detail", args=[goal.code]) in html
    assert "målen gäller hela organisationen" not in html
    # Not on a health centre's chart: the goal is about the region, and the page says so
    # rather than seeming to contradict the goal's status listed below it.
    html = steering_client.get(_detail(computed_measure.measure, enhet="HC1A")).content.decode()
    assert "Mål 80\u00a0%" not in html
    assert "Minst 80 % rätt hjälp" in html
    # The icon says why goal attainment is not judged, not that there is no goal.
    assert "Måluppfyllelse bedöms inte här – målen gäller hela organisationen" in html
    assert "inget mål eller för få punkter" not in html
    assert "(status för hela organisationen)" in html


def test_goal_attainment_says_whether_a_goal_follows_the_measure_and_why_it_is_not_judged(
    steering_client: Client, computed_measure: ComputedMeasure
) -> None:
    """ "Inget mål eller för få punkter" beside a measure that a goal follows read as if it had
    none: the Mått list, the measure's page and the goal's page say which it is."""
    measure = computed_measure.measure
    goal = GoalFactory(measure_relative=True, measure=measure, title="Rätt hjälp har ökat med 50 %")
    GoalResultFactory(
        goal=goal,
        quarter="2025Q4",
        target=None,
        status="underlag_saknas",
        basis={"kind": "measure", "rule": "baseline_missing"},
    )
    bump_generation()
    not_yet = "Målet kan ännu inte bedömas – basvärde saknas"
    for url in (
        reverse("measure_list"),
        _detail(measure),
        reverse("goal_detail", args=[goal.code]),
    ):
        html = steering_client.get(url).content.decode()
        assert f'<span class="mdc-label">{not_yet}</span>' in html, url
        page = html.split('<details class="icon-legend">')[0]  # the legend lists every icon
        assert "inget mål" not in page, url
        assert "målen gäller hela organisationen" not in html, url

    # Its target set: the chart is compared with a fixed level only, never with a change.
    GoalResult.objects.filter(goal=goal).update(target=Decimal("90"), basis={"rule": "x"})
    bump_generation()
    html = steering_client.get(reverse("measure_list")).content.decode()
    assert "målet är en förändring mot ett basvärde, ingen fast nivå" in html


def test_an_unknown_measure_is_not_found(steering_client: Client, org_tree: OrgTree) -> None:
    assert steering_client.get(reverse("measure_detail", args=["finns-inte"])).status_code == 404


# --- constant query counts ------------------------------------------------------------------------


def _bigger_tree(org_tree: OrgTree) -> list:
    """Five more VOs of six health centres each under the area (30 more units)."""
    units = []
    for v in range(5):
        vo = UnitFactory(code=f"XVO{v}", name=f"VO X{v}", kind__vo=True, parent=org_tree.area)
        units.append(vo)
        units += [UnitFactory(code=f"XVO{v}HC{h}", name=f"HC X{v}{h}", parent=vo) for h in range(6)]
    return units


def _count(
    client: Client, url: str, django_assert_num_queries, expected: int, warm: int, **extra
) -> None:
    """Cold (as right after a recompute: a new cache generation), then warm (from the cache)."""
    bump_generation()
    with django_assert_num_queries(expected):
        assert client.get(url, **extra).status_code == 200
    with django_assert_num_queries(warm):
        assert client.get(url, **extra).status_code == 200


# Each includes the session's read and its save (the idle timeout renews it on every request:
# three statements) and the user's roles; an htmx partial skips base.html's reads.
# + 2 on full pages for a reader (this steering group member): the editing pages' menu asks
# perms the rules deny, so Django's ModelBackend reads the user's and their groups' permissions,
# once per request (cached on the user), whatever the data.
# Cold, + 2: the computed quarters, read again after a recompute (followup.cache).
# + 1 for the period results: what each value covers of the quarter (followup.quarter_basis).
# + 1 for the goals that follow the measures, where a chart has no assurance icon: why not
# (followup.selectors.assurance_reason).
LIST_QUERIES = 18
LIST_PARTIAL_QUERIES = 16
# + 1 on the detail page and its partial, cold: the phases' organisations (cached per
# generation, shared with Portfölj), for whose quarterly report the page says it may differ
# from (selectors.measure_report_unit).
DETAIL_QUERIES = 21
DETAIL_PARTIAL_OTHER_UNIT_QUERIES = 19  # one more: the unit of ?enhet=; one fewer: base.html
# Warm: the swapped region comes from the cache; the session, roles and the URL's objects stay.
LIST_WARM = 9
LIST_PARTIAL_WARM = 7
DETAIL_WARM = 10
DETAIL_PARTIAL_OTHER_UNIT_WARM = 8


@pytest.mark.parametrize("size", ["small", "large"])
def test_the_measure_pages_run_the_same_queries_at_any_size(
    size: str, steering_member: User, org_tree: OrgTree, django_assert_num_queries
) -> None:
    if size == "small":
        quarters = quarters_up_to(Quarter(2025, 4), 2)
        computed = compute_measure(units=[org_tree.region, org_tree.vo1], quarters=quarters)
    else:
        quarters = quarters_up_to(Quarter(2025, 4), 12)
        units = [org_tree.region, org_tree.area, org_tree.vo1, *_bigger_tree(org_tree)]
        computed = compute_measure(units=units, quarters=quarters)
        for n in range(4):
            compute_measure(
                units=units, quarters=quarters, measure=MeasureFactory(name=f"Extra {n}")
            )
    client = _client_for(steering_member)
    client.get("/")  # the session and the cache of computed quarters, as for any later page
    queries = django_assert_num_queries
    _count(client, reverse("measure_list"), queries, LIST_QUERIES, LIST_WARM)
    _count(client, reverse("measure_list"), queries, LIST_PARTIAL_QUERIES, LIST_PARTIAL_WARM, **HX)
    _count(client, _detail(computed.measure), queries, DETAIL_QUERIES, DETAIL_WARM)
    _count(
        client,
        _detail(computed.measure, enhet="VO1"),
        queries,
        DETAIL_PARTIAL_OTHER_UNIT_QUERIES,
        DETAIL_PARTIAL_OTHER_UNIT_WARM,
        **HX,
    )


def test_a_vc_sees_the_same_measure_page_as_anyone(
    vc: User, computed_measure: ComputedMeasure
) -> None:
    html = _client_for(vc).get(_detail(computed_measure.measure, enhet="HC2A")).content.decode()
    assert "Hälsocentral Söderby" in html  # outside the VC's VO, still readable
