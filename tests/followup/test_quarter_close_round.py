"""The quarterly close as the strategist, the portfolio owner and the steering group play it:
the dashboards of a closed quarter recomputed since, quarters that have not started, the
send-backs kept on the report, the stale page of the user's own other tab, and the programme
area's overall status on its page."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, timezone, translation

from base.periods import Quarter
from followup.cache import bump_generation
from followup.models import ERROR_REPORT_STALE, ERROR_REPORT_STALE_OWN, ComputeRun, GoalResult
from goals.status import Status
from tests.followup.dashboard_data import LATEST, DashboardData, dashboard_data_create
from tests.followup.test_quarter_report import (
    SMALL,
    _refusal,
    action_url,
    close,
    page_url,
    report_of,
    user_with,
)


@pytest.fixture
def data(db: None) -> DashboardData:
    return dashboard_data_create(**SMALL)


def _text(content: bytes) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", content.decode()).split())


def _late_recompute(quarter: Quarter = LATEST) -> None:
    """A value reported after the close, and the recompute that changed the quarter's rows."""
    now = timezone.now()
    ComputeRun.objects.create(
        quarter=quarter.code,
        started_at=now - datetime.timedelta(seconds=5),
        finished_at=now,
        measure_rows=3,
    )
    bump_generation()  # as the engine does after writing


def _dashboards(data: DashboardData) -> dict[str, str]:
    query = f"?kvartal={LATEST.code}"
    return {
        "Portfölj": reverse("home") + query,
        "Programområde": reverse(
            "programme_area_detail", kwargs={"number": data.programme_area.number}
        )
        + query,
        "Mått": reverse("measure_detail", args=[data.measures[0].code]) + query,
    }


# --- 1. the dashboards of a closed quarter say when they differ from its report ----------------


def test_the_dashboards_of_an_approved_quarter_recomputed_since_say_so_with_a_link(
    client: Client, data: DashboardData
) -> None:
    strategist, owner = user_with("strateg", data), user_with("portfoljagare", data)
    closed = close(data, strategist)
    client.force_login(owner)
    client.post(action_url("godkann"), {"confirmed": "1", "version": closed.version})
    client.force_login(user_with("styrgrupp", data))
    before = {name: client.get(url).content for name, url in _dashboards(data).items()}

    _late_recompute()
    after = {name: client.get(url).content for name, url in _dashboards(data).items()}

    report = report_of(data)
    assert report is not None
    assert report.approved_at is not None
    with translation.override("sv"):
        day = dateformat.format(timezone.localtime(report.approved_at), "j b Y")  # "1 dec 2026"
    for name, content in after.items():
        text = _text(content)
        assert "Kvartalsrapporten för Kv 4 2025 godkändes" in text, name
        assert (
            "värdena här har räknats om sedan rapporten fastställdes och kan skilja sig från "
            "rapporten." in text
        ), name
        assert f"godkändes {day};" in text, name
        assert f'<a href="{page_url()}">Öppna kvartalsrapporten för Kv 4 2025</a>' in (
            content.decode()
        ), name
    # Before the recompute the values are the report's: nothing to say.
    for name, content in before.items():
        assert "räknats om" not in content.decode(), name
    # The report keeps its frozen body and says the same on its own page.
    assert "har räknats om sedan rapporten fastställdes" in client.get(page_url()).content.decode()


def test_a_closed_report_recomputed_since_is_said_on_the_dashboards_too(
    client: Client, data: DashboardData
) -> None:
    closed = close(data, user_with("strateg", data))
    _late_recompute()
    client.force_login(user_with("poansvarig", data))

    for name, url in _dashboards(data).items():
        text = _text(client.get(url).content)
        assert "Kvartalsrapporten för Kv 4 2025 fastställdes" in text, name
        assert "räknats om sedan dess och kan skilja sig från rapporten." in text, name
    # The approval renews the cached pages: they say it is approved now.
    client.force_login(user_with("portfoljagare", data))
    client.post(action_url("godkann"), {"confirmed": "1", "version": closed.version})
    for name, url in _dashboards(data).items():
        text = _text(client.get(url).content)
        assert "Kvartalsrapporten för Kv 4 2025 godkändes" in text, name
    # Another quarter's pages, and a draft quarter's, say nothing of it.
    other = client.get(reverse("home") + f"?kvartal={LATEST.previous().code}").content.decode()
    assert "kan skilja sig från rapporten" not in other


def test_a_report_sent_back_to_draft_is_not_said_on_the_dashboards(
    client: Client, data: DashboardData
) -> None:
    closed = close(data, user_with("strateg", data))
    client.force_login(user_with("portfoljagare", data))
    client.post(action_url("skicka-tillbaka"), {"version": closed.version, "comment": "Mer."})
    _late_recompute()

    for name, url in _dashboards(data).items():
        assert "kan skilja sig från rapporten" not in client.get(url).content.decode(), name


