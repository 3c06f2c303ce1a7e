"""What belongs to another role than the one writing the record, held on every entry.

A security review found four ways round the roles of programmes/ (pages, services, the admin
and its history revert alike):

1. a programme area's owner moved the area into another phase (another organisation's),
   renumbered, renamed it or moved its start date (where goals' pacing starts): phase, number,
   name and start date are structure, the strategist's and administrators';
4. a VC or VEC answered or closed their own support need: only the area answers;
5. a VC approved ("Godkänd") their own activity plan or pulled an approved one back to draft: the
   VO drafts, submits and may take back a plan not yet reviewed, the area (its owner, the
   strategist) approves or sends back;
9. a closed unit still got new activity plans and support needs.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from programmes import services
from programmes.models import ActivityPlan, Phase, ProgrammeArea, SupportNeed
from tests.admin_forms import admin_form_data, admin_post, form_errors
from tests.factories import (
    ActivityFactory,
    ActivityPlanFactory,
    OrgTree,
    PhaseFactory,
    ProgrammeAreaFactory,
    SupportNeedFactory,
)
from tests.security.conftest import ROLES, AdminClient

pytestmark = pytest.mark.django_db

GLOBAL = {"strategist", "admin_user"}
AREA = GLOBAL | {"programme_owner"}  # who answers and approves in PO 1

STRUCTURE = "Bara strategen och administratörer flyttar ett programområde"
PLAN_STATUS = "En verksamhet kan skicka in sin aktivitetsplan och ta tillbaka en inlämnad plan"
ANSWER_BY_RAISER = "Ett stödbehovs status och svar sätts av programområdet"
CLOSED = (
    "Enheten ”Hälsocentral Norrby” är inte längre verksam (till och med 31 jan 2024). Välj en "
    "enhet som är verksam i dag."
)


def _change_url(obj: Any) -> str:
    opts = obj._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/change/"


def _history_url(obj: Any, version: Any) -> str:
    opts = obj._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/history/{version.history_id}/"


def _revert(client: Client, obj: Any, version: Any) -> Any:
    """Open the history form of an earlier version and post it as it is ("Återställ")."""
    url = _history_url(obj, version)
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, admin_form_data(page))


def _fields(client: Client, url: str) -> set[str]:
    return set(client.get(url).context["adminform"].form.fields)


@pytest.fixture
def other_phase(org_tree: OrgTree) -> Phase:
    """Another organisation's phase (VO 2 standing in for another region)."""
    return PhaseFactory(code="fas-annan", name="Annan regions fas", organisation_unit=org_tree.vo2)


# --- 1: an area's phase and number are structure ----------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_the_strategist_and_administrators_move_or_renumber_an_area(
    request: pytest.FixtureRequest,
    programme_area: ProgrammeArea,
    programme_owner: User,
    other_phase: Phase,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    home = programme_area.phase

    for change in ({"phase": other_phase}, {"number": 77}):
        area = ProgrammeArea.objects.get(pk=programme_area.pk)
        if role in GLOBAL:
            services.programme_area_update(user=user, area=area, data=change)
        else:
            with pytest.raises(PermissionDenied):
                services.programme_area_update(user=user, area=area, data=change)

    programme_area.refresh_from_db()
    moved = (other_phase, 77) if role in GLOBAL else (home, 1)
    assert (programme_area.phase, programme_area.number) == moved


def test_the_owner_still_edits_the_own_areas_contents(
    programme_owner: User, programme_area: ProgrammeArea
) -> None:
    services.programme_area_update(
        user=programme_owner, area=programme_area, data={"description": "Teamrond varje vecka"}
    )

    programme_area.refresh_from_db()
    assert programme_area.description == "Teamrond varje vecka"
    assert programme_area.history.first().history_user == programme_owner


