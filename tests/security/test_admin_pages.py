"""The admin as each role sees it (issue 10 item 6): the index lists the apps the rules allow,
every app index and list opens, the third-party pages speak Swedish, and values read as users
read them (quarters "Kv 4 2025", decimals without trailing zeros, choice labels)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from programmes.models import ProgrammeArea
from tests.admin_forms import admin_save
from tests.factories import (
    ComputeRunFactory,
    GoalFactory,
    GoalResultFactory,
    OrgTree,
    PeriodResultFactory,
)
from tests.security.conftest import ROLES, AdminClient

pytestmark = pytest.mark.django_db

OUR_APPS = {"Mål", "Programområden", "Organisation", "Uppföljning"}
ADMIN_APPS = OUR_APPS | {"Autentisering och auktorisering", "Periodiska uppgifter"}
EXPECTED_APPS = {
    "strategist": OUR_APPS,
    "admin_user": ADMIN_APPS,
    "portfolio_owner": OUR_APPS,
    "steering_member": OUR_APPS,
    "programme_owner": OUR_APPS,
    "vc": OUR_APPS,
    "vec": OUR_APPS,
    "no_role_user": set(),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_walks_the_admin_index_and_every_app_and_list_it_is_shown(
    admin_client_as: AdminClient, org_tree: OrgTree, programme_area: ProgrammeArea, role: str
) -> None:
    client = admin_client_as(role)

    index = client.get("/admin/")
    apps = index.context["app_list"]

    assert index.status_code == 200
    assert {str(app["name"]) for app in apps} == EXPECTED_APPS[role]
    for app in apps:
        assert client.get(app["app_url"]).status_code == 200, app["app_url"]
        for model in app["models"]:
            if model["admin_url"]:
                assert client.get(model["admin_url"]).status_code == 200, model["admin_url"]
            if model["add_url"]:
                assert client.get(model["add_url"]).status_code == 200, model["add_url"]


def test_an_app_the_role_may_not_see_is_not_found(admin_client_as: AdminClient) -> None:
    strategist = admin_client_as("strategist")
    nobody = admin_client_as("no_role_user")

    assert strategist.get("/admin/goals/").status_code == 200
    assert strategist.get("/admin/auth/").status_code == 404
    assert strategist.get("/admin/django_celery_beat/").status_code == 404
    assert nobody.get("/admin/goals/").status_code == 404


def test_the_strategist_edits_a_milestone_from_the_admin_index_by_following_links(
    admin_client_as: AdminClient, strategist: User, programme_area: ProgrammeArea
) -> None:
    milestone = GoalFactory(programme_area=programme_area, milestone=True, title="Hälften")
    client = admin_client_as("strategist")

    index = client.get("/admin/")
    assert 'href="/admin/goals/"' in index.content.decode()
    app = client.get("/admin/goals/")
    assert 'href="/admin/goals/goal/"' in app.content.decode()
    goals = client.get("/admin/goals/goal/")
    change_url = f"/admin/goals/goal/{milestone.pk}/change/"
    assert f'href="{change_url}' in goals.content.decode()
    admin_save(client, change_url, title="Hälften av hälsocentralerna")

    milestone.refresh_from_db()
    assert milestone.title == "Hälften av hälsocentralerna"
    assert milestone.history.first().history_user == strategist


# --- Swedish on third-party admin pages -------------------------------------------------------

ENGLISH = [
    "Periodic tasks",
    "Periodic Tasks",
    "periodic task",
    "Crontabs",
    "crontab",
    "Intervals",
    "interval",
    "Solar events",
    "Clocked",
    "clocked",
    "Changed by",
    "Change reason",
    "Date/time",
    "Choose a date",
    "Revert",
    "Object",
    "Comment",
    "Changes",
    "Changed",
    "Created",
    "History",
    "Task (registered)",
    "Task (custom)",
    "Arguments",
    "Schedule",
    "Execution Options",
    "Enabled",
    "Name",
    "Description",
    "Positional Arguments",
    "Keyword Arguments",
    "Last Run",
    "Total Run Count",
    "Minute(s)",
    "Hour(s)",
    "Cron Timezone",
    "Number of Periods",
    "Interval Period",
    "Solar Event",
    "Latitude",
    "Clock Time",
    "Run selected tasks",
    "Enable selected tasks",
    "entries",
]


class _Text(HTMLParser):
    """The text a user reads on a page (no markup, scripts or styles)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        for name, value in attrs:
            # What a user is shown or read aloud: titles, labels, button texts.
            if name in {"title", "aria-label", "placeholder"} or (
                tag == "input" and name == "value" and ("type", "submit") in attrs
            ):
                self.parts.append(value or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def text_on(html: str) -> str:
    """The text a user reads on the page."""
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def english_on(html: str, words: list[str] = ENGLISH) -> list[str]:
    """The English words of the list that the page shows."""
    text = text_on(html)
    return [word for word in words if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)]


