"""Editing goals and milestones in the browser's HTTP: forms by kind, inline htmx, conflicts,
double submits, history."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from goals.models import Goal
from programmes.models import ProgrammeArea
from tests.factories import GoalFactory, MeasureFactory, UnitKindFactory, WorkingMethodFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(goal: Goal, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": goal.title,
        "description": goal.description,
        "kind": goal.kind,
        "start_date": goal.start_date.isoformat() if goal.start_date else "",
        "deadline": goal.deadline.isoformat() if goal.deadline else "",
        "completed_on": "",
        "evidence_reference": goal.evidence_reference,
        "evidence_url": goal.evidence_url,
        "version": goal.version,
    }
    data.update(changes)
    return data


@pytest.fixture
def milestone(programme_area: ProgrammeArea) -> Goal:
    return GoalFactory(milestone=True, programme_area=programme_area, title="Beslut om instrument")


def test_strategist_changes_a_deadline_inline_and_the_history_shows_it(
    strategist: User, milestone: Goal
) -> None:
    client = login(strategist)
    url = reverse("goals:goal_edit", args=[milestone.pk])

    form = client.get(url, **HTMX)
    assert form.status_code == 200
    assert f'id="goal-{milestone.pk}"' in form.content.decode()
    assert "<html" not in form.content.decode()  # the form alone, swapped in place

    response = client.post(
        url,
        form_data(milestone, deadline="2026-03-31", deadline_reason="Upphandlingen försenad"),
        **HTMX,
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "2026-03-31" in body
    assert "Ändringarna är sparade." in body  # out of band into the message region
    # Only the region's content: the live region itself stays in the page (screen readers).
    assert '<div id="messages" hx-swap-oob="innerHTML">' in body
    milestone.refresh_from_db()
    assert milestone.deadline == datetime.date(2026, 3, 31)
    assert milestone.version == 2
    detail = client.get(reverse("goals:goal_detail", args=[milestone.pk])).content.decode()
    assert "Måldatum" in detail
    assert "31 dec 2025" in detail  # the history, before → after
    assert "31 mar 2026" in detail
    assert strategist.get_full_name() in detail
    assert "Skäl: Upphandlingen försenad" in detail  # the reason, in the history


def test_without_javascript_the_edit_page_redirects_back_with_a_message(
    strategist: User, milestone: Goal
) -> None:
    client = login(strategist)
    url = reverse("goals:goal_edit", args=[milestone.pk])
    assert "<html" in client.get(url).content.decode()

    response = client.post(url, form_data(milestone, title="Nytt namn"), follow=True)

    assert response.redirect_chain[0][0] == reverse("goals:goal_detail", args=[milestone.pk])
    assert "Ändringarna är sparade." in response.content.decode()


def test_a_stale_save_gets_409_with_the_other_users_values_and_changes_nothing(
    strategist: User, admin_user: User, milestone: Goal
) -> None:
    stale = form_data(milestone, title="Min rubrik")
    other = login(admin_user)
    url = reverse("goals:goal_edit", args=[milestone.pk])
    assert other.post(url, form_data(milestone, title="Deras rubrik"), **HTMX).status_code == 200

    response = login(strategist).post(url, stale, **HTMX)

    assert response.status_code == 409
    body = response.content.decode()
    assert "Någon annan hann före" in body
    assert admin_user.get_full_name() in body
    assert "Min rubrik" in body
    assert "Deras rubrik" in body
    assert "Spara mina ändringar" in body
    assert "Ta deras värden" in body
    milestone.refresh_from_db()
    assert milestone.title == "Deras rubrik"
    assert milestone.history.count() == 2  # created + the other user's change only
    assert f'name="overwrite_version" value="{milestone.version}"' in body
    # The conflict form keeps the user's version: an ordinary save is refused again ...
    assert login(strategist).post(url, stale, **HTMX).status_code == 409
    # ... and "Spara mina ändringar" overwrites the version it showed, knowingly.
    keep_mine = {**stale, "keep_mine": "1", "overwrite_version": milestone.version}
    keep = login(strategist).post(url, keep_mine, **HTMX)
    assert keep.status_code == 200
    milestone.refresh_from_db()
    assert milestone.title == "Min rubrik"
    assert milestone.history.count() == 3


def test_keep_mine_is_refused_when_the_row_moved_on_again(
    strategist: User, admin_user: User, milestone: Goal
) -> None:
    url = reverse("goals:goal_edit", args=[milestone.pk])
    shown = milestone.version
    other = login(admin_user)
    assert other.post(url, form_data(milestone, title="Deras")).status_code == 302
    milestone.refresh_from_db()
    # The conflict box showed version `shown + 1`; a third save moves it on again.
    assert other.post(url, form_data(milestone, title="Deras igen")).status_code == 302
    keep_mine = {
        **form_data(milestone, title="Min"),
        "version": shown,
        "keep_mine": "1",
        "overwrite_version": shown + 1,
    }

    response = login(strategist).post(url, keep_mine, **HTMX)

    assert response.status_code == 409
    milestone.refresh_from_db()
    assert milestone.title == "Deras igen"


def test_a_double_submit_of_the_same_change_is_harmless(strategist: User, milestone: Goal) -> None:
    client = login(strategist)
    url = reverse("goals:goal_edit", args=[milestone.pk])
    data = form_data(milestone, title="En gång")

    first = client.post(url, data, **HTMX)
    second = client.post(url, data, **HTMX)

    assert first.status_code == 200
    assert second.status_code == 200
    assert "Inget ändrades" in second.content.decode()
    assert milestone.history.count() == 2


def test_the_form_shows_only_the_fields_of_the_chosen_kind(
    strategist: User, milestone: Goal
) -> None:
    client = login(strategist)
    response = client.get(
        reverse("goals:goal_kind_fields"), {"kind": "adoption", "goal": milestone.pk}, **HTMX
    )
    body = response.content.decode()
    assert 'name="target_share"' in body
    assert 'name="working_method"' in body
    assert 'name="evidence_reference"' not in body
    assert 'name="measure"' not in body


def test_a_stored_target_is_shown_without_trailing_zeros(
    strategist: User, programme_area: ProgrammeArea
) -> None:
    """Målandel 90 is stored as 90.00; the edit form shows 90, not "90.00" (nor "90,00")."""
    goal = GoalFactory(adoption=True, programme_area=programme_area, target_share=Decimal("90"))
    goal.refresh_from_db()
    assert goal.target_share == Decimal("90.00")

    body = login(strategist).get(reverse("goals:goal_edit", args=[goal.pk]), **HTMX)

    field = re.search(r'<input type="number" name="target_share"[^>]*>', body.content.decode())
    assert field is not None
    assert 'value="90"' in field.group(0)


def test_the_fields_a_kind_asks_for_are_marked_required(strategist: User, milestone: Goal) -> None:
    """What clean() asks for with the chosen kind ("Målandel" for an adoption goal) is
    marked as the required fields are: "(obligatoriskt)" and the input's required state."""
    client = login(strategist)
    body = client.get(
        reverse("goals:goal_kind_fields"), {"kind": "adoption", "goal": milestone.pk}, **HTMX
    ).content.decode()
    for name in ("target_share", "working_method", "unit_kind"):
        assert re.search(rf'<label for="id_{name}">[^<]*<span class="required-mark">', body)
        assert re.search(rf'<(?:input|select)\b(?=[^>]*id="id_{name}")[^>]*\brequired\b', body)
    assert 'data-deadline-required="true"' in body
    assert "Visar fälten för typen Införande" in body
    assert "aria-live" not in body

    page = client.get(reverse("goals:goal_edit", args=[milestone.pk])).content.decode()
    assert re.search(r'<label for="id_kind">Typ <span class="required-mark">', page)
    assert re.search(r'<label for="id_deadline">[^<]*<span class="required-mark">', page)

    direction = client.get(
        reverse("goals:goal_kind_fields"), {"kind": "direction", "goal": milestone.pk}, **HTMX
    ).content.decode()
    assert 'data-deadline-required="false"' in direction


