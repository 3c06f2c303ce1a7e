"""An admin save that changes nothing writes nothing.

A security review found that saving an admin change form where nothing changed (the user's
only "changes" posted by hand into fields that are read-only for them) still bumped the row's
version and wrote a history row with an empty diff: phantom audit entries, and spurious
"saved by someone else" refusals for everyone who had the form open. GonvAdmin now writes
nothing (no version, no history row, no log entry) and says "Inga ändringar att spara.";
changed inline rows are still saved, and a real change still saves with its history.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from programmes import services
from programmes.models import (
    Activity,
    ActivityPlan,
    ProgrammeArea,
    ProgrammeAreaProcess,
    SupportNeed,
)
from tests.admin_forms import admin_form_data
from tests.factories import (
    ActivityFactory,
    ActivityPlanFactory,
    GoalFactory,
    OrgTree,
    SupportingProcessFactory,
    SupportNeedFactory,
)
from tests.security.conftest import AdminClient

pytestmark = pytest.mark.django_db

NOTHING = "Inga ändringar att spara."


def _change_url(obj: Any) -> str:
    opts = obj._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/change/"


def _history_url(obj: Any, version: Any) -> str:
    opts = obj._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/history/{version.history_id}/"


def _post(client: Client, url: str, **changes: Any) -> Any:
    """Open the form, post it with `changes` and follow the redirect to read its message."""
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, admin_form_data(page, **changes), follow=True)


def _said(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _written(obj: Any) -> tuple[int, int, int]:
    """The row's version, its history rows and its admin log entries."""
    return (
        type(obj).objects.get(pk=obj.pk).version,
        obj.history.count(),
        LogEntry.objects.filter(object_id=str(obj.pk)).count(),
    )


@pytest.fixture
def need(org_tree: OrgTree, programme_area: ProgrammeArea) -> SupportNeed:
    return SupportNeedFactory(unit=org_tree.hc1a, programme_area=programme_area, text="Hjälp")


@pytest.mark.parametrize("role", ["vc", "vec"])
def test_a_forged_answer_to_a_support_need_writes_nothing(
    admin_client_as: AdminClient, need: SupportNeed, role: str
) -> None:
    client = admin_client_as(role)
    before = _written(need)

    response = _post(
        client, _change_url(need), status=SupportNeed.Status.CLOSED, response="Klart av mig"
    )

    assert response.redirect_chain[0][1] == 302
    assert _said(response) == [NOTHING]
    assert _written(need) == before
    need.refresh_from_db()
    assert (need.status, need.response) == (SupportNeed.Status.OPEN, "")


def test_an_unchanged_form_does_not_make_another_users_open_form_stale(
    admin_client_as: AdminClient, need: SupportNeed
) -> None:
    other = admin_client_as("vec")
    their_form = admin_form_data(other.get(_change_url(need)), text="Mer hjälp")

    _post(admin_client_as("vc"), _change_url(need))
    saved = other.post(_change_url(need), their_form)

    assert saved.status_code == 302
    need.refresh_from_db()
    assert need.text == "Mer hjälp"


def test_the_strategist_saving_an_unchanged_goal_writes_nothing(
    admin_client_as: AdminClient, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(programme_area=programme_area)
    before = _written(goal)

    response = _post(admin_client_as("strategist"), _change_url(goal))

    assert _said(response) == [NOTHING]
    assert _written(goal) == before


def test_a_real_change_still_saves_with_its_history(
    admin_client_as: AdminClient, need: SupportNeed
) -> None:
    version, records, entries = _written(need)

    response = _post(admin_client_as("vec"), _change_url(need), text="Ny text")

    assert NOTHING not in _said(response)
    assert _written(need) == (version + 1, records + 1, entries + 1)
    assert need.history.first().text == "Ny text"


# --- inline rows ---------------------------------------------------------------------------------


@pytest.fixture
def plan(org_tree: OrgTree, programme_area: ProgrammeArea) -> ActivityPlan:
    plan = ActivityPlanFactory(unit=org_tree.vo1, programme_area=programme_area)
    ActivityFactory(plan=plan, title="Teamrond")
    return plan


def _inline_prefix(client: Client, plan: ActivityPlan) -> str:
    page = client.get(_change_url(plan))
    return str(page.context["inline_admin_formsets"][0].formset.prefix)


def test_a_changed_inline_row_is_saved_though_its_plan_is_unchanged(
    admin_client_as: AdminClient, plan: ActivityPlan
) -> None:
    client = admin_client_as("vc")
    activity = plan.activities.get()
    plan_before, activity_before = _written(plan), _written(activity)
    prefix = _inline_prefix(client, plan)

    response = _post(client, _change_url(plan), **{f"{prefix}-0-title": "Teamrond varje vecka"})

    assert NOTHING not in _said(response)
    assert _written(plan)[:2] == plan_before[:2]  # the plan itself is not written
    assert Activity.objects.get(pk=activity.pk).title == "Teamrond varje vecka"
    version, records, _entries = activity_before
    assert _written(activity)[:2] == (version + 1, records + 1)


def test_an_unchanged_plan_with_unchanged_rows_writes_nothing(
    admin_client_as: AdminClient, plan: ActivityPlan
) -> None:
    activity = plan.activities.get()
    before = (_written(plan), _written(activity))

    response = _post(admin_client_as("vc"), _change_url(plan))

    assert _said(response) == [NOTHING]
    assert (_written(plan), _written(activity)) == before


# --- history revert ------------------------------------------------------------------------------


def test_reverting_to_the_version_as_stored_writes_nothing(
    admin_client_as: AdminClient, need: SupportNeed
) -> None:
    before = _written(need)

    response = _post(admin_client_as("vec"), _history_url(need, need.history.first()))

    assert _said(response) == [NOTHING]
    assert _written(need) == before


def test_reverting_to_an_older_version_still_restores_it(
    admin_client_as: AdminClient, need: SupportNeed
) -> None:
    client = admin_client_as("vec")
    first = need.history.first()
    _post(client, _change_url(need), text="Ändrad")
    version, records, _entries = _written(need)

    response = _post(client, _history_url(need, first))

    assert NOTHING not in _said(response)
    need.refresh_from_db()
    assert need.text == "Hjälp"
    assert _written(need)[:2] == (version + 1, records + 1)


def test_a_revert_that_only_restores_an_areas_links_is_saved_and_said_so(
    admin_client_as: AdminClient, strategist: Any, programme_area: ProgrammeArea
) -> None:
    """The area's fields and owners are as stored; only its supporting processes differ from
    the version (the revert restores them beside the form): that is a change."""
    before = programme_area.history.first()
    services.programme_area_edit(
        user=strategist,
        area=programme_area,
        description=programme_area.description,
        delivery_owners=[],
        supporting_processes=[SupportingProcessFactory(name="Cosmic")],
    )

    response = _post(admin_client_as("strategist"), _history_url(programme_area, before))

    assert NOTHING not in _said(response)
    assert any("har återställts" in message for message in _said(response))
    assert not ProgrammeAreaProcess.objects.filter(programme_area=programme_area).exists()


def test_a_revert_that_only_restores_an_areas_owners_is_saved(
    admin_client_as: AdminClient, strategist: Any, programme_area: ProgrammeArea
) -> None:
    before = programme_area.history.first()
    services.programme_area_edit(
        user=strategist,
        area=programme_area,
        description=programme_area.description,
        delivery_owners=[strategist],
        supporting_processes=[],
    )

    response = _post(admin_client_as("strategist"), _history_url(programme_area, before))

    assert NOTHING not in _said(response)
    assert not programme_area.delivery_owners.exists()