def test_the_owner_sees_phase_and_number_read_only_in_the_admin_and_cannot_post_them(
    admin_client_as: AdminClient, programme_area: ProgrammeArea, other_phase: Phase
) -> None:
    client = admin_client_as("programme_owner")
    url = _change_url(programme_area)
    home = programme_area.phase

    fields = _fields(client, url)
    response = admin_post(client, url, phase=other_phase.pk, number=77, description="Ny text")

    assert {"phase", "number"}.isdisjoint(fields)
    assert "description" in fields
    assert response.status_code == 302
    programme_area.refresh_from_db()
    assert (programme_area.phase, programme_area.number) == (home, 1)
    assert programme_area.description == "Ny text"


@pytest.mark.parametrize("role", sorted(GLOBAL))
def test_the_strategist_and_administrators_move_an_area_in_the_admin(
    admin_client_as: AdminClient, programme_area: ProgrammeArea, other_phase: Phase, role: str
) -> None:
    client = admin_client_as(role)

    response = admin_post(client, _change_url(programme_area), phase=other_phase.pk, number=7)

    assert response.status_code == 302
    programme_area.refresh_from_db()
    assert (programme_area.phase, programme_area.number) == (other_phase, 7)


def test_the_owner_cannot_move_an_area_back_through_the_history(
    admin_client_as: AdminClient,
    strategist: User,
    programme_area: ProgrammeArea,
    other_phase: Phase,
) -> None:
    first = programme_area.history.first()
    services.programme_area_update(
        user=strategist, area=programme_area, data={"phase": other_phase, "number": 5}
    )
    client = admin_client_as("programme_owner")

    response = _revert(client, programme_area, first)

    assert response.status_code == 200
    assert any(STRUCTURE in message for message in form_errors(response))
    programme_area.refresh_from_db()
    assert (programme_area.phase, programme_area.number) == (other_phase, 5)


def test_the_strategist_moves_an_area_back_through_the_history(
    admin_client_as: AdminClient,
    strategist: User,
    programme_area: ProgrammeArea,
    other_phase: Phase,
) -> None:
    home, first = programme_area.phase, programme_area.history.first()
    services.programme_area_update(user=strategist, area=programme_area, data={"number": 5})

    response = _revert(admin_client_as("strategist"), programme_area, first)

    assert response.status_code == 302
    programme_area.refresh_from_db()
    assert (programme_area.phase, programme_area.number) == (home, 1)


RENAMED = {"name": "Omdöpt av ägaren", "start_date": datetime.date(2025, 1, 2)}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "change", [{"name": RENAMED["name"]}, {"start_date": RENAMED["start_date"]}]
)
def test_only_the_strategist_and_administrators_rename_an_area_or_move_its_start(
    request: pytest.FixtureRequest,
    programme_area: ProgrammeArea,
    programme_owner: User,
    role: str,
    change: dict[str, Any],
) -> None:
    user = request.getfixturevalue(role)
    before = (programme_area.name, programme_area.start_date)

    area = ProgrammeArea.objects.get(pk=programme_area.pk)
    if role in GLOBAL:
        services.programme_area_update(user=user, area=area, data=change)
    else:
        with pytest.raises(PermissionDenied, match=STRUCTURE):
            services.programme_area_update(user=user, area=area, data=change)

    programme_area.refresh_from_db()
    after = (programme_area.name, programme_area.start_date)
    [(field, value)] = change.items()
    assert getattr(programme_area, field) == value if role in GLOBAL else after == before


def test_the_owner_sees_name_and_start_date_read_only_and_a_forged_post_changes_neither(
    admin_client_as: AdminClient, programme_area: ProgrammeArea
) -> None:
    client = admin_client_as("programme_owner")
    url = _change_url(programme_area)
    before = (programme_area.name, programme_area.start_date)

    fields = _fields(client, url)
    response = admin_post(client, url, **RENAMED, description="Ny text")

    assert {"name", "start_date"}.isdisjoint(fields)
    assert response.status_code == 302
    programme_area.refresh_from_db()
    assert (programme_area.name, programme_area.start_date) == before
    assert programme_area.description == "Ny text"
    assert {(record.name, record.start_date) for record in programme_area.history.all()} == {before}


