"""`manage.py load_demo`: the Gävleborg plan as data, idempotence, demo accounts, demo values."""

from __future__ import annotations

import datetime
import io
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from statistics import fmean

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from base.editing import history_page
from base.history import DEMO_CHANGE_REASON
from base.periods import Quarter
from followup.demo import DEMO_IMPORT_NOTE, DEMO_PASSWORD, ERROR_USERS_IN_PRODUCTION
from followup.imports.services import import_preview
from followup.models import (
    ComputeRun,
    DemoAccount,
    GoalResult,
    ImportBatch,
    Measure,
    Observation,
    QuarterReport,
)
from followup.quarter_report import sha256_of
from followup.selectors import quarter_report_history, quarters_in_scope
from followup.services import quarter_compute, recompute_all
from goals.models import AdoptionRecord, Assessment, Goal
from goals.services import goal_delete_check
from organisation.models import Role, RoleAssignment, Unit
from programmes.models import ActivityPlan, ProgrammeArea, SupportingProcess, SupportNeed

pytestmark = pytest.mark.django_db

COMMAND_MODULE = "followup.management.commands.load_demo"
DATASET = Path(settings.BASE_DIR) / "data" / "gavleborg"
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
DEMO_USERNAMES = [
    "admin",
    "strateg",
    "portfoljagare",
    "styrgrupp",
    "poansvarig",
    "vc-syd",
    "vec-sandviken",
]


def run_load_demo(*args: str) -> str:
    """Run the command and return what it printed."""
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def no_recompute(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave the follow-up engine out where a test is only about the loaded rows."""
    monkeypatch.setattr(f"{COMMAND_MODULE}.recompute_all", lambda **kwargs: [])


@pytest.fixture(scope="module")
def _demo_loaded_once(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[str]:
    """Load the demo once for the module (with the real recompute) and roll it back at the end.

    Each test's own transaction nests inside this one as a savepoint, so tests stay isolated
    while sharing the few seconds the load takes.
    """
    # The suite's cheap hasher is a function-scoped fixture, so set it here as well.
    with (
        override_settings(PASSWORD_HASHERS=[FAST_HASHER]),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield run_load_demo()
        transaction.set_rollback(True)


@pytest.fixture
def loaded(_demo_loaded_once: str, db: None) -> str:
    """The demo as loaded by a first run; the command's output."""
    return _demo_loaded_once


def goal(code: str) -> Goal:
    return Goal.objects.select_related("parent", "working_method", "unit_kind", "measure").get(
        code=code
    )


def row_counts() -> dict[str, int]:
    """Rows in every table, history tables and m2m link tables included."""
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


# --- on an empty database: these run first, before the module's shared load -------------


def assert_database_is_empty() -> None:
    """Guard for the tests below: they must not run after the shared load of this module."""
    assert not Unit.objects.exists(), "run these tests before the module's shared demo load"


@override_settings(LOCAL_MODE=False)
def test_production_mode_creates_no_users(no_recompute: None) -> None:
    assert_database_is_empty()

    output = run_load_demo()

    assert User.objects.count() == 0
    assert "Demo accounts were not created" in output
    assert "Demokonton /" not in output
    # Everything that needs an author is skipped; the plan and the values are still there.
    assert not Assessment.objects.exists()
    assert not SupportNeed.objects.exists()
    assert ProgrammeArea.objects.count() == 6
    assert Observation.objects.exists()
    assert not QuarterReport.objects.exists()
    assert not ActivityPlan.objects.exists()
    assert "No quarterly reports were closed" in output


@override_settings(LOCAL_MODE=False)
def test_production_mode_refuses_demo_users_when_asked_for() -> None:
    assert_database_is_empty()

    with pytest.raises(CommandError, match=re.escape(ERROR_USERS_IN_PRODUCTION)):
        run_load_demo("--users")

    assert User.objects.count() == 0
    assert not Unit.objects.exists()


def test_plan_only_loads_no_demo_data(no_recompute: None) -> None:
    assert_database_is_empty()

    run_load_demo("--plan-only")

    assert Goal.objects.count() >= 14
    assert not User.objects.exists()
    assert not Observation.objects.exists()
    assert not AdoptionRecord.objects.exists()


def test_a_typo_in_the_data_set_fails_and_leaves_nothing_half_written(
    tmp_path: Path, no_recompute: None
) -> None:
    assert_database_is_empty()
    dataset = tmp_path / "gavleborg"
    shutil.copytree(DATASET, dataset)
    plan = dataset / "plan.toml"
    plan.write_text(
        plan.read_text(encoding="utf-8").replace("target_share = 50", "target_shar = 50"),
        encoding="utf-8",
    )

    with pytest.raises(CommandError, match="target_shar"):
        run_load_demo("--dataset", str(dataset))

    assert not Unit.objects.exists()
    assert not ProgrammeArea.objects.exists()


def test_a_folder_without_a_data_set_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="organisation.toml"):
        run_load_demo("--dataset", str(tmp_path))


