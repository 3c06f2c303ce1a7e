"""What a programme area's page lists with several organisations in one installation: only the
units of the area's organisation (`Phase.organisation_unit`) in the adoption matrix, the charts'
unit select and the timeline; the whole tree for a phase of no organisation."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from organisation.models import Role
from programmes.models import ActivityPlan
from tests.factories import (
    ActivityFactory,
    ActivityPlanFactory,
    AdoptionRecordFactory,
    PhaseFactory,
    ProgrammeAreaFactory,
    UserFactory,
    WorkingMethodFactory,
)
from tests.followup.dashboard_data import DashboardData, SecondOrganisation

AREA_1 = reverse("programme_area_detail", kwargs={"number": 1})
TESTLAND_PAGE = f"{AREA_1}?organisation=REG"
BERGLAND_PAGE = f"{AREA_1}?organisation=BERG"
HX = {"HX-Request": "true"}


@pytest.fixture(params=["vc", "styrgrupp"])
def reader(request: pytest.FixtureRequest, testland: DashboardData) -> User:
    """A VC of Testland and a steering group member (whose roles give no organisation): the
    page lists the same units for either."""
    if request.param == "vc":
        return UserFactory(username="vc-a", role=Role.HEAD_OF_AREA, role__unit=testland.vos[0])
    return UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)


def _get(client: Client, user: User, url: str, headers: dict[str, str] | None = None) -> str:
    client.force_login(user)
    response = client.get(url, headers=headers or {})
    assert response.status_code == 200, url
    return response.content.decode()


def _section(content: str, marker: str) -> str:
    return content.split(marker)[1].split("</section>")[0]


def _unit_options(content: str) -> list[str]:
    select = content.split('<select id="area-enhet"')[1].split("</select>")[0]
    return [part.split('"')[0] for part in select.split('<option value="')[1:]]


# --- the adoption matrix ---------------------------------------------------------------------


def test_the_adoption_matrix_lists_only_the_areas_organisations_units(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, reader: User
) -> None:
    testland_matrix = _section(_get(client, reader, TESTLAND_PAGE), 'id="adoption"')
    bergland_matrix = _section(_get(client, reader, BERGLAND_PAGE), 'id="adoption"')

    # Testland's six health centres in its two VOs, three of them adopted; not Bergland's.
    assert ">Hälsocentral 1-1</a>" in testland_matrix
    assert ">Hälsocentral 2-3</a>" in testland_matrix
    assert "Bergland" not in testland_matrix
    assert '<option value="VO1"' in testland_matrix
    assert '<option value="BERG-VO1"' not in testland_matrix
    assert "3 av 6" in testland_matrix.split("<tfoot>")[1]
    # Bergland's one health centre, adopted; none of Testland's.
    assert ">Hälsocentral Bergland</a>" in bergland_matrix
    assert "Hälsocentral 1-1" not in bergland_matrix
    assert '<option value="VO1"' not in bergland_matrix
    assert "1 av 1" in bergland_matrix.split("<tfoot>")[1]


def test_the_matrix_swap_and_a_vo_of_another_organisation_show_none_of_its_units(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, reader: User
) -> None:
    swapped = _get(client, reader, TESTLAND_PAGE, {**HX, "HX-Target": "adoption"})
    other_vo = _get(client, reader, f"{TESTLAND_PAGE}&vo=BERG-VO1", {**HX, "HX-Target": "adoption"})

    assert "<html" not in swapped
    assert ">Hälsocentral 1-1</a>" in swapped
    assert "Bergland" not in swapped
    assert "Hälsocentral Bergland" not in other_vo


def test_a_phase_of_no_organisation_keeps_the_whole_tree(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, reader: User
) -> None:
    shared = PhaseFactory(code="fas-gemensam", name="Gemensam fas")
    area = ProgrammeAreaFactory(phase=shared, number=1, name="Gemensamma arbetssätt")
    area.measures.add(*testland.measures)  # without measures, no unit select for their charts
    method = WorkingMethodFactory(
        programme_area=area, name="Gemensam rond", target_unit_kinds=[bergland.hc.kind]
    )
    AdoptionRecordFactory(unit=bergland.hc, working_method=method, adopted=True)

    content = _get(client, reader, f"{AREA_1}?fas=fas-gemensam")
    matrix = _section(content, 'id="adoption"')

    assert ">Hälsocentral 1-1</a>" in matrix
    assert ">Hälsocentral Bergland</a>" in matrix
    assert "1 av 7" in matrix.split("<tfoot>")[1]
    assert {"REG", "BERG"} <= set(_unit_options(content))


# --- the charts' unit select -----------------------------------------------------------------


def test_the_charts_unit_select_offers_only_the_organisations_units(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, reader: User
) -> None:
    assert _unit_options(_get(client, reader, TESTLAND_PAGE)) == ["REG", "PV", "VO1", "VO2"]
    assert _unit_options(_get(client, reader, BERGLAND_PAGE)) == ["BERG", "BERG-PV", "BERG-VO1"]


def test_a_unit_of_another_organisation_in_the_url_shows_the_organisation_and_says_so(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, reader: User
) -> None:
    content = _get(client, reader, f"{TESTLAND_PAGE}&enhet=BERG-VO1")
    charts = _get(
        client, reader, f"{TESTLAND_PAGE}&enhet=BERG-HC1", {**HX, "HX-Target": "area-charts"}
    )

    assert (
        "Enheten ”BERG-VO1” hör inte till Region Testland; sidan visar Region Testland." in content
    )
    assert '<option value="REG" selected>' in content
    assert "BERG-VO1" not in _unit_options(content)
    assert "Enheten ”BERG-HC1” hör inte till Region Testland" in charts
    # A unit of its own (a health centre, below the select's units) is still charted.
    own = _get(client, reader, f"{TESTLAND_PAGE}&enhet=HC11")
    assert '<option value="HC11" selected>' in own
    assert "hör inte till" not in own


# --- the timeline ----------------------------------------------------------------------------


def test_the_timeline_shows_only_the_organisations_vos_activities(
    client: Client, testland: DashboardData, bergland: SecondOrganisation, reader: User
) -> None:
    # A plan of Bergland's VO for Testland's area (entered before the check refused it).
    stray = ActivityPlanFactory(programme_area=testland.programme_area, unit=bergland.vo)
    ActivityFactory(plan=stray, title="Fel regions aktivitet")
    # The timeline lists submitted and approved plans' activities (a draft is its VO's).
    ActivityPlan.objects.update(status=ActivityPlan.Status.SUBMITTED)

    testland_timeline = _section(_get(client, reader, TESTLAND_PAGE), 'id="timeline-title"')
    bergland_timeline = _section(_get(client, reader, BERGLAND_PAGE), 'id="timeline-title"')

    assert "Aktivitet (VO 1): Utbilda team i VO 1" in testland_timeline
    assert "Fel regions aktivitet" not in testland_timeline
    assert "Aktivitet (VO Bergland): Utbilda team i VO Bergland" in bergland_timeline
    assert "VO 1" not in bergland_timeline