# --- 2. a quarter that has not started has no report -------------------------------------------


def test_a_quarter_that_has_not_started_has_no_report_and_no_link(
    client: Client, data: DashboardData
) -> None:
    today = timezone.localdate()
    upcoming = Quarter.containing(today).next()
    client.force_login(user_with("styrgrupp", data))

    page = client.get(page_url(upcoming))
    far = client.get(page_url(Quarter(2099, 1)))
    portfolio = client.get(reverse("home"), {"kvartal": upcoming.code}).content.decode()
    ongoing = client.get(page_url(Quarter.containing(today)))

    assert page.status_code == 404
    assert f"{upcoming.label} har inte börjat" in page.content.decode()
    assert "kvartalsrapport" in page.content.decode()
    assert "pågår till och med" not in page.content.decode()
    assert far.status_code == 404
    assert "Kv 1 2099 har inte börjat" in far.content.decode()
    assert f"Kvartalsrapport för {upcoming.label}" not in portfolio
    assert page_url(upcoming) not in portfolio
    # The quarter under way has its draft.
    assert ongoing.status_code == 200


# --- 3. the send-backs stay on the report ----------------------------------------------------


def test_each_send_back_stays_on_the_approved_report_for_every_reader(
    client: Client, data: DashboardData
) -> None:
    strategist, owner = user_with("strateg", data), user_with("portfoljagare", data)
    owner.first_name, owner.last_name = "Pia", "Portfölj"
    owner.save()
    client.force_login(strategist)
    client.post(action_url("stang"), {"version": 0, "comment": "Första."})
    client.force_login(owner)
    client.post(action_url("skicka-tillbaka"), {"version": 1, "comment": "Saknar PO 2."})
    client.force_login(strategist)
    client.post(action_url("stang"), {"version": 2, "comment": "Nu med PO 2."})
    client.force_login(owner)
    client.post(action_url("skicka-tillbaka"), {"version": 3, "comment": "Och PO 3."})
    client.force_login(strategist)
    client.post(action_url("stang"), {"version": 4, "comment": "Nu med PO 2 och 3."})
    client.force_login(owner)
    client.post(action_url("godkann"), {"confirmed": "1", "version": 5})

    report = report_of(data)
    assert report is not None
    assert report.status == "godkand"
    assert report.return_comment == ""  # the fields are cleared; the history keeps them
    for role in ("styrgrupp", "vc", "strateg"):
        client.force_login(user_with(role, data) if role != "strateg" else strategist)
        text = _text(client.get(page_url()).content)
        first = text.index("Skickades tillbaka av Pia Portfölj")
        second = text.index("Skickades tillbaka av Pia Portfölj", first + 1)
        assert "Saknar PO 2." in text[first:second], role
        assert "Och PO 3." in text[second:], role
        assert "Nu med PO 2 och 3." in text, role


def test_a_draft_sent_back_shows_its_send_back_once(client: Client, data: DashboardData) -> None:
    closed = close(data, user_with("strateg", data))
    client.force_login(user_with("portfoljagare", data))
    client.post(action_url("skicka-tillbaka"), {"version": closed.version, "comment": "Mer."})

    text = _text(client.get(page_url()).content)

    assert text.count("Skickades tillbaka av") == 1
    assert "Mer." in text


# --- 5. the user's own other tab --------------------------------------------------------------


def test_approving_in_a_second_tab_says_it_was_the_users_own_change(
    client: Client, data: DashboardData
) -> None:
    closed = close(data, user_with("strateg", data))
    client.force_login(user_with("portfoljagare", data))
    client.post(action_url("godkann"), {"confirmed": "1", "version": closed.version})

    second_tab = client.post(
        action_url("godkann"), {"confirmed": "1", "version": closed.version}, follow=True
    )

    assert _refusal(second_tab) == [str(ERROR_REPORT_STALE_OWN)]
    assert "Du har själv ändrat rapporten (t.ex. i en annan flik)" in second_tab.content.decode()
    assert "Någon annan" not in second_tab.content.decode()
    assert str(ERROR_REPORT_STALE).startswith("Någon annan har ändrat rapporten")
    assert "Ingen av dina ändringar har sparats" in str(ERROR_REPORT_STALE)


# --- 6. the programme area's overall status on its page ----------------------------------------


def test_the_area_page_shows_the_areas_overall_status_as_portfolio_does(
    client: Client, data: DashboardData
) -> None:
    GoalResult.objects.filter(goal=data.goals[0], quarter=LATEST.code).update(
        status=Status.AT_RISK.value
    )
    bump_generation()
    client.force_login(user_with("styrgrupp", data))
    query = {"kvartal": LATEST.code}

    area = _text(
        client.get(
            reverse("programme_area_detail", kwargs={"number": data.programme_area.number}),
            query,
        ).content
    )
    portfolio = _text(client.get(reverse("home"), query).content)

    assert "Samlad status: Risk" in portfolio
    assert "Samlad status: Risk" in area
