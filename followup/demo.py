"""The synthetic demo: demo accounts and invented values that bring a data set's plan to life.

`demo_load` loads the region's data set (`followup.dataset`) and then ``demo.toml``: demo
accounts, adoption status, completions, assessments, activity plans, support needs and
generated observations. All of it is invented and marked so: the observations belong to an
import batch flagged `synthetic`, and every page shows a banner while such data exists, in
every mode. Synthetic rows are only created where missing, so edits made in the app survive a
rerun.

Demo accounts (password "demo") are created only in the embedded local mode and only in a
database whose every user is a demo account this command made (`DemoAccount`): never beside
the region's real users.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from base.history import DATASET_CHANGE_REASON, DEMO_CHANGE_REASON, changes_by
from base.periods import Quarter
from base.versioning import Versioned
from goals.models import AdoptionRecord, Assessment, Goal
from goals.status import Status
from organisation.models import Role, RoleAssignment, Unit
from organisation.services import role_assign_trusted
from programmes import services as programme_services
from programmes.models import Activity, ActivityPlan, ProgrammeArea, SupportNeed

from . import cache as result_cache
from . import services, triggers
from .dataset import (
    DEFAULT_DATASET,
    DEMO_FILE,
    ERROR_BAD_VALUE,
    DatasetError,
    LoadContext,
    LoadReport,
    check_keys,
    dataset_load,
    dataset_read,
    enum_value,
    ref,
)
from .models import ComputeRun, DemoAccount, ImportBatch, Measure, Observation, QuarterReport
from .selectors import (
    Organisation,
    forget_synthetic_data_presence,
    organisations,
    quarter_close_refusal,
    quarters_in_scope,
    report_organisation_unit_id,
)

__all__ = [
    "DEFAULT_DATASET",
    "DatasetError",
    "DemoReport",
    "DemoUsersRefused",
    "demo_load",
    "demo_quarter_reports",
]

DEMO_PASSWORD = "demo"  # noqa: S105 - the documented demo password; accounts exist only locally
DEMO_IMPORT_NOTE = "Demodata – syntetiska värden, inte verkliga uppgifter"

ERROR_USERS_IN_PRODUCTION = (
    "Demokonton skapas bara i lokalt läge (LOCAL_MODE); produktionsläget är på. / "
    "Demo accounts are only created in local mode (LOCAL_MODE); production mode is on."
)
ERROR_FOREIGN_USERS = (
    "Demokonton skapas inte i en databas med andra användare ({usernames}). / "
    "Demo accounts are not created in a database with other users ({usernames})."
)
MESSAGE_USERS_SKIPPED = (
    "Demokonton skapades inte (produktionsläge eller --no-users). / "
    "Demo accounts were not created (production mode or --no-users)."
)
MESSAGE_FOREIGN_USERS = (
    "Demokonton skapades inte: databasen har användare som load_demo inte har skapat "
    "({usernames}). / Demo accounts were not created: the database has users load_demo did "
    "not create ({usernames})."
)
MESSAGE_NEEDS_USER = (
    "{count} {what} hoppades över: demokontot {username!r} finns inte i denna körning. / "
    "{count} {what} skipped: demo account {username!r} is not part of this run."
)
MESSAGE_REPORTS_NEED_USERS = (
    "Inga kvartalsrapporter stängdes: demokontona {closed_by!r} och {approved_by!r} finns inte. "
    "/ No quarterly reports were closed: demo accounts {closed_by!r} and {approved_by!r} do "
    "not exist."
)

_TZ = ZoneInfo("Europe/Stockholm")
# Contact volumes in Swedish primary care dip in the summer holidays and at Christmas.
_SEASON = (1.05, 1.05, 1.0, 1.0, 1.0, 0.9, 0.65, 0.85, 1.0, 1.05, 1.05, 0.9)  # January … December
_RAMP_DAYS = 60  # an adopted working method reaches its full effect about two months in
_FOUR_PLACES = Decimal("0.0001")


class DemoUsersRefused(PermissionError):
    """Demo accounts were asked for where they must not be made (production, real users)."""


@dataclass(frozen=True)
class DemoAccountLine:
    """One demo login as printed for the user."""

    username: str
    full_name: str
    role: str
    scope: str
    password: str


@dataclass
class DemoReport(LoadReport):
    """The data set's report plus the demo accounts to print."""

    accounts: list[DemoAccountLine] = field(default_factory=list)
    # demo.toml's [quarter_reports], for demo_quarter_reports after the recompute (None: none).
    quarter_reports: Mapping[str, Any] | None = None


@dataclass
class DemoContext(LoadContext):
    """The loaded data set plus the demo accounts the synthetic rows are written by."""

    users: dict[str, User] = field(default_factory=dict)
    batch: ImportBatch | None = None


def users_not_made_by_demo(limit: int = 5) -> list[str]:
    """Usernames of users load_demo did not create (the region's real users, say)."""
    return list(
        User.objects.filter(demo_account__isnull=True)
        .order_by("username")
        .values_list("username", flat=True)[:limit]
    )


# --- demo accounts ----------------------------------------------------------------------------


def _scope_label(unit: Unit | None, area: ProgrammeArea | None) -> str:
    """Where a role applies, in words."""
    if unit is not None:
        return unit.name
    if area is not None:
        return str(area)
    return "hela portföljen"


