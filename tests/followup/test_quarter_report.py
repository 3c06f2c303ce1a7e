"""The quarterly close and the quarterly report: who may close, reopen, approve and send back,
in which state, from which version; the frozen body; the pages, the admin and their queries."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from base.periods import Quarter, day_label
from followup import services
from followup.cache import bump_generation
from followup.models import (
    ERROR_REPORT_ALREADY_CLOSED,
    ERROR_REPORT_APPROVED,
    ERROR_REPORT_COMMENT_REQUIRED,
    ERROR_REPORT_NOT_CLOSED,
    ERROR_REPORT_NOT_COMPUTED,
    ERROR_REPORT_QUARTER_ONGOING,
    ERROR_REPORT_RECOMPUTE_PENDING,
    ERROR_REPORT_STALE,
    ERROR_REPORT_STALE_OWN,
    ComputeRun,
    GoalResult,
    QuarterReport,
    RecomputeRequest,
)
from organisation.models import Role
from tests.factories import UserFactory
from tests.followup.dashboard_data import (
    LATEST,
    DashboardData,
    SecondOrganisation,
    dashboard_data_create,
)

SMALL = {"vos": 1, "hcs_per_vo": 3, "quarters": 2, "measures": 2, "goals": 1}
LARGE = {"vos": 5, "hcs_per_vo": 6, "quarters": 12, "measures": 5, "goals": 4}

ROLES = ["strateg", "admin", "portfoljagare", "styrgrupp", "poansvarig", "vc", "vec"]
MAY_CLOSE = {"strateg", "admin"}
MAY_APPROVE = {"portfoljagare", "admin"}


@pytest.fixture
def data(db: None) -> DashboardData:
    return dashboard_data_create(**SMALL)


def user_with(role: str, data: DashboardData) -> User:
    """A user of one role, scoped inside the data (a VC of its VO, a VEC of its health centre,
    the owner of its PO 1)."""
    if role == "strateg":
        return UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)
    if role == "admin":
        return UserFactory(username="administrator", is_staff=True, role=Role.ADMIN)
    if role == "portfoljagare":
        return UserFactory(username="portfoljagare", role=Role.PORTFOLIO_OWNER)
    if role == "styrgrupp":
        return UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    if role == "poansvarig":
        return UserFactory(
            username="poansvarig",
            role=Role.PROGRAMME_OWNER,
            role__programme_area=data.programme_area,
        )
    if role == "vc":
        return UserFactory(username="vc", role=Role.HEAD_OF_AREA, role__unit=data.vos[0])
    if role == "vec":
        return UserFactory(username="vec", role=Role.HEAD_OF_UNIT, role__unit=data.hcs[0])
    raise ValueError(role)


def page_url(quarter: Quarter = LATEST) -> str:
    return reverse("quarter_report_detail", kwargs={"quarter": quarter.code})


def action_url(action: str, quarter: Quarter = LATEST) -> str:
    return reverse("quarter_report_action", kwargs={"quarter": quarter.code, "action": action})


def report_of(data: DashboardData, quarter: Quarter = LATEST) -> QuarterReport | None:
    return QuarterReport.objects.filter(organisation=data.region, quarter=quarter.code).first()


def close(data: DashboardData, by: User, quarter: Quarter = LATEST) -> QuarterReport:
    report = report_of(data, quarter)
    return services.quarter_report_close(
        user=by, organisation=None, quarter=quarter, version=report.version if report else 0
    )


def reopen(data: DashboardData, by: User, reason: str) -> QuarterReport:
    report = report_of(data)
    assert report is not None
    return services.quarter_report_reopen(
        user=by, organisation_id=data.region.pk, quarter=LATEST, version=report.version,
        reason=reason,
    )  # fmt: skip


def send_back(data: DashboardData, by: User, comment: str = "Saknar PO 2.") -> QuarterReport:
    report = report_of(data)
    assert report is not None
    return services.quarter_report_send_back(
        user=by, organisation_id=data.region.pk, quarter=LATEST, version=report.version,
        comment=comment,
    )  # fmt: skip


def snapshot(data: DashboardData) -> tuple[object, ...]:
    """What a refused request must leave as it was: the row and its history."""
    report = report_of(data)
    if report is None:
        return (None,)
    return (
        report.status,
        report.version,
        report.content_sha256,
        report.approved_by_id,
        report.history.count(),
    )


# --- who may do what --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_the_strategist_and_admin_close_the_quarter(
    client: Client, data: DashboardData, role: str
) -> None:
    client.force_login(user_with(role, data))

    response = client.post(action_url("stang"), {"version": 0, "comment": "Klart."})

    report = report_of(data)
    if role in MAY_CLOSE:
        assert response.status_code == 302
        assert report is not None
        assert report.status == QuarterReport.Status.CLOSED
        assert report.closed_by is not None
        assert report.closed_by.username in {"strateg", "administrator"}
        assert report.strategist_comment == "Klart."
    else:
        assert response.status_code == 403
        assert report is None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["oppna", "godkann", "skicka-tillbaka"])
def test_each_transition_of_a_closed_report_is_refused_to_every_other_role(
    client: Client, data: DashboardData, role: str, action: str
) -> None:
    closed = close(data, UserFactory(username="stratega", role=Role.STRATEGIST))
    before = snapshot(data)
    client.force_login(user_with(role, data))

    response = client.post(
        action_url(action),
        {"version": closed.version, "comment": "Förtydliga PO 2.", "confirmed": "1"},
    )

    allowed = MAY_CLOSE if action == "oppna" else MAY_APPROVE
    report = report_of(data)
    assert report is not None
    if role in allowed:
        assert response.status_code == 302
        expected = {
            "oppna": QuarterReport.Status.DRAFT,
            "godkann": QuarterReport.Status.APPROVED,
            "skicka-tillbaka": QuarterReport.Status.DRAFT,
        }[action]
        assert report.status == expected
        assert report.version == closed.version + 1
    else:
        assert response.status_code == 403
        assert snapshot(data) == before


def test_a_user_without_a_role_cannot_read_or_act_and_anonymous_goes_to_login(
    client: Client, data: DashboardData
) -> None:
    anonymous = client.get(page_url())
    anonymous_list = client.get(reverse("quarter_report_list"))
    anonymous_post = client.post(action_url("stang"), {"version": 0})
    client.force_login(UserFactory(username="utanroll"))

    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("login"))
    assert anonymous_list.status_code == 302
    assert anonymous_post.status_code == 302
    assert client.get(page_url()).status_code == 403
    assert client.post(action_url("stang"), {"version": 0}).status_code == 403
    assert report_of(data) is None


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_list_and_the_report_and_sees_only_its_own_buttons(
    client: Client, data: DashboardData, role: str
) -> None:
    client.force_login(user_with(role, data))
    draft = client.get(page_url()).content.decode()
    listed = client.get(reverse("quarter_report_list")).content.decode()
    close(data, UserFactory(username="stratega", role=Role.STRATEGIST))
    closed = client.get(page_url()).content.decode()

    # The quarter never breaks over two lines in the list's narrow first column.
    assert "Kvartalsrapport Kv\u00a04\u00a02025" in listed
    assert f'href="{page_url()}"' in listed
    assert ("Stäng kvartalet</button>" in draft) == (role in MAY_CLOSE)
    assert ("Öppna rapporten igen</button>" in closed) == (role in MAY_CLOSE)
    assert ("Godkänn rapporten</button>" in closed) == (role in MAY_APPROVE)
    assert ("Skicka tillbaka</button>" in closed) == (role in MAY_APPROVE)
    assert "Stäng kvartalet</button>" not in closed


def test_each_decision_on_a_closed_report_has_its_own_heading_naming_its_form(
    client: Client, data: DashboardData
) -> None:
    """A screen reader's list of headings names the portfolio owner's two decisions side by
    side under "Beslut om rapporten", and each form is announced by its heading."""
    close(data, UserFactory(username="stratega", role=Role.STRATEGIST))
    client.force_login(user_with("portfoljagare", data))
    page = client.get(page_url()).content.decode()

    assert '<h2 id="report-actions-title">Beslut om rapporten</h2>' in page
    for name, heading in (
        ("godkann", "Godkänn"),
        ("skicka-tillbaka", "Skicka tillbaka till strategen"),
    ):
        assert f'aria-labelledby="report-{name}-title"' in page
        assert f'<h3 class="report-action-title" id="report-{name}-title">{heading}</h3>' in page
    assert page.index("Beslut om rapporten") < page.index(">Godkänn</h3>")
    assert page.index(">Godkänn</h3>") < page.index(">Skicka tillbaka till strategen</h3>")


# --- states ------------------------------------------------------------------------------------


def test_the_full_round_closed_sent_back_closed_again_approved_with_who_and_when(
    client: Client, data: DashboardData
) -> None:
    strategist = user_with("strateg", data)
    owner = user_with("portfoljagare", data)
    client.force_login(strategist)
    client.post(action_url("stang"), {"version": 0, "comment": "Första försöket."})
    client.force_login(owner)
    client.post(action_url("skicka-tillbaka"), {"version": 1, "comment": "Saknar PO 2."})
    sent_back = report_of(data)
    client.force_login(strategist)
    returned_page = client.get(page_url()).content.decode()
    client.post(action_url("stang"), {"version": 2, "comment": "Nu med PO 2."})
    client.force_login(owner)
    client.post(action_url("godkann"), {"confirmed": "1", "version": 3, "comment": "Bra."})
    client.force_login(user_with("styrgrupp", data))
    approved_page = client.get(page_url()).content.decode()

    report = report_of(data)
    assert sent_back is not None
    assert sent_back.status == QuarterReport.Status.DRAFT
    assert (sent_back.returned_by, sent_back.return_comment) == (owner, "Saknar PO 2.")
    assert sent_back.content_html == ""
    assert "Saknar PO 2." in returned_page
    assert "Utkast – ändras när underlaget ändras." in returned_page
    assert report is not None
    assert report.status == QuarterReport.Status.APPROVED
    assert (report.closed_by, report.approved_by) == (strategist, owner)
    assert report.closed_at is not None
    assert report.approved_at is not None
    assert report.closed_at <= report.approved_at <= timezone.now()
    assert (report.strategist_comment, report.approval_note) == ("Nu med PO 2.", "Bra.")
    assert "Godkänd" in approved_page
    assert "har räknats om sedan rapporten fastställdes" not in approved_page
    assert "Utkast – ändras när underlaget ändras." not in approved_page
    assert "Nu med PO 2." in approved_page
    assert "Portföljägarens kommentar" in approved_page
    # Each transition is in the history, with the person who made it.
    history = list(report.history.order_by("history_date"))
    assert [(h.status, h.history_user) for h in history] == [
        ("faststalld", strategist),
        ("utkast", owner),
        ("faststalld", strategist),
        ("godkand", owner),
    ]


def test_the_report_names_its_days_and_a_report_sent_back_says_skickad_tillbaka(
    client: Client, data: DashboardData
) -> None:
    strategist = user_with("strateg", data)
    owner = user_with("portfoljagare", data)
    client.force_login(strategist)
    client.post(action_url("stang"), {"version": 0, "comment": "Första försöket."})
    client.force_login(owner)
    sent = client.post(
        action_url("skicka-tillbaka"), {"version": 1, "comment": "Saknar PO 2."}, follow=True
    )
    client.force_login(strategist)

    page = client.get(page_url()).content.decode()
    listed = client.get(reverse("quarter_report_list")).content.decode()

    assert "Rapporten är skickad tillbaka till strategen." in sent.content.decode()
    assert f"{LATEST.label} (1 okt–31 dec 2025)" in page  # the year once, an unspaced en dash
    assert ">Skickad tillbaka</h2>" in page
    assert "(skickad tillbaka)" in listed
    assert "illbakaskickad" not in page + listed


def _refusal(response: object, quarter: Quarter = LATEST) -> list[str]:
    """What the report's page says was refused, after the refusal's redirect back to it (a
    reload there posts nothing): above the actions, or by the comment's field."""
    chain = response.redirect_chain  # type: ignore[attr-defined]
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert [url.partition("#")[0] for url, _status in chain] == [page_url(quarter)]
    context = response.context  # type: ignore[attr-defined]
    shown = [context["page_error"]] if context["page_error"] else []
    refusal = context["refusal"]
    assert all(message in response.content.decode() for message in shown)  # type: ignore[attr-defined]
    return [*shown, *(refusal.field_errors.get("comment", []) if refusal else [])]