@pytest.mark.parametrize("role", sorted(GLOBAL))
def test_the_strategist_and_administrators_rename_an_area_in_the_admin(
    admin_client_as: AdminClient, programme_area: ProgrammeArea, role: str
) -> None:
    client = admin_client_as(role)

    response = admin_post(client, _change_url(programme_area), **RENAMED)

    assert response.status_code == 302
    programme_area.refresh_from_db()
    assert (programme_area.name, programme_area.start_date) == tuple(RENAMED.values())


@pytest.mark.parametrize(
    "change", [{"name": RENAMED["name"]}, {"start_date": RENAMED["start_date"]}]
)
def test_the_owner_cannot_rename_an_area_back_through_the_history(
    admin_client_as: AdminClient,
    strategist: User,
    programme_area: ProgrammeArea,
    change: dict[str, Any],
) -> None:
    first = programme_area.history.first()
    services.programme_area_update(user=strategist, area=programme_area, data=change)
    client = admin_client_as("programme_owner")

    response = _revert(client, programme_area, first)

    assert response.status_code == 200
    assert any(STRUCTURE in message for message in form_errors(response))
    programme_area.refresh_from_db()
    [(field, value)] = change.items()
    assert getattr(programme_area, field) == value
    assert programme_area.history.count() == 2