def load_users(items: Iterable[Mapping[str, Any]], ctx: DemoContext) -> None:
    """Demo accounts with password "demo" (set on creation only) and their roles."""
    tally = ctx.report.tally(User)
    roles = ctx.report.tally(RoleAssignment)
    owners = ctx.report.tally(ProgrammeArea, "delivery_owners")
    hashed: str | None = None
    for i, item in enumerate(items):
        where = f"demo.toml users[{i}]"
        check_keys(
            item,
            where,
            ["username", "first_name", "last_name", "role"],
            ["unit", "programme_area", "staff", "superuser", "delivery_owner_of"],
        )
        role = enum_value(Role, item["role"], where)
        unit = ref(ctx.units, item["unit"], where, "unit") if "unit" in item else None
        area = (
            ref(ctx.areas, item["programme_area"], where, "programme area")
            if "programme_area" in item
            else None
        )
        wanted = {
            "first_name": item["first_name"],
            "last_name": item["last_name"],
            "is_staff": item.get("staff", False),
            "is_superuser": item.get("superuser", False),
        }
        user = User.objects.filter(username=item["username"]).first()
        if user is None:
            user = User(username=item["username"], **wanted)
            if hashed is None:
                user.set_password(DEMO_PASSWORD)
                hashed = user.password
            else:
                # The same password for every demo account: hash it once, not once per user
                # (a third of a second each with the production hasher).
                user.password = hashed
            user.save()
            DemoAccount.objects.create(user=user)
            tally.created += 1
        elif changed := [name for name, value in wanted.items() if getattr(user, name) != value]:
            for name in changed:
                setattr(user, name, wanted[name])
            user.save(update_fields=changed)
            tally.updated += 1
        else:
            tally.unchanged += 1
        ctx.users[user.username] = user

        if RoleAssignment.objects.filter(
            user=user, role=role, unit=unit, programme_area=area
        ).exists():
            roles.unchanged += 1
        else:
            role_assign_trusted(user=user, role=role, unit=unit, programme_area=area)
            roles.created += 1

        for number in item.get("delivery_owner_of", []):
            owned = ref(ctx.areas, number, where, "programme area")
            if owned.delivery_owners.filter(pk=user.pk).exists():
                owners.unchanged += 1
            else:
                owned.delivery_owners.add(user)
                owners.created += 1

        assert isinstance(ctx.report, DemoReport)  # noqa: S101 - demo_load made it one
        ctx.report.accounts.append(
            DemoAccountLine(
                username=user.username,
                full_name=user.get_full_name(),
                role=str(role.label),
                scope=_scope_label(unit, area),
                password=DEMO_PASSWORD,
            )
        )


# --- synthetic demo data ----------------------------------------------------------------------


def _rng(seed: int, *parts: object) -> random.Random:
    """A generator per section and unit, so editing one part of demo.toml leaves the rest alone."""
    # `random` hashes string seeds with SHA-512: stable across runs and Python versions.
    key = f"{seed}/" + "/".join(str(part) for part in parts)
    return random.Random(key)  # noqa: S311 - synthetic demo values, not secrets


def _random_date(
    rng: random.Random, start: datetime.date | None, end: datetime.date | None
) -> datetime.date | None:
    """A day in start..end (inclusive); draws even without a range to keep the sequence stable."""
    fraction = rng.random()
    if start is None:
        return None
    end = end or start
    return start + datetime.timedelta(days=round(fraction * (end - start).days))


def load_adoption(specs: Iterable[Mapping[str, Any]], ctx: DemoContext, seed: int) -> None:
    """Adoption status per unit and working method, created where missing."""
    tally = ctx.report.tally(AdoptionRecord)
    done = {AdoptionRecord.Status.ADOPTED, AdoptionRecord.Status.PHASED_OUT}
    for i, spec in enumerate(specs):
        where = f"demo.toml adoption[{i}]"
        check_keys(spec, where, ["working_method", "unit_kind", "groups"])
        method = ref(ctx.methods, spec["working_method"], where, "working method")
        units = sorted(ctx.units_by_kind.get(spec["unit_kind"], []), key=lambda u: u.code)
        rng = _rng(seed, "adoption", method.code)
        rng.shuffle(units)
        existing = set(
            AdoptionRecord.objects.filter(working_method=method).values_list("unit_id", flat=True)
        )
        new: list[AdoptionRecord] = []
        position = 0
        for j, group in enumerate(spec["groups"]):
            check_keys(
                group, f"{where} groups[{j}]", ["status"], ["count", "from", "to", "comment"]
            )
            status = enum_value(AdoptionRecord.Status, group["status"], where)
            count = group.get("count", len(units) - position)
            for unit in units[position : position + count]:
                day = _random_date(rng, group.get("from"), group.get("to"))
                slip = datetime.timedelta(days=rng.randint(-10, 35))
                if unit.pk in existing:
                    tally.unchanged += 1
                    continue
                record = AdoptionRecord(
                    unit=unit,
                    working_method=method,
                    status=status,
                    comment=group.get("comment", ""),
                )
                if status in done and day is not None:
                    # Most units land a little after the date they planned for.
                    record.actual_date, record.planned_date = day, day - slip
                elif status != AdoptionRecord.Status.NOT_STARTED:
                    record.planned_date = day
                new.append(record)
            position += count
        bulk_create_with_history(new, AdoptionRecord, default_change_reason=DEMO_CHANGE_REASON)
        tally.created += len(new)


def load_completions(items: Iterable[Mapping[str, Any]], ctx: DemoContext) -> None:
    """Mark deliverables done, only while the goal has no completion date yet."""
    tally = ctx.report.tally(Goal, "completed_on")
    for i, item in enumerate(items):
        where = f"demo.toml completions[{i}]"
        check_keys(item, where, ["goal", "completed_on"], ["evidence_reference", "evidence_url"])
        goal = ref(ctx.goals, item["goal"], where, "goal")
        if goal.completed_on is not None:
            tally.unchanged += 1
            continue
        goal.completed_on = item["completed_on"]
        goal.evidence_reference = item.get("evidence_reference", goal.evidence_reference)
        goal.evidence_url = item.get("evidence_url", goal.evidence_url)
        goal.full_clean()
        goal.save()
        tally.created += 1


def _needs_user(
    ctx: DemoContext, username: str, what: str, skipped: dict[tuple[str, str], int]
) -> User | None:
    """The demo account a row is written by, or None (and a note) when it is not loaded."""
    user = ctx.users.get(username)
    if user is None:
        skipped[(what, username)] = skipped.get((what, username), 0) + 1
    return user