def test_approving_or_sending_back_a_draft_is_refused_with_nothing_changed(
    client: Client, data: DashboardData
) -> None:
    client.force_login(user_with("portfoljagare", data))

    approve = client.post(action_url("godkann"), {"confirmed": "1", "version": 0}, follow=True)
    send_back = client.post(
        action_url("skicka-tillbaka"), {"version": 0, "comment": "x"}, follow=True
    )

    assert _refusal(approve) == [str(ERROR_REPORT_NOT_CLOSED)]
    assert _refusal(send_back) == [str(ERROR_REPORT_NOT_CLOSED)]
    assert report_of(data) is None


def test_closing_an_ongoing_quarter_is_refused(client: Client, data: DashboardData) -> None:
    ongoing = Quarter.containing(timezone.localdate())
    client.force_login(user_with("strateg", data))

    page = client.get(page_url(ongoing)).content.decode()
    response = client.post(action_url("stang", ongoing), {"version": 0}, follow=True)

    message = str(ERROR_REPORT_QUARTER_ONGOING).format(
        quarter=ongoing.label, end=day_label(ongoing.end)
    )
    assert _refusal(response, ongoing) == [message]
    # The page says so instead of offering the button.
    assert "Stäng kvartalet</button>" not in page
    assert message in page
    assert report_of(data, ongoing) is None


