"""Reads of goals for pages and reports."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, OuterRef, Prefetch, Q, Subquery
from django.utils.translation import gettext_lazy as _

from base.history import author_label
from organisation.models import Unit, UnitClosure
from programmes.models import Phase, ProgrammeArea, ProgrammeAreaProcess, WorkingMethod

from .models import AdoptionRecord, Assessment, Goal


def portfolio_overview(
    *, organisation_id: int | None = None, with_unassigned: bool = False
) -> list[Phase]:
    """Phases with their timeline, areas, process links, goals and milestones (fixed queries).

    With `organisation_id`: that organisation's phases only. Not the phases of no organisation:
    the engine counts their goals on the tree's first root (followup.compute), so with several
    organisations they are no one organisation's portfolio; Programområden lists them beside
    each organisation's (`with_unassigned`).
    """
    # Nulls last on both databases, so goals without a deadline sort alike everywhere.
    by_deadline = (F("deadline").asc(nulls_last=True), "order", "id")
    milestones = (
        Goal.objects.with_deadline_move()
        .select_related("unit_kind", "measure", "working_method")
        .order_by(*by_deadline)
    )
    goals = (
        Goal.objects.top_level()
        .with_deadline_move()
        .select_related("unit_kind", "measure", "working_method")
        .order_by("order", *by_deadline)
        .prefetch_related(Prefetch("milestones", queryset=milestones))
    )
    links = ProgrammeAreaProcess.objects.select_related("supporting_process").order_by(
        "supporting_process__name"
    )
    areas = ProgrammeArea.objects.prefetch_related(
        Prefetch("goals", queryset=goals, to_attr="top_goals"),
        Prefetch("process_links", queryset=links),
    )
    phases = Phase.objects.prefetch_related(Prefetch("programme_areas", queryset=areas), "events")
    if organisation_id is None:
        return list(phases.order_by("start_date"))
    mine = Q(organisation_unit_id=organisation_id)
    if with_unassigned:
        mine |= Q(organisation_unit__isnull=True)
    return list(phases.filter(mine).order_by("start_date", "id"))


@dataclass(frozen=True)
class AssessmentVersion:
    """An earlier wording of a quarter's assessment, replaced since."""

    status: str
    comment: str
    author: str
    at: datetime.datetime