def test_the_history_and_periodic_task_pages_are_swedish(
    admin_client_as: AdminClient, programme_area: ProgrammeArea
) -> None:
    client = admin_client_as("admin_user")
    goal = GoalFactory(programme_area=programme_area, title="Teamrond")
    admin_save(client, f"/admin/goals/goal/{goal.pk}/change/", title="Teamrond på alla HC")
    every_hour = CrontabSchedule.objects.create(minute="0")
    daily = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    task = PeriodicTask.objects.create(
        name="Nattlig omräkning", task="followup.tasks.compute_recent_quarters", crontab=every_hour
    )
    pages = [
        f"/admin/goals/goal/{goal.pk}/history/",
        f"/admin/goals/goal/{goal.pk}/history/{goal.history.last().history_id}/",
        "/admin/",
        "/admin/django_celery_beat/",
        "/admin/django_celery_beat/periodictask/",
        "/admin/django_celery_beat/periodictask/add/",
        f"/admin/django_celery_beat/periodictask/{task.pk}/change/",
        "/admin/django_celery_beat/crontabschedule/",
        f"/admin/django_celery_beat/crontabschedule/{every_hour.pk}/change/",
        "/admin/django_celery_beat/intervalschedule/",
        f"/admin/django_celery_beat/intervalschedule/{daily.pk}/change/",
        "/admin/django_celery_beat/solarschedule/add/",
        "/admin/django_celery_beat/clockedschedule/add/",
    ]

    found = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        found[url] = english_on(response.content.decode())

    assert found == {url: [] for url in pages}


# django-axes' own labels, as its admin would show them untranslated.
AXES_ENGLISH = [
    "Axes",
    "Access attempts",
    "Access attempt",
    "Access logs",
    "Access log",
    "Access failures",
    "Access failure",
    "Attempt Time",
    "IP Address",
    "User Agent",
    "Username",
    "Path",
    "HTTP Accept",
    "GET Data",
    "POST Data",
    "Failed Logins",
    "Form Data",
    "Meta Data",
    "Logout Time",
    "Session key hash",
    "Access lock out",
    "Locked Out",
    "Attempt Remaining",
    "Expiration",
    "Not set",
    "Clean up expired attempts",
]