def test_closing_a_quarter_whose_follow_up_is_not_computed_is_refused(
    client: Client, data: DashboardData
) -> None:
    uncomputed = Quarter(2024, 1)
    ComputeRun.objects.create(
        quarter=uncomputed.code,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        error="Databasen svarade inte",
    )
    client.force_login(user_with("strateg", data))

    response = client.post(action_url("stang", uncomputed), {"version": 0}, follow=True)

    assert _refusal(response, uncomputed) == [
        str(ERROR_REPORT_NOT_COMPUTED).format(quarter="Kv 1 2024")
    ]
    assert report_of(data, uncomputed) is None


def test_closing_is_refused_while_a_recompute_of_the_quarter_waits(
    client: Client, data: DashboardData
) -> None:
    RecomputeRequest.objects.create(
        quarter=LATEST.code, trigger="observation", requested_at=timezone.now()
    )
    client.force_login(user_with("strateg", data))

    response = client.post(action_url("stang"), {"version": 0}, follow=True)

    assert _refusal(response) == [str(ERROR_REPORT_RECOMPUTE_PENDING).format(quarter="Kv 4 2025")]
    assert report_of(data) is None


def test_an_approved_report_can_be_neither_reopened_nor_sent_back_nor_closed_again(
    client: Client, data: DashboardData
) -> None:
    admin = user_with("admin", data)
    close(data, admin)
    report = services.quarter_report_approve(
        user=admin, organisation_id=data.region.pk, quarter=LATEST, version=1
    )
    before = snapshot(data)
    client.force_login(admin)

    reopen = client.post(action_url("oppna"), {"version": report.version}, follow=True)
    send_back = client.post(
        action_url("skicka-tillbaka"), {"version": report.version, "comment": "Nej"}, follow=True
    )
    again = client.post(action_url("stang"), {"version": report.version}, follow=True)
    approve = client.post(
        action_url("godkann"), {"confirmed": "1", "version": report.version}, follow=True
    )

    assert _refusal(reopen) == [str(ERROR_REPORT_APPROVED)]
    assert _refusal(send_back) == [str(ERROR_REPORT_APPROVED)]
    assert _refusal(again) == [str(ERROR_REPORT_ALREADY_CLOSED)]
    assert _refusal(approve) == [str(ERROR_REPORT_APPROVED)]
    assert snapshot(data) == before