def test_another_region_can_ship_its_own_data_set(tmp_path: Path, no_recompute: None) -> None:
    assert_database_is_empty()
    (tmp_path / "organisation.toml").write_text(
        """
unit_kinds = [
  { code = "region", name = "Region", name_plural = "Regioner" },
  { code = "hc", name = "Hälsocentral", name_plural = "Hälsocentraler" },
]
units = [
  { code = "R", name = "Region Testland", kind = "region" },
  { code = "HC-A", name = "Hälsocentral Aby", kind = "hc", parent = "R" },
]
""",
        encoding="utf-8",
    )
    (tmp_path / "plan.toml").write_text(
        """
[[phases]]
code = "plan-2026"
name = "Handlingsplan 2026"
start_date = 2026-01-01
end_date = 2026-12-31

[[programme_areas]]
number = 1
name = "Patientkontrakt"

[[goals]]
code = "pk-1"
programme_area = 1
kind = "direction"
title = "Fler patienter med patientkontrakt"
""",
        encoding="utf-8",
    )
    (tmp_path / "measures.toml").write_text("measures = []\n", encoding="utf-8")

    output = run_load_demo("--dataset", str(tmp_path))

    assert list(ProgrammeArea.objects.values_list("name", flat=True)) == ["Patientkontrakt"]
    assert Unit.objects.in_subtree(Unit.objects.get(code="R")).count() == 2
    assert Goal.objects.get().code == "pk-1"
    assert not User.objects.exists()
    assert "Demokonton /" not in output


# --- the plan ---------------------------------------------------------------------------------


def test_plan_has_the_six_programme_areas_of_phase_2(loaded: str) -> None:
    areas = ProgrammeArea.objects.select_related("phase").order_by("number")

    assert [(a.number, a.name) for a in areas] == [
        (1, "Teamarbete"),
        (2, "Prevention"),
        (3, "Dokumenterad överenskommelse"),
        (4, "Digitala arbetssätt"),
        (5, "Undvik slutenvård genom proaktiva arbetssätt"),
        (6, "Stegvis vård för psykisk hälsa"),
    ]
    assert {a.phase.code for a in areas} == {"fas-2"}
    assert areas.get(number=1).start_date == datetime.date(2025, 3, 1)
    assert areas.get(number=2).start_date == datetime.date(2025, 4, 1)
    # Only PO 1 (Teamrond) asks each VO for an activity plan and timeline.
    assert [a.number for a in areas if a.requests_activity_plans] == [1]
    assert SupportingProcess.objects.count() == 12
    assert all(area.supporting_processes.exists() for area in areas)


def test_teamrond_milestone_is_half_of_the_health_centres_by_december_2025(loaded: str) -> None:
    milestone = goal("po1-teamrond-2025")

    assert milestone.title == "Teamrond infört på 50 % av hälsocentralerna"
    assert milestone.kind == Goal.Kind.ADOPTION
    assert milestone.deadline == datetime.date(2025, 12, 31)
    assert milestone.target_share == Decimal(50)
    assert milestone.working_method.name == "Teamrond"
    assert milestone.unit_kind.code == "halsocentral"
    assert milestone.parent.code == "po1-teamrond-2026"
    assert milestone.parent.target_share == Decimal(100)
    assert milestone.parent.deadline == datetime.date(2026, 12, 31)
    assert goal("po1-teamarbete").kind == Goal.Kind.DIRECTION


def test_prevention_instrument_is_decided_then_implemented_then_adopted(loaded: str) -> None:
    decided = goal("po2-instrument-beslutat-2025")
    adopted = goal("po2-riskbedomning-2027")

    assert decided.kind == Goal.Kind.DELIVERABLE
    assert decided.deadline == datetime.date(2025, 12, 31)
    assert decided.parent.title == "Enhetligt riskbedömningsinstrument implementerat"
    assert decided.parent.deadline == datetime.date(2026, 12, 31)
    assert decided.completed_on == datetime.date(2025, 11, 18)
    assert decided.evidence_reference
    assert adopted.kind == Goal.Kind.ADOPTION
    assert adopted.deadline == datetime.date(2027, 12, 31)
    assert adopted.target_share == Decimal(100)


