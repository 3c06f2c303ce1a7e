"""The quarterly report as the strategist and the portfolio owner hand it to each other: one day
the countdowns count from, the strategist's comment kept through a reopen or a send-back, the
action URLs answering a GET, and Portfölj saying whose turn it is."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from base.periods import Quarter, day_label
from followup.models import QuarterReport
from goals.models import Goal
from tests.followup.dashboard_data import LATEST, DashboardData, dashboard_data_create
from tests.followup.test_quarter_report import (
    ROLES,
    SMALL,
    action_url,
    page_url,
    report_of,
    user_with,
)

ACTIONS = ["stang", "oppna", "godkann", "skicka-tillbaka"]


@pytest.fixture
def data(db: None) -> DashboardData:
    return dashboard_data_create(**SMALL)


def text(response: object) -> str:
    """The page as a reader gets it: tags dropped, whitespace collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())  # type: ignore[attr-defined]
    return " ".join(html.unescape(body).split())


def textarea(response: object, name: str) -> str:
    """What the comment field of an action holds."""
    found = re.search(
        rf'<textarea id="report-{name}-comment"[^>]*>(.*?)</textarea>',
        response.content.decode(),  # type: ignore[attr-defined]
        re.S,
    )
    assert found, name
    return html.unescape(found.group(1))


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- one day to count from ---------------------------------------------------------------------


def test_an_ended_quarter_counts_every_deadline_from_its_last_day(data: DashboardData) -> None:
    goal = Goal.objects.get(programme_area=data.programme_area, parent=None, title="Mål 0")
    Goal.objects.filter(pk=goal.pk).update(deadline=LATEST.end + datetime.timedelta(days=30))
    client = login(user_with("strateg", data))
    basis = "Dagar till måldatum räknas från 31 dec 2025, kvartalets sista dag."
    # From today it would be another number (LATEST has ended).
    from_today = (LATEST.end + datetime.timedelta(days=30) - timezone.localdate()).days

    draft = text(client.get(page_url()))
    portfolio = text(client.get(reverse("home") + f"?kvartal={LATEST.code}"))
    client.post(action_url("stang"), {"version": 0})
    frozen = text(client.get(page_url()))

    for name, page in {"draft": draft, "portfolio": portfolio, "frozen": frozen}.items():
        assert basis in page, name
        assert "(om 30 dagar)" in page, name  # the goal's line
        assert "30 jan 2026 om 30 dagar" in page, name  # the deadline table
        assert f"om {from_today} dagar" not in page, name


def test_the_ongoing_quarter_counts_from_today(data: DashboardData) -> None:
    today = timezone.localdate()
    current = Quarter.containing(today)
    goal = Goal.objects.get(programme_area=data.programme_area, parent=None, title="Mål 0")
    Goal.objects.filter(pk=goal.pk).update(deadline=today + datetime.timedelta(days=12))
    client = login(user_with("strateg", data))

    page = text(client.get(page_url(current)))

    assert f"Dagar till måldatum räknas från {day_label(today)}, i dag." in page
    assert "(om 12 dagar)" in page


# --- the strategist's comment ------------------------------------------------------------------


def test_the_strategists_comment_survives_a_reopen_and_a_send_back(data: DashboardData) -> None:
    strategist = login(user_with("strateg", data))
    owner = login(user_with("portfoljagare", data))

    strategist.post(action_url("stang"), {"version": 0, "comment": "Läget i PO 1 är oklart."})
    strategist.post(action_url("oppna"), {"version": 1, "comment": "Fel i PO 2."})
    reopened = strategist.get(page_url())
    # As the page posts it: the field as it was filled in.
    strategist.post(action_url("stang"), {"version": 2, "comment": textarea(reopened, "stang")})
    owner.post(action_url("skicka-tillbaka"), {"version": 3, "comment": "Förklara PO 1."})
    returned = strategist.get(page_url())
    strategist.post(action_url("stang"), {"version": 4, "comment": textarea(returned, "stang")})
    owner.post(action_url("godkann"), {"confirmed": "1", "version": 5, "comment": "Bra."})

    assert textarea(reopened, "stang") == "Läget i PO 1 är oklart."
    assert "Kommentaren från förra stängningen står kvar" in text(reopened)
    assert textarea(returned, "stang") == "Läget i PO 1 är oklart."
    report = report_of(data)
    assert report is not None
    assert report.status == QuarterReport.Status.APPROVED
    assert (report.strategist_comment, report.approval_note) == ("Läget i PO 1 är oklart.", "Bra.")
    approved = text(login(user_with("styrgrupp", data)).get(page_url()))
    assert "Kommentar från strategen Läget i PO 1 är oklart." in approved
    # Every version is in the history, the comment in each close.
    history = report.history.order_by("history_date")
    assert [(h.status, h.strategist_comment) for h in history] == [
        ("faststalld", "Läget i PO 1 är oklart."),
        ("utkast", "Läget i PO 1 är oklart."),
        ("faststalld", "Läget i PO 1 är oklart."),
        ("utkast", "Läget i PO 1 är oklart."),
        ("faststalld", "Läget i PO 1 är oklart."),
        ("godkand", "Läget i PO 1 är oklart."),
    ]