def test_the_lockout_pages_of_django_axes_are_swedish(db: None) -> None:
    superuser = User.objects.create_superuser("huvudadmin", password="x-" * 8)
    client = Client()
    client.force_login(superuser)
    attempt = AccessAttempt.objects.create(
        username="strateg", user_agent="Firefox", get_data="", post_data="",
        failures_since_start=5, http_accept="text/html", path_info="/konto/logga-in/",
        ip_address="10.0.0.1",
    )  # fmt: skip
    log = AccessLog.objects.create(
        username="strateg", user_agent="Firefox", http_accept="text/html",
        path_info="/konto/logga-in/", ip_address="10.0.0.1",
    )  # fmt: skip
    failure = AccessFailureLog.objects.create(
        username="strateg", user_agent="Firefox", http_accept="text/html",
        path_info="/konto/logga-in/", ip_address="10.0.0.1", locked_out=True,
    )  # fmt: skip
    pages = [
        "/admin/",
        "/admin/axes/",
        "/admin/axes/accessattempt/",
        f"/admin/axes/accessattempt/{attempt.pk}/change/",
        "/admin/axes/accesslog/",
        f"/admin/axes/accesslog/{log.pk}/change/",
        "/admin/axes/accessfailurelog/",
        f"/admin/axes/accessfailurelog/{failure.pk}/change/",
    ]

    found, texts = {}, {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        found[url] = english_on(html, AXES_ENGLISH)
        texts[url] = text_on(html)

    assert found == {url: [] for url in pages}
    # The admin index names the app and its three lists in Swedish.
    index = client.get("/admin/")
    axes_app = next(app for app in index.context["app_list"] if app["app_label"] == "axes")
    assert str(axes_app["name"]) == "Inloggningsspärr"
    assert sorted(str(model["name"]) for model in axes_app["models"]) == [
        "Inloggningar",
        "Inloggningsförsök",
        "Misslyckade inloggningar",
    ]
    attempts = texts["/admin/axes/accessattempt/"]
    for label in ("Tidpunkt", "IP-adress", "Användarnamn", "Sökväg", "Misslyckade inloggningar"):
        assert label in attempts
    assert "Spärrad" in attempts  # the status column of a locked-out row, and its filter
    assert "Rensa utgångna inloggningsförsök" in attempts
    assert "Formulärdata" in texts[f"/admin/axes/accessattempt/{attempt.pk}/change/"]
    assert "Utloggad" in texts["/admin/axes/accesslog/"]


def test_the_axes_clean_up_action_removes_expired_attempts_and_answers_in_swedish(
    db: None,
) -> None:
    superuser = User.objects.create_superuser("huvudadmin", password="x-" * 8)
    client = Client()
    client.force_login(superuser)
    row = {"user_agent": "Firefox", "get_data": "", "post_data": "", "http_accept": "text/html",
           "path_info": "/", "ip_address": "10.0.0.1", "failures_since_start": 1}  # fmt: skip
    old = AccessAttempt.objects.create(username="gammal", **row)
    AccessAttempt.objects.filter(pk=old.pk).update(
        attempt_time=timezone.now() - datetime.timedelta(hours=1)
    )
    recent = AccessAttempt.objects.create(username="ny", **row)

    response = client.post(
        "/admin/axes/accessattempt/",
        {"action": "cleanup_expired_attempts", "_selected_action": [old.pk, recent.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 utgånget inloggningsförsök rensades." in response.content.decode()
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["ny"]


def test_the_english_word_finder_finds_english() -> None:
    assert english_on("<h1>Periodic tasks</h1><th>Changed by</th>") == [
        "Periodic tasks",
        "Changed by",
        "Changed",
    ]
    assert english_on('<script>var Name = "History";</script><p>Ändrad av</p>') == []


# --- values as users read them ----------------------------------------------------------------


def test_admin_lists_show_quarters_decimals_and_choices_as_users_read_them(
    admin_client_as: AdminClient, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    client = admin_client_as("strategist")
    GoalResultFactory(
        goal__programme_area=programme_area,
        quarter="2026Q4",
        progress=Decimal("53.850000"),
        target=Decimal("50.000000"),
    )
    PeriodResultFactory(unit=org_tree.vo1, value=Decimal("12.5000"))
    ComputeRunFactory(quarter="2026Q4", trigger="goal")
    ComputeRunFactory(
        quarter="2026Q3",
        trigger="schedule",
        started_at=datetime.datetime(2026, 9, 1, tzinfo=datetime.UTC),
    )

    goal_results = client.get("/admin/followup/goalresult/").content.decode()
    period_results = client.get("/admin/followup/periodresult/").content.decode()
    runs = client.get("/admin/followup/computerun/").content.decode()

    assert "Kv 4 2026" in goal_results
    assert "2026Q4" not in goal_results.replace("quarter=2026Q4", "")
    assert "53,85<" in goal_results
    assert ">50<" in goal_results
    assert "53,850000" not in goal_results
    assert "Enligt plan" in goal_results
    assert "12,5<" in period_results
    assert "Ändrat mål" in runs
    assert "Nattlig omräkning" in runs
    assert ">goal<" not in runs