def test_documented_agreements_grow_fifty_percent_against_december_2026(loaded: str) -> None:
    relative = goal("po3-do-okning-2027")
    final = goal("po3-do-2030")

    assert relative.kind == Goal.Kind.MEASURE
    assert relative.relative_change_pct == Decimal(50)
    assert relative.target_value is None
    assert relative.baseline_start == datetime.date(2026, 12, 1)
    assert relative.baseline_end == datetime.date(2026, 12, 31)
    assert relative.deadline == datetime.date(2027, 12, 31)
    assert relative.measure.code == "antal-dokumenterade-overenskommelser"
    assert relative.parent == final
    assert final.deadline == datetime.date(2030, 12, 31)
    assert final.measure.value_type == Measure.ValueType.SHARE
    assert final.target_value == Decimal(100)
    assert goal("po3-do-modul-cosmic-2026").deadline == datetime.date(2026, 12, 31)


def test_mental_health_has_two_deliverables_due_and_done_in_december_2025(loaded: str) -> None:
    adoption = goal("po6-nara-vard-arbetssatt-2026")
    deliverables = adoption.milestones.order_by("order")

    assert adoption.title == "Nära vård-arbetssätt används på samtliga hälsocentraler"
    assert adoption.deadline == datetime.date(2026, 12, 31)
    assert [d.kind for d in deliverables] == [Goal.Kind.DELIVERABLE] * 2
    assert {d.deadline for d in deliverables} == {datetime.date(2025, 12, 31)}
    assert all(
        d.completed_on and d.completed_on.strftime("%Y-%m") == "2025-12" for d in deliverables
    )
    assert "fasas ut" in deliverables[1].title


def test_every_programme_area_has_a_goal_and_milestones_point_to_their_goal(loaded: str) -> None:
    assert set(Goal.objects.values_list("programme_area__number", flat=True)) == set(range(1, 7))
    for milestone in Goal.objects.filter(parent__isnull=False).select_related("parent"):
        assert milestone.parent.parent_id is None
        assert milestone.programme_area_id == milestone.parent.programme_area_id


def test_unit_tree_has_about_26_health_centres_in_five_primary_care_vos(loaded: str) -> None:
    primary_care = Unit.objects.get(code="PRIMARVARD")
    vos = Unit.objects.filter(parent=primary_care, kind__code="verksamhetsomrade")
    health_centres = Unit.objects.filter(kind__code="halsocentral")

    assert vos.count() == 5
    assert 24 <= health_centres.count() <= 30
    assert set(health_centres.values_list("parent_id", flat=True)) == set(
        vos.values_list("pk", flat=True)
    )
    assert Unit.objects.get(code="HC-SANDVIKEN").name == "Hälsocentral Sandviken"
    assert {"vardavdelning", "mottagning"} <= set(Unit.objects.values_list("kind__code", flat=True))
    # The closure table is filled: the whole tree lies below the region.
    region = Unit.objects.get(code="REGION-GAVLEBORG")
    assert Unit.objects.in_subtree(region).count() == Unit.objects.count()
    assert Unit.objects.in_subtree(primary_care).filter(kind__code="halsocentral").count() == (
        health_centres.count()
    )


def test_measures_name_their_reporting_units_and_dö_every_care_level(loaded: str) -> None:
    measures = Measure.objects.prefetch_related("unit_kinds", "programme_areas")

    assert {m.name for m in measures} >= {
        "Rätt hjälp på en gång",
        "Frigjorda läkartider",
        "Arbetsmiljö",
        "Antal dokumenterade överenskommelser",
    }
    for measure in measures:
        assert "halsocentral" in {k.code for k in measure.unit_kinds.all()}
        assert measure.programme_areas.exists()
    # The plan gives DÖ to primary care and to inpatient and outpatient care alike.
    for code in ("antal-dokumenterade-overenskommelser", "andel-samordningsbehov-med-do"):
        kinds = set(measures.get(code=code).unit_kinds.values_list("code", flat=True))
        assert kinds == {"halsocentral", "vardavdelning", "mottagning"}
        assert Observation.objects.filter(
            measure__code=code, unit__kind__code="vardavdelning"
        ).exists()
    assert measures.get(code="arbetsmiljo").frequency == Measure.Frequency.QUARTERLY
    assert measures.get(code="ratt-hjalp-pa-en-gang").aggregation == Measure.Aggregation.RATIO


# --- idempotence ------------------------------------------------------------------------------


def test_running_again_leaves_every_table_unchanged_history_included(
    loaded: str, no_recompute: None
) -> None:
    first = row_counts()

    output = run_load_demo()

    assert row_counts() == first
    assert first["followup.Observation"] > 2000
    assert first["followup.HistoricalObservation"] == first["followup.Observation"]
    assert first["organisation.UnitClosure"] > first["organisation.Unit"]
    assert "Nothing to change" in output