def _note_skipped(ctx: DemoContext, skipped: Mapping[tuple[str, str], int]) -> None:
    """Explain the rows left out for want of a demo account."""
    for (what, username), count in skipped.items():
        ctx.report.notes.append(
            MESSAGE_NEEDS_USER.format(count=count, what=what, username=username)
        )


def _backdate(obj: models.Model, name: str, day: datetime.date | None) -> None:
    """Move an auto-stamped time (and its history record) to the day the demo row belongs to."""
    if day is None:
        return
    # auto_now/auto_now_add stamp today on save; update() writes the field without a new
    # history record, so the row count stays as it is. On a versioned row it bumps the
    # version as every write does (base.versioning); the instance follows.
    moment = datetime.datetime.combine(day, datetime.time(10), tzinfo=_TZ)
    type(obj)._default_manager.filter(pk=obj.pk).update(**{name: moment})
    if isinstance(obj, Versioned):
        obj.version += 1
    obj.history.update(**{name: moment, "history_date": moment})
    setattr(obj, name, moment)


def _backdate_latest_record(obj: models.Model, day: datetime.date | None) -> None:
    """Move the time of an object's latest history record (a later change than its creation,
    which _backdate moved) to the day the demo change belongs to."""
    if day is None:
        return
    moment = datetime.datetime.combine(day, datetime.time(10), tzinfo=_TZ)
    latest = obj.history.order_by("-history_id").values_list("history_id", flat=True).first()
    obj.history.filter(history_id=latest).update(history_date=moment)


def load_assessments(items: Iterable[Mapping[str, Any]], ctx: DemoContext) -> None:
    """Quarterly assessments by a demo account, created where missing."""
    tally = ctx.report.tally(Assessment)
    skipped: dict[tuple[str, str], int] = {}
    for i, item in enumerate(items):
        where = f"demo.toml assessments[{i}]"
        check_keys(item, where, ["goal", "quarter", "status", "author", "comment"], ["assessed_on"])
        goal = ref(ctx.goals, item["goal"], where, "goal")
        quarter = enum_value(Quarter.parse, item["quarter"], where).code
        status = enum_value(Status, item["status"], where)
        if Assessment.objects.filter(goal=goal, quarter=quarter).exists():
            tally.unchanged += 1
            continue
        author = _needs_user(ctx, item["author"], "bedömningar/assessments", skipped)
        if author is None:
            continue
        assessment = Assessment(
            goal=goal, quarter=quarter, status=status.value, comment=item["comment"], author=author
        )
        assessment.full_clean()
        assessment._history_user = author  # the audit trail names the author
        assessment.save()
        _backdate(assessment, "assessed_at", item.get("assessed_on"))
        tally.created += 1
    _note_skipped(ctx, skipped)


def _activity_status(start: datetime.date, end: datetime.date, today: datetime.date) -> str:
    """An activity's status as its dates say on the demo's "today"."""
    if end < today:
        return Activity.Status.DONE
    if start <= today:
        return Activity.Status.ONGOING
    return Activity.Status.PLANNED


def _weekday(day: datetime.date) -> datetime.date:
    """The day, or the Monday after when it falls on a weekend (people work on weekdays)."""
    return day + datetime.timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


@dataclass(frozen=True)
class _PlanStep:
    """One thing that happened to a demo plan, by whom, when (oldest first)."""

    action: str  # "submit", "approve", "send_back", "reopen", "add_activity"
    user: User
    moment: datetime.datetime
    comment: str = ""
    activity: Mapping[str, Any] | None = None


_PLAN_KEYS = ["programme_area", "unit_kind", "under", "activities", "written_by", "reviewed_by"]
_PLAN_OPTIONAL = [
    "submitted_from", "submitted_to", "review_after_days", "comment", "max_shift_days",
    "sent_back", "reopened",
]  # fmt: skip


def _plan_writer(ctx: DemoContext, unit: Unit, fallback: User) -> User:
    """Who writes the VO's plan: its verksamhetschef's demo account, else the strategist (who
    registers a plan a VO sent in)."""
    for user in ctx.users.values():
        if RoleAssignment.objects.filter(user=user, role=Role.HEAD_OF_AREA, unit=unit).exists():
            return user
    return fallback


