"""Goal lines on the dashboards: the days to each deadline on the Portfölj, the Programområde
page's tree and the Mål page; and "Redigera" in place on the Programområde and Mål pages
(the goal's block becomes its form, "Spara"/"Avbryt" give the block back in its dashboard
look), with its permissions and its fallback without JavaScript."""

from __future__ import annotations

import datetime
import html
import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from base.periods import Quarter
from followup.formatting import forecast_cell
from followup.models import GoalResult
from goals.models import Goal
from goals.status import Status
from gonv.templatetags.dashboard_tags import deadline_countdown
from organisation.models import Role
from tests.factories import ProgrammeAreaFactory, UserFactory
from tests.followup.dashboard_data import DashboardData, dashboard_data_create

HX = {"HX-Request": "true"}
QUARTER = "2025Q4"  # the data's latest computed quarter, the pages' default
# The same at any size; the form reads its area's phase once for the deadline's hint.
BLOCK_QUERIES = {"block": 9, "form": 8}


@pytest.fixture
def data(db: None) -> DashboardData:
    return dashboard_data_create(vos=1, hcs_per_vo=2, quarters=2, measures=1, goals=1)


@pytest.fixture
def goal(data: DashboardData) -> Goal:
    return Goal.objects.get(programme_area=data.programme_area, parent=None)


@pytest.fixture
def milestone(goal: Goal) -> Goal:
    return goal.milestones.get()


@pytest.fixture
def strateg(db: None) -> User:
    return UserFactory(
        username="strateg", first_name="Stina", last_name="Strateg", role=Role.STRATEGIST
    )


@pytest.fixture
def styrgrupp(db: None) -> User:
    return UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def reference_day() -> datetime.date:
    """The day the pages count the days to a deadline from for QUARTER: its last day once it
    has ended (the day the engine evaluated it at), else today."""
    return min(Quarter.parse(QUARTER).end, timezone.localdate())


def set_deadline(goal: Goal, days_from_reference: int) -> None:
    """Move a deadline relative to the shown quarter's reference day without the model's
    checks (a milestone may then fall after its goal: not what these tests are about)."""
    day = reference_day() + datetime.timedelta(days=days_from_reference)
    Goal.objects.filter(pk=goal.pk).update(deadline=day)


def area_url() -> str:
    return reverse("programme_area_detail", kwargs={"number": 1})