def test_first_run_computes_a_status_with_an_explanation_for_every_goal(loaded: str) -> None:
    current = Quarter.containing(timezone.localdate()).code

    results = GoalResult.objects.filter(quarter=current)

    assert "recomputed" in loaded
    assert results.count() == Goal.objects.count() == 14
    assert all(result.explanation for result in results)
    assert results.get(goal__code="po1-teamrond-2025").explanation.startswith(
        "14 av 26 hälsocentraler (53,8\u00a0%) hade infört arbetssättet ”Teamrond”"
    )


def test_recompute_runs_after_a_change_and_not_on_an_unchanged_rerun(
    loaded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def runs() -> int:
        return ComputeRun.objects.filter(trigger="load_demo").count()

    quarters = len(quarters_in_scope())
    Observation.objects.filter(measure__code="arbetsmiljo").order_by("pk").first().delete()
    before = runs()

    repaired = run_load_demo()
    after_repair = runs()
    unchanged = run_load_demo()
    after_unchanged = runs()
    run_load_demo("--recompute")

    assert "recomputed" in repaired
    assert after_repair - before == quarters  # each quarter once: no per-row trigger runs
    assert "No recompute" in unchanged
    assert after_unchanged == after_repair
    assert runs() - after_unchanged == quarters


# --- demo accounts ----------------------------------------------------------------------------


def test_the_history_names_the_data_set_and_the_demo_data_not_an_unknown_user(
    loaded: str,
) -> None:
    """No person made these rows: "Ändringshistorik" says where they came from."""
    client = Client()
    client.force_login(User.objects.get(username="strateg"))
    done = goal("po2-instrument-beslutat-2025")  # created by the data set, completed by the demo
    page = client.get(reverse("goals:goal_history", args=[done.pk])).content.decode()
    lines = re.findall(
        r'<p class="history-meta"><strong>([^<]*)</strong>.*?:\s*(\w+)</p>', page, re.S
    )
    assert lines == [("Demodata", "ändrad"), ("Inläst från planen", "skapad")]
    assert "okänd användare" not in page
    assert "systemet" not in page


def plan_steps(plan: ActivityPlan) -> list[tuple[str, str, datetime.date]]:
    """Who did what to a plan, when: (username, status after, day), oldest first."""
    return [
        (record.history_user.username, record.status, record.history_date.date())
        for record in plan.history.order_by("history_id")
    ]


def test_the_demo_plans_went_through_submission_and_review_on_their_own_days(
    loaded: str,
) -> None:
    """Plans are submitted by the VO and reviewed weeks later by the area's owner, through the
    services: most approved, one sent back and completed, one reopened and awaiting review."""
    plans = {plan.unit.code: plan for plan in ActivityPlan.objects.select_related("unit")}
    now = timezone.now()

    assert sorted(plan.status for plan in plans.values()) == [
        *[ActivityPlan.Status.ACCEPTED] * 4,
        ActivityPlan.Status.SUBMITTED,
    ]
    for plan in plans.values():
        steps = plan_steps(plan)
        days = [day for _, _, day in steps]
        assert days == sorted(days)
        assert plan.history.filter(history_date__gt=now).count() == 0
        assert steps[0][1] == ActivityPlan.Status.DRAFT
        assert steps[1][1] == ActivityPlan.Status.SUBMITTED
        if plan.status == ActivityPlan.Status.ACCEPTED:
            assert plan.reviewed_by.username == "poansvarig"
            assert plan.reviewed_at.date() == steps[-1][2]
            assert datetime.timedelta(days=7) < plan.reviewed_at - plan.submitted_at
    # The VO with a demo account writes its own plan; the strategist registers the others.
    assert {user for user, status, _ in plan_steps(plans["VO-PV-GASTRIKLAND-SYD"])} == {
        "vc-syd",
        "poansvarig",
    }
    # Sent back with a comment in June 2025, completed and approved in the autumn.
    sent_back = plans["VO-PV-HALSINGLAND-SYD"]
    assert plan_steps(sent_back) == [
        ("strateg", "utkast", datetime.date(2025, 5, 9)),
        ("strateg", "inlamnad", datetime.date(2025, 5, 12)),
        ("poansvarig", "utkast", datetime.date(2025, 6, 2)),
        ("strateg", "inlamnad", datetime.date(2025, 8, 25)),
        ("poansvarig", "godkand", datetime.date(2025, 9, 4)),
    ]
    assert sent_back.history.filter(review_comment__startswith="Tidplanen").exists()
    assert sent_back.submitted_at.date() == datetime.date(2025, 8, 25)
    # Approved in 2025, reopened for 2027 in October 2026 and submitted again in November.
    waiting = plans["VO-PV-HALSINGLAND-NORD"]
    assert waiting.status == ActivityPlan.Status.SUBMITTED
    assert waiting.submitted_at.date() == datetime.date(2026, 11, 24)
    assert [status for _, status, _ in plan_steps(waiting)] == [
        "utkast", "inlamnad", "godkand", "utkast", "inlamnad",
    ]  # fmt: skip
    assert waiting.review_comment.startswith("Planen slutar i december 2026")
    assert (waiting.reopened, sent_back.reopened) == (True, False)
    assert waiting.activities.filter(start_date__year=2027).count() == 1
    # Each VO's follow-up activity carries the VC's lägesbeskrivning beside its status.
    noted = [
        activity
        for plan in plans.values()
        for activity in plan.activities.all()
        if activity.status_note
    ]
    assert len(noted) == len(plans)
    assert {a.title for a in noted} == {
        "Uppföljning av införandet i VEC-gruppen med dialogmodellen"
    }
    assert all(a.status_note.startswith("Följs upp varannan vecka") for a in noted)


def test_the_plan_awaiting_review_is_in_the_area_owners_queue(loaded: str) -> None:
    client = Client()
    client.force_login(User.objects.get(username="poansvarig"))

    page = client.get(reverse("programmes:activity_plans")).content.decode()

    queue = page[page.index("Väntar på granskning") : page.index("Skickade tillbaka eller")]
    assert "VO Primärvård Hälsingland Nord" in queue
    assert "24 nov 2026" in queue
    assert "Öppnad för ändring" in queue  # its earlier review reopened it, not sent it back
    assert "VO Primärvård Gästrikland Syd" not in queue


def test_demo_accounts_are_printed_with_role_scope_and_password(loaded: str) -> None:
    table = loaded[loaded.index("Demokonton") :]

    for username in DEMO_USERNAMES:
        line = next(line for line in table.splitlines() if line.startswith(f"{username} "))
        assert line.rstrip().endswith(DEMO_PASSWORD)
    assert "VO Primärvård Gästrikland Syd" in table
    assert "Hälsocentral Sandviken" in table


def test_every_demo_user_can_log_in_with_demo(loaded: str) -> None:
    # Through the login form: django-axes checks every login against a request.
    for username in DEMO_USERNAMES:
        client = Client()
        client.post("/konto/logga-in/", {"username": username, "password": DEMO_PASSWORD})
        assert "_auth_user_id" in client.session, username


def test_every_demo_user_is_recorded_as_made_by_load_demo(loaded: str) -> None:
    assert set(DemoAccount.objects.values_list("user__username", flat=True)) == set(DEMO_USERNAMES)


def test_demo_users_have_their_roles_and_scopes(loaded: str) -> None:
    def scope(username: str) -> list[tuple[str, str | None, int | None]]:
        return list(
            RoleAssignment.objects.filter(user__username=username).values_list(
                "role", "unit__code", "programme_area__number"
            )
        )

    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="strateg").is_staff
    assert scope("strateg") == [(Role.STRATEGIST, None, None)]
    assert scope("portfoljagare") == [(Role.PORTFOLIO_OWNER, "REGION-GAVLEBORG", None)]
    assert scope("poansvarig") == [(Role.PROGRAMME_OWNER, None, 1)]
    assert scope("vc-syd") == [(Role.HEAD_OF_AREA, "VO-PV-GASTRIKLAND-SYD", None)]
    assert scope("vec-sandviken") == [(Role.HEAD_OF_UNIT, "HC-SANDVIKEN", None)]
    assert all(u.first_name and u.last_name for u in User.objects.all())


