"""Review findings 3, 6 and 7: the admin keeps the rules the pages, the grids and the import keep.

3. A closed quarter could be assessed through the admin (the page refuses it).
6. Admin change forms carried no version: a save there silently undid a save made since.
7. The admin took observations the grid and the import refuse (a future period, a closed unit,
   a kind that does not report the measure, a share disagreeing with its parts), let a VC change
   an imported value without recording the override or re-label a value "Cyklop" or "Demodata",
   and took an adoption "Infört" on a date in the future.
Every role with admin access is tried, in and out of scope, on every entry: add, change, the
history revert and the services.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followup import services as followup_services
from followup import value_rules
from followup.models import ImportBatch, Observation
from goals import services as goal_services
from goals.models import (
    ERROR_ACTUAL_FUTURE,
    ERROR_QUARTER_CLOSED,
    AdoptionRecord,
    Assessment,
    Goal,
    editable_quarters,
)
from goals.status import Status
from programmes.models import ProgrammeArea
from tests.admin_forms import (
    admin_delete,
    admin_form_data,
    admin_post,
    admin_save,
    conflict_messages,
    form_errors,
)
from tests.factories import (
    ActivityFactory,
    ActivityPlanFactory,
    AdoptionRecordFactory,
    AssessmentFactory,
    GoalFactory,
    MeasureFactory,
    ObservationFactory,
    OrgTree,
    SupportNeedFactory,
    UnitKindFactory,
    WorkingMethodFactory,
)
from tests.security.conftest import AdminClient

pytestmark = pytest.mark.django_db

CLOSED = "2020Q1"
ADD_ASSESSMENT = "/admin/goals/assessment/add/"
ADD_OBSERVATION = "/admin/followup/observation/add/"
ADD_ADOPTION = "/admin/goals/adoptionrecord/add/"
# Roles that may assess PO 1's goals, and those that may not.
ASSESSORS = ["strategist", "admin_user", "programme_owner"]
NOT_ASSESSORS = ["portfolio_owner", "steering_member", "vc", "vec", "no_role_user"]
# Roles that may write HC 1A's values and adoption, and those that may not.
UNIT_WRITERS = ["strategist", "admin_user", "vc", "vec"]
NOT_UNIT_WRITERS = ["portfolio_owner", "steering_member", "programme_owner", "no_role_user"]


def _change_url(obj: Any) -> str:
    opts = obj._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/change/"


def _history_url(obj: Any, version: Any) -> str:
    opts = obj._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/history/{version.history_id}/"


def _open_quarter() -> str:
    return editable_quarters()[0].code


def _month_before(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    end = day.replace(day=1) - datetime.timedelta(days=1)
    return end.replace(day=1), end


# --- finding 3: a closed quarter is closed on every entry ------------------------------------


@pytest.mark.parametrize("role", ASSESSORS)
def test_po_owner_assesses_closed_quarter_in_admin(
    admin_client_as: AdminClient, programme_area: ProgrammeArea, role: str
) -> None:
    goal = GoalFactory(programme_area=programme_area, direction=True)
    client = admin_client_as(role)

    refused = admin_post(
        client, ADD_ASSESSMENT, goal=goal.pk, quarter=CLOSED, status="risk", comment="Sent."
    )
    allowed = admin_post(
        client,
        ADD_ASSESSMENT,
        goal=goal.pk,
        quarter=_open_quarter(),
        status="risk",
        comment="I tid.",
    )

    assert refused.status_code == 200
    assert form_errors(refused) == [str(ERROR_QUARTER_CLOSED)]
    assert allowed.status_code == 302
    assert list(Assessment.objects.values_list("quarter", flat=True)) == [_open_quarter()]


@pytest.mark.parametrize("role", NOT_ASSESSORS)
def test_roles_that_do_not_assess_cannot_open_the_admin_form_at_all(
    admin_client_as: AdminClient, programme_area: ProgrammeArea, role: str
) -> None:
    client = admin_client_as(role)

    assert client.get(ADD_ASSESSMENT).status_code == 403
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("role", ASSESSORS)
def test_an_assessment_of_a_closed_quarter_can_neither_be_changed_nor_moved_to_an_open_one(
    admin_client_as: AdminClient, programme_area: ProgrammeArea, role: str
) -> None:
    old = AssessmentFactory(
        goal=GoalFactory(programme_area=programme_area, direction=True),
        quarter=CLOSED,
        comment="Skrivet då.",
    )
    client = admin_client_as(role)

    edited = admin_post(client, _change_url(old), comment="Omskrivet nu.")
    moved = admin_post(client, _change_url(old), quarter=_open_quarter())

    assert (edited.status_code, moved.status_code) == (200, 200)
    assert form_errors(edited) == [str(ERROR_QUARTER_CLOSED)]
    assert form_errors(moved) == [str(ERROR_QUARTER_CLOSED)]
    old.refresh_from_db()
    assert (old.quarter, old.comment, old.version) == (CLOSED, "Skrivet då.", 1)


def test_an_open_quarter_cannot_be_moved_into_a_closed_one_and_is_changed_as_before(
    admin_client_as: AdminClient, programme_owner: User, programme_area: ProgrammeArea
) -> None:
    current = AssessmentFactory(
        goal=GoalFactory(programme_area=programme_area, direction=True), quarter=_open_quarter()
    )
    client = admin_client_as("programme_owner")

    moved = admin_post(client, _change_url(current), quarter=CLOSED)
    admin_save(client, _change_url(current), comment="Nytt läge.")

    assert form_errors(moved) == [str(ERROR_QUARTER_CLOSED)]
    current.refresh_from_db()
    assert (current.quarter, current.comment, current.author) == (
        _open_quarter(),
        "Nytt läge.",
        programme_owner,
    )


def _delete_url(obj: Any) -> str:
    opts = obj._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/delete/"


def _shown_messages(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize("role", ASSESSORS)
def test_an_assessment_of_a_closed_quarter_cannot_be_deleted_in_the_admin(
    admin_client_as: AdminClient, programme_area: ProgrammeArea, role: str
) -> None:
    goal = GoalFactory(programme_area=programme_area, direction=True)
    old = AssessmentFactory(goal=goal, quarter=CLOSED, comment="Skrivet då.")
    current = AssessmentFactory(
        goal=GoalFactory(programme_area=programme_area, direction=True), quarter=_open_quarter()
    )
    client = admin_client_as(role)

    page = client.get(_delete_url(old), follow=True)
    confirmed = client.post(_delete_url(old), {"post": "yes"}, follow=True)
    bulk = client.post(
        "/admin/goals/assessment/",
        {"action": "delete_selected", "_selected_action": [old.pk, current.pk], "post": "yes"},
        follow=True,
    )

    for response in (page, confirmed, bulk):
        assert response.status_code == 200
        assert _shown_messages(response) == [str(ERROR_QUARTER_CLOSED)]
    assert set(Assessment.objects.all()) == {old, current}
    old.refresh_from_db()
    assert (old.comment, old.history.count()) == ("Skrivet då.", 1)


@pytest.mark.parametrize("role", ASSESSORS)
def test_an_assessment_of_an_open_quarter_is_deleted_in_the_admin_as_before(
    admin_client_as: AdminClient, programme_area: ProgrammeArea, role: str
) -> None:
    current = AssessmentFactory(
        goal=GoalFactory(programme_area=programme_area, direction=True), quarter=_open_quarter()
    )
    client = admin_client_as(role)

    admin_delete(client, _delete_url(current))

    assert not Assessment.objects.exists()


@pytest.mark.parametrize("role", NOT_ASSESSORS)
def test_roles_that_do_not_assess_cannot_delete_an_assessment_in_the_admin(
    admin_client_as: AdminClient, programme_area: ProgrammeArea, role: str
) -> None:
    old = AssessmentFactory(
        goal=GoalFactory(programme_area=programme_area, direction=True), quarter=CLOSED
    )
    client = admin_client_as(role)

    single = client.post(_delete_url(old), {"post": "yes"})
    bulk = client.post(
        "/admin/goals/assessment/",
        {"action": "delete_selected", "_selected_action": [old.pk], "post": "yes"},
    )

    # Readers see the list without the delete action (200), the others not even the list.
    assert single.status_code == 403
    assert bulk.status_code in (200, 403)
    assert Assessment.objects.get() == old


@pytest.mark.parametrize("role", ASSESSORS)
def test_the_service_refuses_to_delete_a_closed_quarters_assessment_for_every_role(
    programme_area: ProgrammeArea, request: pytest.FixtureRequest, role: str
) -> None:
    user = request.getfixturevalue(role)
    old = AssessmentFactory(
        goal=GoalFactory(programme_area=programme_area, direction=True), quarter=CLOSED
    )

    with pytest.raises(ValidationError) as refused:
        goal_services.assessment_delete(user=user, assessment=old)

    assert refused.value.message_dict == {"quarter": [str(ERROR_QUARTER_CLOSED)]}
    assert Assessment.objects.get() == old


@pytest.mark.parametrize("role", ASSESSORS)
def test_a_history_revert_cannot_rewrite_a_closed_quarter(
    admin_client_as: AdminClient, programme_area: ProgrammeArea, role: str
) -> None:
    old = AssessmentFactory(
        goal=GoalFactory(programme_area=programme_area, direction=True),
        quarter=CLOSED,
        comment="Första",
    )
    first = old.history.first()
    old.comment = "Andra"
    old.save()
    client = admin_client_as(role)

    url = _history_url(old, first)
    response = client.post(url, admin_form_data(client.get(url)))

    assert response.status_code == 200
    assert form_errors(response) == [str(ERROR_QUARTER_CLOSED)]
    old.refresh_from_db()
    assert old.comment == "Andra"


@pytest.mark.parametrize("role", ASSESSORS)
def test_the_services_refuse_a_closed_quarter_for_every_role(
    programme_area: ProgrammeArea, request: pytest.FixtureRequest, role: str
) -> None:
    user = request.getfixturevalue(role)
    goal = GoalFactory(programme_area=programme_area, direction=True)
    old = AssessmentFactory(goal=goal, quarter=CLOSED)

    with pytest.raises(ValidationError) as recorded:
        goal_services.assessment_record(
            user=user, goal=goal, quarter="2020 Kv 2", status="risk", comment="Sent."
        )
    with pytest.raises(ValidationError) as updated:
        goal_services.assessment_update(user=user, assessment=old, data={"comment": "Nytt"})
    saved = goal_services.assessment_record(
        user=user, goal=goal, quarter=_open_quarter(), status="risk", comment="I tid."
    )

    assert recorded.value.message_dict == {"quarter": [str(ERROR_QUARTER_CLOSED)]}
    assert updated.value.message_dict == {"quarter": [str(ERROR_QUARTER_CLOSED)]}
    assert saved.author == user
    assert set(Assessment.objects.values_list("quarter", flat=True)) == {CLOSED, _open_quarter()}


def test_the_service_says_forbidden_before_closed_to_a_role_that_may_not_assess(
    vc: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area, direction=True)

    with pytest.raises(PermissionDenied):
        goal_services.assessment_record(
            user=vc, goal=goal, quarter=CLOSED, status="risk", comment="Sent."
        )


# --- finding 6: an admin save based on an old version is refused -----------------------------


def test_admin_change_form_loses_a_page_save(
    admin_client_as: AdminClient, programme_owner: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area, title="Original")
    admin = admin_client_as("strategist")
    data = admin_form_data(admin.get(_change_url(goal)), description="Strategens beskrivning")
    page = Client()
    page.force_login(programme_owner)

    saved_on_page = page.post(
        reverse("goals:goal_edit", args=[goal.pk]),
        {
            "title": "Ändrad på sidan",
            "description": "",
            "kind": "deliverable",
            "start_date": "2025-01-01",
            "deadline": "2025-12-31",
            "version": goal.version,
        },
    )
    response = admin.post(_change_url(goal), data)

    assert saved_on_page.status_code == 302
    assert response.status_code == 200
    [error] = conflict_messages(response)  # above the form (test_admin_conflict_messages)
    # Who saved and when, and a link to the form as it is now.
    name = programme_owner.get_full_name() or programme_owner.username
    assert error.startswith(f"{name} sparade ändringar ")
    assert "efter att du öppnade formuläret. Ingen av dina ändringar har sparats" in error
    assert f'<a href="{_change_url(goal)}">öppna formuläret på nytt</a>' in error
    goal.refresh_from_db()
    assert (goal.title, goal.description, goal.version) == ("Ändrad på sidan", "", 2)
    assert goal.history.count() == 2


def test_an_admin_save_from_the_current_version_is_saved_and_bumps_it(
    admin_client_as: AdminClient, strategist: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area)
    client = admin_client_as("strategist")

    admin_save(client, _change_url(goal), description="Första")
    admin_save(client, _change_url(goal), description="Andra")

    goal.refresh_from_db()
    assert (goal.description, goal.version) == ("Andra", 3)
    assert goal.history.first().history_user == strategist


# Every versioned model in the admin: a role that may change it, the object, a field to change.
VERSIONED: list[tuple[str, str, Any, dict[str, Any]]] = [
    ("goal", "programme_owner", lambda t, a: GoalFactory(programme_area=a), {"title": "Ny"}),
    (
        "working method",
        "programme_owner",
        lambda t, a: WorkingMethodFactory(programme_area=a),
        {"name": "Nytt namn"},
    ),
    (
        "assessment",
        "programme_owner",
        lambda t, a: AssessmentFactory(
            goal=GoalFactory(programme_area=a, direction=True), quarter=_open_quarter()
        ),
        {"comment": "Ny kommentar"},
    ),
    ("adoption", "vc", lambda t, a: AdoptionRecordFactory(unit=t.hc1a), {"comment": "Ny"}),
    ("observation", "vec", lambda t, a: ObservationFactory(unit=t.hc1a), {"value": "12"}),
    (
        "activity plan",
        "vc",
        lambda t, a: ActivityPlanFactory(unit=t.vo1, programme_area=a),
        {"comment": "Ny kommentar"},  # a save that changes nothing writes nothing
    ),
    (
        "support need",
        "vec",
        lambda t, a: SupportNeedFactory(unit=t.hc1a, programme_area=a),
        {"text": "Ny text"},
    ),
]


@pytest.mark.parametrize(
    ("name", "role", "make", "change"), VERSIONED, ids=[v[0] for v in VERSIONED]
)
def test_every_versioned_admin_form_refuses_a_save_from_an_old_version(
    admin_client_as: AdminClient,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    name: str,
    role: str,
    make: Any,
    change: dict[str, Any],
) -> None:
    obj = make(org_tree, programme_area)
    client = admin_client_as(role)
    data = admin_form_data(client.get(_change_url(obj)), **change)
    type(obj).objects.filter(pk=obj.pk).update()  # saved by someone else since (an import)
    before = type(obj).objects.values().get(pk=obj.pk)

    stale = client.post(_change_url(obj), data)
    fresh = client.post(_change_url(obj), admin_form_data(client.get(_change_url(obj)), **change))

    assert stale.status_code == 200
    assert any("Ingen av dina ändringar har sparats" in m for m in conflict_messages(stale))
    assert before["version"] == obj.version + 1
    assert fresh.status_code == 302, form_errors(fresh)
    assert type(obj).objects.get(pk=obj.pk).version == obj.version + 2


def test_an_admin_post_without_a_version_saves_nothing(
    admin_client_as: AdminClient, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area, title="Före")
    client = admin_client_as("strategist")
    data = admin_form_data(client.get(_change_url(goal)), title="Efter")
    del data["version"]

    response = client.post(_change_url(goal), data)

    assert response.status_code == 200
    [error] = conflict_messages(response)
    assert "Ingen av dina ändringar har sparats" in error
    goal.refresh_from_db()
    assert goal.title == "Före"


def test_a_milestone_saved_since_the_goal_form_was_opened_is_not_overwritten_inline(
    admin_client_as: AdminClient, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area)
    milestone = GoalFactory(programme_area=programme_area, parent=goal, title="Delmål")
    client = admin_client_as("programme_owner")
    data = admin_form_data(client.get(_change_url(goal)), **{"milestones-0-title": "Inline"})
    milestone.title = "Sparat på sidan"
    milestone.save()

    stale = client.post(_change_url(goal), data)
    fresh = client.post(
        _change_url(goal),
        admin_form_data(client.get(_change_url(goal)), **{"milestones-0-title": "Inline"}),
    )

    assert stale.status_code == 200
    inline_errors = stale.context["inline_admin_formsets"][0].formset.forms[0].non_field_errors()
    [error] = inline_errors
    assert error.startswith("Delmål ”Sparat på sidan”: systemet sparade ändringar ")
    assert conflict_messages(stale) == [error]
    assert fresh.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.title, milestone.version) == ("Inline", 3)


def test_an_activity_saved_since_the_plan_form_was_opened_is_not_overwritten_inline(
    admin_client_as: AdminClient, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    activity = ActivityFactory(plan__unit=org_tree.vo1, plan__programme_area=programme_area)
    url = _change_url(activity.plan)
    client = admin_client_as("vc")
    data = admin_form_data(client.get(url), **{"activities-0-title": "I admin"})
    activity.title = "Sparat på sidan"
    activity.save()

    stale = client.post(url, data)
    fresh = client.post(url, admin_form_data(client.get(url), **{"activities-0-title": "I admin"}))

    assert stale.status_code == 200
    inline_errors = stale.context["inline_admin_formsets"][0].formset.forms[0].non_field_errors()
    [error] = inline_errors
    assert error.startswith("Aktivitet ”Sparat på sidan”: systemet sparade ändringar ")
    assert conflict_messages(stale) == [error]
    assert fresh.status_code == 302, form_errors(fresh)
    activity.refresh_from_db()
    assert (activity.title, activity.version) == ("I admin", 3)


def test_a_history_revert_still_reverts_and_is_refused_if_saved_since_it_was_opened(
    admin_client_as: AdminClient, strategist: User, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area, title="Rätt")
    first = goal.history.first()
    goal.title = "Fel"
    goal.save()
    client = admin_client_as("strategist")
    url = _history_url(goal, first)
    opened = admin_form_data(client.get(url))
    goal.description = "Sparat under tiden"
    goal.save()

    stale = client.post(url, opened)
    reverted = client.post(url, admin_form_data(client.get(url)))

    assert stale.status_code == 200
    [error] = conflict_messages(stale)
    assert error.startswith("systemet sparade ändringar ")
    assert error.endswith(
        "efter att du öppnade den här versionen. Inget har återställts: "
        f'<a href="/admin/goals/goal/{goal.pk}/history/">ladda om historiken och återställ '
        "igen</a>."
    )
    assert reverted.status_code == 302
    goal.refresh_from_db()
    assert (goal.title, goal.description, goal.version) == ("Rätt", "", 4)
    assert goal.history.first().history_user == strategist


@pytest.mark.parametrize("role", ["portfolio_owner", "steering_member"])
def test_readers_see_no_version_field_and_still_cannot_save(
    admin_client_as: AdminClient, programme_area: ProgrammeArea, role: str
) -> None:
    goal = GoalFactory(programme_area=programme_area, title="Före")
    client = admin_client_as(role)

    page = client.get(_change_url(goal))
    response = client.post(_change_url(goal), {"title": "Efter", "version": goal.version})

    assert page.status_code == 200
    assert "version" not in page.context["adminform"].form.fields
    assert response.status_code == 403
    goal.refresh_from_db()
    assert goal.title == "Före"


# --- finding 7: observations and adoption keep the grid's and the import's rules --------------


@pytest.mark.parametrize("role", UNIT_WRITERS)
def test_vc_admin_observation_future_period_closed_unit_and_inconsistent_share(
    admin_client_as: AdminClient, org_tree: OrgTree, role: str
) -> None:
    share = MeasureFactory(share=True, name="Andel med plan")
    reported_by_others = MeasureFactory(name="Besök")
    reported_by_others.unit_kinds.set([UnitKindFactory(code="annan-typ")])
    client = admin_client_as(role)
    unit = org_tree.hc1a.pk  # in every writer's scope

    def post(**fields: Any) -> list[str]:
        response = admin_post(client, ADD_OBSERVATION, source="manual", unit=unit, **fields)
        assert response.status_code == 200
        return form_errors(response)

    october = {"period_start": "2025-10-01", "period_end": "2025-10-31"}
    future = post(
        measure=share.pk, period_start="2031-01-01", period_end="2031-01-31", value="1",
        numerator="1", denominator="100",
    )  # fmt: skip
    inconsistent = post(measure=share.pk, value="99", numerator="1", denominator="100", **october)
    above = post(measure=share.pk, value="100", numerator="3", denominator="2", **october)
    half_pair = post(measure=share.pk, value="50", numerator="1", **october)
    value_only = post(measure=share.pk, value="50", **october)
    wrong_kind = post(measure=reported_by_others.pk, value="3", **october)
    org_tree.hc1a.valid_to = datetime.date(2025, 1, 31)
    org_tree.hc1a.save()
    closed = post(measure=share.pk, value="1", numerator="1", denominator="100", **october)

    assert future == ["Perioden jan 2031 har inte börjat än."]
    assert closed == ["Enheten ”Hälsocentral Norrby” var inte verksam under okt 2025."]
    assert inconsistent == [
        "Värdet 99 stämmer inte med täljare ÷ nämnare × 100 = 1 (högst 0,05 ifrån)."
    ]
    assert above == [
        "Täljaren (3) är större än nämnaren (2), men en andel kan inte vara över 100 procent. "
        "Kontrollera talen: har de bytt plats?"
    ]
    assert half_pair == ["Täljare och nämnare måste anges tillsammans."]
    # A share is summed from its parts: its value alone would count as reported and be left out.
    assert value_only == [
        "Måttet ”Andel med plan” är en andel: ange täljare och nämnare (värdet räknas ut)."
    ]
    assert wrong_kind == [
        f"Enheter av typen {org_tree.hc1b.kind.name.lower()} rapporterar inte måttet ”Besök”."
    ]
    assert not Observation.objects.exists()


@pytest.mark.parametrize("role", UNIT_WRITERS)
def test_a_consistent_share_for_an_open_unit_is_still_saved_through_the_admin(
    admin_client_as: AdminClient, org_tree: OrgTree, request: pytest.FixtureRequest, role: str
) -> None:
    share = MeasureFactory(share=True)
    client = admin_client_as(role)

    response = admin_post(
        client, ADD_OBSERVATION, measure=share.pk, unit=org_tree.hc1a.pk,
        period_start="2025-10-01", period_end="2025-10-31", value="33.33", numerator="1",
        denominator="3", source="manual",
    )  # fmt: skip

    assert response.status_code == 302, form_errors(response)
    saved = Observation.objects.get()
    assert (saved.value, saved.source) == (Decimal("33.33"), ImportBatch.Source.MANUAL)
    assert saved.history.get().history_user == request.getfixturevalue(role)


def test_a_correction_moving_a_value_into_a_future_period_is_refused_in_the_admin(
    admin_client_as: AdminClient, org_tree: OrgTree
) -> None:
    observation = ObservationFactory(unit=org_tree.hc1a, value=Decimal(5))
    client = admin_client_as("vc")

    response = admin_post(
        client, _change_url(observation), period_start="2031-03-01", period_end="2031-03-31"
    )

    assert form_errors(response) == ["Perioden mar 2031 har inte börjat än."]
    observation.refresh_from_db()
    assert (observation.period_start, observation.version) == (datetime.date(2025, 10, 1), 1)


# The periods as every range is written (base.periods.days_label), the example too.
NOT_A_MONTH = (
    "Perioden {period} är inte en hel månad, men måttet ”Besök” rapporteras per månad: "
    "perioden ska börja den första och sluta den sista dagen i samma månad, till exempel "
    "{example}."
)
NOT_A_QUARTER = (
    "Perioden {period} är inte ett helt kvartal, men måttet ”Besök per kvartal” "
    "rapporteras per kvartal: perioden ska börja den första dagen i kvartalet och sluta den "
    "sista, till exempel 1 okt–31 dec 2025."
)


@pytest.mark.parametrize("role", UNIT_WRITERS)
def test_an_observation_period_that_is_not_a_whole_month_or_quarter_is_refused_in_the_admin(
    admin_client_as: AdminClient, org_tree: OrgTree, role: str
) -> None:
    monthly = MeasureFactory(name="Besök")
    quarterly = MeasureFactory(name="Besök per kvartal", frequency="quarterly")
    client = admin_client_as(role)

    def post(measure: Any, start: str, end: str) -> list[str]:
        response = admin_post(
            client, ADD_OBSERVATION, source="manual", unit=org_tree.hc1a.pk, measure=measure.pk,
            period_start=start, period_end=end, value="3",
        )  # fmt: skip
        assert response.status_code == 200
        return form_errors(response)

    mid_month = post(monthly, "2025-10-15", "2025-10-31")
    short = post(monthly, "2025-10-01", "2025-10-30")
    two_months = post(monthly, "2025-10-01", "2025-11-30")
    a_month_of_a_quarterly = post(quarterly, "2025-10-01", "2025-10-31")
    mid_quarter = post(quarterly, "2025-11-01", "2026-01-31")

    october = "1–31 okt 2025"
    assert mid_month == [NOT_A_MONTH.format(period="15–31 okt 2025", example=october)]
    assert short == [NOT_A_MONTH.format(period="1–30 okt 2025", example=october)]
    assert two_months == [NOT_A_MONTH.format(period="1 okt–30 nov 2025", example=october)]
    assert a_month_of_a_quarterly == [NOT_A_QUARTER.format(period="1–31 okt 2025")]
    # Across a new year the dash is spaced, as days_label writes such a range.
    assert mid_quarter == [NOT_A_QUARTER.format(period="1 nov 2025 – 31 jan 2026")]
    assert not Observation.objects.exists()

    whole_quarter = admin_post(
        client, ADD_OBSERVATION, source="manual", unit=org_tree.hc1a.pk, measure=quarterly.pk,
        period_start="2025-10-01", period_end="2025-12-31", value="3",
    )  # fmt: skip
    assert whole_quarter.status_code == 302, form_errors(whole_quarter)


@pytest.mark.parametrize("role", UNIT_WRITERS)
def test_an_observation_cannot_be_changed_or_reverted_to_part_of_a_month_in_the_admin(
    admin_client_as: AdminClient, org_tree: OrgTree, role: str
) -> None:
    observation = ObservationFactory(
        unit=org_tree.hc1a, measure=MeasureFactory(name="Besök"), value=Decimal(5)
    )
    # A version written before the rule, with half a month: reverting to it is refused too.
    observation.period_end = datetime.date(2025, 10, 15)
    observation.save()
    half = observation.history.first()
    observation.period_end = datetime.date(2025, 10, 31)
    observation.save()
    client = admin_client_as(role)

    changed = admin_post(client, _change_url(observation), period_end="2025-10-20")
    url = _history_url(observation, half)
    reverted = client.post(url, admin_form_data(client.get(url)))

    expected = NOT_A_MONTH.format(period="1–20 okt 2025", example="1–31 okt 2025")
    assert form_errors(changed) == [expected]
    assert form_errors(reverted) == [expected.replace("1–20 okt", "1–15 okt")]
    observation.refresh_from_db()
    assert (observation.period_end, observation.version) == (datetime.date(2025, 10, 31), 3)


@pytest.mark.parametrize("role", ASSESSORS)  # those who write PO 1's goals
def test_a_goal_baseline_that_is_not_whole_months_is_refused_in_the_admin_and_the_service(
    admin_client_as: AdminClient,
    programme_area: ProgrammeArea,
    request: pytest.FixtureRequest,
    role: str,
) -> None:
    goal = GoalFactory(programme_area=programme_area, measure_relative=True)
    client = admin_client_as(role)

    cut_end = admin_post(client, _change_url(goal), baseline_end="2026-12-30")
    cut_start = admin_post(client, _change_url(goal), baseline_start="2026-12-02")
    with pytest.raises(ValidationError) as refused:
        goal_services.goal_update(
            user=request.getfixturevalue(role),
            goal=goal,
            data={"baseline_start": datetime.date(2026, 11, 15)},
        )

    def message(period: str, example: str = "1–31 dec 2026") -> str:
        return (
            f"Basperioden {period} är inte hela månader: den ska börja den första dagen i en "
            f"månad och sluta den sista dagen i en månad, till exempel {example}."
        )

    assert form_errors(cut_end) == [message("1–30 dec 2026")]
    assert form_errors(cut_start) == [message("2–31 dec 2026")]
    assert refused.value.message_dict == {
        "baseline_start": [message("15 nov–31 dec 2026", "1 nov–31 dec 2026")]
    }
    stored = Goal.objects.get(pk=goal.pk)
    assert (stored.baseline_start, stored.baseline_end, stored.version) == (
        datetime.date(2026, 12, 1),
        datetime.date(2026, 12, 31),
        1,
    )
    admin_save(client, _change_url(stored), baseline_start="2026-10-01")  # whole months: saved


def test_the_service_refuses_a_period_that_is_not_a_whole_month(
    vc: User, org_tree: OrgTree
) -> None:
    with pytest.raises(ValidationError) as refused:
        followup_services.observation_record(
            user=vc, measure=MeasureFactory(name="Besök"), unit=org_tree.hc1a,
            period_start=datetime.date(2025, 10, 2), period_end=datetime.date(2025, 11, 1),
            value=Decimal(1),
        )  # fmt: skip

    assert refused.value.message_dict == {
        "period_start": [NOT_A_MONTH.format(period="2 okt–1 nov 2025", example="1–31 okt 2025")]
    }
    assert not Observation.objects.exists()


def test_a_value_for_the_month_not_yet_ended_is_refused_in_the_admin(
    admin_client_as: AdminClient, org_tree: OrgTree
) -> None:
    today = timezone.localdate()
    first = today.replace(day=1)
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    this_month = {"period_start": first.isoformat(), "period_end": last.isoformat()}
    # The same words as the grid's and the import's refusal (tests/editing checks them).
    refusal = value_rules.not_ended_message(first, quarterly=False)
    observation = ObservationFactory(unit=org_tree.hc1a, value=Decimal(5))
    client = admin_client_as("vc")

    added = admin_post(
        client, ADD_OBSERVATION, source="manual", unit=org_tree.hc1a.pk,
        measure=observation.measure.pk, value="3", **this_month,
    )  # fmt: skip
    moved = admin_post(client, _change_url(observation), **this_month)

    assert f"pågår till och med {last.day} " in refusal
    assert form_errors(added) == [refusal]
    assert form_errors(moved) == [refusal]
    observation.refresh_from_db()
    assert observation.period_start == datetime.date(2025, 10, 1)
    assert Observation.objects.count() == 1


def test_the_service_refuses_what_the_import_refuses(vc: User, org_tree: OrgTree) -> None:
    share = MeasureFactory(share=True)
    start, end = datetime.date(2031, 1, 1), datetime.date(2031, 1, 31)

    with pytest.raises(ValidationError) as future:
        followup_services.observation_record(
            user=vc, measure=share, unit=org_tree.hc1a, period_start=start, period_end=end,
            value=Decimal(1), numerator=Decimal(1), denominator=Decimal(100),
        )  # fmt: skip
    with pytest.raises(ValidationError) as inconsistent:
        followup_services.observation_record(
            user=vc, measure=share, unit=org_tree.hc1a, period_start=datetime.date(2025, 10, 1),
            period_end=datetime.date(2025, 10, 31), value=Decimal(99), numerator=Decimal(1),
            denominator=Decimal(100),
        )  # fmt: skip

    assert future.value.message_dict == {"period_start": ["Perioden jan 2031 har inte börjat än."]}
    assert list(inconsistent.value.message_dict) == ["value"]
    assert not Observation.objects.exists()


@pytest.mark.parametrize("role", UNIT_WRITERS)
def test_vc_admin_changes_imported_value_without_override(
    admin_client_as: AdminClient, org_tree: OrgTree, request: pytest.FixtureRequest, role: str
) -> None:
    imported = ObservationFactory(
        unit=org_tree.hc1a, source=ImportBatch.Source.CYKLOP, value=Decimal("10")
    )
    client = admin_client_as(role)

    admin_save(client, _change_url(imported), value="55")

    imported.refresh_from_db()
    assert (imported.value, imported.source, imported.overrides_source) == (
        Decimal("55"),
        ImportBatch.Source.MANUAL,
        ImportBatch.Source.CYKLOP,
    )
    assert imported.history.first().history_user == request.getfixturevalue(role)


def test_a_change_that_leaves_an_imported_value_as_it_was_keeps_its_source(
    admin_client_as: AdminClient, org_tree: OrgTree
) -> None:
    imported = ObservationFactory(
        unit=org_tree.hc1a, source=ImportBatch.Source.CYKLOP, value=Decimal("10")
    )
    client = admin_client_as("vc")

    admin_save(client, _change_url(imported), comment="Kontrollerat mot journalen.")

    imported.refresh_from_db()
    assert (imported.source, imported.overrides_source, imported.comment) == (
        ImportBatch.Source.CYKLOP,
        "",
        "Kontrollerat mot journalen.",
    )


def test_a_vc_reverting_to_an_imported_version_with_another_value_writes_a_manual_override(
    admin_client_as: AdminClient, org_tree: OrgTree
) -> None:
    observation = ObservationFactory(
        unit=org_tree.hc1a, source=ImportBatch.Source.CYKLOP, value=Decimal("10")
    )
    imported = observation.history.first()
    observation.value, observation.source = Decimal(12), ImportBatch.Source.MANUAL
    observation.overrides_source = ImportBatch.Source.CYKLOP
    observation.save()
    client = admin_client_as("vc")

    url = _history_url(observation, imported)
    response = client.post(url, admin_form_data(client.get(url), value="99"))

    assert response.status_code == 302, form_errors(response)
    observation.refresh_from_db()
    assert (observation.value, observation.source, observation.overrides_source) == (
        Decimal(99),
        ImportBatch.Source.MANUAL,
        ImportBatch.Source.CYKLOP,
    )


@pytest.mark.parametrize("role", ["vc", "vec"])
@pytest.mark.parametrize("source", [ImportBatch.Source.COSMIC, ImportBatch.Source.DEMO])
def test_vc_admin_spoofs_import_source(
    admin_client_as: AdminClient, org_tree: OrgTree, role: str, source: str
) -> None:
    manual = ObservationFactory(unit=org_tree.hc1a, value=Decimal("10"))
    client = admin_client_as(role)
    page = client.get(_change_url(manual))

    changed = client.post(
        _change_url(manual), admin_form_data(page, source=source, overrides_source="vis", value=12)
    )
    added = admin_post(
        client, ADD_OBSERVATION, measure=manual.measure.pk, unit=org_tree.hc1a.pk,
        period_start="2025-11-01", period_end="2025-11-30", value="3", source=source,
        overrides_source="vis",
    )  # fmt: skip

    assert "source" not in page.context["adminform"].form.fields
    assert "overrides_source" not in page.context["adminform"].form.fields
    assert (changed.status_code, added.status_code) == (302, 302)
    assert set(Observation.objects.values_list("source", "overrides_source")) == {
        (ImportBatch.Source.MANUAL, "")
    }
    assert not Observation.objects.filter(source=ImportBatch.Source.DEMO).exists()


@pytest.mark.parametrize("role", ["strategist", "admin_user"])
def test_those_who_edit_everything_still_correct_a_source_in_the_admin(
    admin_client_as: AdminClient, org_tree: OrgTree, role: str
) -> None:
    mislabelled = ObservationFactory(unit=org_tree.hc1a, value=Decimal("10"))
    client = admin_client_as(role)

    admin_save(client, _change_url(mislabelled), source=ImportBatch.Source.COSMIC)

    mislabelled.refresh_from_db()
    assert mislabelled.source == ImportBatch.Source.COSMIC


@pytest.mark.parametrize("role", NOT_UNIT_WRITERS)
def test_roles_without_unit_rights_cannot_add_values_or_adoption_in_the_admin(
    admin_client_as: AdminClient, org_tree: OrgTree, role: str
) -> None:
    client = admin_client_as(role)

    assert client.get(ADD_OBSERVATION).status_code == 403
    assert client.get(ADD_ADOPTION).status_code == 403


@pytest.mark.parametrize("role", UNIT_WRITERS)
def test_vc_admin_adoption_actual_date_in_future(
    admin_client_as: AdminClient,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    role: str,
) -> None:
    method, other = (
        WorkingMethodFactory(programme_area=programme_area, target_unit_kinds=[org_tree.hc1a.kind])
        for _ in range(2)
    )
    record = AdoptionRecordFactory(unit=org_tree.hc1a, working_method=method)
    client = admin_client_as(role)
    today = timezone.localdate()

    added = admin_post(
        client, ADD_ADOPTION, unit=org_tree.hc1a.pk, working_method=other.pk,
        status="infort", actual_date="2031-05-01", comment="",
    )  # fmt: skip
    changed = admin_post(client, _change_url(record), status="infort", actual_date="2031-05-01")
    done_today = admin_post(client, _change_url(record), status="infort", actual_date=today)

    assert form_errors(added) == [str(ERROR_ACTUAL_FUTURE)]
    assert form_errors(changed) == [str(ERROR_ACTUAL_FUTURE)]
    assert done_today.status_code == 302, form_errors(done_today)
    assert list(AdoptionRecord.objects.values_list("working_method", "actual_date")) == [
        (method.pk, today)
    ]


def test_the_adoption_service_refuses_an_actual_date_in_the_future(
    vc: User, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    method = WorkingMethodFactory(programme_area=programme_area)

    with pytest.raises(ValidationError) as refused:
        goal_services.adoption_record_create(
            user=vc, unit=org_tree.hc1a, working_method=method, status="infort",
            actual_date=datetime.date(2031, 5, 1),
        )  # fmt: skip

    assert refused.value.message_dict == {"actual_date": [str(ERROR_ACTUAL_FUTURE)]}
    assert not AdoptionRecord.objects.exists()


def test_an_open_quarter_assessment_keeps_its_status_choices(
    admin_client_as: AdminClient, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area, direction=True)
    client = admin_client_as("programme_owner")

    response = admin_post(
        client, ADD_ASSESSMENT, goal=goal.pk, quarter=_open_quarter(),
        status=Status.ON_TRACK.value, comment="Går enligt plan.",
    )  # fmt: skip

    assert response.status_code == 302
    assert Goal.objects.get().assessments.get().status == Status.ON_TRACK.value