def test_sending_back_needs_a_comment(client: Client, data: DashboardData) -> None:
    closed = close(data, user_with("strateg", data))
    before = snapshot(data)
    client.force_login(user_with("portfoljagare", data))

    response = client.post(
        action_url("skicka-tillbaka"), {"version": closed.version, "comment": " "}, follow=True
    )

    assert _refusal(response) == [str(ERROR_REPORT_COMMENT_REQUIRED)]
    assert 'aria-invalid="true"' in response.content.decode()
    assert snapshot(data) == before


# --- versions ----------------------------------------------------------------------------------


def test_a_transition_from_a_stale_page_is_a_conflict_and_changes_nothing(
    client: Client, data: DashboardData
) -> None:
    strategist = user_with("strateg", data)
    owner = user_with("portfoljagare", data)
    close(data, strategist)  # version 1; the owner's page shows it
    services.quarter_report_reopen(
        user=strategist,
        organisation_id=data.region.pk,
        quarter=LATEST,
        version=1,
        reason="Fel i PO 2.",
    )
    close(data, strategist)  # version 3, with another body
    before = snapshot(data)
    client.force_login(owner)

    approve = client.post(action_url("godkann"), {"confirmed": "1", "version": 1}, follow=True)
    client.force_login(strategist)
    second_close = client.post(action_url("stang"), {"version": 0}, follow=True)

    assert _refusal(approve) == [str(ERROR_REPORT_STALE)]
    # Every change since the strategist's page (version 0) was their own: not "someone else".
    assert _refusal(second_close) == [str(ERROR_REPORT_STALE_OWN)]
    # The page comes back as the report is now, with its new version to act on.
    assert 'name="version" value="3"' in approve.content.decode()
    assert snapshot(data) == before