# --- the quarterly reports -----------------------------------------------------------------------


def test_goals_are_not_started_in_the_quarters_before_their_start(loaded: str) -> None:
    """PO 3 starts in May 2025 and PO 2 in April: in Kv 1 2025 their goals and milestones are
    "Ej påbörjat", and the approved Kv 1 2025 report says so instead of a red PO 3."""
    q1 = {
        r.goal.code: r for r in GoalResult.objects.filter(quarter="2025Q1").select_related("goal")
    }
    for code in (
        "po3-do-2030",
        "po3-do-modul-cosmic-2026",
        "po3-do-okning-2027",
        "po2-instrument-beslutat-2025",
        "po2-instrument-implementerat-2026",
    ):
        assert q1[code].status == "ej_paborjat", code
        assert q1[code].basis["rule"] == "before_start", code
    assert q1["po3-do-2030"].explanation.startswith("Målet startar 1 maj 2025. ")
    assert q1["po3-do-modul-cosmic-2026"].explanation.startswith("Delmålet startar 1 maj 2025. ")
    # The quarter containing the start is judged as usual.
    q2 = GoalResult.objects.get(goal__code="po3-do-2030", quarter="2025Q2")
    assert q2.basis["rule"] != "before_start"

    report = QuarterReport.objects.get(quarter="2025Q1").content_html
    area = report[report.index(">PO 3. Dokumenterad överenskommelse</h3>") :]
    status = re.search(r"Samlad status:\s*(?:<[^>]+>\s*)*([^<]+?)\s*<", area)
    assert status is not None
    assert status.group(1) == "Ej påbörjat"