@pytest.mark.parametrize("start", [datetime.date(2024, 12, 31), datetime.date(2028, 1, 1)])
def test_an_area_starts_within_its_phase(
    admin_client_as: AdminClient,
    strategist: User,
    programme_area: ProgrammeArea,
    start: datetime.date,
) -> None:
    outside = "Programområdets startdatum måste ligga inom fasen ”Fas 2: göra, lära, bredda”"

    with pytest.raises(ValidationError, match=outside):
        services.programme_area_update(
            user=strategist,
            area=ProgrammeArea.objects.get(pk=programme_area.pk),
            data={"start_date": start},
        )
    response = admin_post(
        admin_client_as("strategist"), _change_url(programme_area), start_date=start
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["start_date"] == [
        f"{outside} (1 jan 2025–31 dec 2027)."
    ]
    programme_area.refresh_from_db()
    assert programme_area.start_date == datetime.date(2025, 3, 1)


# --- 4: only the programme area answers a support need ----------------------------------------


@pytest.fixture
def need(vec: User, org_tree: OrgTree, programme_area: ProgrammeArea) -> SupportNeed:
    """HC 1A's need to PO 1, raised by its VEC (in the VC's VO too)."""
    return SupportNeedFactory(unit=org_tree.hc1a, programme_area=programme_area, raised_by=vec)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_area_answers_a_support_need_through_the_service(
    request: pytest.FixtureRequest, need: SupportNeed, programme_owner: User, role: str
) -> None:
    user = request.getfixturevalue(role)

    if role in AREA:
        services.support_need_answer(
            user=user, need=need, response="Vi ordnar en utbildningsdag.", status="stangd"
        )
    else:
        with pytest.raises(PermissionDenied):
            services.support_need_answer(
                user=user, need=need, response="Löst av mig själv", status="stangd"
            )

    need.refresh_from_db()
    if role in AREA:
        assert (need.status, need.response) == ("stangd", "Vi ordnar en utbildningsdag.")
        assert need.history.first().history_user == user
    else:
        assert (need.status, need.response) == ("oppen", "")


def test_the_owner_does_not_answer_another_areas_need(
    programme_owner: User, org_tree: OrgTree, other_programme_area: ProgrammeArea
) -> None:
    foreign = SupportNeedFactory(unit=org_tree.hc1a, programme_area=other_programme_area)

    with pytest.raises(PermissionDenied):
        services.support_need_answer(user=programme_owner, need=foreign, response="Kapat")


@pytest.mark.parametrize("role", ["vc", "vec"])
def test_the_raising_unit_rewrites_its_need_but_never_its_status_or_answer(
    request: pytest.FixtureRequest, need: SupportNeed, role: str
) -> None:
    user = request.getfixturevalue(role)

    services.support_need_update(user=user, need=need, data={"text": "Tid och en handledare."})
    with pytest.raises(ValueError, match="status"):
        services.support_need_update(user=user, need=need, data={"status": "stangd"})
    with pytest.raises(ValueError, match="response"):
        services.support_need_update(user=user, need=need, data={"response": "Löst"})
    need.status = SupportNeed.Status.CLOSED  # as a form or a revert hands it over
    with pytest.raises(PermissionDenied, match=ANSWER_BY_RAISER):
        services.support_need_update(user=user, need=need)

    need.refresh_from_db()
    assert (need.text, need.status, need.response) == ("Tid och en handledare.", "oppen", "")


@pytest.mark.parametrize("role", ["vc", "vec"])
def test_the_raising_unit_cannot_answer_or_close_its_need_in_the_admin_or_on_the_page(
    admin_client_as: AdminClient, need: SupportNeed, role: str
) -> None:
    client = admin_client_as(role)
    url = _change_url(need)

    fields = _fields(client, url)
    response = admin_post(client, url, status="stangd", response="Löst av mig själv")
    page = client.post(
        reverse("programmes:support_need", args=[need.pk]),
        {"status": "stangd", "response": "Löst av mig själv", "version": need.version},
    )

    assert {"status", "response"}.isdisjoint(fields)
    assert response.status_code == 302  # the need's own fields are saved as they were
    assert page.status_code == 403
    need.refresh_from_db()
    assert (need.status, need.response) == ("oppen", "")


@pytest.mark.parametrize("role", sorted(AREA))
def test_the_area_answers_in_the_admin(
    admin_client_as: AdminClient, need: SupportNeed, role: str
) -> None:
    response = admin_post(
        admin_client_as(role), _change_url(need), status="besvarad", response="Vi hjälper till."
    )

    assert response.status_code == 302
    need.refresh_from_db()
    assert (need.status, need.response) == ("besvarad", "Vi hjälper till.")


def test_a_raiser_cannot_undo_the_areas_answer_through_the_history(
    admin_client_as: AdminClient, need: SupportNeed, programme_owner: User
) -> None:
    first = need.history.first()
    services.support_need_answer(user=programme_owner, need=need, response="Vi ordnar det.")
    client = admin_client_as("vec")

    response = _revert(client, need, first)

    assert response.status_code == 200
    assert any(ANSWER_BY_RAISER in message for message in form_errors(response))
    need.refresh_from_db()
    assert (need.status, need.response) == ("besvarad", "Vi ordnar det.")


def test_a_new_need_in_the_admin_is_raised_without_status_or_answer(
    admin_client_as: AdminClient, vec: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    client = admin_client_as("vec")

    response = admin_post(
        client,
        "/admin/programmes/supportneed/add/",
        unit=org_tree.hc1a.pk,
        programme_area=programme_area.pk,
        text="Tid för utbildning.",
        status="stangd",
        response="Redan löst",
    )

    assert response.status_code == 302
    saved = SupportNeed.objects.get()
    assert (saved.raised_by, saved.status, saved.response) == (vec, "oppen", "")


# --- 5: the VO submits its activity plan, the area approves it --------------------------------

# (role, its unit the plan is for): the VO's VC (a VEC reads the VO's plan, gonv.rules)
PLAN_WRITERS = [("vc", "vo1"), ("vc", "hc1a")]


@pytest.mark.parametrize(("role", "unit"), PLAN_WRITERS)
def test_the_vo_submits_its_plan_but_cannot_approve_it_or_reopen_an_approved_one(
    request: pytest.FixtureRequest,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    other_programme_area: ProgrammeArea,
    programme_owner: User,
    role: str,
    unit: str,
) -> None:
    user = request.getfixturevalue(role)
    plan = ActivityPlanFactory(unit=getattr(org_tree, unit), programme_area=programme_area)

    services.activity_plan_update(user=user, plan=plan, data={"status": "inlamnad"})
    with pytest.raises(PermissionDenied, match=PLAN_STATUS):
        services.activity_plan_update(user=user, plan=plan, data={"status": "godkand"})
    plan.refresh_from_db()
    # Approved by the area, it stays approved: the VO does not reopen it.
    approved = ActivityPlanFactory(
        unit=getattr(org_tree, unit), programme_area=other_programme_area, status="godkand"
    )
    with pytest.raises(PermissionDenied, match=PLAN_STATUS):
        services.activity_plan_update(user=user, plan=approved, data={"status": "utkast"})
    with pytest.raises(PermissionDenied):
        services.activity_plan_review(user=user, plan=plan, status="godkand")
    with pytest.raises(PermissionDenied, match=PLAN_STATUS):
        services.activity_plan_create(
            user=user,
            plan=ActivityPlan(
                unit=getattr(org_tree, unit),
                programme_area=ProgrammeAreaFactory(),
                status="godkand",
            ),
        )

    plan.refresh_from_db()
    approved.refresh_from_db()
    assert plan.status == "inlamnad"
    assert plan.submitted_at is not None
    assert approved.status == "godkand"
    assert ActivityPlan.objects.count() == 2


@pytest.mark.parametrize("role", ROLES)
def test_only_the_area_approves_a_plan_or_sends_it_back(
    request: pytest.FixtureRequest,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    programme_owner: User,
    role: str,
) -> None:
    user = request.getfixturevalue(role)
    plan = ActivityPlanFactory(unit=org_tree.vo1, programme_area=programme_area, status="inlamnad")

    if role in AREA:
        services.activity_plan_review(user=user, plan=plan, status="godkand")
        assert plan.status == "godkand"
        assert plan.history.first().history_user == user
        # Sending back takes a submitted plan and a comment to the VO.
        other = ActivityPlanFactory(
            unit=org_tree.vo2, programme_area=programme_area, status="inlamnad"
        )
        services.activity_plan_review(
            user=user, plan=other, status="utkast", comment="Komplettera tidplanen."
        )
        assert (other.status, other.submitted_at, other.review_comment) == (
            "utkast",
            None,
            "Komplettera tidplanen.",
        )
    else:
        with pytest.raises(PermissionDenied):
            services.activity_plan_review(user=user, plan=plan, status="godkand")
        plan.refresh_from_db()
        assert plan.status == "inlamnad"


def test_the_owner_approves_no_plan_of_another_area(
    programme_owner: User, org_tree: OrgTree, other_programme_area: ProgrammeArea
) -> None:
    plan = ActivityPlanFactory(unit=org_tree.vo1, programme_area=other_programme_area)

    with pytest.raises(PermissionDenied):
        services.activity_plan_review(user=programme_owner, plan=plan, status="godkand")


@pytest.mark.parametrize(("role", "unit"), PLAN_WRITERS)
def test_the_vo_cannot_approve_its_plan_in_the_admin_but_submits_it(
    admin_client_as: AdminClient,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    role: str,
    unit: str,
) -> None:
    plan = ActivityPlanFactory(unit=getattr(org_tree, unit), programme_area=programme_area)
    client = admin_client_as(role)
    url = _change_url(plan)

    submitted = admin_post(client, url, status="inlamnad")
    approved = admin_post(client, url, status="godkand")

    assert submitted.status_code == 302
    assert approved.status_code == 200
    assert any(PLAN_STATUS in message for message in form_errors(approved))
    plan.refresh_from_db()
    assert plan.status == "inlamnad"
    # Not yet reviewed, the VO may take it back to draft (as "Ta tillbaka för ändring").
    assert admin_post(client, url, status="utkast").status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.submitted_at, plan.reviewed_by) == ("utkast", None, None)


def test_the_owner_approves_the_areas_plan_in_the_admin_and_changes_nothing_else(
    admin_client_as: AdminClient,
    programme_owner: User,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
) -> None:
    plan = ActivityPlanFactory(unit=org_tree.vo1, programme_area=programme_area, status="inlamnad")
    ActivityFactory(plan=plan, title="Utbilda teamen")
    client = admin_client_as("programme_owner")
    url = _change_url(plan)

    fields = _fields(client, url)
    response = admin_post(client, url, status="godkand", unit=org_tree.vo2.pk, comment="Ändrad")

    # The decision and its comment to the VO, and the hidden version a stale approval is
    # refused by.
    assert fields == {"status", "review_comment", "version"}
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.unit, plan.comment) == ("godkand", org_tree.vo1, "")
    assert plan.history.first().history_user == programme_owner
    assert plan.activities.get().title == "Utbilda teamen"


