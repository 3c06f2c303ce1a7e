"""Restoring a deleted goal or milestone ("Återställ" under Borttagna mål/delmål): the goal
comes back with its id, code, fields and the milestones deleted with it, through
goals.services.goal_restore (the same permission as adding the goal to its area, a "+" history
record saying it was restored, the recompute and cache bump of any goal save); every refusal
writes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.test import Client
from django.urls import reverse

from base.history import RESTORE_CHANGE_REASON
from goals import services
from goals.models import Goal
from organisation.models import Role
from programmes.models import ProgrammeArea
from tests.factories import GoalFactory, UserFactory

pytestmark = pytest.mark.django_db
ONE_DAY = datetime.timedelta(days=1)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def restore_url(goal_id: int) -> str:
    return reverse("goals:goal_restore", args=[goal_id])


@pytest.fixture
def goal(programme_area: ProgrammeArea) -> Goal:
    return GoalFactory(
        programme_area=programme_area,
        code="teamrond-alla-hc",
        title="Teamrond på alla HC",
        description="Införs på alla hälsocentraler.",
        evidence_reference="Beslut HSL 2025-03",
        deadline=datetime.date(2026, 12, 31),
    )


@pytest.fixture
def milestones(goal: Goal) -> list[Goal]:
    return [
        GoalFactory(
            programme_area=goal.programme_area,
            parent=goal,
            code=f"teamrond-{n}",
            title=f"Teamrond steg {n}",
            deadline=datetime.date(2025, 6 * n, 30),
            order=n,
        )
        for n in (1, 2)
    ]


@pytest.fixture
def deleted(strategist: User, goal: Goal, milestones: list[Goal]) -> int:
    """The goal deleted, with its milestones, by the strategist through the page."""
    response = login(strategist).post(reverse("goals:goal_delete", args=[goal.pk]))
    assert response.status_code == 302
    assert not Goal.objects.filter(pk__in=[goal.pk, *(m.pk for m in milestones)]).exists()
    return goal.pk


def snapshot() -> tuple[Any, ...]:
    history = Goal.history.model
    return (
        sorted(Goal.objects.values_list("pk", "code", "version")),
        history.objects.count(),
    )


# --- the strategist restores ------------------------------------------------------------------


def test_the_strategist_restores_a_deleted_goal_with_its_milestones(
    strategist: User, goal: Goal, milestones: list[Goal], deleted: int
) -> None:
    client = login(strategist)
    area_page = client.get(reverse("goals:area", args=[goal.programme_area_id])).content.decode()
    assert f'action="{restore_url(goal.pk)}"' in area_page
    assert "Återställ<span" in area_page

    response = client.post(restore_url(goal.pk), follow=True)

    assert response.redirect_chain[-1][0] == reverse("goals:goal_detail", args=[goal.pk])
    assert "”Teamrond på alla HC” är återställt." in response.content.decode()
    restored = Goal.objects.get(pk=goal.pk)
    assert (restored.code, restored.title, restored.description) == (
        "teamrond-alla-hc",
        "Teamrond på alla HC",
        "Införs på alla hälsocentraler.",
    )
    assert restored.evidence_reference == "Beslut HSL 2025-03"
    assert restored.deadline == datetime.date(2026, 12, 31)
    assert restored.programme_area_id == goal.programme_area_id
    assert list(restored.milestones.order_by("order").values_list("pk", "code", "title")) == [
        (m.pk, m.code, m.title) for m in milestones
    ]
    # No longer listed as deleted.
    area_page = client.get(reverse("goals:area", args=[goal.programme_area_id])).content.decode()
    assert "Borttagna mål" not in area_page
    assert "Teamrond på alla HC" in area_page


def test_the_restored_goal_is_on_the_goal_page_and_the_programme_area_page(
    strategist: User, goal: Goal, milestones: list[Goal], deleted: int
) -> None:
    client = login(strategist)
    assert client.get(reverse("goal_detail", kwargs={"code": goal.code})).status_code == 404
    client.post(restore_url(goal.pk))

    goal_page = client.get(reverse("goal_detail", kwargs={"code": goal.code}))
    assert goal_page.status_code == 200
    assert "Teamrond på alla HC" in goal_page.content.decode()
    for milestone in milestones:
        page = client.get(reverse("goal_detail", kwargs={"code": milestone.code}))
        assert page.status_code == 200
        assert milestone.title in page.content.decode()
    area = goal.programme_area
    area_page = client.get(reverse("programme_area_detail", kwargs={"number": area.number}))
    assert "Teamrond på alla HC" in area_page.content.decode()


def test_the_history_shows_the_restore_with_who_did_it(
    strategist: User, goal: Goal, milestones: list[Goal], deleted: int
) -> None:
    login(strategist).post(restore_url(goal.pk))

    for pk in (goal.pk, *(m.pk for m in milestones)):
        latest = Goal.history.filter(id=pk).order_by("-history_date", "-history_id").first()
        assert latest is not None
        assert latest.history_type == "+"
        assert latest.history_change_reason == RESTORE_CHANGE_REASON
        assert latest.history_user == strategist
    # The earlier records stay: created, deleted, restored.
    kinds = list(Goal.history.filter(id=goal.pk).order_by("history_date", "history_id"))
    assert [r.history_type for r in kinds] == ["+", "-", "+"]
    page = login(strategist).get(reverse("goals:goal_history", args=[goal.pk]))
    body = page.content.decode()
    # "Sara Strateg, 2 dec 2026 15:00: återställd" above the fields it came back with.
    assert f"<strong>{strategist.get_full_name()}</strong>" in body
    assert "återställd</p>" in body
    assert "borttagen</p>" in body
    assert "Skäl:" not in body


def test_a_restore_marks_the_recompute_and_the_dashboards_cache(
    strategist: User, goal: Goal, deleted: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import followup.signals

    calls: list[str] = []
    monkeypatch.setattr(
        followup.signals.triggers, "request_recompute", lambda *a, **k: calls.append("recompute")
    )
    monkeypatch.setattr(
        followup.signals, "bump_generation_on_change", lambda *a, **k: calls.append("cache")
    )

    services.goal_restore(user=strategist, goal_id=goal.pk)

    assert "recompute" in calls
    assert "cache" in calls


def test_the_programme_owner_restores_a_goal_of_their_own_area(
    programme_owner: User, goal: Goal, deleted: int
) -> None:
    response = login(programme_owner).post(restore_url(goal.pk))
    assert response.status_code == 302
    assert Goal.objects.filter(pk=goal.pk).exists()


def test_a_milestone_deleted_on_its_own_is_restored_from_its_goals_page(
    strategist: User, goal: Goal, milestones: list[Goal]
) -> None:
    client = login(strategist)
    client.post(reverse("goals:goal_delete", args=[milestones[0].pk]))
    page = client.get(reverse("goals:goal_detail", args=[goal.pk])).content.decode()
    assert "Borttagna delmål" in page
    assert f'action="{restore_url(milestones[0].pk)}"' in page

    response = client.post(restore_url(milestones[0].pk))

    assert response.status_code == 302
    assert Goal.objects.get(pk=milestones[0].pk).parent_id == goal.pk


def test_a_milestone_deleted_before_its_goal_stays_deleted_when_the_goal_is_restored(
    strategist: User, goal: Goal, milestones: list[Goal]
) -> None:
    first = milestones[0]
    services.goal_delete(user=strategist, goal=first)
    # Deleted well before the goal (another day), not by the goal's delete.
    Goal.history.filter(id=first.pk).update(history_date=F("history_date") - ONE_DAY)
    services.goal_delete(user=strategist, goal=goal)

    services.goal_restore(user=strategist, goal_id=goal.pk)

    assert list(Goal.objects.filter(parent_id=goal.pk).values_list("pk", flat=True)) == [
        milestones[1].pk
    ]
    # …and is listed, with its own button, on the restored goal's page.
    page = login(strategist).get(reverse("goals:goal_detail", args=[goal.pk])).content.decode()
    assert f'action="{restore_url(first.pk)}"' in page


def test_a_goal_deleted_restored_and_deleted_again_is_listed_once_and_restored_again(
    strategist: User, goal: Goal, deleted: int
) -> None:
    services.goal_restore(user=strategist, goal_id=goal.pk)
    services.goal_delete(user=strategist, goal=Goal.objects.get(pk=goal.pk))
    page = login(strategist).get(reverse("goals:area", args=[goal.programme_area_id]))
    assert page.content.decode().count("Målet ”Teamrond på alla HC” togs bort") == 1

    services.goal_restore(user=strategist, goal_id=goal.pk)
    assert Goal.objects.filter(pk=goal.pk).exists()


# --- refused: nothing written -----------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["vc", "vec", "steering_member", "portfolio_owner", "no_role_user", "other_owner"]
)
def test_a_user_who_may_not_write_the_area_is_refused_and_nothing_is_written(
    role: str, goal: Goal, deleted: int, other_programme_area: ProgrammeArea,
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    if role == "other_owner":
        user = UserFactory(
            username="po2", role=Role.PROGRAMME_OWNER, role__programme_area=other_programme_area
        )
    else:
        user = request.getfixturevalue(role)
    before = snapshot()

    response = login(user).post(restore_url(goal.pk))

    assert response.status_code == 403
    assert snapshot() == before
    with pytest.raises(PermissionDenied, match="behörighet"):
        services.goal_restore(user=user, goal_id=goal.pk)
    assert snapshot() == before


@pytest.mark.parametrize("role", ["vc", "steering_member", "other_owner"])
def test_the_restore_button_is_shown_only_to_those_who_may_restore(
    role: str, goal: Goal, deleted: int, other_programme_area: ProgrammeArea,
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    if role == "other_owner":
        user = UserFactory(
            username="po2", role=Role.PROGRAMME_OWNER, role__programme_area=other_programme_area
        )
    else:
        user = request.getfixturevalue(role)
    page = login(user).get(reverse("goals:area", args=[goal.programme_area_id])).content.decode()
    assert "Målet ”Teamrond på alla HC” togs bort" in page
    assert restore_url(goal.pk) not in page


def test_a_get_is_not_a_restore(strategist: User, goal: Goal, deleted: int) -> None:
    assert login(strategist).get(restore_url(goal.pk)).status_code == 405
    assert not Goal.objects.filter(pk=goal.pk).exists()


def test_a_restore_without_the_csrf_token_is_refused(
    strategist: User, goal: Goal, deleted: int
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(strategist)
    assert client.post(restore_url(goal.pk)).status_code == 403
    assert not Goal.objects.filter(pk=goal.pk).exists()


def test_a_goal_whose_code_is_used_again_is_not_restored(
    strategist: User, goal: Goal, milestones: list[Goal], deleted: int
) -> None:
    GoalFactory(programme_area=goal.programme_area, code="teamrond-2", title="Ny teamrond")
    before = snapshot()

    response = login(strategist).post(restore_url(goal.pk), follow=True)

    assert snapshot() == before
    body = response.content.decode()
    assert (
        "”Teamrond steg 2” kan inte återställas: dess kod ”teamrond-2” används nu av "
        "”Ny teamrond”. Inget har återställts."
    ) in body
    # Back on the area's page, where the goal is still listed as deleted.
    assert response.redirect_chain[-1][0] == reverse("goals:area", args=[goal.programme_area_id])
    assert "Målet ”Teamrond på alla HC” togs bort" in body


def test_a_goal_whose_programme_area_is_gone_is_not_restored(
    strategist: User, goal: Goal, deleted: int
) -> None:
    ProgrammeArea.objects.filter(pk=goal.programme_area_id).delete()
    before = snapshot()

    with pytest.raises(ValidationError) as refusal:
        services.goal_restore(user=strategist, goal_id=goal.pk)

    assert refusal.value.messages == [
        "”Teamrond på alla HC” kan inte återställas: programområdet det hörde till finns inte "
        "längre. Inget har återställts."
    ]
    assert snapshot() == before


def test_a_milestone_whose_goal_is_gone_is_not_restored(
    strategist: User, goal: Goal, milestones: list[Goal]
) -> None:
    first = milestones[0]
    services.goal_delete(user=strategist, goal=first)
    Goal.history.filter(id=first.pk).update(history_date=F("history_date") - ONE_DAY)
    services.goal_delete(user=strategist, goal=goal)
    before = snapshot()

    with pytest.raises(ValidationError) as refusal:
        services.goal_restore(user=strategist, goal_id=first.pk)

    assert refusal.value.messages == [
        "Delmålet ”Teamrond steg 1” kan inte återställas: målet det hörde till finns inte "
        "längre. Återställ det målet först. Inget har återställts."
    ]
    assert snapshot() == before


def test_a_goal_no_longer_valid_as_it_was_is_not_restored_and_nothing_is_written(
    strategist: User, goal: Goal
) -> None:
    """The goal is saved first, then its adoption milestone, whose working method was deleted
    meanwhile: refused, and the goal saved before it is rolled back with it."""
    milestone = GoalFactory(
        programme_area=goal.programme_area, parent=goal, adoption=True, title="Hälften av HC",
        target_share=Decimal("50"), deadline=datetime.date(2026, 6, 30),
    )  # fmt: skip
    method = milestone.working_method
    services.goal_delete(user=strategist, goal=goal)
    method.delete()
    before = snapshot()

    with pytest.raises(ValidationError) as refusal:
        services.goal_restore(user=strategist, goal_id=goal.pk)

    assert refusal.value.messages[0].startswith("”Hälften av HC” kan inte återställas:")
    assert refusal.value.messages[0].endswith("Inget har återställts.")
    assert snapshot() == before


def test_a_goal_restored_meanwhile_is_not_restored_twice(
    strategist: User, goal: Goal, deleted: int
) -> None:
    services.goal_restore(user=strategist, goal_id=goal.pk)
    before = snapshot()

    with pytest.raises(Goal.DoesNotExist):
        services.goal_restore(user=strategist, goal_id=goal.pk)
    assert login(strategist).post(restore_url(goal.pk)).status_code == 404
    assert snapshot() == before


def test_a_goal_never_deleted_has_nothing_to_restore(strategist: User, goal: Goal) -> None:
    assert login(strategist).post(restore_url(goal.pk)).status_code == 404
    assert login(strategist).post(restore_url(999999)).status_code == 404