@pytest.mark.parametrize(
    ("kind", "extra", "field", "message"),
    [
        ("adoption", {"target_share": ""}, "target_share", "Fyll i fältet."),
        ("adoption", {"target_share": "120"}, "target_share", "100"),
        (
            "measure",
            {"target_value": "", "relative_change_pct": ""},
            "target_value",
            "Ange ett målvärde",
        ),
        (
            "measure",
            {"target_value": "5", "relative_change_pct": "10"},
            "target_value",
            "inte båda",
        ),
        (
            "measure",
            {"target_value": "", "relative_change_pct": "10"},
            "baseline_start",
            "basperiod",
        ),
        ("deliverable", {"deadline": ""}, "deadline", "Ange ett måldatum"),
        ("deliverable", {"evidence_url": "inte en länk"}, "evidence_url", "URL"),
        (
            "deliverable",
            {"start_date": "2026-01-01", "deadline": "2025-01-01"},
            "deadline",
            "före startdatum",
        ),
    ],
)
def test_each_kind_validates_with_a_swedish_message_by_the_field(
    strategist: User, milestone: Goal, kind: str, extra: dict[str, str], field: str, message: str
) -> None:
    hc = UnitKindFactory(hc=True)
    base = {
        "kind": kind,
        "working_method": WorkingMethodFactory(programme_area=milestone.programme_area).pk,
        "unit_kind": hc.pk,
        "target_share": "50",
        "measure": MeasureFactory().pk,
        "target_value": "80",
        "relative_change_pct": "",
        "baseline_start": "",
        "baseline_end": "",
    }
    response = login(strategist).post(
        reverse("goals:goal_edit", args=[milestone.pk]),
        form_data(milestone, **{**base, **extra}),
        **HTMX,
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body
    assert message in body
    milestone.refresh_from_db()
    assert milestone.kind == "deliverable"
    assert milestone.version == 1


def test_saving_another_kind_clears_the_old_kinds_fields(strategist: User, milestone: Goal) -> None:
    milestone.evidence_reference = "HSN 2025/12"
    milestone.save()
    method = WorkingMethodFactory(programme_area=milestone.programme_area)
    data = form_data(
        milestone,
        kind="adoption",
        working_method=method.pk,
        unit_kind=UnitKindFactory(hc=True).pk,
        target_share="50",
    )
    response = login(strategist).post(reverse("goals:goal_edit", args=[milestone.pk]), data, **HTMX)
    assert response.status_code == 200
    milestone.refresh_from_db()
    assert milestone.kind == "adoption"
    assert milestone.target_share == Decimal("50")
    assert milestone.evidence_reference == ""


def test_creating_a_milestone_twice_with_one_token_creates_one(
    strategist: User, milestone: Goal
) -> None:
    parent = milestone.parent
    client = login(strategist)
    url = reverse("goals:goal_create", args=[parent.programme_area_id])
    data = {
        **form_data(milestone, title="Nytt delmål", version=0),
        "overordnat": parent.pk,
        "submit_token": "abc123",
    }
    first = client.post(url, data)
    second = client.post(url, data, follow=True)
    assert first.status_code == 302
    assert Goal.objects.filter(title="Nytt delmål").count() == 1
    assert "redan skickats" in second.content.decode()
    created = Goal.objects.get(title="Nytt delmål")
    assert created.parent == parent
    assert created.code.startswith("nytt-delmal")


def test_milestones_are_reordered(strategist: User, milestone: Goal) -> None:
    second = GoalFactory(
        parent=milestone.parent, programme_area=milestone.programme_area, title="Andra"
    )
    client = login(strategist)
    client.post(reverse("goals:goal_move", args=[second.pk]), {"riktning": "upp"})
    order = list(milestone.parent.milestones.order_by("order", "deadline", "id"))
    assert order == [second, milestone]


def test_delete_removes_the_goal_and_keeps_its_history(strategist: User, milestone: Goal) -> None:
    pk = milestone.pk
    response = login(strategist).post(reverse("goals:goal_delete", args=[pk]))
    assert response.status_code == 302
    assert not Goal.objects.filter(pk=pk).exists()
    assert Goal.history.filter(id=pk, history_type="-").exists()