# --- the frozen body ----------------------------------------------------------------------------


def test_the_closed_report_shows_what_was_closed_after_data_changes_and_a_recompute(
    client: Client, data: DashboardData
) -> None:
    strategist = user_with("strateg", data)
    closed = close(data, strategist)
    goal = data.goals[0]
    old_title = goal.title
    goal.title = "Ett nytt namn på målet"
    goal.save()
    GoalResult.objects.filter(goal=goal).update(explanation="Omräknad förklaring")
    services.quarter_compute(quarter=LATEST, spc=False)
    bump_generation()
    services.quarter_report_approve(
        user=user_with("portfoljagare", data),
        organisation_id=data.region.pk,
        quarter=LATEST,
        version=closed.version,
    )
    client.force_login(user_with("styrgrupp", data))

    frozen_page = client.get(page_url()).content.decode()
    live_page = client.get(page_url(LATEST.previous())).content.decode()

    report = report_of(data)
    assert report is not None
    assert report.content_html == closed.content_html
    assert report.content_sha256 == hashlib.sha256(closed.content_html.encode()).hexdigest()
    assert old_title in frozen_page
    assert "Ett nytt namn på målet" not in frozen_page
    assert report.content_sha256 in frozen_page
    assert closed.content_html in frozen_page
    assert "Ett nytt namn på målet" in live_page
    assert "Utkast – ändras när underlaget ändras." in live_page
    # The recompute after the close is said, not hidden.
    assert "Underlaget för Kv 4 2025 har räknats om sedan rapporten fastställdes" in frozen_page
    portfolio_link = f'href="{reverse("home")}?kvartal=2025Q4">Portfölj</a> visar dagens värden'
    assert portfolio_link in frozen_page


def test_the_frozen_body_is_the_live_body_of_the_day_it_was_closed(
    client: Client, data: DashboardData
) -> None:
    strategist = user_with("strateg", data)
    client.force_login(strategist)
    draft = client.get(page_url())

    closed = close(data, strategist)

    # The same partial and reads as the draft page: what the strategist saw is what is kept.
    assert closed.content_html.strip()
    assert closed.content_html in draft.content.decode()
    assert "Sammanfattning" in closed.content_html
    assert "Uppföljningsmått" in closed.content_html
    # Nothing of the user who closed it.
    assert "Redigera" not in closed.content_html
    assert "csrfmiddlewaretoken" not in closed.content_html


def test_reopening_drops_the_frozen_body_and_the_page_is_a_live_draft_again(
    client: Client, data: DashboardData
) -> None:
    strategist = user_with("strateg", data)
    close(data, strategist)
    client.force_login(strategist)

    response = client.post(action_url("oppna"), {"version": 1, "comment": "Fel i PO 2."})

    report = report_of(data)
    assert response.status_code == 302
    assert report is not None
    assert (report.status, report.content_html, report.content_sha256) == ("utkast", "", "")
    assert report.closed_by is None
    page = client.get(page_url()).content.decode()
    assert "Utkast – ändras när underlaget ändras." in page
    assert "Stäng kvartalet</button>" in page


# --- the pages ----------------------------------------------------------------------------------


def test_portfolio_and_navigation_link_to_the_reports(client: Client, data: DashboardData) -> None:
    client.force_login(user_with("styrgrupp", data))

    home = client.get(reverse("home")).content.decode()
    listed = client.get(reverse("quarter_report_list"))

    assert f'href="{page_url()}"' in home
    assert "Kvartalsrapport för Kv 4 2025" in home
    assert f'href="{reverse("quarter_report_list")}" aria-current="page"' in listed.content.decode()


