"""The admin's history and revert pages (django-simple-history) in Swedish, reverts recorded.

The reviewer saw them half in English: the package's text, "Historical mål" and "goals" in the
breadcrumbs, "None" for a missing reason or user and "100.00 → 90.00" for a share.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.test import Client, override_settings
from django.utils import timezone

from goals.models import Goal
from programmes.models import ProgrammeArea
from tests.admin_forms import admin_form_data, admin_save
from tests.factories import GoalFactory

pytestmark = pytest.mark.django_db

# English the reviewer found on these pages (django-simple-history's own words and values).
ENGLISH = [
    "Choose a date",
    "Press the",
    "Object",
    "Comment",
    "Changed by",
    "Change reason",
    "Changes",
    "Changed",
    "Created",
    "None",
    "Historical",
    "Revert",
    "Goals",
    "History",
    "Home",
]


def visible_text(html: str) -> str:
    """The page's text as a reader gets it (no tags, scripts or styles), spaces collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    text = text.replace("&nbsp;", " ").replace("&rarr;", "→").replace("&rsaquo;", "›")
    return re.sub(r"\s+", " ", text)


def english_in(text: str) -> list[str]:
    return [word for word in ENGLISH if re.search(rf"\b{re.escape(word)}\b", text)]


@pytest.fixture
def goal(strategist: User, programme_area: ProgrammeArea) -> Goal:
    """A goal created outside a request (no user, no reason), then changed in the admin."""
    goal = GoalFactory(
        programme_area=programme_area,
        title="Teamrond infört på samtliga hälsocentraler",
        target_share=Decimal("100"),
    )
    return goal


def test_the_history_page_is_swedish_with_swedish_numbers_and_no_none(
    strategist_client: Client, goal: Goal
) -> None:
    admin_save(strategist_client, f"/admin/goals/goal/{goal.pk}/change/", target_share="90")

    page = strategist_client.get(f"/admin/goals/goal/{goal.pk}/history/")

    assert page.status_code == 200
    text = visible_text(page.content.decode())
    assert english_in(text) == []
    assert "Välj en tidpunkt i listan nedan för att återställa en tidigare version." in text
    for heading in ["Post", "Kommentar", "Ändrad av", "Orsak", "Ändringar"]:
        assert heading in text
    assert "Skapad" in text
    assert "Ändrad" in text
    assert "Målandel: 100 % → 90 %" in text
    assert "100.00" not in text


def test_the_revert_page_is_swedish_and_its_breadcrumbs_name_the_model(
    strategist_client: Client, goal: Goal
) -> None:
    first = goal.history.earliest()
    admin_save(strategist_client, f"/admin/goals/goal/{goal.pk}/change/", target_share="90")

    page = strategist_client.get(f"/admin/goals/goal/{goal.pk}/history/{first.history_id}/")

    assert page.status_code == 200
    html = page.content.decode()
    text = visible_text(html)
    assert english_in(text) == []
    assert "Tryck på ”Återställ” nedan för att återställa denna version." in text
    breadcrumbs = visible_text(re.search(r'<div class="breadcrumbs">.*?</div>', html, re.S)[0])
    assert breadcrumbs.strip() == (
        "Hem › Mål › Mål › Mål: Teamrond infört på samtliga hälsocentraler › Historik › "
        "Återställ version"
    )
    assert 'value="Återställ"' in html


def test_a_revert_is_recorded_with_the_version_it_went_back_to(
    strategist_client: Client, strategist: User, goal: Goal
) -> None:
    first = goal.history.earliest()
    Goal.history.filter(history_id=first.history_id).update(
        history_date=timezone.make_aware(datetime.datetime(2026, 10, 13, 10, 0))
    )
    admin_save(strategist_client, f"/admin/goals/goal/{goal.pk}/change/", target_share="90")
    url = f"/admin/goals/goal/{goal.pk}/history/{first.history_id}/"

    response = strategist_client.post(url, admin_form_data(strategist_client.get(url)))

    assert response.status_code == 302
    # What went back to which version (not Django's "Ändrade mål “Mål: …”.").
    after = visible_text(strategist_client.get(response["Location"]).content.decode())
    assert (
        "Mål ”Teamrond infört på samtliga hälsocentraler” har återställts till versionen från "
        "13 okt 2026 10:00." in after
    )
    assert "Ändrade" not in after
    goal.refresh_from_db()
    assert goal.target_share == Decimal("100")
    revert = goal.history.latest()
    assert revert.history_user == strategist
    assert revert.history_change_reason == "Återställd till versionen från 13 okt 2026 10:00"
    # The ordinary change before it has no reason, shown as a dash.
    text = visible_text(
        strategist_client.get(f"/admin/goals/goal/{goal.pk}/history/").content.decode()
    )
    assert "Återställd till versionen från 13 okt 2026 10:00" in text
    assert "Målandel: 90 % → 100 %" in text
    assert english_in(text) == []


def test_an_ordinary_change_in_the_admin_has_no_revert_reason(
    strategist_client: Client, goal: Goal
) -> None:
    admin_save(strategist_client, f"/admin/goals/goal/{goal.pk}/change/", target_share="90")

    assert goal.history.latest().history_change_reason is None


def test_the_milestone_inline_names_each_milestone_once(
    strategist_client: Client, goal: Goal
) -> None:
    GoalFactory(
        programme_area=goal.programme_area,
        parent=goal,
        title="Teamrond infört på 50 % av hälsocentralerna",
    )

    page = strategist_client.get(f"/admin/goals/goal/{goal.pk}/change/")

    text = visible_text(page.content.decode())
    assert "Delmål: Teamrond infört på 50 % av hälsocentralerna" in text
    assert "Delmål: Delmål:" not in text


def test_a_missing_or_stale_compiled_catalogue_is_reported(tmp_path: Path) -> None:
    messages = tmp_path / "sv" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "django.po").write_text('msgid ""\nmsgstr ""\n')

    with override_settings(LOCALE_PATHS=[tmp_path]):
        missing = [message.id for message in run_checks()]
        (messages / "django.mo").write_bytes(b"")
        compiled = [message.id for message in run_checks()]

    assert "gonv.W001" in missing
    assert "gonv.W001" not in compiled


def test_a_long_value_in_the_history_starts_shortened_with_the_whole_behind_details(
    strategist_client: Client, goal: Goal
) -> None:
    long_text = "Beskrivning " + "x" * 8000
    admin_save(strategist_client, f"/admin/goals/goal/{goal.pk}/change/", description=long_text)

    html = strategist_client.get(f"/admin/goals/goal/{goal.pk}/history/").content.decode()

    assert html.count(long_text) == 1  # once, inside <details>, not in the row's first view
    assert '<details class="history-long"><summary>' in html
    assert "Visa hela texten" in html
    assert "Beskrivning xxxx" in html.split('<details class="history-long">')[1][:300]