def test_the_demo_shows_every_state_of_the_quarterly_report(loaded: str) -> None:
    """Every ended quarter is closed by the strategist and all but the latest approved by the
    portfolio owner, through the services: real frozen bodies; the ongoing quarter is a draft."""
    today = timezone.localdate()
    ended = [quarter.code for quarter in quarters_in_scope() if quarter.end < today]
    reports = {report.quarter: report for report in QuarterReport.objects.all()}
    latest = reports[ended[-1]]
    earlier = [reports[code] for code in ended[:-1]]

    assert f"quarterly reports: {len(ended)} nya/created" in loaded
    assert sorted(reports) == ended
    assert Quarter.containing(today).code not in reports
    assert latest.status == QuarterReport.Status.CLOSED
    assert latest.closed_by.username == "strateg"
    assert latest.strategist_comment
    assert all(r.status == QuarterReport.Status.APPROVED for r in earlier)
    assert {r.approved_by.username for r in earlier} == {"portfoljagare"}
    assert any(r.approval_note for r in earlier)
    assert any(not r.approval_note for r in earlier)
    for report in reports.values():
        assert report.content_sha256 == sha256_of(report.content_html)
        assert "Teamarbete" in report.content_html
        assert report.closed_at.date() > Quarter.parse(report.quarter).end
        assert report.closed_at <= timezone.now()
        if report.approved_at is not None:
            assert report.approved_at > report.closed_at


def test_the_demo_plan_was_entered_before_its_reports_so_none_of_its_goals_is_deleted(
    loaded: str,
) -> None:
    """The demo's goals are dated to their area's start, as a plan entered when its phase
    began: each is in the closed reports, and the strategist cannot delete it."""
    closes = list(QuarterReport.objects.values_list("closed_at", flat=True))
    for goal in Goal.objects.select_related("programme_area__phase"):
        created = goal.history.filter(history_type="+").get()
        area = goal.programme_area
        assert created.history_date.date() == (area.start_date or area.phase.start_date)
        # In every report closed since, and so kept.
        assert any(created.history_date < closed for closed in closes), goal.code
        with pytest.raises(ValidationError, match="kan inte tas bort"):
            goal_delete_check(goal=goal)


def test_one_demo_report_was_sent_back_and_closed_again_before_its_approval(
    loaded: str,
) -> None:
    sent_back = QuarterReport.history.exclude(return_comment="")

    assert sent_back.count() == 1
    record = sent_back.get()
    report = QuarterReport.objects.get(pk=record.id)
    kinds = list(report.history.order_by("history_id").values_list("status", flat=True))
    assert kinds == ["faststalld", "utkast", "faststalld", "godkand"]
    assert record.history_user.username == "portfoljagare"
    assert report.strategist_comment.startswith("Kompletterat")
    # The first close is kept as an earlier version, on the demo's days as its events are.
    first, second = report.versions.order_by("number")
    assert (first.ended_as, first.ended_by.username) == ("tillbakaskickad", "portfoljagare")
    assert first.ended_at == record.returned_at
    assert (second.closed_at, second.ended_at) == (report.closed_at, None)
    closes = [
        event.version
        for event in quarter_report_history(report=report).events
        if event.kind in ("closed", "closed_again")
    ]
    assert closes == [1, 2]


def test_each_report_froze_results_computed_after_the_quarter_and_before_its_close(
    loaded: str,
) -> None:
    """The quarter ends, its data is computed, the strategist assesses, closes, and the
    portfolio owner approves, in that order: no report claims it was computed on load day."""
    for report in QuarterReport.objects.all():
        quarter = Quarter.parse(report.quarter)
        computed = report.content_computed_at
        assessed = [a.assessed_at for a in Assessment.objects.filter(quarter=report.quarter)]
        assert quarter.end < computed.date()
        assert assessed
        assert all(computed < moment < report.closed_at for moment in assessed)
        assert report.approved_at is None or report.closed_at < report.approved_at
        # The frozen body says the same time as the page's "Underlaget beräknat".
        stamp = f'datetime="{timezone.localtime(computed).isoformat()}"'
        assert stamp in report.content_html
        assert report.content_sha256 == sha256_of(report.content_html)
        assert (
            ComputeRun.objects.filter(quarter=report.quarter, finished_at__gt=computed).count() == 0
        )
    # The ongoing quarter's computation is the load's own: Portfölj says when it really ran.
    ongoing = Quarter.containing(timezone.localdate()).code
    assert ComputeRun.objects.get(quarter=ongoing).finished_at.date() == timezone.localdate()