def test_a_quarter_before_the_follow_up_has_no_report_and_no_link(
    client: Client, data: DashboardData
) -> None:
    first = min(
        Quarter.parse(code) for code in GoalResult.objects.values_list("quarter", flat=True)
    )
    before = Quarter(first.year - 1, 4)
    client.force_login(user_with("styrgrupp", data))

    home = client.get(reverse("home"), {"kvartal": before.code}).content.decode()
    first_home = client.get(reverse("home"), {"kvartal": first.code}).content.decode()
    missing = client.get(page_url(before))
    first_page = client.get(page_url(first))
    listed = client.get(reverse("quarter_report_list")).content.decode()

    # No link to a report no list shows.
    assert f"Kvartalsrapport för {before.label}" not in home
    assert page_url(before) not in home
    assert page_url(before) not in listed
    assert f'href="{page_url(first)}"' in first_home
    assert missing.status_code == 404
    page = " ".join(missing.content.decode().split())
    assert f"Ingen rapport för {before.label}" in page
    assert (
        f"Uppföljningen börjar {first.label}, så {before.label} har ingen kvartalsrapport." in page
    )
    assert f'href="{page_url(first)}"' in page
    assert first_page.status_code == 200


def test_a_stored_report_of_a_quarter_before_the_follow_up_is_still_shown(
    client: Client, data: DashboardData
) -> None:
    before = Quarter(2020, 1)
    QuarterReport.objects.create(organisation=data.region, quarter=before.code)
    client.force_login(user_with("styrgrupp", data))

    assert client.get(page_url(before)).status_code == 200


def test_a_quarter_that_is_no_quarter_is_not_found(client: Client, data: DashboardData) -> None:
    client.force_login(user_with("styrgrupp", data))

    assert client.get("/rapporter/2025Q9/").status_code == 404
    assert client.get("/rapporter/inget/").status_code == 404
    # A year the calendar cannot hold, or out of the follow-up's span: not a 500.
    for code in ("9999Q4", "0000Q1"):
        assert client.get(f"/rapporter/{code}/").status_code == 404
    client.force_login(user_with("strateg", data))
    for code in ("9999Q4", "0000Q1"):
        assert client.post(f"/rapporter/{code}/stang/", {"version": 0}).status_code == 404
    assert not QuarterReport.objects.exists()
    assert client.post("/rapporter/2025Q4/radera/", {"version": 0}).status_code == 404


def _page_queries(client: Client, url: str) -> int:
    client.get(url)
    bump_generation()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# Cold (a new cache generation). Session, user, roles; the phases' organisations; the region;
# the report; without one, the computed quarters (two: is the quarter before the follow-up?);
# the close check (a computation of the quarter, a recompute waiting); the portfolio (phases,
# areas, goals, milestones, processes, timeline, results, computation time) and its quarter
# (region, measures, results, SPC, period results); the session save (three).
EXPECTED_DRAFT_QUERIES = 26
# Session, user, roles; the phases' organisations; the region; the report with its people;
# its history (closes, reopenings, send-backs); its versions (the links to earlier ones); the
# latest computation (recomputed since?); the session save. The frozen body reads nothing.
EXPECTED_FROZEN_QUERIES = 12
# Session, user, roles; the phases' organisations; the region; its reports; their earlier
# versions; the computed quarters (two); the session save.
EXPECTED_LIST_QUERIES = 12


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["small", "large"])
def test_the_report_page_runs_the_same_queries_at_any_size(
    client: Client, db: None, size: dict[str, int]
) -> None:
    data = dashboard_data_create(**size)
    strategist = UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)
    client.force_login(strategist)

    draft = _page_queries(client, page_url())
    close(data, strategist)
    frozen = _page_queries(client, page_url())
    listed = _page_queries(client, reverse("quarter_report_list"))

    assert (draft, frozen, listed) == (
        EXPECTED_DRAFT_QUERIES,
        EXPECTED_FROZEN_QUERIES,
        EXPECTED_LIST_QUERIES,
    )


# --- the admin -----------------------------------------------------------------------------------


