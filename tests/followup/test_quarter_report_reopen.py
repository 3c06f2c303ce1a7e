"""Reopening a closed quarterly report takes a reason, and leaves a trace: the report's page
lists its closes, reopenings (with their reasons), send-backs and approval, for every reader
and in print. A transition refused because the report changed meanwhile shows the text typed,
to be copied."""

from __future__ import annotations

import html
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from followup import services
from followup.models import ERROR_REPORT_REOPEN_REASON_REQUIRED, ERROR_REPORT_STALE
from tests.followup.dashboard_data import LATEST, DashboardData, dashboard_data_create
from tests.followup.test_quarter_report import (
    SMALL,
    _refusal,
    action_url,
    close,
    page_url,
    reopen,
    report_of,
    snapshot,
    user_with,
)


@pytest.fixture
def data(db: None) -> DashboardData:
    return dashboard_data_create(**SMALL)


REASON = "Fel siffror för PO 2 i september; underlaget är rättat."
UNSAVED = "Din text, som inte sparades:"


def text(response: object) -> str:
    body = re.sub(r"<[^>]+>", " ", response.content.decode())  # type: ignore[attr-defined]
    return " ".join(html.unescape(body).split())


def kind(event: str) -> str:
    """What an event is: its words before the date."""
    found = re.match(r"(\D+?) \d", event)
    assert found, event
    return found.group(1)