def test_the_owner_sends_a_plan_back_in_the_admin_only_with_a_comment_and_only_once_submitted(
    admin_client_as: AdminClient,
    programme_owner: User,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
) -> None:
    plan = ActivityPlanFactory(unit=org_tree.vo1, programme_area=programme_area, status="inlamnad")
    approved = ActivityPlanFactory(
        unit=org_tree.vo2, programme_area=programme_area, status="godkand"
    )
    client = admin_client_as("programme_owner")

    bare = admin_post(client, _change_url(plan), status="utkast", review_comment="")
    # An approved plan is reopened for change, with a comment, by the same service as on its
    # page ("Öppna för ändring"): not a send-back.
    reopened = admin_post(client, _change_url(approved), status="utkast", review_comment="Gör om.")
    plan.refresh_from_db()
    approved.refresh_from_db()
    assert bare.status_code == 200
    assert any("komplettera" in message for message in form_errors(bare))
    assert plan.status == "inlamnad"
    assert reopened.status_code == 302
    assert (approved.status, approved.review_comment, approved.reviewed_by) == (
        "utkast",
        "Gör om.",
        programme_owner,
    )

    sent = admin_post(
        client, _change_url(plan), status="utkast", review_comment="Lägg till tidplan."
    )

    assert sent.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.review_comment, plan.reviewed_by) == (
        "utkast",
        "Lägg till tidplan.",
        programme_owner,
    )