def test_a_strategist_may_change_or_clear_the_kept_comment(data: DashboardData) -> None:
    strategist = login(user_with("strateg", data))
    strategist.post(action_url("stang"), {"version": 0, "comment": "Första."})
    strategist.post(action_url("oppna"), {"version": 1, "comment": "Fel i PO 2."})
    strategist.post(action_url("stang"), {"version": 2, "comment": ""})
    strategist.post(action_url("oppna"), {"version": 3, "comment": "Fel i PO 2."})

    page = strategist.get(page_url())

    assert textarea(page, "stang") == ""
    assert "Kommentaren från förra stängningen står kvar" not in text(page)
    report = report_of(data)
    assert report is not None
    assert report.strategist_comment == ""
    assert [h.strategist_comment for h in report.history.order_by("history_date")][:1] == [
        "Första."
    ]


# --- the action URLs answer a GET --------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_a_get_on_an_action_url_goes_to_the_report_and_changes_nothing(
    data: DashboardData, action: str
) -> None:
    client = login(user_with("admin", data))

    response = client.get(action_url(action))
    shared = client.get(action_url(action) + "?organisation=REG")

    assert response.status_code == 302
    assert response.url == page_url()
    assert shared.status_code == 302
    assert report_of(data) is None


def test_a_refused_send_back_goes_back_to_the_reports_url_with_the_error_and_the_comment(
    data: DashboardData,
) -> None:
    login(user_with("strateg", data)).post(action_url("stang"), {"version": 0})
    owner = login(user_with("portfoljagare", data))

    refused = owner.post(action_url("skicka-tillbaka"), {"version": 1, "comment": "  "})
    shown = owner.get(refused.url)
    reloaded = owner.get(refused.url)

    # Post/Redirect/Get: the page the refusal shows is the report's URL, so a reload (or Back)
    # asks for the page again and posts nothing.
    assert refused.status_code == 302
    assert refused.url == page_url() + "#beslut"
    assert "Skriv en kommentar om vad som behöver ändras" in text(shown)
    assert 'aria-invalid="true"' in shown.content.decode()
    # Shown once: the reload is the plain page.
    assert "Skriv en kommentar om vad som behöver ändras" not in text(reloaded)
    assert 'aria-invalid="true"' not in reloaded.content.decode()
    report = report_of(data)
    assert report is not None
    assert report.status == QuarterReport.Status.CLOSED


def test_the_comment_typed_comes_back_with_the_refusal(data: DashboardData) -> None:
    login(user_with("strateg", data)).post(action_url("stang"), {"version": 0})
    owner = login(user_with("portfoljagare", data))

    refused = owner.post(
        action_url("godkann"), {"version": 1, "comment": "Bra, men förklara PO 1."}, follow=True
    )

    assert textarea(refused, "godkann") == "Bra, men förklara PO 1."
    # The other action's field is as it was.
    assert textarea(refused, "skicka-tillbaka") == ""


def test_a_refusal_is_shown_on_its_own_report_only(data: DashboardData) -> None:
    login(user_with("strateg", data)).post(action_url("stang"), {"version": 0})
    owner = login(user_with("portfoljagare", data))

    owner.post(action_url("skicka-tillbaka"), {"version": 1, "comment": ""})
    other = owner.get(page_url(Quarter(2025, 3)))

    assert "Skriv en kommentar om vad som behöver ändras" not in text(other)


# --- approving: read first, then confirm --------------------------------------------------------


def test_approval_needs_the_confirmation_and_without_it_changes_nothing(
    data: DashboardData,
) -> None:
    login(user_with("strateg", data)).post(action_url("stang"), {"version": 0})
    owner = login(user_with("portfoljagare", data))

    unconfirmed = owner.post(action_url("godkann"), {"version": 1, "comment": "Bra."}, follow=True)
    report = report_of(data)
    assert report is not None
    assert report.status == QuarterReport.Status.CLOSED
    assert report.version == 1
    confirmed = owner.post(
        action_url("godkann"), {"version": 1, "comment": "Bra.", "confirmed": "1"}, follow=True
    )

    assert unconfirmed.redirect_chain == [(page_url() + "#beslut", 302)]
    assert (
        "Kryssa i att du har läst rapporten och godkänner den; ett godkännande kan inte ångras."
        in text(unconfirmed)
    )
    assert 'id="report-godkann-confirm"' in unconfirmed.content.decode()
    assert "Ett godkännande kan inte ångras" in text(unconfirmed)
    assert "Rapporten är godkänd." in text(confirmed)
    report.refresh_from_db()
    assert report.status == QuarterReport.Status.APPROVED