def text(response: Any) -> str:
    """The response as a reader gets it: tags dropped, whitespace collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(body).split())


# --- days to the deadline -----------------------------------------------------------------------


def test_every_goal_line_shows_the_days_to_its_deadline_from_the_quarters_reference_day(
    client: Client, goal: Goal, milestone: Goal, strateg: User
) -> None:
    set_deadline(goal, 32)
    set_deadline(milestone, -5)
    client.force_login(strateg)

    pages = {
        "Portfölj": client.get(reverse("home")),
        "Programområde": client.get(area_url()),
        "its quarter region": client.get(area_url(), headers={**HX, "HX-Target": "quarter-region"}),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert "(om 32 dagar)" in text(response), name
        assert "(passerat för 5 dagar sedan)" in text(response), name

    goal_page = text(client.get(reverse("goal_detail", kwargs={"code": goal.code})))
    assert "Måldatum" in goal_page
    assert "(om 32 dagar)" in goal_page  # the goal's own deadline
    assert "(passerat för 5 dagar sedan)" in goal_page  # its milestone's line
    milestone_page = text(client.get(reverse("goal_detail", kwargs={"code": milestone.code})))
    assert "(passerat för 5 dagar sedan)" in milestone_page


def test_a_deadline_today_and_one_day_away(
    client: Client, goal: Goal, milestone: Goal, strateg: User
) -> None:
    set_deadline(goal, 1)
    set_deadline(milestone, 0)
    client.force_login(strateg)

    page = text(client.get(area_url()))

    assert "(om 1 dag)" in page
    assert "(i dag)" in page


def test_an_achieved_or_missed_goal_shows_its_date_and_no_countdown(
    client: Client, goal: Goal, milestone: Goal, strateg: User
) -> None:
    set_deadline(goal, 32)
    set_deadline(milestone, -5)
    GoalResult.objects.filter(goal=milestone, quarter=QUARTER).update(status=Status.ACHIEVED.value)
    GoalResult.objects.filter(goal=goal, quarter=QUARTER).update(status=Status.MISSED.value)
    client.force_login(strateg)
    day = (reference_day() - datetime.timedelta(days=5)).isoformat()

    for response in (client.get(reverse("home")), client.get(area_url())):
        page = response.content.decode()
        assert f'<time datetime="{day}">' in page  # the date stays
        # No countdown on the goals' lines (the deadline table lists the dates with theirs).
        assert "(passerat för" not in page
        assert "(om 32 dagar)" not in page
        assert "Uppnått" in page
    # An earlier quarter, when both were still open, counts down again: from its own last
    # day, the day its status texts count from.
    earlier = text(client.get(area_url() + "?kvartal=2025Q3"))
    from_then = (reference_day() - Quarter(2025, 3).end).days
    assert f"(om {from_then - 5} dagar)" in earlier
    assert f"(om {from_then + 32} dagar)" in earlier
    assert "Dagar till måldatum räknas från 30 sep 2025, kvartalets sista dag." in earlier


def test_days_far_ahead_or_behind_are_grouped_by_thousands(
    client: Client, goal: Goal, milestone: Goal, strateg: User
) -> None:
    set_deadline(goal, 1491)
    client.force_login(strateg)

    for page in (
        text(client.get(reverse("home"))),
        text(client.get(area_url())),
        text(client.get(reverse("goal_detail", kwargs={"code": goal.code}))),
    ):
        assert "(om 1 491 dagar)" in page
        assert "1491" not in page
    long_ago = SimpleNamespace(deadline=timezone.localdate() - datetime.timedelta(days=1200))
    assert deadline_countdown(long_ago) == "passerat för\u00a01\u00a0200\u00a0dagar sedan"


def test_a_countdown_never_breaks_inside_its_number_or_beside_it(
    client: Client, goal: Goal, milestone: Goal, strateg: User
) -> None:
    """No-break spaces (U+00A0) around the days and between their thousands, as in every figure:
    a narrow goal card never leaves "om" or "dagar" on a line of its own."""
    set_deadline(goal, 1491)
    set_deadline(milestone, -5)
    client.force_login(strateg)

    for url in (reverse("home"), area_url(), reverse("goal_detail", kwargs={"code": goal.code})):
        page = client.get(url).content.decode()
        assert "(om\u00a01\u00a0491\u00a0dagar)" in page, url
        assert "om 1" not in page, url
    # The milestone's line on Portfölj, and the deadline table's countdown.
    page = client.get(reverse("home")).content.decode()
    assert "(passerat för\u00a05\u00a0dagar sedan)" in page
    assert "passerat för 5" not in page


def test_goal_titles_carry_the_quarter_only_where_it_is_not_the_default(
    client: Client, goal: Goal, milestone: Goal, strateg: User
) -> None:
    """The pages open on QUARTER: a goal's link is bare there (the goal page opens on the same
    quarter), and carries an earlier quarter chosen."""
    client.force_login(strateg)
    links = {
        code: reverse("goal_detail", kwargs={"code": code}) for code in (goal.code, milestone.code)
    }

    for url in (reverse("home"), area_url()):
        default = client.get(url).content.decode()
        chosen = client.get(url, {"kvartal": "2025Q3"}).content.decode()
        for link in links.values():
            assert f'href="{link}"' in default, url
            assert f'href="{link}?kvartal=' not in default, url
            assert f'href="{link}?kvartal=2025Q3"' in chosen, url
    goal_page = client.get(links[goal.code]).content.decode()
    assert f'href="{links[milestone.code]}"' in goal_page


def _deadline_rows(client: Client) -> dict[str, list[str]]:
    """Portfölj's deadline table by title: each row's cells as a reader gets them."""
    page = client.get(reverse("home"), {"kvartal": QUARTER}).content.decode()
    table = page.split('id="deadlines-title"')[1].split("</table>")[0]
    rows = {}
    for row in table.split("<tr>")[2:]:
        cells = [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        title = re.sub(r"^(Mål|Delmål): ", "", cells[1])
        rows[title] = cells
    return rows


def test_the_forecast_column_shows_the_forecast_against_the_target_not_the_status_again(
    client: Client, goal: Goal, milestone: Goal, strateg: User
) -> None:
    Goal.objects.filter(pk__in=[goal.pk, milestone.pk]).update(deadline=datetime.date(2026, 3, 31))
    GoalResult.objects.filter(goal=goal, quarter=QUARTER).update(
        status=Status.AT_RISK.value,
        forecast_status=Status.AT_RISK.value,
        forecast="92.307692",
        target="100",
        basis={"kind": "adoption", "rule": "forecast_within_margin"},
    )
    GoalResult.objects.filter(goal=milestone, quarter=QUARTER).update(
        status=Status.AT_RISK.value,
        forecast_status=Status.ON_TRACK.value,
        forecast="84.6",
        target="80",
        basis={"kind": "adoption", "rule": "behind_pace"},
    )
    client.force_login(strateg)

    rows = _deadline_rows(client)

    assert rows[goal.title][2:] == ["Risk", "92,3 % mot målet 100 %"]
    # A forecast judged otherwise than the status (behind an even pace) says how.
    assert rows[milestone.title][2:] == ["Risk", "84,6 % mot målet 80 % Enligt plan"]


@pytest.mark.parametrize(
    ("basis", "status", "reason"),
    [
        (
            {"kind": "deliverable", "rule": "open_before_deadline"},
            "enligt_plan",
            "leveransmål: klart eller inte klart",
        ),
        ({"kind": "direction", "rule": "manual_only"}, None, "bedöms manuellt"),
        ({"kind": "measure", "rule": "too_few_points"}, "underlag_saknas", "för få värden"),
        ({"kind": "measure", "rule": "no_values"}, "underlag_saknas", "värden saknas"),
    ],
)
def test_a_goal_without_a_forecast_says_why(
    client: Client,
    goal: Goal,
    milestone: Goal,
    strateg: User,
    basis: dict[str, str],
    status: str | None,
    reason: str,
) -> None:
    Goal.objects.filter(pk=goal.pk).update(deadline=datetime.date(2026, 3, 31))
    GoalResult.objects.filter(goal=goal, quarter=QUARTER).update(
        status=status, forecast=None, forecast_status=None, basis=basis
    )
    client.force_login(strateg)

    # The reason in brackets, in words a reader knows: not "Ingen prognos: leverans".
    assert _deadline_rows(client)[goal.title][3] == f"Ingen prognos ({reason})"


def test_a_measure_goals_forecast_is_in_the_measures_unit() -> None:
    def cell(forecast: str, target: str, unit: str) -> str:
        result = SimpleNamespace(
            status="risk",
            forecast=Decimal(forecast),
            target=Decimal(target),
            basis={"kind": "measure"},
        )
        return forecast_cell(result, unit).value

    assert cell("74.25", "75", "%") == "74,3\u00a0% mot målet 75\u00a0%"
    assert cell("48", "50", "%") == "48,0\u00a0% mot målet 50\u00a0%"
    assert cell("2310.4", "2500", "st") == "2\u00a0310,4\u00a0st mot målet 2\u00a0500\u00a0st"


def test_an_index_goals_forecast_has_the_indexs_one_decimal() -> None:
    # "83,6" as the goal's sentence and its Underlag write it, not "83,59".
    result = SimpleNamespace(
        status="risk", forecast=Decimal("83.59"), target=Decimal("85"), basis={"kind": "measure"}
    )
    assert forecast_cell(result, "", "index").value == "83,6 mot målet 85,0"
    assert forecast_cell(result, "", "mean").value == "83,6 mot målet 85,0"


def test_a_count_goals_forecast_and_target_have_one_decimal_where_not_whole() -> None:
    # A count's forecast and a target computed from its baseline are no counts: one decimal
    # where not whole, as its sentence and Underlag write them ("215,1", not "215,05" or "215").
    def cell(forecast: str, target: str, improvement: str = "higher", latest: int = 200) -> str:
        result = SimpleNamespace(
            status="risk",
            forecast=Decimal(forecast),
            target=Decimal(target),
            basis={"kind": "measure", "improvement": improvement, "latest_value": latest},
        )
        return forecast_cell(result, "st", "count").value

    assert cell("231.646667", "215.05") == "231,6\u00a0st mot målet 215,1\u00a0st"
    assert cell("215.05", "230") == "215,1\u00a0st mot målet 230\u00a0st"
    assert cell("210", "230") == "210\u00a0st mot målet 230\u00a0st"
    # Never rounded to look as if it reached the target: a forecast just short keeps the
    # decimals that show it, and so does the target beside a latest value just short of it
    # (the sentence: "var 215 st … målet är minst 215,04 st").
    assert cell("214.96", "215") == "214,96\u00a0st mot målet 215\u00a0st"
    assert cell("214.5", "215.04") == "214,5\u00a0st mot målet 215\u00a0st"
    assert cell("214.5", "215.04", latest=215) == "214,5\u00a0st mot målet 215,04\u00a0st"
    assert cell("215.32", "215.34") == "215,32\u00a0st mot målet 215,34\u00a0st"
    assert cell("215.3", "215.04", "lower") == "215,3\u00a0st mot målet 215\u00a0st"


def test_an_adoption_goals_forecast_has_one_decimal_and_its_target_is_as_set() -> None:
    result = SimpleNamespace(
        status="risk", forecast=Decimal("48"), target=Decimal("50.00"), basis={"kind": "adoption"}
    )

    # The same "48,0 %" as the goal's sentence and its Underlag; the target as it was set.
    assert forecast_cell(result).value == "48,0\u00a0% mot målet 50\u00a0%"


def test_an_achieved_milestone_due_in_the_quarter_shows_no_forecast(
    client: Client, goal: Goal, milestone: Goal, strateg: User
) -> None:
    # As a row stored before the engine stopped giving a forecast beside "Uppnått".
    Goal.objects.filter(pk=milestone.pk).update(deadline=datetime.date(2025, 12, 31))
    GoalResult.objects.filter(goal=milestone, quarter=QUARTER).update(
        status=Status.ACHIEVED.value, forecast_status=Status.ON_TRACK.value
    )
    client.force_login(strateg)

    page = client.get(reverse("home"), {"kvartal": QUARTER}).content.decode()
    table = page.split('id="deadlines-title"')[1].split("</table>")[0]
    row = next(r for r in table.split("<tr>") if milestone.title in r)

    assert "Uppnått" in row
    assert "Enligt plan" not in row
    assert '<span class="muted">Ingen prognos (utfallet är avgjort)</span>' in row
    # Its date and no countdown, as on its goal line: not "31 dec 2025 / i dag" beside "Uppnått".
    assert '<time datetime="2025-12-31">' in row
    assert "i dag" not in row
    goal_page = text(client.get(reverse("goal_detail", kwargs={"code": milestone.code})))
    assert "Prognos: Enligt plan" not in goal_page


def test_the_countdown_follows_the_manual_assessment_where_nothing_is_computed() -> None:
    soon = SimpleNamespace(deadline=timezone.localdate() + datetime.timedelta(days=3))
    assessed = SimpleNamespace(status="", assessment_status=Status.ACHIEVED.value)
    on_plan = SimpleNamespace(status=Status.ON_TRACK.value, assessment_status="")

    assert deadline_countdown(soon, assessed) == ""
    assert deadline_countdown(soon, on_plan) == "om\u00a03\u00a0dagar"
    assert deadline_countdown(soon) == "om\u00a03\u00a0dagar"
    assert deadline_countdown(SimpleNamespace(deadline=None)) == ""


# --- "Redigera" in place on the dashboards ------------------------------------------------------


def inline_url(goal: Goal, look: str, quarter: str | None = QUARTER) -> str:
    query = f"?vy={look}" + (f"&kvartal={quarter}" if quarter else "")
    return reverse("goal_inline_edit", kwargs={"code": goal.code}) + query


def block_url(goal: Goal, look: str) -> str:
    path = reverse("goal_inline_block", kwargs={"code": goal.code})
    return f"{path}?vy={look}&kvartal={QUARTER}"


def posted(client: Client, url: str, **changes: str) -> dict[str, Any]:
    """The form as the inline GET gives it, with changes: what "Spara" posts."""
    form = client.get(url, headers=HX).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(changes)
    return data


def test_redigera_on_the_area_page_asks_for_the_form_in_place_of_the_block(
    goal: Goal, milestone: Goal, strateg: User
) -> None:
    page = login(strateg).get(area_url()).content.decode()

    for each in (goal, milestone):
        assert f'<div class="goal-line-block" id="goal-{each.pk}">' in page
        assert f'hx-get="{html.escape(inline_url(each, "omrade"))}"' in page
        assert f'hx-target="#goal-{each.pk}"' in page
        # Without JavaScript the same button is the edit page's link, back here afterwards.
        assert reverse("goals:goal_edit", args=[each.pk]) + "?next=" in page


def test_the_inline_form_replaces_the_block_and_posts_and_cancels_to_the_dashboard(
    goal: Goal, strateg: User
) -> None:
    response = login(strateg).get(inline_url(goal, "omrade"), headers=HX)

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert f'<form class="goal-form card" id="goal-{goal.pk}"' in body
    assert f'hx-post="{html.escape(inline_url(goal, "omrade"))}"' in body
    assert f'hx-get="{html.escape(block_url(goal, "omrade"))}"' in body  # "Avbryt"
    assert re.search(r'name="title"[^>]*autofocus', body)  # focus moves into the form


def test_spara_gives_the_block_back_in_its_dashboard_look_with_the_new_deadline(
    goal: Goal, strateg: User
) -> None:
    client = login(strateg)
    url = inline_url(goal, "omrade")
    before = goal.history.count()

    response = client.post(
        url, posted(client, url, deadline="2026-03-31", deadline_reason="Försenad"), headers=HX
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert "<form" not in body
    assert f'<div class="goal-line-block" id="goal-{goal.pk}">' in body
    assert '<time datetime="2026-03-31">31 mar 2026</time>' in body
    assert "Enligt plan" in body  # the quarter's status, as on the page
    assert re.search(r'hx-get="[^"]*vy=omrade[^"]*"[^>]*autofocus', body)  # focus back
    assert "Ändringarna är sparade." in body
    assert '<div id="messages" hx-swap-oob="innerHTML">' in body  # into the page's live region
    goal.refresh_from_db()
    assert goal.deadline == datetime.date(2026, 3, 31)
    assert goal.history.count() == before + 1
    assert goal.history.first().history_user == strateg


def test_avbryt_gives_the_block_back_unchanged(goal: Goal, strateg: User) -> None:
    response = login(strateg).get(block_url(goal, "omrade"), headers=HX)

    assert response.status_code == 200
    body = response.content.decode()
    assert f'<div class="goal-line-block" id="goal-{goal.pk}">' in body
    assert goal.title in body
    assert re.search(r"Redigera[^<]*<span", body)
    assert "autofocus" in body


def test_on_the_goal_page_the_header_and_the_milestone_lines_come_back_in_their_look(
    goal: Goal, milestone: Goal, strateg: User
) -> None:
    client = login(strateg)
    page = client.get(reverse("goal_detail", kwargs={"code": goal.code})).content.decode()
    assert f'<div class="goal-header" id="goal-{goal.pk}">' in page
    assert html.escape(inline_url(goal, "mal")) in page
    assert html.escape(inline_url(milestone, "delmal")) in page

    url = inline_url(goal, "mal")
    header = client.post(url, posted(client, url, title="Teamrond överallt"), headers=HX)
    assert header.status_code == 200
    body = header.content.decode()
    assert f'<div class="goal-header" id="goal-{goal.pk}">' in body
    assert "<h1>Teamrond överallt</h1>" in body

    url = inline_url(milestone, "delmal")
    line = client.post(
        url, posted(client, url, deadline="2025-12-15", deadline_reason="Tidigarelagd"), headers=HX
    )
    assert line.status_code == 200
    body = line.content.decode()
    assert f'<div class="goal-line-block" id="goal-{milestone.pk}">' in body
    assert '<time datetime="2025-12-15">' in body
    assert "bedömning" not in body  # the Mål page's milestone lines carry no assessments


def test_errors_and_conflicts_stay_in_place_with_the_dashboard_form(
    goal: Goal, strateg: User, admin_user: User
) -> None:
    client = login(strateg)
    url = inline_url(goal, "omrade")
    stale = posted(client, url, title="Min rubrik")

    invalid = client.post(url, {**stale, "deadline": ""}, headers=HX)
    assert invalid.status_code == 422
    assert "<html" not in invalid.content.decode()
    assert 'aria-invalid="true"' in invalid.content.decode()
    assert f'hx-post="{html.escape(url)}"' in invalid.content.decode()

    other = login(admin_user)
    assert other.post(url, posted(other, url, title="Deras rubrik"), headers=HX).status_code == 200
    conflict = client.post(url, stale, headers=HX)

    assert conflict.status_code == 409
    body = conflict.content.decode()
    assert "Någon annan hann före" in body
    assert "Min rubrik" in body
    assert "Deras rubrik" in body
    assert f'hx-post="{html.escape(url)}"' in body  # "Spara mina ändringar" stays inline
    goal.refresh_from_db()
    assert goal.title == "Deras rubrik"


def test_without_javascript_the_inline_url_is_the_edit_page_and_leads_back(
    goal: Goal, strateg: User
) -> None:
    client = login(strateg)
    url = inline_url(goal, "omrade")
    assert "<html" in client.get(url).content.decode()

    response = client.post(
        url, posted(client, url, deadline="2026-03-31", deadline_reason="Försenad")
    )

    assert response.status_code == 302
    assert response["Location"] == f"{area_url()}?kvartal={QUARTER}"


def test_a_reader_gets_no_inline_button_and_403_on_the_endpoint(
    goal: Goal, styrgrupp: User, strateg: User
) -> None:
    client = login(styrgrupp)
    for page in (area_url(), reverse("goal_detail", kwargs={"code": goal.code})):
        content = client.get(page).content.decode()
        assert reverse("goal_inline_edit", kwargs={"code": goal.code}) not in content
        assert ">Redigera" not in content
    url = inline_url(goal, "omrade")
    data = posted(login(strateg), url, title="Styrgruppens rubrik")

    assert client.get(url, headers=HX).status_code == 403
    assert client.post(url, data, headers=HX).status_code == 403
    goal.refresh_from_db()
    assert goal.title != "Styrgruppens rubrik"
    # The block itself is readable, without the button.
    block = client.get(block_url(goal, "omrade"), headers=HX)
    assert block.status_code == 200
    assert ">Redigera" not in block.content.decode()


def test_another_areas_owner_gets_403_and_an_unknown_place_404(
    goal: Goal, data: DashboardData, strateg: User
) -> None:
    other = ProgrammeAreaFactory(phase=data.programme_area.phase, number=2, name="Annat")
    owner = UserFactory(username="po2", role=Role.PROGRAMME_OWNER, role__programme_area=other)

    assert login(owner).get(inline_url(goal, "omrade"), headers=HX).status_code == 403
    assert login(strateg).get(inline_url(goal, "annat"), headers=HX).status_code == 404


@pytest.mark.parametrize(
    "size",
    [
        {"vos": 1, "hcs_per_vo": 2, "quarters": 2, "measures": 1, "goals": 1},
        {"vos": 4, "hcs_per_vo": 5, "quarters": 10, "measures": 3, "goals": 4},
    ],
    ids=["small", "large"],
)
def test_the_block_and_the_inline_form_run_a_constant_number_of_queries(
    db: None, size: dict[str, int]
) -> None:
    data = dashboard_data_create(**size)
    client = login(UserFactory(username="strateg", role=Role.STRATEGIST))
    goal = data.goals[0]
    counts = {}
    for name, url in (("block", block_url(goal, "omrade")), ("form", inline_url(goal, "omrade"))):
        client.get(url, headers=HX)  # warm: content types, the cache of quarters
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, headers=HX).status_code == 200
        counts[name] = len(queries)

    # The block reads the goal with its relations, its assessments and its result; the form the
    # goal and its fields' choices: nothing per unit, quarter, measure or other goal.
    assert counts == BLOCK_QUERIES