def test_the_owner_cannot_approve_another_areas_plan_in_the_admin(
    admin_client_as: AdminClient, org_tree: OrgTree, other_programme_area: ProgrammeArea
) -> None:
    plan = ActivityPlanFactory(
        unit=org_tree.vo1, programme_area=other_programme_area, status="inlamnad"
    )
    client = admin_client_as("programme_owner")
    url = _change_url(plan)

    page = client.get(url)
    response = client.post(url, {"status": "godkand"})

    assert page.status_code == 200
    assert "adminform" not in page.context or not page.context["adminform"].form.fields
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == "inlamnad"


def test_the_vo_cannot_revert_its_plan_to_an_approved_version(
    admin_client_as: AdminClient,
    programme_owner: User,
    strategist: User,
    vc: User,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
) -> None:
    plan = ActivityPlanFactory(unit=org_tree.vo1, programme_area=programme_area, status="inlamnad")
    services.activity_plan_review(user=programme_owner, plan=plan, status="godkand")
    approved = plan.history.first()
    services.activity_plan_reopen(user=strategist, plan=plan, comment="Ändra tidplanen.")
    services.activity_plan_update(user=vc, plan=plan, data={"status": "inlamnad"})
    client = admin_client_as("vc")

    response = _revert(client, plan, approved)

    assert response.status_code == 200
    assert any(PLAN_STATUS in message for message in form_errors(response))
    plan.refresh_from_db()
    assert plan.status == "inlamnad"


# --- 9: a closed unit gets no new plan or support need ----------------------------------------


@pytest.fixture
def closed(org_tree: OrgTree) -> OrgTree:
    """HC 1A closed at the end of January 2024."""
    org_tree.hc1a.valid_to = datetime.date(2024, 1, 31)
    org_tree.hc1a.save()
    return org_tree