def test_the_decision_comes_after_the_report_with_a_link_to_it_at_the_top(
    data: DashboardData,
) -> None:
    login(user_with("strateg", data)).post(action_url("stang"), {"version": 0})

    owner_page = login(user_with("portfoljagare", data)).get(page_url()).content.decode()
    reader_page = login(user_with("styrgrupp", data)).get(page_url()).content.decode()

    skip = owner_page.index('href="#beslut"')
    body = owner_page.index('class="report-body"')
    decision = owner_page.index('id="beslut"')
    assert skip < body < decision
    assert "Gå till beslut" in owner_page
    assert "Godkänn rapporten</button>" in owner_page[decision:]
    # Those who may not act get neither the decision nor the link to it.
    assert "Gå till beslut" not in reader_page
    assert 'id="beslut"' not in reader_page


def test_the_strategists_close_comes_after_the_draft_too(data: DashboardData) -> None:
    page = login(user_with("strateg", data)).get(page_url()).content.decode()

    assert (
        page.index('href="#beslut"')
        < page.index('class="report-body"')
        < page.index("Stäng kvartalet</button>")
    )


def test_a_get_on_an_action_url_still_needs_a_login_and_a_role(data: DashboardData) -> None:
    anonymous = Client().get(action_url("stang"))
    roleless = login(User.objects.create_user("ingen")).get(action_url("stang"))

    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("login"))
    assert roleless.status_code == 403


# --- Portfölj says whose turn it is ------------------------------------------------------------

WAITING = f"Kvartalsrapporten för {LATEST.label} väntar på ditt godkännande."
CLOSABLE = f"{LATEST.label} har slutat och kan stängas"
RETURNED = f"Kvartalsrapporten för {LATEST.label} skickades tillbaka"


def notices(client: Client) -> str:
    """What Portfölj's notices say (their list, without the hidden heading)."""
    page = client.get(reverse("home")).content.decode()
    found = re.search(r'<section class="report-notices".*?<ul>(.*?)</ul>', page, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split()) if found else ""


def test_portfolio_tells_each_role_when_the_report_is_theirs_to_act_on(
    data: DashboardData,
) -> None:
    clients = {role: login(user_with(role, data)) for role in ROLES}
    owner = User.objects.get(username="portfoljagare")
    owner.first_name, owner.last_name = "Pia", "Portfölj"
    owner.save()

    ended = {role: notices(client) for role, client in clients.items()}
    clients["strateg"].post(action_url("stang"), {"version": 0})
    closed = {role: notices(client) for role, client in clients.items()}
    comment = (
        "Förklara varför PO 1 ligger efter och vad som görs åt det under nästa kvartal. "
        "Lägg också till en plan för PO 2."
    )
    clients["portfoljagare"].post(action_url("skicka-tillbaka"), {"version": 1, "comment": comment})
    returned = {role: notices(client) for role, client in clients.items()}
    clients["strateg"].post(action_url("stang"), {"version": 2})
    clients["portfoljagare"].post(action_url("godkann"), {"confirmed": "1", "version": 3})
    approved = {role: notices(client) for role, client in clients.items()}

    # The quarter has ended and nobody has closed it: the strategist and admin may.
    assert {role for role, said in ended.items() if said} == {"strateg", "admin"}
    assert CLOSABLE in ended["strateg"]
    # Closed: the portfolio owner and admin may approve; the strategist has nothing to do.
    assert {role for role, said in closed.items() if said} == {"portfoljagare", "admin"}
    assert closed["portfoljagare"] == WAITING
    # Sent back: the strategist is told by whom, when and the comment's beginning.
    assert {role for role, said in returned.items() if said} == {"strateg", "admin"}
    today = timezone.localdate()
    assert returned["strateg"].startswith(
        f"{RETURNED} av Pia Portfölj {day_label(today)}: ”Förklara varför PO 1"
    )
    assert comment not in returned["strateg"]  # only its beginning
    assert CLOSABLE not in returned["strateg"]
    assert not any(approved.values())


def test_the_notice_links_to_the_report(data: DashboardData) -> None:
    login(user_with("strateg", data)).post(action_url("stang"), {"version": 0})

    page = login(user_with("portfoljagare", data)).get(reverse("home")).content.decode()

    assert f'<a href="{page_url()}">{WAITING}</a>' in page


def test_the_notice_is_not_served_stale_from_the_portfolios_cache(data: DashboardData) -> None:
    owner = login(user_with("portfoljagare", data))
    before = owner.get(reverse("home"))  # the portfolio's regions are cached now
    # A transition changes no follow-up and leaves the engine's generation as it is.
    login(user_with("strateg", data)).post(action_url("stang"), {"version": 0})

    after = owner.get(reverse("home"))

    assert WAITING not in text(before)
    assert WAITING in text(after)