def test_each_report_shows_its_own_quarters_assessments(loaded: str) -> None:
    """The direction goals are assessed every quarter: a report never offers an older
    quarter's assessment as the latest."""
    for report in QuarterReport.objects.all():
        label = Quarter.parse(report.quarter).label
        assert report.content_html.count(f"Bedömning {label}") >= 3
        older = re.findall(r"Bedömning (Kv \d \d{4})", report.content_html)
        assert set(older) <= {label, "Kv 4 2025"}  # PO 6's deliverable, assessed once


def test_a_closed_report_says_nothing_was_recomputed_until_something_changes(
    loaded: str,
) -> None:
    report = QuarterReport.objects.get(quarter="2026Q2")
    quarter = Quarter.parse(report.quarter)
    client = Client()
    client.force_login(User.objects.get(username="portfoljagare"))
    url = reverse("quarter_report_detail", kwargs={"quarter": report.quarter})

    untouched = client.get(url).content.decode()
    recompute_all(trigger="nightly")  # the nightly run over unchanged data
    after_nightly = client.get(url).content.decode()
    observation = Observation.objects.filter(
        measure__code="ratt-hjalp-pa-en-gang", period_start=datetime.date(2026, 5, 1)
    ).first()
    observation.numerator = observation.denominator  # a correction: everyone got help at once
    observation.value = Decimal(100)
    observation.save()
    quarter_compute(quarter=quarter, trigger="correction")
    corrected = client.get(url).content.decode()

    assert "Underlaget beräknat" in untouched
    assert "9 jul 2026 02:00" in untouched
    assert "report-recomputed" not in untouched
    assert "report-recomputed" not in after_nightly
    assert "report-recomputed" in corrected
    assert "9 jul 2026 02:00" in corrected  # the frozen body stays as it was


def test_the_demo_reports_history_says_it_was_loaded_as_demo_data(loaded: str) -> None:
    reasons = set(QuarterReport.history.values_list("history_change_reason", flat=True))
    report = QuarterReport.objects.filter(status=QuarterReport.Status.APPROVED).first()

    assert reasons == {DEMO_CHANGE_REASON}
    assert [line.kind for line in history_page(report, None)[1]][-1] == "Inläst som demodata"


def test_the_demo_portfolio_owner_may_approve_the_latest_ended_quarter(loaded: str) -> None:
    latest = QuarterReport.objects.get(status=QuarterReport.Status.CLOSED)
    client = Client()
    client.force_login(User.objects.get(username="portfoljagare"))
    url = reverse("quarter_report_detail", kwargs={"quarter": latest.quarter})

    page = client.get(url).content.decode()
    listed = client.get(reverse("quarter_report_list")).content.decode()

    assert "Godkänn rapporten" in page
    assert listed.count("Godkänd") >= 6
    assert "Fastställd" in listed
    assert "Utkast" in listed


# --- the synthetic values ---------------------------------------------------------------------


def test_observations_are_labelled_demo(loaded: str) -> None:
    batch = ImportBatch.objects.get()
    observations = Observation.objects.all()

    assert batch.source == ImportBatch.Source.DEMO
    assert batch.synthetic
    assert batch.note == DEMO_IMPORT_NOTE
    assert batch.row_count == observations.count()
    assert set(observations.values_list("source", flat=True)) == {ImportBatch.Source.DEMO}
    assert set(observations.values_list("import_batch", flat=True)) == {batch.pk}


def test_observations_cover_whole_months_and_quarters_up_to_october_2026(loaded: str) -> None:
    monthly = Observation.objects.filter(measure__code="ratt-hjalp-pa-en-gang")
    quarterly = Observation.objects.filter(measure__code="arbetsmiljo")

    months = sorted(set(monthly.values_list("period_start", flat=True)))
    assert months[0] == datetime.date(2025, 1, 1)
    assert months[-1] == datetime.date(2026, 10, 1)
    assert len(months) == 22
    assert sorted(set(quarterly.values_list("quarter", flat=True))) == [
        "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3",
    ]  # fmt: skip
    for obs in Observation.objects.all()[:200]:
        next_day = obs.period_end + datetime.timedelta(days=1)
        assert next_day.day == 1
        assert obs.quarter == Quarter.containing(obs.period_end).code
    for obs in monthly[:200]:
        assert obs.value == (100 * obs.numerator / obs.denominator).quantize(Decimal("0.0001"))