def assessments_with_earlier_versions(
    *, goal: Goal
) -> list[tuple[Assessment, list[AssessmentVersion]]]:
    """The goal's assessments, newest quarter first, each with the wordings it had before it
    was last changed, newest first (two queries): a replaced judgement stays readable."""
    assessments = list(goal.assessments.select_related("author").order_by("-quarter"))
    labels = dict(Assessment._meta.get_field("status").choices)  # type: ignore[arg-type]
    earlier: dict[int, list[AssessmentVersion]] = {}
    seen: dict[int, tuple[str, str]] = {}
    records = (
        Assessment.history.filter(goal_id=goal.pk, history_type__in=("+", "~"))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
    for record in records:
        wording = (record.status, record.comment)
        if record.id not in seen:
            seen[record.id] = wording  # the newest record: the assessment as it stands
            continue
        if wording == seen[record.id]:
            continue  # a save that changed nothing a reader sees (the quarter, a version)
        seen[record.id] = wording
        user = record.history_user
        earlier.setdefault(record.id, []).append(
            AssessmentVersion(
                status=str(labels.get(record.status, record.status)),
                comment=record.comment,
                author=str(user.get_full_name() or user.get_username()) if user else "",
                at=record.history_date,
            )
        )
    return [(assessment, earlier.get(assessment.pk, [])) for assessment in assessments]


def goal_tree_for_area(*, area: ProgrammeArea) -> list[Goal]:
    """An area's top-level goals with their milestones and both's assessments (newest first)."""
    by_deadline = (F("deadline").asc(nulls_last=True), "order", "id")
    assessments = Assessment.objects.select_related("author").order_by("-quarter")
    milestones = (
        Goal.objects.with_deadline_move()
        .select_related("unit_kind", "measure", "working_method")
        .prefetch_related(Prefetch("assessments", queryset=assessments))
        .order_by(*by_deadline)
    )
    return list(
        Goal.objects.top_level()
        .filter(programme_area=area)
        .with_deadline_move()
        .select_related("unit_kind", "measure", "working_method")
        .prefetch_related(
            Prefetch("milestones", queryset=milestones),
            Prefetch("assessments", queryset=assessments),
        )
        .order_by("order", *by_deadline)
    )


def adoption_records_of(*, unit_ids: list[int]) -> list[AdoptionRecord]:
    """The adoption records of these units with their working methods (one query)."""
    return list(
        AdoptionRecord.objects.filter(unit_id__in=unit_ids)
        .select_related("working_method__programme_area")
        .order_by("working_method__programme_area__number", "working_method__name")
    )


def adoption_methods_for(*, units: list[Unit]) -> list[tuple[WorkingMethod, list[Unit]]]:
    """The working methods these units are to adopt, each with the units (of the list, in its
    order) it applies to: a unit of a kind the method targets, in the organisation whose plan
    the method is in (a method of a phase with no organisation is everyone's). Ordered by
    programme area and name; a method that applies to none of the units is left out.

    The one answer to "which methods for which units": the adoption grid offers these cells
    and a unit's dashboard shows these columns (three queries)."""
    kinds = {u.kind_id for u in units}
    above: dict[int, set[int]] = {}
    for descendant_id, ancestor_id in UnitClosure.objects.filter(
        descendant__in=[u.pk for u in units]
    ).values_list("descendant_id", "ancestor_id"):
        above.setdefault(descendant_id, set()).add(ancestor_id)
    organisations = set().union(*above.values())
    methods = (
        WorkingMethod.objects.filter(target_unit_kinds__in=kinds)
        .filter(
            Q(programme_area__phase__organisation_unit__isnull=True)
            | Q(programme_area__phase__organisation_unit__in=organisations)
        )
        .distinct()
        .select_related("programme_area__phase")
        .prefetch_related("target_unit_kinds")
        .order_by("programme_area__number", "name")
    )
    applied = []
    for method in methods:
        targets = {k.pk for k in method.target_unit_kinds.all()}
        organisation_id = method.programme_area.phase.organisation_unit_id
        applies = [
            u
            for u in units
            if u.kind_id in targets
            and (organisation_id is None or organisation_id in above.get(u.pk, set()))
        ]
        if applies:
            applied.append((method, applies))
    return applied


def adoption_records_to_plan(
    *, unit_ids: list[int], today: datetime.date
) -> tuple[list[AdoptionRecord], list[AdoptionRecord]]:
    """The units' adoption to-do, in one query: records not started or planned without a
    planned date, and records not yet introduced whose planned date has passed (late)."""
    unfinished = [
        AdoptionRecord.Status.NOT_STARTED,
        AdoptionRecord.Status.PLANNED,
        AdoptionRecord.Status.IN_PROGRESS,
    ]
    records = list(
        AdoptionRecord.objects.filter(unit_id__in=unit_ids, status__in=unfinished)
        .filter(Q(planned_date__isnull=True, status__in=unfinished[:2]) | Q(planned_date__lt=today))
        .select_related("unit", "working_method")
        .order_by("unit__name", "working_method__name")
    )
    unplanned = [record for record in records if record.planned_date is None]
    late = [record for record in records if record.planned_date is not None]
    return unplanned, late


MATRIX_SORTS = ("enhet", "status")

# --- Adoption as of a day ----------------------------------------------------------------------
# One rule for every page that says where a unit stands with a working method on a day: the
# rule the status engine counts an adoption goal by (followup.compute.goal_status.
# _adoption_counts, the same rule in SQL). A record is done on a day if its status is the
# method's done status (Infört, or Utfasat for a method to phase out) with an actual date by
# then; the record's history is not read, as the engine does not read it: a record done later
# was not done yet, and its date (the planned one, else the actual one) is when it was due.

# Standings, as an adoption goal counts a unit: done by the evaluation day, planned by the
# deadline, planned after it, neither.
ADOPTED, PLANNED, PLANNED_LATE, NOT_STARTED = "adopted", "planned", "planned_late", "not_started"

# "Status (mest infört först)": the statuses from most to least adopted (done first, then no
# record at all last).
STATUS_RANK: dict[str, int] = {
    AdoptionRecord.Status.ADOPTED: 4,
    AdoptionRecord.Status.PHASED_OUT: 4,
    AdoptionRecord.Status.IN_PROGRESS: 3,
    AdoptionRecord.Status.PLANNED: 2,
    AdoptionRecord.Status.NOT_STARTED: 1,
}


def done_status(method: WorkingMethod) -> str:
    """The status that counts as done for the method: Utfasat for one to phase out, else Infört."""
    if method.direction == WorkingMethod.Direction.PHASE_OUT:
        return AdoptionRecord.Status.PHASED_OUT
    return AdoptionRecord.Status.ADOPTED


def is_done_on(record: AdoptionRecord | None, *, day: datetime.date, done: str) -> bool:
    """Whether the record counts as done on the day (its done status and an actual date by then)."""
    return (
        record is not None
        and record.status == done
        and record.actual_date is not None
        and record.actual_date <= day
    )


def due_date(record: AdoptionRecord | None) -> datetime.date | None:
    """When the record was to be done: its planned date, else its actual date."""
    if record is None:
        return None
    return record.planned_date or record.actual_date


@dataclass(frozen=True)
class AdoptionOnDay:
    """A record as it stood on a day (the adoption rule above), for display."""

    record: AdoptionRecord
    status: str  # an AdoptionRecord.Status value
    done_on: datetime.date | None  # the actual date, if done by the day
    due: datetime.date | None  # when it was to be done, if not done by the day
    # The actual date, if done after the day with no planned date: not yet done on the day,
    # and no plan to show ("Ej infört – infört senare", not "Planerat" on the later date).
    done_later: datetime.date | None = None

    @property
    def phased_out(self) -> bool:
        """Whether the record phases the method out (Utfasat) rather than introduces it."""
        return self.record.status == AdoptionRecord.Status.PHASED_OUT

    @property
    def status_label(self) -> str:
        if self.done_later is not None:
            return str(_("Ej utfasat") if self.phased_out else _("Ej infört"))
        return str(AdoptionRecord.Status(self.status).label)

    @property
    def rank(self) -> int:
        return STATUS_RANK.get(self.status, 0)


def adoption_on(record: AdoptionRecord | None, *, day: datetime.date) -> AdoptionOnDay | None:
    """The record's status on the day: one done (or phased out) after the day was not yet; it
    shows as Planerat, due on its planned date, or without a planned date as not done then and
    done later (Ej infört, with the day it was); any other status is the record's own."""
    if record is None:
        return None
    finished = record.status in (AdoptionRecord.Status.ADOPTED, AdoptionRecord.Status.PHASED_OUT)
    if not finished:
        return AdoptionOnDay(record, record.status, None, due_date(record))
    if record.actual_date is not None and record.actual_date > day and record.planned_date is None:
        # Its only date is the day it was done: no plan to show as of the day.
        return AdoptionOnDay(
            record, AdoptionRecord.Status.NOT_STARTED, None, None, done_later=record.actual_date
        )
    if record.actual_date is None or record.actual_date > day:
        return AdoptionOnDay(record, AdoptionRecord.Status.PLANNED, None, due_date(record))
    return AdoptionOnDay(record, record.status, record.actual_date, None)


def adoption_standing(
    record: AdoptionRecord | None,
    *,
    day: datetime.date,
    deadline: datetime.date | None,
    done: str,
) -> str:
    """How an adoption goal counts the unit on its evaluation day: ADOPTED, PLANNED (due by
    the deadline), PLANNED_LATE (due after it) or NOT_STARTED (no date)."""
    if is_done_on(record, day=day, done=done):
        return ADOPTED
    due = due_date(record)
    if due is None:
        return NOT_STARTED
    if deadline is not None and due <= deadline:
        return PLANNED
    return PLANNED_LATE


def evaluation_day(
    quarter_end: datetime.date | None, *, today: datetime.date, deadline: datetime.date | None
) -> datetime.date:
    """The day the engine evaluates a quarter on (followup.services: the quarter's end, or today
    in the ongoing quarter; today without a quarter), for a goal not after its deadline."""
    day = today if quarter_end is None else min(quarter_end, today)
    return min(day, deadline) if deadline is not None else day


@dataclass(frozen=True)
class MatrixRow:
    unit: Unit
    cells: list[AdoptionOnDay | None]  # one per working method, None: nothing recorded
    done: list[bool]  # per working method: done on the matrix's day (as the engine counts)

    @property
    def ranks(self) -> tuple[int, ...]:
        """For "Status (mest infört först)": the counts of cells done, Pågår, Planerat and
        Ej påbörjat (or done only later), negated (most adopted first when sorted ascending)."""
        levels = [
            4 if done else min(cell.rank, 3) if cell else 0
            for cell, done in zip(self.cells, self.done, strict=True)
        ]
        return tuple(-levels.count(rank) for rank in (4, 3, 2, 1))


@dataclass(frozen=True)
class Share:
    done: int
    total: int
    target: Decimal | None = None  # the adoption goal's target share (%), if there is one

    @property
    def percent(self) -> Decimal | None:
        return Decimal(100 * self.done) / self.total if self.total else None


@dataclass(frozen=True)
class MatrixGroup:
    vo: Unit | None
    rows: list[MatrixRow]
    shares: list[Share]


@dataclass(frozen=True)
class AdoptionMatrix:
    methods: list[WorkingMethod]
    groups: list[MatrixGroup]
    totals: list[Share]  # over every unit of the area, whatever VO is chosen
    vos: list[Unit]  # every VO, for the filter
    day: datetime.date  # the day the statuses are as of
    # More units than a page can list (settings.GONV_ADOPTION_MATRIX_UNIT_LIMIT) and no VO
    # chosen: the groups carry their shares but no rows; a VO's units are one filter away.
    collapsed: bool = False
    unit_count: int = 0
    vo_code: str = ""  # the VO chosen, if any

    @property
    def chosen(self) -> MatrixGroup | None:
        """The chosen VO's group (its total row below the region's), if a VO is chosen."""
        return self.groups[0] if self.vo_code and self.groups else None


def _shares(rows: list[MatrixRow], targets: list[Decimal | None]) -> list[Share]:
    return [
        Share(done=sum(1 for row in rows if row.done[i]), total=len(rows), target=target)
        for i, target in enumerate(targets)
    ]


def adoption_matrix(
    *,
    area: ProgrammeArea,
    day: datetime.date,
    vo_code: str = "",
    sort: str = "enhet",
    unit_limit: int | None = None,
) -> AdoptionMatrix:
    """The area's working methods × the units they target, grouped by VO, each cell as it stood
    on `day` (adoption_on, the adoption goals' rule), with the share done per VO and in all
    against the adoption goals' targets (four queries).

    `day` is the selected quarter's end, or today in the ongoing quarter (evaluation_day): the
    units active then, the records as the goal evaluation counts them then.

    The units are those of the area's organisation (`Phase.organisation_unit`: Region B's area
    lists Region B's health centres, not every region's; one join on the closure table), or of
    the whole tree for a phase of no organisation. The area's phase must be loaded with it.

    With more than `unit_limit` units and no VO chosen the matrix is collapsed: every VO with
    its shares, no unit rows (a national area would list every health centre of the nation,
    megabytes of HTML). The shares are computed over all units either way.
    """
    methods = list(
        WorkingMethod.objects.filter(programme_area=area)
        .prefetch_related("target_unit_kinds")
        .order_by("name")
    )
    kind_ids = {kind.pk for m in methods for kind in m.target_unit_kinds.all()}
    targeted = Unit.objects.filter(kind_id__in=kind_ids)
    organisation_id = area.phase.organisation_unit_id
    if organisation_id is not None:
        targeted = targeted.in_subtree(organisation_id)
    units = list(targeted.active_on(day).select_related("parent").order_by("parent__name", "name"))
    records = {
        (r.unit_id, r.working_method_id): r
        for r in AdoptionRecord.objects.filter(
            working_method__in=methods, unit_id__in=[u.pk for u in units]
        )
    }
    # The nearest adoption goal's target per method (a goal and its milestone share a method).
    targets_by_method: dict[int | None, Decimal | None] = {}
    for goal in Goal.objects.filter(
        programme_area=area, kind=Goal.Kind.ADOPTION, deadline__gte=day
    ).order_by("-deadline"):
        targets_by_method[goal.working_method_id] = goal.target_share
    targets = [targets_by_method.get(m.pk) for m in methods]
    dones = [done_status(m) for m in methods]

    def row(unit: Unit) -> MatrixRow:
        cells = [records.get((unit.pk, m.pk)) for m in methods]
        return MatrixRow(
            unit=unit,
            cells=[adoption_on(cell, day=day) for cell in cells],
            done=[is_done_on(cell, day=day, done=d) for cell, d in zip(cells, dones, strict=True)],
        )

    vos = list({u.parent_id: u.parent for u in units if u.parent is not None}.values())
    collapsed = not vo_code and unit_limit is not None and len(units) > unit_limit
    groups = []
    all_rows: list[MatrixRow] = []
    for vo in vos:
        rows = [row(u) for u in units if u.parent_id == vo.pk]
        all_rows += rows
        if vo_code and vo.code != vo_code:
            continue
        if sort == "status":
            rows.sort(key=lambda r: (r.ranks, r.unit.name))
        shares = _shares(rows, targets)
        groups.append(MatrixGroup(vo=vo, rows=[] if collapsed else rows, shares=shares))
    if collapsed and sort == "status":
        # No unit rows to sort: the VOs themselves, most adopted first.
        groups.sort(key=lambda g: (-sum(s.done for s in g.shares), g.vo.name if g.vo else ""))
    return AdoptionMatrix(
        methods=methods,
        groups=groups,
        totals=_shares(all_rows, targets),
        vos=vos,
        day=day,
        collapsed=collapsed,
        unit_count=len(units),
        vo_code=vo_code,
    )


@dataclass(frozen=True)
class RemovedGoal:
    """A deleted goal or milestone as its history's last record keeps it: what, when, by whom."""

    pk: int
    title: str
    removed_at: datetime.datetime
    author: str
    milestone: bool


def removed_goals(*, area_id: int, parent_id: int | None = None) -> list[RemovedGoal]:
    """The goals deleted from an area (`parent_id` None) or the milestones deleted from a goal,
    newest first, read from django-simple-history's deletion records (history_type "-"): the
    deletion page says the change history keeps them, and this is where they are seen. A
    goal's milestones deleted with it are said by the goal's own line."""
    history = Goal.history.model
    # A goal's latest record only: one deleted, restored and deleted again is one line.
    latest = history.objects.filter(id=OuterRef("id")).order_by("-history_date", "-history_id")
    records = (
        history.objects.filter(history_type="-")
        .filter(history_id=Subquery(latest.values("history_id")[:1]))
        .select_related("history_user")
    )
    if parent_id is None:
        records = records.filter(programme_area_id=area_id, parent_id__isnull=True)
    else:
        records = records.filter(parent_id=parent_id)
    records = records.exclude(id__in=Goal.objects.values("pk")).order_by("-history_date")
    return [
        RemovedGoal(
            pk=record.id,
            title=record.title,
            removed_at=record.history_date,
            author=author_label(record.history_user, record.history_change_reason),
            milestone=record.parent_id is not None,
        )
        for record in records
    ]


def deleted_goal(*, goal_id: int) -> Any | None:
    """The history record that deleted a goal or milestone (its last one, of type "-"), or
    None if the goal exists or has no such record: what goals.services.goal_restore brings
    back."""
    if Goal.objects.filter(pk=goal_id).exists():
        return None
    record = Goal.history.filter(id=goal_id).order_by("-history_date", "-history_id").first()
    return record if record is not None and record.history_type == "-" else None