@pytest.mark.parametrize("role", ["strategist", "vc", "vec"])
def test_no_service_starts_a_plan_or_raises_a_need_for_a_closed_unit(
    request: pytest.FixtureRequest, closed: OrgTree, programme_area: ProgrammeArea, role: str
) -> None:
    user = request.getfixturevalue(role)
    # A VEC writes no plan at all (a plan is the VO's): refused before the unit is looked at.
    refusal = PermissionDenied if role == "vec" else ValidationError

    with pytest.raises(refusal):
        services.activity_plan_create(
            user=user, plan=ActivityPlan(unit=closed.hc1a, programme_area=programme_area)
        )
    with pytest.raises(ValidationError, match=re.escape(CLOSED)):
        services.support_need_raise(
            user=user, unit=closed.hc1a, programme_area=programme_area, text="Hjälp"
        )

    assert not ActivityPlan.objects.exists()
    assert not SupportNeed.objects.exists()


@pytest.mark.parametrize("role", ["vc", "vec"])
def test_the_pages_offer_no_closed_unit_and_refuse_it(
    request: pytest.FixtureRequest, closed: OrgTree, programme_area: ProgrammeArea, role: str
) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(role))
    plan_url = reverse("programmes:activity_plan", args=[programme_area.pk, closed.hc1a.pk])
    hc1a = f'value="{closed.hc1a.pk}"'

    plan_page = client.get(plan_url)
    plan_post = client.post(plan_url, {"title": "Utbilda", "status": "planerad", "version": 0})
    need_form = client.get(reverse("programmes:support_need_create")).content.decode()
    need_post = client.post(
        reverse("programmes:support_need_create"),
        {"unit": closed.hc1a.pk, "programme_area": programme_area.pk, "text": "Hjälp"},
    )

    # A VEC writes no plan (403) whether the unit is open or not.
    assert plan_page.status_code == (403 if role == "vec" else 404)
    assert plan_post.status_code == (403 if role == "vec" else 404)
    assert hc1a not in need_form
    assert need_post.status_code == 422
    assert not ActivityPlan.objects.exists()
    assert not SupportNeed.objects.exists()


def test_the_activity_plan_list_does_not_offer_a_closed_unit(
    vec: User, closed: OrgTree, programme_area: ProgrammeArea
) -> None:
    client = Client()
    client.force_login(vec)

    page = client.get(reverse("programmes:activity_plans")).content.decode()

    assert reverse("programmes:activity_plan", args=[programme_area.pk, closed.hc1a.pk]) not in page


@pytest.mark.parametrize("role", ["strategist", "vc", "vec"])
def test_the_admin_refuses_a_closed_unit_with_the_reason(
    admin_client_as: AdminClient, closed: OrgTree, programme_area: ProgrammeArea, role: str
) -> None:
    client = admin_client_as(role)

    need = admin_post(
        client,
        "/admin/programmes/supportneed/add/",
        unit=closed.hc1a.pk,
        programme_area=programme_area.pk,
        text="Hjälp",
    )
    if role == "vec":
        # A VEC adds no plan at all (a plan is the VO's).
        assert client.get("/admin/programmes/activityplan/add/").status_code == 403
        plan = need
    else:
        plan = admin_post(
            client,
            "/admin/programmes/activityplan/add/",
            unit=closed.hc1a.pk,
            programme_area=programme_area.pk,
            status="utkast",
        )

    for response in (need, plan):
        assert response.status_code == 200
        assert CLOSED in form_errors(response)
    assert not ActivityPlan.objects.exists()
    assert not SupportNeed.objects.exists()


def test_a_plan_and_a_need_from_before_the_closing_can_still_be_finished(
    vc: User,
    programme_owner: User,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
) -> None:
    plan = ActivityPlanFactory(unit=org_tree.hc1a, programme_area=programme_area)
    need = SupportNeedFactory(unit=org_tree.hc1a, programme_area=programme_area, raised_by=vc)
    org_tree.hc1a.valid_to = datetime.date(2024, 1, 31)
    org_tree.hc1a.save()

    services.activity_plan_update(user=vc, plan=plan, data={"status": "inlamnad"})
    services.support_need_answer(user=programme_owner, need=need, response="Stängd enhet.")

    plan.refresh_from_db()
    need.refresh_from_db()
    assert (plan.status, need.status) == ("inlamnad", "besvarad")