def events(response: object) -> list[str]:
    """The report's events as listed on its page, each as read."""
    page = response.content.decode()  # type: ignore[attr-defined]
    found = re.search(r'<ol class="report-events-list">(.*?)</ol>', page, re.S)
    if found is None:
        return []
    items = re.findall(r"<li[^>]*>(.*?)</li>", found.group(1), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


@pytest.mark.parametrize("reason", ["", "   "])
def test_reopening_without_a_reason_is_refused_and_changes_nothing(
    client: Client, data: DashboardData, reason: str
) -> None:
    strategist = user_with("strateg", data)
    closed = close(data, strategist)
    before = snapshot(data)
    client.force_login(strategist)

    response = client.post(
        action_url("oppna"), {"version": closed.version, "comment": reason}, follow=True
    )

    assert _refusal(response) == [str(ERROR_REPORT_REOPEN_REASON_REQUIRED)]
    assert snapshot(data) == before
    page = response.content.decode()
    # By the reason's field, still on the page to be filled in.
    assert 'id="report-oppna-comment"' in page
    assert "Varför öppnas rapporten igen? (obligatoriskt)" in page


def test_the_reason_is_required_by_the_service_too(data: DashboardData) -> None:
    strategist = user_with("strateg", data)
    close(data, strategist)

    with pytest.raises(ValidationError):
        reopen(data, strategist, " ")
    assert report_of(data).status == "faststalld"  # type: ignore[union-attr]


def test_a_reason_past_2000_characters_is_refused_by_the_service_too(
    data: DashboardData,
) -> None:
    strategist = user_with("strateg", data)
    close(data, strategist)

    with pytest.raises(ValidationError, match="högst 2 000 tecken"):
        reopen(data, strategist, "x" * 2001)
    report = report_of(data)
    assert report.status == "faststalld"  # type: ignore[union-attr]
    assert report.reopen_reason == ""  # type: ignore[union-attr]


def test_the_portfolio_owner_still_cannot_reopen_even_with_a_reason(
    client: Client, data: DashboardData
) -> None:
    closed = close(data, user_with("strateg", data))
    before = snapshot(data)
    client.force_login(user_with("portfoljagare", data))

    response = client.post(action_url("oppna"), {"version": closed.version, "comment": REASON})

    assert response.status_code == 403
    assert snapshot(data) == before


def test_the_first_close_the_reopening_and_its_reason_stay_on_the_report(
    client: Client, data: DashboardData
) -> None:
    strategist = user_with("strateg", data)
    strategist.first_name, strategist.last_name = "Stina", "Strateg"
    strategist.save()
    first = close(data, strategist)
    client.force_login(strategist)

    reopened = client.post(
        action_url("oppna"), {"version": first.version, "comment": REASON}, follow=True
    )
    close(data, strategist)
    owner = user_with("portfoljagare", data)
    services.quarter_report_approve(
        user=owner, organisation_id=data.region.pk, quarter=LATEST, version=3
    )
    client.force_login(user_with("styrgrupp", data))
    approved = client.get(page_url())

    report = report_of(data)
    assert report is not None
    assert (report.reopened_by, report.reopen_reason) == (strategist, REASON)
    listed = events(approved)
    assert [kind(item) for item in listed] == [
        "Fastställd",
        "Öppnad igen",
        "Fastställd igen",
        "Godkänd",
    ]
    assert f"av Stina Strateg (kontrollsumma {first.content_sha256[:12]}…" in listed[0]
    assert listed[1].endswith(f"av Stina Strateg: {REASON}")
    assert listed[3].endswith(f"av {owner.get_full_name() or owner.username}")
    # Also on the draft the reopening left, and its reason there.
    assert [kind(item) for item in events(reopened)] == ["Fastställd", "Öppnad igen"]
    assert REASON in text(reopened)


def test_a_report_closed_once_lists_no_events_beside_its_facts(
    client: Client, data: DashboardData
) -> None:
    close(data, user_with("strateg", data))
    client.force_login(user_with("styrgrupp", data))

    assert events(client.get(page_url())) == []


def test_a_close_refused_as_stale_shows_the_comment_typed_to_be_copied(
    data: DashboardData,
) -> None:
    strategist = user_with("strateg", data)
    admin = user_with("admin", data)
    first, second = Client(), Client()
    first.force_login(strategist)
    second.force_login(admin)
    comment = "En lång kommentar om PO 1:s läge,\nmed två rader."

    first.post(action_url("stang"), {"version": 0, "comment": "Stängt."})
    refused = second.post(action_url("stang"), {"version": 0, "comment": comment}, follow=True)
    reloaded = second.get(page_url())

    assert _refusal(refused) == [str(ERROR_REPORT_STALE)]
    page = refused.content.decode()
    assert UNSAVED in page
    shown = re.search(
        r'<textarea id="report-unsaved"[^>]*readonly[^>]*>(.*?)</textarea>', page, re.S
    )
    assert shown is not None
    assert html.unescape(shown.group(1)) == comment
    # Once: a reload shows the report without it.
    assert UNSAVED not in reloaded.content.decode()


def test_a_send_back_refused_after_the_approval_shows_the_comment_typed(
    data: DashboardData,
) -> None:
    closed = close(data, user_with("strateg", data))
    admin, owner = Client(), Client()
    admin.force_login(user_with("admin", data))
    owner.force_login(user_with("portfoljagare", data))

    admin.post(action_url("godkann"), {"version": closed.version, "confirmed": "1"})
    refused = owner.post(
        action_url("skicka-tillbaka"),
        {"version": closed.version, "comment": "Förklara PO 2."},
        follow=True,
    )

    assert UNSAVED in refused.content.decode()
    assert "Förklara PO 2." in text(refused)


def test_a_refusal_whose_form_keeps_the_text_shows_no_copy(data: DashboardData) -> None:
    closed = close(data, user_with("strateg", data))
    owner = Client()
    owner.force_login(user_with("portfoljagare", data))

    # Approval without its confirmation: the form is still there, with the comment in it.
    refused = owner.post(
        action_url("godkann"), {"version": closed.version, "comment": "Bra."}, follow=True
    )

    assert UNSAVED not in refused.content.decode()


def test_a_refused_comment_comes_back_in_its_form_whole_up_to_the_fields_limit(
    data: DashboardData,
) -> None:
    closed = close(data, user_with("strateg", data))
    owner = Client()
    owner.force_login(user_with("portfoljagare", data))
    comment = "Bra, men förklara PO 2.\n" + "x" * (2000 - 24)

    # Approval without its confirmation: refused by its field, the comment back in its form.
    refused = owner.post(
        action_url("godkann"), {"version": closed.version, "comment": comment}, follow=True
    )
    reloaded = owner.get(page_url())

    shown = re.search(
        r'<textarea id="report-godkann-comment"[^>]*>(.*?)</textarea>',
        refused.content.decode(),
        re.S,
    )
    assert shown is not None
    assert html.unescape(shown.group(1)) == comment
    again = re.search(
        r'<textarea id="report-godkann-comment"[^>]*>(.*?)</textarea>',
        reloaded.content.decode(),
        re.S,
    )
    assert again is not None
    assert again.group(1) == ""  # once: a reload starts afresh


def test_the_report_keeps_typed_text_as_the_plans_do(client: Client, data: DashboardData) -> None:
    """One mechanism (base.unsaved) for a refused post's text: kept for the report's own page,
    and a page viewed in between (another report) takes it away, as on the plan's page."""
    strategist = user_with("strateg", data)
    closed = close(data, strategist)
    client.force_login(strategist)

    client.post(action_url("oppna"), {"version": closed.version + 5, "comment": REASON})
    kept = client.session.get("unsaved_text")
    client.get(page_url(LATEST.previous()))
    after_other = client.get(page_url()).content.decode()

    assert kept == {"url": page_url(), "text": REASON}
    assert REASON not in after_other
    assert UNSAVED not in after_other