def test_about_half_the_health_centres_had_teamrond_by_december_2025(loaded: str) -> None:
    records = AdoptionRecord.objects.filter(working_method__code="teamrond")
    by_2025 = records.filter(
        status=AdoptionRecord.Status.ADOPTED, actual_date__lte=datetime.date(2025, 12, 31)
    )

    assert records.count() == Unit.objects.filter(kind__code="halsocentral").count()
    assert 12 <= by_2025.count() <= 15
    assert {d.year for d in by_2025.values_list("actual_date", flat=True)} == {2025}
    assert records.filter(status=AdoptionRecord.Status.NOT_STARTED).count() >= 2
    assert AdoptionRecord.objects.exclude(working_method__code="teamrond").exists()


def test_right_help_improves_after_a_health_centre_introduces_teamrond(loaded: str) -> None:
    adopted = dict(
        AdoptionRecord.objects.filter(
            working_method__code="teamrond",
            status=AdoptionRecord.Status.ADOPTED,
            actual_date__lte=datetime.date(2025, 9, 30),
        ).values_list("unit_id", "actual_date")
    )
    lifts = []
    for unit_id, day in adopted.items():
        values = Observation.objects.filter(
            measure__code="ratt-hjalp-pa-en-gang", unit_id=unit_id
        ).values_list("period_end", "value")
        before = [float(v) for end, v in values if end < day]
        after = [float(v) for end, v in values if end > day + datetime.timedelta(days=60)]
        lifts.append(fmean(after) - fmean(before))

    assert len(lifts) >= 5
    assert fmean(lifts) > 4


def test_documented_agreements_rise_over_time(loaded: str) -> None:
    def total(month: datetime.date) -> int:
        return sum(
            Observation.objects.filter(
                measure__code="antal-dokumenterade-overenskommelser", period_start=month
            ).values_list("value", flat=True)
        )

    assert total(datetime.date(2026, 10, 1)) > 2 * total(datetime.date(2025, 1, 1))


def test_assessments_plans_and_support_needs_are_there(loaded: str) -> None:
    ended = {quarter.code for quarter in quarters_in_scope() if quarter.end < timezone.localdate()}
    assert set(Assessment.objects.values_list("quarter", flat=True)) == ended
    assert set(Assessment.objects.values_list("author__username", flat=True)) == {"strateg"}
    assert Assessment.history.count() == Assessment.objects.count()
    assert set(Assessment.objects.values_list("goal__kind", flat=True)) == {
        Goal.Kind.DIRECTION,
        Goal.Kind.DELIVERABLE,
    }
    plans = ActivityPlan.objects.filter(programme_area__number=1)
    assert plans.count() == 5
    assert all(4 <= plan.activities.count() <= 5 for plan in plans)
    assert SupportNeed.objects.filter(programme_area__number=1).exists()
    # An answered need was raised by the VC and answered by the area's owner, weeks later.
    answered = SupportNeed.objects.get(status=SupportNeed.Status.ANSWERED)
    records = list(answered.history.order_by("history_date"))
    assert [(r.history_user.username, r.status, r.history_date.date()) for r in records] == [
        ("vc-syd", SupportNeed.Status.OPEN, datetime.date(2025, 5, 20)),
        ("poansvarig", SupportNeed.Status.ANSWERED, datetime.date(2025, 6, 4)),
    ]


def test_demo_units_carry_fictitious_hsa_ids_that_an_import_finds(
    loaded: str, tmp_path: Path
) -> None:
    hsa_ids = list(Unit.objects.values_list("hsa_id", flat=True))
    assert all(hsa and hsa.startswith("SE0000000000-E") for hsa in hsa_ids)
    assert len(set(hsa_ids)) == len(hsa_ids)

    storvik = Unit.objects.get(code="HC-STORVIK")
    csv = tmp_path / "cyklop.csv"
    csv.write_text(
        f"HSA-id;Mått;Period;Täljare;Nämnare\n{storvik.hsa_id};ratt-hjalp-pa-en-gang;2025-01;3;4\n",
        encoding="utf-8",
    )
    strateg = User.objects.get(username="strateg")

    report = import_preview(
        user=strateg, path=csv, file_name=csv.name, today=datetime.date(2026, 11, 30)
    )

    assert report.problems == []
    assert report.created + report.changed + report.unchanged == 1
