"""Writes to goals, milestones, adoption records and assessments: the one path for every page.

Each service takes the acting user, checks `gonv.rules` on the object as it was and as it will
be saved (base.writes), validates, saves in a transaction and records the user in the
history; the on-commit triggers of followup mark the recompute. A milestone (delmål) is a goal
with a parent: the same services, and the user must also be allowed to change the parent.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Min, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from base.history import RESTORE_CHANGE_REASON
from base.periods import InvalidQuarter, Quarter, quarter_label
from base.writes import (
    Actor,
    apply,
    authorize_delete,
    authorize_save,
    checked_delete,
    checked_save,
    stored_version,
)
from organisation.models import Unit
from organisation.selectors import scope_for
from programmes.models import ProgrammeArea, WorkingMethod

from .models import (
    ERROR_DEADLINE_REASON,
    ERROR_QUARTER_CLOSED,
    AdoptionRecord,
    Assessment,
    ClosedQuarter,
    Goal,
    closed_quarters,
    closed_reports,
    deadline_reason_too_long,
    editable_quarters,
    normalise_deadline_reason,
)

ERROR_GOAL_FORBIDDEN = gettext_noop(
    "Du har inte behörighet att ändra mål i det här programområdet."
)
ERROR_PARENT_FORBIDDEN = gettext_noop(
    "Du har inte behörighet att lägga delmål under det överordnade målet."
)
ERROR_ADOPTION_FORBIDDEN = gettext_noop(
    "Du har inte behörighet att rapportera införande för {unit}."
)
ERROR_ASSESSMENT_FORBIDDEN = gettext_noop(
    "Du har inte behörighet att bedöma mål i det här programområdet."
)

# A closed quarter's assessments are its history (assessment_check): deleting the goal would
# take them with it (Assessment.goal cascades), so the goal stays. Each refusal is its reason
# and then what the user can do (_delete_advice): the strategist, who can reopen a quarterly
# report that is not approved, is not told to contact the strategist.
ERROR_GOAL_DELETE_CLOSED_QUARTER = gettext_noop(
    "Målet ”{title}” kan inte tas bort: det eller dess delmål har bedömningar för {quarters}, "
    "kvartal som är avslutade och inte längre går att ändra, och de ska finnas kvar."
)
ERROR_MILESTONE_DELETE_CLOSED_QUARTER = gettext_noop(
    "Delmålet ”{title}” kan inte tas bort: det har bedömningar för {quarters}, kvartal som är "
    "avslutade och inte längre går att ändra, och de ska finnas kvar."
)
ADVICE_GOAL_CONTACT = gettext_noop(
    "Det finns inget sätt att avsluta ett mål utan att ta bort det; ska målet inte längre "
    "följas upp, skriv det i målets beskrivning och kontakta strategen GONV. Inget har tagits "
    "bort."
)
ADVICE_MILESTONE_CONTACT = gettext_noop(
    "Det finns inget sätt att avsluta ett delmål utan att ta bort det; ska delmålet inte längre "
    "följas upp, skriv det i delmålets beskrivning och kontakta strategen GONV. Inget har "
    "tagits bort."
)
ADVICE_GOAL_DESCRIBE = gettext_noop(
    "Det finns inget sätt att avsluta ett mål utan att ta bort det; ska målet inte längre "
    "följas upp, skriv det i målets beskrivning. Inget har tagits bort."
)
ADVICE_MILESTONE_DESCRIBE = gettext_noop(
    "Det finns inget sätt att avsluta ett delmål utan att ta bort det; ska delmålet inte längre "
    "följas upp, skriv det i delmålets beskrivning. Inget har tagits bort."
)

# Restoring a deleted goal ("Återställ" under Borttagna mål/delmål): each refusal says why and
# that nothing was written.
ERROR_RESTORE_EXISTS = gettext_noop(
    "”{title}” finns redan (det har återställts av någon annan). Inget har ändrats."
)
ERROR_RESTORE_AREA_GONE = gettext_noop(
    "”{title}” kan inte återställas: programområdet det hörde till finns inte längre. "
    "Inget har återställts."
)
ERROR_RESTORE_PARENT_GONE = gettext_noop(
    "Delmålet ”{title}” kan inte återställas: målet det hörde till finns inte längre. "
    "Återställ det målet först. Inget har återställts."
)
ERROR_RESTORE_CODE_TAKEN = gettext_noop(
    "”{title}” kan inte återställas: dess kod ”{code}” används nu av ”{other}”. "
    "Inget har återställts."
)
ERROR_RESTORE_INVALID = gettext_noop(
    "”{title}” kan inte återställas: {reasons} Inget har återställts."
)
# A goal's deletion takes its milestones with it (Goal.parent cascades): their deletion
# records are written by the same delete, moments apart. A milestone deleted on its own, in
# an earlier request, is restored from the goal's page after the goal.
DELETED_TOGETHER = datetime.timedelta(seconds=5)

# Who assessed a goal is the acting user, never a value from a form.
_ASSESSMENT_SET_BY_SERVICE = frozenset({"author", "assessed_at"})


# --- goals and milestones ---------------------------------------------------------------------


def goal_authorize(*, user: Actor, goal: Goal) -> None:
    """Raise PermissionDenied unless the user may save the goal as it was and as it will be."""
    _check_parent(user=user, goal=goal)
    authorize_save(user=user, obj=goal, message=_(ERROR_GOAL_FORBIDDEN))


def _check_parent(*, user: Actor, goal: Goal) -> None:
    """A milestone is placed under a goal the user may change (its old parent too, if moved)."""
    stored = stored_version(goal)
    parents = [
        parent_id
        for parent_id in (goal.parent_id, stored.parent_id if stored is not None else None)
        if parent_id is not None
    ]
    for parent in Goal.objects.filter(pk__in=parents):
        if not user.has_perm("goals.change_goal", parent):
            raise PermissionDenied(_(ERROR_PARENT_FORBIDDEN))


def goal_create(*, user: Actor, goal: Goal) -> Goal:
    """Create a goal, or a milestone when `goal.parent` is set, from an unsaved instance."""
    if goal.pk is not None:
        raise ValueError("goal_create takes an unsaved goal; use goal_update")
    with transaction.atomic():
        _check_parent(user=user, goal=goal)
        if not goal.order:
            # Last among its siblings, not first: the area's goals (or the goal's milestones)
            # keep the order they were given; "Flytta upp/ned" moves it from there.
            goal.order = _next_order(goal)
        return checked_save(user=user, obj=goal, message=_(ERROR_GOAL_FORBIDDEN))


def goal_siblings(goal: Goal) -> QuerySet[Goal]:
    """The goals a goal is ordered among: its goal's milestones, or its area's goals."""
    if goal.parent_id is not None:
        return Goal.objects.filter(parent_id=goal.parent_id)
    return Goal.objects.filter(programme_area_id=goal.programme_area_id, parent__isnull=True)


def _next_order(goal: Goal) -> int:
    highest = goal_siblings(goal).aggregate(highest=Max("order"))["highest"]
    return 1 if highest is None else highest + 1


def goal_move(*, user: Actor, goal: Goal, up: bool) -> bool:
    """Move a goal (or milestone) one place up or down among its siblings (goal_siblings),
    renumbering them through goal_update: permission-checked and in each one's history.
    False when it is already first (last)."""
    with transaction.atomic():
        siblings = list(goal_siblings(goal).select_for_update().order_by("order", "deadline", "id"))
        index = next((i for i, s in enumerate(siblings) if s.pk == goal.pk), None)
        if index is None:
            return False
        other = index - 1 if up else index + 1
        if not 0 <= other < len(siblings):
            return False
        siblings[index], siblings[other] = siblings[other], siblings[index]
        for position, sibling in enumerate(siblings):
            if sibling.order != position:
                goal_update(user=user, goal=sibling, data={"order": position})
        return True


def goal_update(
    *,
    user: Actor,
    goal: Goal,
    data: Mapping[str, Any] | None = None,
    deadline_reason: str = "",
) -> Goal:
    """Change a goal or milestone: `data` (field → value) on top of what `goal` already holds.

    A change of the deadline needs `deadline_reason` (why it moves: the dashboards show it to
    the steering group next to the plan's wording), stored as the reason of the change's history
    record; with the deadline unchanged none is needed (and none is stored)."""
    if goal.pk is None:
        raise ValueError("goal_update takes a saved goal; use goal_create")
    apply(goal, data)
    with transaction.atomic():
        _check_parent(user=user, goal=goal)
        authorize_save(user=user, obj=goal, message=_(ERROR_GOAL_FORBIDDEN))
        _record_deadline_reason(goal, deadline_reason)
        return checked_save(user=user, obj=goal, message=_(ERROR_GOAL_FORBIDDEN))


def _record_deadline_reason(goal: Goal, reason: str) -> None:
    """A moved deadline's reason on the history record the save writes; refused without one."""
    stored = stored_version(goal)
    if stored is None or stored.deadline == goal.deadline:
        return
    reason = normalise_deadline_reason(reason)
    if not reason:
        raise ValidationError({"deadline_reason": [str(ERROR_DEADLINE_REASON)]})
    too_long = deadline_reason_too_long(reason)
    if too_long:  # refused, never cut to the history column's 100 characters
        raise ValidationError({"deadline_reason": [too_long]})
    goal._change_reason = reason  # type: ignore[attr-defined]


def goal_delete(*, user: Actor, goal: Goal) -> None:
    """Delete a goal with its milestones and assessments (their history keeps them); refused
    while it or a milestone has an assessment of a closed quarter (goal_delete_check)."""
    with transaction.atomic():
        stored = Goal.objects.select_for_update().filter(pk=goal.pk).first()
        if stored is None:
            return  # deleted meanwhile: nothing left to delete
        authorize_delete(user=user, obj=stored, message=_(ERROR_GOAL_FORBIDDEN))
        goal_delete_check(goal=stored, user=user)
        checked_delete(user=user, obj=stored, message=_(ERROR_GOAL_FORBIDDEN))


def goal_restore(*, user: Actor, goal_id: int) -> list[Goal]:
    """Recreate a deleted goal or milestone (same id and code) from its last history record,
    with the milestones its deletion took with it: the restored goals, the goal first.

    The same permission as adding it to its area (and changing its goal, for a milestone),
    checked for each; the history records each as "+" with RESTORE_CHANGE_REASON and the user;
    the saves mark the recompute and the dashboards' cache like any goal's save (followup's
    signals). Refused (ValidationError, nothing written) when its area or goal is gone, its
    code or a milestone's is another goal's now, or it is no longer valid as it was."""
    history = Goal.history.model
    with transaction.atomic():
        # Locked: a second restore of the same goal waits, then finds it restored.
        latest = (
            history.objects.select_for_update()
            .filter(id=goal_id)
            .order_by("-history_date", "-history_id")
            .first()
        )
        if latest is None or latest.history_type != "-":
            raise Goal.DoesNotExist(f"goal {goal_id} has no deletion to restore")
        top = latest.instance
        if Goal.objects.filter(pk=goal_id).exists():
            raise ValidationError(_(ERROR_RESTORE_EXISTS).format(title=top.title))
        restored = [top, *_deleted_with(latest)]
        for goal in restored:
            goal_authorize(user=user, goal=goal)
        if not ProgrammeArea.objects.filter(pk=top.programme_area_id).exists():
            raise ValidationError(_(ERROR_RESTORE_AREA_GONE).format(title=top.title))
        if top.parent_id is not None and not Goal.objects.filter(pk=top.parent_id).exists():
            raise ValidationError(_(ERROR_RESTORE_PARENT_GONE).format(title=top.title))
        for goal in restored:
            other = Goal.objects.filter(code=goal.code).exclude(pk=goal.pk).first()
            if other is not None:
                raise ValidationError(
                    _(ERROR_RESTORE_CODE_TAKEN).format(
                        title=goal.title, code=goal.code, other=other.title
                    )
                )
        for goal in restored:  # the goal before its milestones: they point at it
            goal._change_reason = RESTORE_CHANGE_REASON
            try:
                checked_save(user=user, obj=goal, message=_(ERROR_GOAL_FORBIDDEN))
            except ValidationError as invalid:
                reasons = " ".join(invalid.messages)
                raise ValidationError(
                    _(ERROR_RESTORE_INVALID).format(title=goal.title, reasons=reasons)
                ) from invalid
        return restored


def _deleted_with(deletion: Any) -> list[Goal]:
    """The milestones (at any depth) deleted by the same delete as `deletion`'s goal, as
    their deletion records keep them, level by level (a goal before its milestones)."""
    history = Goal.history.model
    window = (deletion.history_date - DELETED_TOGETHER, deletion.history_date + DELETED_TOGETHER)
    latest = history.objects.filter(id=OuterRef("id")).order_by("-history_date", "-history_id")
    found: list[Goal] = []
    seen = {deletion.id}
    level = {deletion.id}
    while level:
        records = list(
            history.objects.filter(
                history_type="-", parent_id__in=level, history_date__range=window
            )
            .filter(history_id=Subquery(latest.values("history_id")[:1]))
            .exclude(id__in=seen)
            .exclude(id__in=Goal.objects.values("pk"))
            .order_by("order", "id")
        )
        found += [record.instance for record in records]
        level = {record.id for record in records}
        seen |= level
    return found


def goal_delete_check(
    *, goal: Goal, today: datetime.date | None = None, user: Actor | None = None
) -> None:
    """Raise ValidationError if the goal (with the milestones below it, which go with it) is
    part of the record of a closed quarter: it has an assessment of a quarter that can no
    longer be assessed (assessment_check's date rule), or it was in a quarterly report that is
    Fastställd or Godkänd (closed_reports: it existed when the report was closed, so the frozen
    report shows it and links to it; an assessment of the report's quarter is in it too). A
    goal created by mistake since the last report was closed, assessed only in open quarters,
    is deleted. The one rule for every entry: this service, the goal's delete page, the admin's
    delete page, its bulk delete and the milestone inline's delete box.

    The refusal ends with what `user` can do (_delete_advice): without a user, the advice to
    everyone but the strategist."""
    reopens = _reopens_reports(user)
    goal_ids = _with_milestones(goal.pk)
    assessed = set(
        Assessment.objects.filter(goal_id__in=goal_ids).values_list("quarter", flat=True)
    )
    by_date = sorted(code for code in assessed if quarter_closed(code, today=today))
    if by_date:
        message = (
            ERROR_MILESTONE_DELETE_CLOSED_QUARTER
            if goal.parent_id
            else ERROR_GOAL_DELETE_CLOSED_QUARTER
        )
        # Reopening a report does not reopen a quarter closed by its date.
        advice = _delete_advice(goal, reopens=reopens)
        raise ValidationError(
            f"{_(message).format(title=goal.title, quarters=_quarters_text(by_date))} {advice}",
            code="closed_quarter_history",
        )
    reports = closed_reports(area_id=goal.programme_area_id)
    if not reports:
        return
    created = dict(
        Goal.history.filter(id__in=goal_ids, history_type="+")
        .order_by()
        .values("id")
        .annotate(first=Min("history_date"))
        .values_list("id", "first")
    )
    in_reports = sorted(
        code
        for code, report in reports.items()
        if code in assessed or _existed_when_closed(goal_ids, created, report)
    )
    if not in_reports:
        return
    listed = _quarters_text(in_reports)
    if goal.parent_id:
        text = ngettext(
            "Delmålet ”{title}” kan inte tas bort: det finns med i kvartalsrapporten för "
            "{quarters}, som är fastställd eller godkänd, och ska finnas kvar som i rapporten.",
            "Delmålet ”{title}” kan inte tas bort: det finns med i kvartalsrapporterna för "
            "{quarters}, som är fastställda eller godkända, och ska finnas kvar som i "
            "rapporterna.",
            len(in_reports),
        )
    else:
        text = ngettext(
            "Målet ”{title}” kan inte tas bort: det finns med i kvartalsrapporten för "
            "{quarters}, som är fastställd eller godkänd, och ska finnas kvar som i rapporten.",
            "Målet ”{title}” kan inte tas bort: det finns med i kvartalsrapporterna för "
            "{quarters}, som är fastställda eller godkända, och ska finnas kvar som i "
            "rapporterna.",
            len(in_reports),
        )
    # Reports that are only Fastställd, with no assessment of a quarter closed by its date
    # (refused above): once reopened, the goal is in none of them and can be deleted.
    reopenable = not any(reports[code].approved for code in in_reports)
    advice = _delete_advice(goal, reopens=reopens, reports=in_reports if reopenable else None)
    raise ValidationError(
        f"{text.format(title=goal.title, quarters=listed)} {advice}",
        code="closed_report_history",
    )


def _reopens_reports(user: Actor | None) -> bool:
    """Whether the user may reopen a quarterly report (gonv.rules' close_quarterreport: the
    strategist and administrators); goals do not import followup, so its rule's predicate."""
    if user is None or not user.is_authenticated:
        return False
    return scope_for(user).edits_everything


def _delete_advice(goal: Goal, *, reopens: bool, reports: list[str] | None = None) -> str:
    """What to do about a goal that cannot be deleted: reopen the quarterly reports first
    (`reports`, for one who may), or write in its description that it is no longer followed
    up; one who cannot reopen reports is told to contact the strategist."""
    milestone = goal.parent_id is not None
    if reopens and reports:
        if milestone:
            text = ngettext(
                "Ska delmålet tas bort, öppna kvartalsrapporten för {quarters} igen först "
                "(Kvartalsrapporter); då kan det tas bort, och det finns inte med när rapporten "
                "fastställs igen. Inget har tagits bort.",
                "Ska delmålet tas bort, öppna kvartalsrapporterna för {quarters} igen först "
                "(Kvartalsrapporter); då kan det tas bort, och det finns inte med när "
                "rapporterna fastställs igen. Inget har tagits bort.",
                len(reports),
            )
        else:
            text = ngettext(
                "Ska målet tas bort, öppna kvartalsrapporten för {quarters} igen först "
                "(Kvartalsrapporter); då kan det tas bort, och det finns inte med när rapporten "
                "fastställs igen. Inget har tagits bort.",
                "Ska målet tas bort, öppna kvartalsrapporterna för {quarters} igen först "
                "(Kvartalsrapporter); då kan det tas bort, och det finns inte med när "
                "rapporterna fastställs igen. Inget har tagits bort.",
                len(reports),
            )
        return text.format(quarters=_quarters_text(reports))
    if reopens:
        return _(ADVICE_MILESTONE_DESCRIBE if milestone else ADVICE_GOAL_DESCRIBE)
    return _(ADVICE_MILESTONE_CONTACT if milestone else ADVICE_GOAL_CONTACT)


def _existed_when_closed(
    goal_ids: set[int], created: Mapping[int, datetime.datetime], report: ClosedQuarter
) -> bool:
    """Whether any of the goals existed when the report was closed (and so is in its frozen
    body). A goal without a creation record (loaded before its history) counts as older; a
    report without a closing time as closed after its quarter's last day."""
    for goal_id in goal_ids:
        first = created.get(goal_id)
        if first is None:
            return True
        if report.closed_at is not None:
            if first <= report.closed_at:
                return True
        elif timezone.localdate(first) <= Quarter.parse(report.code).end:
            return True
    return False


def _quarters_text(codes: list[str]) -> str:
    """Quarter codes as a sentence lists them: "Kv 4 2019 och Kv 1 2020"."""
    labels = [quarter_label(code) for code in codes]
    if len(labels) == 1:
        return labels[0]
    return _("{first} och {last}").format(first=", ".join(labels[:-1]), last=labels[-1])


def _with_milestones(goal_id: int) -> set[int]:
    """The goal and every milestone below it, at any depth (one query a level)."""
    found = {goal_id}
    level = {goal_id}
    while level:
        level = set(Goal.objects.filter(parent_id__in=level).values_list("pk", flat=True)) - found
        found |= level
    return found


# --- adoption records -------------------------------------------------------------------------


def adoption_record_create(
    *,
    user: Actor,
    unit: Unit,
    working_method: WorkingMethod,
    status: str = AdoptionRecord.Status.NOT_STARTED,
    planned_date: datetime.date | None = None,
    actual_date: datetime.date | None = None,
    comment: str = "",
) -> AdoptionRecord:
    """Record where a unit stands with a working method (add permission for that unit)."""
    record = AdoptionRecord(
        unit=unit,
        working_method=working_method,
        status=status,
        planned_date=planned_date,
        actual_date=actual_date,
        comment=comment,
    )
    return checked_save(
        user=user, obj=record, message=_(ERROR_ADOPTION_FORBIDDEN).format(unit=unit.name)
    )


def adoption_record_update(
    *, user: Actor, record: AdoptionRecord, data: Mapping[str, Any] | None = None
) -> AdoptionRecord:
    """Change an adoption record; allowed only if the user may change it before and after."""
    if record.pk is None:
        raise ValueError("adoption_record_update takes a saved record")
    apply(record, data)
    return checked_save(
        user=user, obj=record, message=_(ERROR_ADOPTION_FORBIDDEN).format(unit=record.unit.name)
    )


def adoption_record_delete(*, user: Actor, record: AdoptionRecord) -> None:
    """Delete an adoption record of a unit in the user's scope."""
    checked_delete(
        user=user, obj=record, message=_(ERROR_ADOPTION_FORBIDDEN).format(unit=record.unit.name)
    )


# --- assessments ------------------------------------------------------------------------------


def assessment_check(*, assessment: Assessment, today: datetime.date | None = None) -> None:
    """Raise ValidationError unless the assessment is of a quarter that can still be assessed,
    as it was and as it will be saved: the current quarter and the previous one, for every
    role, as on the page (quarter_closed), and not one whose quarterly report is Fastställd or
    Godkänd (closed_quarters: the report shows these assessments). Earlier assessments stay as
    they were written. The one rule for every entry: the page, the services, the admin's add,
    change, delete and history revert."""
    stored = stored_version(assessment)
    codes = []
    for text in (assessment.quarter, stored.quarter if stored is not None else None):
        if text is None:
            continue
        try:
            code = Quarter.parse(text).code
        except InvalidQuarter:
            continue  # not a quarter at all: the model's validation says so
        if quarter_closed(code, today=today):
            raise ValidationError({"quarter": [str(ERROR_QUARTER_CLOSED)]})
        codes.append(code)
    area_ids = {
        goal.programme_area_id
        for goal in (
            _goal_of(assessment),
            _goal_of(stored) if stored is not None else None,
        )
        if goal is not None
    }
    for area_id in sorted(area_ids):
        closed = closed_quarters(area_id=area_id, quarters=codes)
        for code in codes:
            if code in closed:
                raise ValidationError({"quarter": [closed[code].message]}, code="report_closed")


def _goal_of(assessment: Assessment) -> Goal | None:
    """The assessment's goal, or None while it has none (the model's validation says so)."""
    if assessment.goal_id is None:
        return None
    return assessment.goal


def quarter_closed(text: str, *, today: datetime.date | None = None) -> bool:
    """Whether a quarter's assessments are closed: it is no longer one of the quarters that can
    be assessed (editable_quarters). Text that is no quarter is the model's validation's."""
    try:
        code = Quarter.parse(text).code
    except InvalidQuarter:
        return False
    return code not in {quarter.code for quarter in editable_quarters(today)}


def assessment_record(
    *, user: Actor, goal: Goal, quarter: str, status: str, comment: str
) -> Assessment:
    """Record (create or replace) the quarter's assessment of a goal, authored by the user;
    only for a quarter that can still be assessed (assessment_check)."""
    with transaction.atomic():
        assessment = Assessment.objects.select_for_update().filter(
            goal=goal, quarter=quarter
        ).first() or Assessment(goal=goal, quarter=quarter)
        assessment.status = status
        assessment.comment = comment
        assessment.author = user  # type: ignore[assignment]
        authorize_save(user=user, obj=assessment, message=_(ERROR_ASSESSMENT_FORBIDDEN))
        assessment_check(assessment=assessment)
        return checked_save(user=user, obj=assessment, message=_(ERROR_ASSESSMENT_FORBIDDEN))


def assessment_update(
    *, user: Actor, assessment: Assessment, data: Mapping[str, Any] | None = None
) -> Assessment:
    """Change an assessment of a quarter that can still be assessed, to such a quarter
    (assessment_check); the acting user becomes its author."""
    if assessment.pk is None:
        raise ValueError("assessment_update takes a saved assessment; use assessment_record")
    apply(assessment, data, forbidden=_ASSESSMENT_SET_BY_SERVICE)
    assessment.author = user  # type: ignore[assignment]
    with transaction.atomic():
        authorize_save(user=user, obj=assessment, message=_(ERROR_ASSESSMENT_FORBIDDEN))
        assessment_check(assessment=assessment)
        return checked_save(user=user, obj=assessment, message=_(ERROR_ASSESSMENT_FORBIDDEN))


def assessment_delete(*, user: Actor, assessment: Assessment) -> None:
    """Delete an assessment of a goal the user may assess, of a quarter that can still be
    assessed (assessment_check): a closed quarter's assessment stays as it was written."""
    with transaction.atomic():
        # The row as stored, locked: its quarter is what is checked, not a form's copy.
        stored = Assessment.objects.select_for_update().filter(pk=assessment.pk).first()
        if stored is None:
            return  # deleted meanwhile: nothing left to delete
        authorize_delete(user=user, obj=stored, message=_(ERROR_ASSESSMENT_FORBIDDEN))
        assessment_check(assessment=stored)
        checked_delete(user=user, obj=stored, message=_(ERROR_ASSESSMENT_FORBIDDEN))