def test_the_admin_shows_reports_but_writes_none_not_even_by_a_history_revert(
    client: Client, data: DashboardData
) -> None:
    admin = user_with("admin", data)
    closed = close(data, admin)
    first = closed.history.order_by("history_date").first()
    reopen(data, admin, "Fel i PO 2.")
    before = snapshot(data)
    client.force_login(admin)
    change_url = reverse("admin:followup_quarterreport_change", args=[closed.pk])
    revert_url = reverse(
        "admin:followup_quarterreport_simple_history", args=[closed.pk, first.history_id]
    )

    listed = client.get(reverse("admin:followup_quarterreport_changelist"))
    shown = client.get(change_url)
    changed = client.post(change_url, {"status": "godkand", "quarter": LATEST.code})
    reverted = client.post(revert_url, {"status": "faststalld"})
    added = client.get(reverse("admin:followup_quarterreport_add"))

    assert listed.status_code == 200
    assert shown.status_code == 200
    assert changed.status_code == 403
    assert reverted.status_code == 403
    assert added.status_code == 403
    assert snapshot(data) == before


def test_the_services_refuse_without_a_user_who_may(data: DashboardData) -> None:
    from django.core.exceptions import PermissionDenied

    steering = user_with("styrgrupp", data)
    with pytest.raises(PermissionDenied):
        services.quarter_report_close(user=steering, organisation=None, quarter=LATEST, version=0)
    assert report_of(data) is None


def test_a_closed_report_counts_the_days_from_its_quarters_last_day(data: DashboardData) -> None:
    # Closed in January: the countdowns count from the day the engine evaluated the quarter,
    # as its status texts do, not from the day it was closed.
    closed = services.quarter_report_close(
        user=user_with("strateg", data),
        organisation=None,
        quarter=LATEST,
        version=0,
        today=datetime.date(2026, 1, 15),
    )

    assert (
        "Dagar till måldatum räknas från 31 dec 2025, kvartalets sista dag." in closed.content_html
    )
    assert "15 jan 2026" not in closed.content_html


# --- several organisations ---------------------------------------------------------------------


def test_each_organisation_closes_and_reads_its_own_report(
    client: Client, testland: DashboardData, bergland: SecondOrganisation
) -> None:
    client.force_login(user_with("strateg", testland))
    berg = "?organisation=BERG"

    closed = client.post(action_url("stang") + berg, {"version": 0})
    bergland_page = client.get(page_url() + berg).content.decode()
    testland_page = client.get(page_url() + "?organisation=REG").content.decode()
    listed = client.get(reverse("quarter_report_list") + berg).content.decode()

    assert closed.status_code == 302
    assert closed.url == page_url() + berg
    report = QuarterReport.objects.get()
    assert report.organisation == bergland.region
    assert "Bergmål 0" in report.content_html
    assert "Mål 0" not in report.content_html.replace("Bergmål 0", "")
    assert "Region Bergland" in bergland_page
    assert "Fastställd" in bergland_page
    # Region Testland's report of the same quarter is still its own live draft.
    assert "Utkast – ändras när underlaget ändras." in testland_page
    assert "Stäng kvartalet</button>" in testland_page
    assert "Rapporterna för Region Bergland." in listed
    assert f'href="{page_url()}{berg}"' in listed
    # The organisation select swaps the list alone over htmx.
    swapped = client.get(reverse("quarter_report_list") + berg, headers={"HX-Request": "true"})
    assert swapped.content.decode().lstrip().startswith('<div id="report-list" ')
    assert "Rapporterna för Region Bergland." in swapped.content.decode()
    assert 'name="organisation"' in listed


def test_a_forged_version_or_an_overlong_comment_changes_nothing(
    client: Client, data: DashboardData
) -> None:
    client.force_login(user_with("strateg", data))

    forged = client.post(action_url("stang"), {"version": "x"}, follow=True)
    long = client.post(action_url("stang"), {"version": 0, "comment": "a" * 4001}, follow=True)

    assert _refusal(forged) == [str(ERROR_REPORT_STALE)]
    assert _refusal(long)  # by the comment's field
    assert report_of(data) is None


def test_a_recompute_that_changed_nothing_is_not_called_a_correction(
    client: Client, data: DashboardData
) -> None:
    close(data, user_with("strateg", data))
    ComputeRun.objects.create(
        quarter=LATEST.code,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        trigger="schedule",
    )
    client.force_login(user_with("styrgrupp", data))

    page = client.get(page_url()).content.decode()

    assert "Fastställd" in page
    assert "har räknats om sedan rapporten fastställdes" not in page