def _plan_moment(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(_weekday(day), datetime.time(hour), tzinfo=_TZ)


def _plan_steps(
    spec: Mapping[str, Any],
    unit: Unit,
    rng: random.Random,
    writer: User,
    reviewer: User,
) -> tuple[datetime.datetime, list[_PlanStep]]:
    """When the plan was drafted, and what happened to it since, as demo.toml says: submitted,
    then approved by the area some weeks later; or sent back with a comment, completed and
    submitted again, then approved; or, approved, reopened for a change and submitted again
    (awaiting review). Dates are weekdays, drawn with the unit's generator (deterministic)."""
    sent_back = spec.get("sent_back", {})
    reopened = spec.get("reopened", {})
    submitted_day = _random_date(rng, spec.get("submitted_from"), spec.get("submitted_to"))
    assert submitted_day is not None  # noqa: S101 - required with the life cycle
    low, high = spec.get("review_after_days", (14, 35))
    review_after = datetime.timedelta(days=rng.randint(low, high))
    hour, review_hour = rng.randint(8, 15), rng.randint(9, 16)
    if sent_back.get("unit") == unit.code:
        submitted_day = sent_back["submitted_on"]
    submitted = _plan_moment(submitted_day, hour)
    steps = [_PlanStep("submit", writer, submitted)]
    if sent_back.get("unit") == unit.code:
        steps += [
            _PlanStep(
                "send_back",
                reviewer,
                _plan_moment(sent_back["sent_back_on"], review_hour),
                sent_back["comment"],
            ),
            _PlanStep(
                "submit",
                writer,
                _plan_moment(sent_back["resubmitted_on"], hour),
                sent_back["answer"],
            ),
            _PlanStep("approve", reviewer, _plan_moment(sent_back["approved_on"], review_hour)),
        ]
    else:
        steps.append(
            _PlanStep("approve", reviewer, _plan_moment(submitted_day + review_after, review_hour))
        )
    if reopened.get("unit") == unit.code:
        steps += [
            _PlanStep(
                "reopen",
                reviewer,
                _plan_moment(reopened["reopened_on"], review_hour),
                reopened["comment"],
            ),
            _PlanStep(
                "add_activity",
                writer,
                _plan_moment(reopened["resubmitted_on"], hour - 1),
                activity=reopened["activity"],
            ),
            _PlanStep("submit", writer, _plan_moment(reopened["resubmitted_on"], hour)),
        ]
    drafted = submitted - datetime.timedelta(days=rng.randint(3, 10))
    return drafted, steps


def _plan_take_step(
    plan: ActivityPlan, step: _PlanStep, today: datetime.date
) -> list[tuple[models.Model, datetime.datetime]]:
    """Take one step through the service a user's click calls; the rows it wrote a history
    record for (to date)."""
    match step.action:
        case "submit":
            data: dict[str, Any] = {"status": ActivityPlan.Status.SUBMITTED}
            if step.comment:
                data["comment"] = f"{plan.comment} {step.comment}".strip()
            programme_services.activity_plan_update(user=step.user, plan=plan, data=data)
        case "approve":
            programme_services.activity_plan_review(
                user=step.user, plan=plan, status=ActivityPlan.Status.ACCEPTED
            )
        case "send_back":
            programme_services.activity_plan_review(
                user=step.user, plan=plan, status=ActivityPlan.Status.DRAFT, comment=step.comment
            )
        case "reopen":
            programme_services.activity_plan_reopen(user=step.user, plan=plan, comment=step.comment)
        case "add_activity":
            assert step.activity is not None  # noqa: S101 - _plan_steps gives it one
            activity = _new_activity(plan, step.activity, datetime.timedelta(0), today)
            programme_services.activity_create(user=step.user, activity=activity)
            return [(activity, step.moment)]
    return [(plan, step.moment)]


def _new_activity(
    plan: ActivityPlan, template: Mapping[str, Any], shift: datetime.timedelta, today: datetime.date
) -> Activity:
    start, end = template["start"] + shift, template["end"] + shift
    return Activity(
        plan=plan,
        title=template["title"],
        responsible=template.get("responsible", ""),
        start_date=start,
        end_date=end,
        status=_activity_status(start, end, today),
        status_note=template.get("status_note", ""),
    )


def _date_history(obj: models.Model, moments: list[datetime.datetime]) -> None:
    """Give an object's history records (oldest first) the demo's moments, one each."""
    records = list(obj.history.order_by("history_id"))
    for record, moment in zip(records, moments, strict=True):
        obj.history.filter(history_id=record.history_id).update(history_date=moment)


def _date_plan(plan: ActivityPlan, moments: list[datetime.datetime]) -> None:
    """Date the plan's history as its steps happened; its submission and review times follow
    (each record's, and the row's as its last record says; its version as it is)."""
    submitted_at: datetime.datetime | None = None
    reviewed_at: datetime.datetime | None = None
    last: Any = None
    for record, moment in zip(plan.history.order_by("history_id"), moments, strict=True):
        if record.submitted_at is None:
            submitted_at = None
        elif submitted_at is None:
            submitted_at = moment
        if record.reviewed_at is not None and (last is None or record.reviewed_at != last[1]):
            reviewed_at = moment
        last = (record, record.reviewed_at)
        plan.history.filter(history_id=record.history_id).update(
            history_date=moment,
            submitted_at=submitted_at,
            reviewed_at=reviewed_at if record.reviewed_at is not None else None,
        )
        record.submitted_at = submitted_at
    ActivityPlan.objects.filter(pk=plan.pk).update(
        submitted_at=submitted_at,
        reviewed_at=reviewed_at if plan.reviewed_at is not None else None,
    )


def load_activity_plans(
    specs: Iterable[Mapping[str, Any]], ctx: DemoContext, seed: int, today: datetime.date
) -> None:
    """An activity plan per unit of a kind under a root, with its activities, through its life:
    drafted and submitted by the VO, reviewed by the programme area (the services a user's
    clicks call), each step dated as demo.toml says. A plan that exists is left as it is."""
    plans = ctx.report.tally(ActivityPlan)
    activities = ctx.report.tally(Activity)
    skipped: dict[tuple[str, str], int] = {}
    what = "aktivitetsplaner/activity plans"
    for i, spec in enumerate(specs):
        where = f"demo.toml activity_plans[{i}]"
        check_keys(spec, where, _PLAN_KEYS, _PLAN_OPTIONAL)
        for j, template in enumerate(spec["activities"]):
            check_keys(
                template,
                f"{where} activities[{j}]",
                ["title", "start", "end"],
                ["responsible", "status_note"],
            )
        if "sent_back" in spec:
            check_keys(
                spec["sent_back"],
                f"{where} sent_back",
                ["unit", "submitted_on", "sent_back_on", "comment", "resubmitted_on", "answer",
                 "approved_on"],
            )  # fmt: skip
        if "reopened" in spec:
            check_keys(
                spec["reopened"],
                f"{where} reopened",
                ["unit", "reopened_on", "comment", "activity", "resubmitted_on"],
            )
        area = ref(ctx.areas, spec["programme_area"], where, "programme area")
        root = ref(ctx.units, spec["under"], where, "unit")
        strategist = _needs_user(ctx, spec["written_by"], what, skipped)
        reviewer = _needs_user(ctx, spec["reviewed_by"], what, skipped)
        # A closed unit gets no new plan (programmes.models.check_unit_open).
        units = (
            Unit.objects.in_subtree(root)
            .filter(kind__code=spec["unit_kind"])
            .exclude(valid_to__lt=timezone.localdate())
            .order_by("code")
        )
        for unit in units:
            rng = _rng(seed, "activity-plan", area.number, unit.code)
            shift = datetime.timedelta(days=rng.randint(0, spec.get("max_shift_days", 0)))
            existing = ActivityPlan.objects.filter(programme_area=area, unit=unit).first()
            if existing is not None:
                plans.unchanged += 1
                activities.unchanged += existing.activities.count()
                continue
            if strategist is None or reviewer is None:
                continue
            writer = _plan_writer(ctx, unit, strategist)
            drafted, steps = _plan_steps(spec, unit, rng, writer, reviewer)
            plan = programme_services.activity_plan_create(
                user=writer,
                plan=ActivityPlan(programme_area=area, unit=unit, comment=spec.get("comment", "")),
            )
            plan_moments = [drafted]
            dated: list[tuple[models.Model, datetime.datetime]] = []
            for template in spec["activities"]:
                activity = _new_activity(plan, template, shift, today)
                programme_services.activity_create(user=writer, activity=activity)
                dated.append((activity, drafted))
            for step in steps:
                plan.refresh_from_db()
                for obj, moment in _plan_take_step(plan, step, today):
                    if obj is plan:
                        plan_moments.append(moment)
                    else:
                        dated.append((obj, moment))
            _date_plan(plan, plan_moments)
            for obj, moment in dated:
                _date_history(obj, [moment])
            plans.created += 1
            activities.created += plan.activities.count()
    _note_skipped(ctx, skipped)


def load_support_needs(items: Iterable[Mapping[str, Any]], ctx: DemoContext) -> None:
    """Support needs raised through the dialogue model, created where missing."""
    tally = ctx.report.tally(SupportNeed)
    skipped: dict[tuple[str, str], int] = {}
    for i, item in enumerate(items):
        where = f"demo.toml support_needs[{i}]"
        check_keys(
            item,
            where,
            ["raised_by", "unit", "programme_area", "text"],
            ["status", "response", "raised_on", "answered_by", "answered_on"],
        )
        unit = ref(ctx.units, item["unit"], where, "unit")
        area = ref(ctx.areas, item["programme_area"], where, "programme area")
        if SupportNeed.objects.filter(unit=unit, programme_area=area, text=item["text"]).exists():
            tally.unchanged += 1
            continue
        raised_by = _needs_user(ctx, item["raised_by"], "stödbehov/support needs", skipped)
        if raised_by is None:
            continue
        response = item.get("response", "")
        answered_by = (
            _needs_user(ctx, item["answered_by"], "stödbehov/support needs", skipped)
            if response
            else None
        )
        if response and answered_by is None:
            continue
        # Raised by the unit's manager, then answered by the area in a second write, so that
        # the history (and "Besvarat av" on the page) says who answered and when.
        need = SupportNeed(
            raised_by=raised_by,
            unit=unit,
            programme_area=area,
            text=item["text"],
            status=SupportNeed.Status.OPEN if response else item.get("status", "oppen"),
        )
        need.full_clean()
        need._history_user = raised_by
        need.save()
        _backdate(need, "created_at", item.get("raised_on"))
        if response:
            need.response = response
            need.status = item.get("status", SupportNeed.Status.ANSWERED)
            need.full_clean()
            need._history_user = answered_by
            need.save()
            _backdate_latest_record(need, item.get("answered_on"))
        tally.created += 1
    _note_skipped(ctx, skipped)


def _month_end(day: datetime.date) -> datetime.date:
    """The last day of the month a day falls in."""
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def demo_periods(
    frequency: str, first: datetime.date, last: datetime.date
) -> list[tuple[datetime.date, datetime.date]]:
    """Whole months or quarters (start, end) from first's period up to the last complete one."""
    periods: list[tuple[datetime.date, datetime.date]] = []
    if frequency == Measure.Frequency.QUARTERLY:
        quarter = Quarter.containing(first)
        while quarter.end <= last:
            if quarter.start >= first.replace(day=1):
                periods.append((quarter.start, quarter.end))
            quarter = quarter.next()
        return periods
    start = first.replace(day=1)
    while _month_end(start) <= last:
        periods.append((start, _month_end(start)))
        start = _month_end(start) + datetime.timedelta(days=1)
    return periods


@dataclass(frozen=True)
class _Point:
    """One generated value with its optional numerator and denominator."""

    value: Decimal
    numerator: Decimal | None = None
    denominator: Decimal | None = None


def _dec4(number: float) -> Decimal:
    """A float as a Decimal with the four places the model stores."""
    return Decimal(repr(number)).quantize(_FOUR_PLACES)


class _Series:
    """Generates one unit's values for one measure from the parameters in demo.toml."""

    MODELS = ("share", "count", "index")
    _REQUIRED = ("measure", "model", "level")
    _OPTIONAL = (
        "trend_per_year", "growth_per_year", "noise", "denominator", "seasonal", "step_after",
        "step", "step_pct", "missing_rate",
    )  # fmt: skip

    def __init__(self, spec: Mapping[str, Any], rng: random.Random, size: float, weight: float):
        """Draw the unit's own level and volume once; size scales counts, weight denominators."""
        self.spec = spec
        self.rng = rng
        self.level = rng.uniform(*spec["level"])
        self.size = size
        low, high = spec.get("denominator", (1, 1))
        self.volume = (low + (high - low) * weight) * rng.uniform(0.9, 1.1)

    def point(self, start: datetime.date, years: float, effect: float) -> _Point:
        """The value for a period starting on `start`, `years` into the series."""
        spec, rng = self.spec, self.rng
        season = _SEASON[start.month - 1] if spec.get("seasonal", False) else 1.0
        if spec["model"] == "count":
            mean = self.level * self.size * season * (1 + spec.get("growth_per_year", 0) * years)
            mean *= 1 + spec.get("step_pct", 0) / 100 * effect
            return _Point(value=Decimal(max(0, round(rng.gauss(mean, math.sqrt(mean))))))
        level = (
            self.level
            + spec.get("trend_per_year", 0) * years
            + spec.get("step", 0) * effect
            + rng.gauss(0, spec.get("noise", 0))
        )
        if spec["model"] == "index":
            respondents = max(3, round(self.volume * rng.uniform(0.8, 1.0)))
            value = min(100.0, max(0.0, level))
            return _Point(value=_dec4(round(value, 1)), denominator=Decimal(respondents))
        # share: a stock of patients grows slowly; a flow of contacts follows the season
        growth = 1 + 0.03 * years if not spec.get("seasonal", False) else season
        denominator = max(1, round(self.volume * growth * rng.uniform(0.95, 1.05)))
        share = min(99.5, max(0.5, level))
        numerator = round(denominator * share / 100)
        return _Point(
            value=_dec4(100 * numerator / denominator),
            numerator=Decimal(numerator),
            denominator=Decimal(denominator),
        )


def _effect(adopted: datetime.date | None, end: datetime.date) -> float:
    """How much of an adopted working method's effect shows by a period's end (0–1)."""
    if adopted is None or adopted > end:
        return 0.0
    return min(1.0, (end - adopted).days / _RAMP_DAYS)


def load_observations(
    specs: Iterable[Mapping[str, Any]],
    ctx: DemoContext,
    seed: int,
    options: Mapping[str, Any],
    dataset_name: str,
) -> None:
    """Generated observations for the measures' reporting units, only for missing keys."""
    tally = ctx.report.tally(Observation)
    first, last = options["first_period"], options["last_period"]
    size_low, size_high = options.get("unit_size", (1.0, 1.0))
    new: list[Observation] = []
    for i, spec in enumerate(specs):
        where = f"demo.toml series[{i}]"
        check_keys(spec, where, _Series._REQUIRED, _Series._OPTIONAL)
        if spec["model"] not in _Series.MODELS:
            raise DatasetError(ERROR_BAD_VALUE.format(where=where, value=spec["model"]))
        measure = ref(ctx.measures, spec["measure"], where, "measure")
        adopted: dict[int, datetime.date] = {}
        if "step_after" in spec:
            method = ref(ctx.methods, spec["step_after"], where, "working method")
            adopted = dict(
                AdoptionRecord.objects.filter(
                    working_method=method,
                    status=AdoptionRecord.Status.ADOPTED,
                    actual_date__isnull=False,
                ).values_list("unit_id", "actual_date")
            )
        existing = set(
            Observation.objects.filter(measure=measure).values_list("unit_id", "period_start")
        )
        periods = demo_periods(measure.frequency, first, last)
        units = sorted(
            (
                unit
                for code in ctx.measure_kinds[measure.code]
                for unit in ctx.units_by_kind.get(code, [])
            ),
            key=lambda u: u.code,
        )
        for unit in units:
            size = _rng(seed, "size", unit.code).uniform(size_low, size_high)
            weight = (size - size_low) / (size_high - size_low) if size_high > size_low else 0.5
            series = _Series(spec, _rng(seed, "series", measure.code, unit.code), size, weight)
            for start, end in periods:
                years = (start - first).days / 365.25
                point = series.point(start, years, _effect(adopted.get(unit.pk), end))
                missing = series.rng.random() < spec.get("missing_rate", 0.0)
                if missing:
                    continue
                if (unit.pk, start) in existing:
                    tally.unchanged += 1
                    continue
                new.append(
                    Observation(
                        measure=measure,
                        unit=unit,
                        period_start=start,
                        period_end=end,
                        value=point.value,
                        numerator=point.numerator,
                        denominator=point.denominator,
                        source=ImportBatch.Source.DEMO,
                    )
                )
    if not new:
        return
    batch = ctx.batch
    assert batch is not None  # load_demo_data made it first  # noqa: S101
    batch.row_count = batch.observations.count() + len(new)
    batch.save(update_fields=["row_count"])
    for observation in new:
        observation.import_batch = batch
    bulk_create_with_history(
        new, Observation, batch_size=1000, default_change_reason=DEMO_CHANGE_REASON
    )
    tally.created += len(new)


def _synthetic_batch(ctx: DemoContext, dataset_name: str) -> ImportBatch:
    """The import batch flagged synthetic that marks the demo's values in the database.

    It exists whenever demo data was loaded (observations or not), so the banner that says the
    data is synthetic shows on every page, in every mode, until it is deleted.
    """
    batch = (
        ImportBatch.objects.filter(synthetic=True, source=ImportBatch.Source.DEMO)
        .order_by("pk")
        .first()
    )
    if batch is None:
        batch = ImportBatch.objects.create(
            source=ImportBatch.Source.DEMO,
            file_name=f"{dataset_name}/{DEMO_FILE}",
            note=DEMO_IMPORT_NOTE,
            synthetic=True,
        )
        ctx.report.record(ImportBatch, f"file_name={batch.file_name}", "created")
    else:
        ctx.report.record(ImportBatch, f"file_name={batch.file_name}", "unchanged")
    return batch


_DEMO_SECTIONS = (
    "demo", "users", "adoption", "completions", "assessments", "activity_plans", "support_needs",
    "series", "quarter_reports",
)  # fmt: skip


def load_demo_data(
    data: Mapping[str, Any], ctx: DemoContext, *, users: bool, dataset_name: str
) -> None:
    """Demo accounts (when allowed) and the synthetic rows that bring the plan to life."""
    check_keys(data, "demo.toml", ["demo"], _DEMO_SECTIONS)
    options = data["demo"]
    check_keys(
        options,
        "demo.toml [demo]",
        ["seed", "as_of", "first_period", "last_period"],
        ["unit_size"],
    )
    seed = int(options["seed"])
    ctx.batch = _synthetic_batch(ctx, dataset_name)
    if users:
        load_users(data.get("users", []), ctx)
    load_adoption(data.get("adoption", []), ctx, seed)
    load_completions(data.get("completions", []), ctx)
    load_assessments(data.get("assessments", []), ctx)
    load_activity_plans(data.get("activity_plans", []), ctx, seed, options["as_of"])
    load_support_needs(data.get("support_needs", []), ctx)
    load_observations(data.get("series", []), ctx, seed, options, dataset_name)
    if "quarter_reports" in data:
        reports = data["quarter_reports"]
        check_keys(reports, "demo.toml [quarter_reports]", _REPORT_KEYS, _REPORT_OPTIONAL)
        if "sent_back" in reports:
            check_keys(
                reports["sent_back"],
                "demo.toml [quarter_reports] sent_back",
                ["quarter", "comment", "answer"],
            )
        assert isinstance(ctx.report, DemoReport)  # noqa: S101 - demo_load made it one
        ctx.report.quarter_reports = reports


# --- quarterly reports -----------------------------------------------------------------------
#
# Written after the recompute (a quarter is closed only once its follow-up is computed), by the
# same services a user's clicks call, as the demo accounts named in demo.toml: so each frozen
# body and its SHA-256 are real. Every ended quarter without a report is closed; all but the
# latest are approved, so the list shows Godkänd, Fastställd (awaiting the portfolio owner)
# and the ongoing quarter's Utkast. The days are the demo's, in the order a region works: the
# quarter's computations are moved back to the night its data was in, the strategist's
# assessments (demo.toml) follow, then the close, then the approval (never after today); the
# history says the rows were loaded as demo data.

_REPORT_KEYS = ["closed_by", "approved_by", "close_after_days", "approve_after_days"]
_REPORT_OPTIONAL = [
    "computed_after_days", "strategist_comments", "default_comment", "approval_notes",
    "sent_back",
]  # fmt: skip
_COMPUTED_HOUR = 2  # the nightly recompute after the quarter's last import
_COMPUTED_AFTER_DAYS = 9
_SEND_BACK_AFTER_DAYS = 3  # the portfolio owner's send-back, after the first close
_CLOSE_AGAIN_AFTER_DAYS = 2  # the strategist's new close, after the send-back


def _demo_moment(day: datetime.date, hour: int) -> datetime.datetime:
    """A time of a demo day, never later than now (the latest quarter closes today at most)."""
    return min(datetime.datetime.combine(day, datetime.time(hour), tzinfo=_TZ), timezone.now())


def _backdate_compute_runs(quarter: Quarter, moment: datetime.datetime) -> None:
    """Move the quarter's computations to the night its data was in, before the close.

    The demo computes every quarter on the day it is loaded, but a closed report freezes the
    time of the computation it shows ("Underlaget beräknat", "Beräknad … " in its body): a
    report closed in January cannot show results computed in December. Every run of the
    quarter that finished after `moment` is moved back to it, the latest at `moment` and any
    earlier one a few minutes before, keeping their order and length; so no run after the
    close is left to say the results were recomputed since (quarter_changed_since), while a
    real recompute later is newer and says so."""
    runs = ComputeRun.objects.filter(quarter=quarter.code, finished_at__gt=moment).order_by(
        "-finished_at", "-pk"
    )
    for place, run in enumerate(runs):
        finished = moment - datetime.timedelta(minutes=5 * place)
        length = (run.finished_at or run.started_at) - run.started_at
        ComputeRun.objects.filter(pk=run.pk).update(
            started_at=finished - length, finished_at=finished
        )
    result_cache.bump_generation_on_change()


def _demo_report_users(spec: Mapping[str, Any]) -> tuple[User, User] | None:
    """The demo accounts that close and approve (None: they were not made in this database)."""
    found = {
        user.username: user
        for user in User.objects.filter(
            username__in=[spec["closed_by"], spec["approved_by"]], demo_account__isnull=False
        )
    }
    closer, approver = found.get(spec["closed_by"]), found.get(spec["approved_by"])
    return (closer, approver) if closer and approver else None


def _backdate_report(report: QuarterReport, steps: list[datetime.datetime]) -> None:
    """Give the report and its history the demo's days (one a transition, oldest first) and
    mark the history as loaded demo data ("Inläst som demodata", base.editing)."""
    records = list(report.history.order_by("history_id"))
    closed: datetime.datetime | None = None
    # Each close's moment, and each send-back's or reopening's after it: its version's.
    closes: list[datetime.datetime] = []
    ends: list[datetime.datetime] = []
    for record, moment in zip(records, steps, strict=True):
        if record.status == QuarterReport.Status.CLOSED:
            closed = moment
            closes.append(moment)
        elif record.status == QuarterReport.Status.DRAFT and closes:
            ends.append(moment)
        record.history_date = moment
        record.history_change_reason = DEMO_CHANGE_REASON
        record.closed_at = closed if record.closed_at is not None else None
        record.approved_at = moment if record.approved_at is not None else None
        record.returned_at = moment if record.returned_at is not None else None
        record.save()
    # The row as its last record says; its version as it is (nothing else changed).
    last = records[-1]
    QuarterReport.objects.filter(pk=report.pk).update(
        version=report.version,
        closed_at=last.closed_at,
        approved_at=last.approved_at,
        returned_at=last.returned_at,
    )
    # The versions carry the same days: a close's version is matched to it by its moment.
    for number, version in enumerate(report.versions.order_by("number")):
        version.closed_at = closes[number]
        version.ended_at = ends[number] if version.ended_at is not None else None
        version.save(update_fields=["closed_at", "ended_at"])


def _demo_report(
    *,
    organisation: Organisation | None,
    quarter: Quarter,
    latest: bool,
    spec: Mapping[str, Any],
    closer: User,
    approver: User,
    today: datetime.date,
) -> None:
    """One quarter's report through its life: computed, closed, (sent back and closed again,)
    approved."""
    close_day = min(
        _weekday(quarter.end + datetime.timedelta(days=spec["close_after_days"])), today
    )
    computed_day = quarter.end + datetime.timedelta(
        days=spec.get("computed_after_days", _COMPUTED_AFTER_DAYS)
    )
    # The frozen body shows the computation's time: the night the quarter's data was in.
    _backdate_compute_runs(
        quarter,
        min(
            _demo_moment(computed_day, _COMPUTED_HOUR),
            _demo_moment(close_day, 9) - datetime.timedelta(hours=1),
        ),
    )
    comment = spec.get("strategist_comments", {}).get(quarter.code, spec.get("default_comment", ""))
    report = services.quarter_report_close(
        user=closer,
        organisation=organisation,
        quarter=quarter,
        version=0,
        comment=comment,
        today=close_day,
    )
    steps = [_demo_moment(close_day, 9)]
    sent_back = spec.get("sent_back")
    if not latest and sent_back and sent_back["quarter"] == quarter.code:
        report = services.quarter_report_send_back(
            user=approver,
            organisation_id=report.organisation_id,
            quarter=quarter,
            version=report.version,
            comment=sent_back["comment"],
        )
        sent_back_day = _weekday(close_day + datetime.timedelta(days=_SEND_BACK_AFTER_DAYS))
        close_day = _weekday(sent_back_day + datetime.timedelta(days=_CLOSE_AGAIN_AFTER_DAYS))
        report = services.quarter_report_close(
            user=closer,
            organisation=organisation,
            quarter=quarter,
            version=report.version,
            comment=sent_back["answer"],
            today=close_day,
        )
        steps += [_demo_moment(sent_back_day, 14), _demo_moment(close_day, 9)]
    if not latest:
        report = services.quarter_report_approve(
            user=approver,
            organisation_id=report.organisation_id,
            quarter=quarter,
            version=report.version,
            note=spec.get("approval_notes", {}).get(quarter.code, ""),
        )
        approve_day = _weekday(close_day + datetime.timedelta(days=spec["approve_after_days"]))
        steps.append(_demo_moment(approve_day, 15))
    _backdate_report(report, steps)


def _backdate_goal_creation() -> None:
    """Date the plan's goals to the start of their area (else phase), as a plan is entered
    when its phase begins: the demo loads them today, and a goal created after a closed report
    would seem not to be in it (goals.services.goal_delete_check lets such a goal be deleted)."""
    for goal in Goal.objects.select_related("programme_area__phase"):
        area = goal.programme_area
        moment = _demo_moment(area.start_date or area.phase.start_date, 8)
        Goal.history.filter(id=goal.pk, history_type="+", history_date__gt=moment).update(
            history_date=moment
        )


def demo_quarter_reports(report: DemoReport, *, today: datetime.date | None = None) -> int:
    """Close (and approve) every ended, computed quarter of every organisation that has no
    report yet, as demo.toml's [quarter_reports] says; how many reports were made. Only where
    missing: a report a user has acted on stays as it is, and a rerun makes none."""
    spec = report.quarter_reports
    if spec is None:
        return 0
    users = _demo_report_users(spec)
    if users is None:
        report.notes.append(
            MESSAGE_REPORTS_NEED_USERS.format(
                closed_by=spec["closed_by"], approved_by=spec["approved_by"]
            )
        )
        return 0
    closer, approver = users
    day = today or timezone.localdate()
    ended = [quarter for quarter in quarters_in_scope(day) if quarter.end < day]
    choices: list[Organisation | None] = [*organisations()] or [None]
    if len(choices) < 2:
        choices = [None]  # one organisation or none: the report is the tree's root's
    made = 0
    with triggers.suppressed(), transaction.atomic():
        if ended:
            _backdate_goal_creation()
        for organisation in choices:
            organisation_id = report_organisation_unit_id(organisation)
            if organisation_id is None:
                continue
            existing = set(
                QuarterReport.objects.filter(organisation_id=organisation_id).values_list(
                    "quarter", flat=True
                )
            )
            for place, quarter in enumerate(reversed(ended)):
                if quarter.code in existing or quarter_close_refusal(quarter=quarter, today=day):
                    continue
                _demo_report(
                    organisation=organisation,
                    quarter=quarter,
                    latest=place == 0,
                    spec=spec,
                    closer=closer,
                    approver=approver,
                    today=day,
                )
                made += 1
    return made


# --- entry points -----------------------------------------------------------------------------


def _may_create_users(users: bool | None, report: DemoReport) -> bool:
    """Whether to create demo accounts: local mode and no user load_demo did not make."""
    if users is False or not settings.LOCAL_MODE:
        report.notes.append(MESSAGE_USERS_SKIPPED)
        return False
    foreign = users_not_made_by_demo()
    if foreign:
        if users:
            raise DemoUsersRefused(ERROR_FOREIGN_USERS.format(usernames=", ".join(foreign)))
        report.notes.append(MESSAGE_FOREIGN_USERS.format(usernames=", ".join(foreign)))
        return False
    return True


def demo_load(*, dataset: Path, users: bool | None = None, synthetic: bool = True) -> DemoReport:
    """Load a data set and (unless plan only) its synthetic demo data in one transaction.

    users=None creates demo accounts where allowed (local mode, no other users); users=True
    fails where they are not allowed; users=False creates none.
    """
    if users and not settings.LOCAL_MODE:
        raise DemoUsersRefused(ERROR_USERS_IN_PRODUCTION)
    data = dataset_read(dataset)
    report = DemoReport(dataset=dataset)
    ctx = DemoContext(report=report)
    with_demo = synthetic and data.demo is not None
    create_users = _may_create_users(users, report) if with_demo else False
    # The command recomputes once afterwards; per-row triggers would only repeat that work.
    with triggers.suppressed(), transaction.atomic():
        # The history names the source of these rows (no user made them): base.history.
        with changes_by(DATASET_CHANGE_REASON):
            dataset_load(data, ctx)
        if with_demo:
            assert data.demo is not None  # noqa: S101 - narrowed for the type checker
            with changes_by(DEMO_CHANGE_REASON):
                load_demo_data(data.demo, ctx, users=create_users, dataset_name=dataset.name)
            transaction.on_commit(forget_synthetic_data_presence)
    return report
