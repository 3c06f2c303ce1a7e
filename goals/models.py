"""Goals and milestones with typed targets, per-unit adoption, and quarterly assessments."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from base.editing import CHANGE_PERCENT, UnitSource
from base.formatting import format_number, format_set_level
from base.history import SOURCE_LABELS, author_label
from base.measure_values import ValueProblem, value_problem
from base.periods import (
    QUARTER_CODE_PATTERN,
    InvalidQuarter,
    Quarter,
    day_label,
    days_label,
    months_label,
    quarter_label,
    quarters_label,
)
from base.versioning import Versioned, VersionedQuerySet
from organisation.models import Unit, UnitKind, parent_cycle
from programmes.models import (
    ProgrammeArea,
    Provenance,
    WorkingMethod,
    area_outside_organisation,
    provenance_field,
    provenance_note_field,
)

from .status import ASSESSABLE_STATUSES, status_choices

ERROR_GOAL_OWN_PARENT = _("Ett mål kan inte vara sitt eget överordnade mål.")
ERROR_GOAL_CYCLE = _(
    "Ett mål kan inte placeras under ett av sina egna delmål (målen skulle bilda en ring)."
)
ERROR_PARENT_OTHER_AREA = _(
    "Det överordnade målet hör till %(parent_area)s, men delmålet till %(area)s. Ett delmål "
    "ligger alltid under ett mål i samma programområde: välj ett mål i %(area)s."
)
ERROR_AREA_OF_GOAL_WITH_MILESTONES = _(
    "Målet kan inte flyttas till ett annat programområde: dess delmål (%(titles)s) hör till "
    "%(area)s. Flytta eller ta bort delmålen först."
)
ERROR_MILESTONE_AFTER_GOAL = _("Delmålets måldatum kan inte vara efter målets (%(deadline)s).")
ERROR_GOAL_BEFORE_MILESTONES = _(
    "Målets måldatum kan inte vara före delmålens: %(milestones)s. Flytta delmålen först, "
    "eller välj ett senare måldatum."
)
# A deadline in a quarter whose quarterly report is closed is what that report says about the
# goal ("50 % senast dec 2025"): moving it would change a closed report afterwards.
ERROR_DEADLINE_IN_CLOSED_QUARTER = gettext_noop(
    "Måldatumet {deadline} kan inte flyttas: det ligger i {quarter}, och kvartalsrapporten för "
    "{quarter} är fastställd. Rapporten ska visa målet som det var. Skapa i stället ett nytt "
    "delmål med det nya måldatumet, eller be strategen öppna kvartalet igen."
)
ERROR_DEADLINE_IN_APPROVED_QUARTER = gettext_noop(
    "Måldatumet {deadline} kan inte flyttas: det ligger i {quarter}, och kvartalsrapporten för "
    "{quarter} är godkänd. Rapporten ska visa målet som det var. Skapa i stället ett nytt "
    "delmål med det nya måldatumet."
)
ERROR_DEADLINE_INTO_CLOSED_QUARTER = gettext_noop(
    "Måldatumet kan inte flyttas till {deadline}: {quarter} är stängt, kvartalsrapporten är "
    "fastställd eller godkänd. Välj ett datum i ett kvartal som inte är rapporterat."
)
# Outside the phase is allowed (the plan has 2030 targets in Fas 2, 2025–2027): said, not refused.
WARNING_DEADLINE_OUTSIDE_PHASE = gettext_noop(
    "Måldatumet {deadline} ligger utanför {phase} ({period}). Det går att spara, men "
    "kontrollera att det är rätt."
)
ERROR_DEADLINE_BEFORE_AREA_START = _(
    "Måldatum kan inte vara före programområdets startdatum (%(start)s); ange ett senare "
    "måldatum eller ett eget startdatum för målet."
)
# The periods as every range is written (base.periods.days_label: "2–31 dec 2026"); the example
# is the whole months (quarters) the period lies in.
ERROR_BASELINE_NOT_WHOLE_MONTHS = _(
    "Basperioden %(period)s är inte hela månader: den ska börja den första dagen i en månad och "
    "sluta den sista dagen i en månad, till exempel %(example)s."
)
ERROR_BASELINE_NOT_WHOLE_QUARTERS = _(
    "Måttet rapporteras per kvartal: basperioden %(period)s ska vara hela kvartal, från den "
    "första dagen i ett kvartal till den sista, till exempel %(example)s."
)
ERROR_BASELINE_ORDER = _("Basperiodens slut kan inte vara före dess start.")
ERROR_BASELINE_AFTER_DEADLINE = _(
    "Basperioden ska sluta före måldatumet (%(deadline)s): målet jämförs med den."
)
# A measure goal's target by its measure's value type: what the one rule of a measure's values
# (base.measure_values, which the import, the grid and Observation.clean keep too) finds wrong,
# worded by the goal's field and the range it allows.
ERROR_TARGET_SHARE_RANGE = _("Målvärdet för en andel ska vara 0–100 %.")
ERROR_TARGET_INDEX_RANGE = _("Målvärdet för ett index ska vara 0–100.")
ERROR_TARGET_COUNT_NEGATIVE = _("Målvärdet för ett antal kan inte vara negativt.")
ERROR_TARGET_COUNT_DECIMALS = _("Målvärdet för ett antal ska vara ett heltal.")
TARGET_MESSAGES = {
    ValueProblem.SHARE_RANGE: ERROR_TARGET_SHARE_RANGE,
    ValueProblem.INDEX_RANGE: ERROR_TARGET_INDEX_RANGE,
    ValueProblem.COUNT_NEGATIVE: ERROR_TARGET_COUNT_NEGATIVE,
    ValueProblem.COUNT_DECIMALS: ERROR_TARGET_COUNT_DECIMALS,
}
ERROR_CHANGE_BELOW_ALL = _(
    "Förändringen kan inte vara mindre än −100 %: ett värde kan inte minska med mer än allt."
)
# The admin offers only the unit's organisation's methods; another posted by hand is this.
ERROR_METHOD_NOT_OFFERED = _(
    "Arbetssättet finns inte bland dem som erbjuds här. Välj ett arbetssätt i enhetens "
    "organisation."
)
ERROR_QUARTER = _("Ange ett kvartal som 2025Q4.")
ERROR_QUARTER_CLOSED = _("Kvartalet går inte längre att bedöma.")
ERROR_ACTUAL_FUTURE = _("Faktiskt datum kan inte ligga i framtiden.")
ERROR_METHOD_OF_OTHER_ORGANISATION = _(
    "Arbetssättet %(method)s hör till %(organisation)s, men %(unit)s gör det inte. Välj ett "
    "arbetssätt i enhetens organisation."
)


def editable_quarters(today: datetime.date | None = None) -> list[Quarter]:
    """Quarters that can still be assessed by date: the current one and the previous one (a
    quarter stays editable until its next quarter ends), unless its quarterly report is closed
    (closed_quarters). The page offers these; the services refuse any other
    (goals.services.assessment_check)."""
    current = Quarter.containing(today or timezone.localdate())
    return [current, current.previous()]


# A quarter whose quarterly report (followup.QuarterReport) is Fastställd or Godkänd is closed:
# its assessments are what the report shows, and stay so.
ERROR_QUARTER_REPORT_CLOSED = gettext_noop(
    "{quarter} är stängt: kvartalsrapporten är fastställd. Strategen kan öppna kvartalet igen "
    "om bedömningen behöver ändras."
)
ERROR_QUARTER_REPORT_APPROVED = gettext_noop(
    "{quarter} är stängt: kvartalsrapporten är godkänd och kan inte öppnas igen. Bedömningarna "
    "står kvar som i rapporten."
)


@dataclass(frozen=True)
class ClosedQuarter:
    """A quarter closed by its quarterly report: Fastställd (the strategist can reopen it) or
    Godkänd (final), and when the report was closed (its body frozen), where known."""

    code: str
    approved: bool
    closed_at: datetime.datetime | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return quarter_label(self.code)

    @property
    def message(self) -> str:
        """Why the quarter's assessments cannot change, in Swedish."""
        text = ERROR_QUARTER_REPORT_APPROVED if self.approved else ERROR_QUARTER_REPORT_CLOSED
        return gettext(text).format(quarter=self.label)


# (programme area id, quarter codes) -> the closed ones among them by code; codes None: every
# closed quarter of the area. The quarterly report is followup's, above goals in the layers:
# followup registers the lookup when it is ready (followup.apps), so the rule is asked here
# without goals importing it.
ClosedQuartersLookup = Callable[[int, Collection[str] | None], Mapping[str, ClosedQuarter]]
_closed_quarters_lookups: list[ClosedQuartersLookup] = []


def register_closed_quarters(lookup: ClosedQuartersLookup) -> None:
    """Register how to find the closed quarters of a programme area's goals (once)."""
    if lookup not in _closed_quarters_lookups:
        _closed_quarters_lookups.append(lookup)


def closed_quarters(*, area_id: int, quarters: Collection[str]) -> dict[str, ClosedQuarter]:
    """The quarters among `quarters` (codes) whose quarterly report covering the programme
    area is closed, by code (one query per registered lookup)."""
    found: dict[str, ClosedQuarter] = {}
    codes = {code for code in quarters if code}
    if not codes:
        return found
    for lookup in _closed_quarters_lookups:
        found.update(lookup(area_id, codes))
    return found


def closed_reports(*, area_id: int) -> dict[str, ClosedQuarter]:
    """Every quarter whose quarterly report covering the programme area is closed, by code,
    with when it was closed (one query per registered lookup)."""
    found: dict[str, ClosedQuarter] = {}
    for lookup in _closed_quarters_lookups:
        found.update(lookup(area_id, None))
    return found


def assessable_quarters(
    *, area_id: int, today: datetime.date | None = None
) -> tuple[list[Quarter], list[ClosedQuarter]]:
    """The quarters a goal of the area can be assessed for (newest first) and those of the
    date's quarters that its quarterly report has closed."""
    by_date = editable_quarters(today)
    closed = closed_quarters(area_id=area_id, quarters=[q.code for q in by_date])
    return (
        [quarter for quarter in by_date if quarter.code not in closed],
        [closed[quarter.code] for quarter in by_date if quarter.code in closed],
    )


def default_assessment_quarter(
    open_quarters: list[Quarter], today: datetime.date | None = None
) -> Quarter:
    """The quarter "Bedöm kvartalet" opens on: the latest ended quarter that is still open,
    else the running one (which no report can have closed)."""
    current = Quarter.containing(today or timezone.localdate())
    ended = [quarter for quarter in open_quarters if quarter < current]
    if ended:
        return ended[0]
    return open_quarters[0] if open_quarters else current


def deadline_move_refusal(
    *, area_id: int, old: datetime.date | None, new: datetime.date | None
) -> str:
    """Why a goal's deadline cannot move from `old` to `new` ("" if it can): either lies in
    a quarter whose quarterly report for the area is Fastställd or Godkänd (closed_quarters)."""
    dates = {d: Quarter.containing(d).code for d in (old, new) if d is not None}
    closed = closed_quarters(area_id=area_id, quarters=set(dates.values()))
    if old is not None and dates[old] in closed:
        quarter = closed[dates[old]]
        text = (
            ERROR_DEADLINE_IN_APPROVED_QUARTER
            if quarter.approved
            else ERROR_DEADLINE_IN_CLOSED_QUARTER
        )
        return gettext(text).format(deadline=day_label(old), quarter=quarter.label)
    if new is not None and dates[new] in closed:
        return gettext(ERROR_DEADLINE_INTO_CLOSED_QUARTER).format(
            deadline=day_label(new), quarter=closed[dates[new]].label
        )
    return ""


def _phase_of(area_id: int | None) -> tuple[str, datetime.date, datetime.date] | None:
    """The name, start and end of the area's phase (one query; None without an area)."""
    if area_id is None:
        return None
    return (
        ProgrammeArea.objects.filter(pk=area_id)
        .values_list("phase__name", "phase__start_date", "phase__end_date")
        .first()
    )


# A start date that moves a goal into a quarter whose report is closed (in or before it): the
# dashboards count the goal from its start, so those quarters' statuses change there; the
# frozen report stays as it was.
WARNING_START_IN_CLOSED_QUARTER = gettext_noop(
    "Startdatumet {start} ligger i eller före {quarter}, vars kvartalsrapport är stängd. Målet "
    "räknas från startdatumet, så statusen för kvartalet ändras i översikterna (t.ex. "
    "Portfölj). Den stängda kvartalsrapporten visar statusen som den var när rapporten "
    "stängdes."
)
# Several quarters by their number and the first and last: seven listed one by one were a wall.
WARNING_START_IN_CLOSED_QUARTERS = gettext_noop(
    "Startdatumet {start} ligger i eller före {count} kvartal ({quarters}) vars "
    "kvartalsrapporter är stängda. Målet räknas från startdatumet, så statusen för de kvartalen "
    "ändras i översikterna (t.ex. Portfölj). De stängda kvartalsrapporterna visar statusen som "
    "den var när de stängdes."
)
# A start date moved later, past quarters whose report is closed: the goal counted in them and
# is now "Ej påbörjat" there on the dashboards.
WARNING_START_AFTER_CLOSED_QUARTER = gettext_noop(
    "Startdatumet {start} ligger efter {quarter}, vars kvartalsrapport är stängd. Målet räknas "
    "från startdatumet, så i översikterna (t.ex. Portfölj) är det nu Ej påbörjat för kvartalet. "
    "Den stängda kvartalsrapporten visar statusen som den var när rapporten stängdes."
)
WARNING_START_AFTER_CLOSED_QUARTERS = gettext_noop(
    "Startdatumet {start} ligger efter {count} kvartal ({quarters}) vars "
    "kvartalsrapporter är stängda. Målet räknas från startdatumet, så i översikterna (t.ex. "
    "Portfölj) är det nu Ej påbörjat för de kvartalen. De stängda kvartalsrapporterna visar "
    "statusen som den var när de stängdes."
)


def start_counted_from(goal: Goal, *, stored: Goal | None = None) -> datetime.date:
    """The day the goal counts from without the start date being saved (Goal.pace_start):
    `stored`, the goal as saved before, from its start, else its area's; a new milestone from
    its goal's start (the form fills a new one's in: views.goal_create; left empty, it is its
    area's, as its goal's is); a new goal from its programme area's (what an empty start means).
    A goal without any start counts in every quarter (date.min)."""
    parent = goal.parent if goal.parent_id is not None else None
    if stored is not None:
        day = stored.pace_start
    elif parent is not None:
        day = parent.pace_start
    else:
        day = goal.programme_area.start_date if goal.programme_area_id is not None else None
    return day or datetime.date.min


def closed_start_warning(goal: Goal, *, counted_from: datetime.date | None = None) -> str:
    """A note when the goal's start date changes its status in quarters whose quarterly report
    is closed (Fastställd or Godkänd), "" otherwise.

    A quarter counts a goal when it ends on or after the goal's start (before it the goal is
    "Ej påbörjat"). `counted_from` is the day the goal counted from without this start date:
    as stored, for a goal saved again (its start, else its area's); for a new one,
    start_counted_from. Only the closed quarters that the new start puts in or takes out are
    named: a milestone created with its goal's start changes nothing its goal does not. None:
    every closed quarter the goal counts in."""
    if goal.start_date is None or goal.start_date == counted_from:
        return ""
    start = goal.start_date
    closed = closed_reports(area_id=goal.programme_area_id)

    def counts(code: str, day: datetime.date) -> bool:
        return Quarter.parse(code).end >= day

    if counted_from is None:
        now_in = sorted(code for code in closed if counts(code, start))
        now_out: list[str] = []
    else:
        now_in = sorted(c for c in closed if counts(c, start) and not counts(c, counted_from))
        now_out = sorted(c for c in closed if counts(c, counted_from) and not counts(c, start))
    if now_in:
        one, many = WARNING_START_IN_CLOSED_QUARTER, WARNING_START_IN_CLOSED_QUARTERS
        affected = now_in
    elif now_out:
        one, many = WARNING_START_AFTER_CLOSED_QUARTER, WARNING_START_AFTER_CLOSED_QUARTERS
        affected = now_out
    else:
        return ""
    if len(affected) == 1:
        return gettext(one).format(start=day_label(start), quarter=quarter_label(affected[0]))
    return gettext(many).format(
        start=day_label(start),
        count=len(affected),
        quarters=quarters_label(affected[0], affected[-1]),
    )


def phase_warning(goal: Goal) -> str:
    """A note when the goal's deadline lies outside its area's phase ("" otherwise): allowed,
    as the plan of Fas 2 (2025–2027) has targets for 2030 too, but worth a second look."""
    if goal.deadline is None:
        return ""
    phase = _phase_of(goal.programme_area_id)
    if phase is None:
        return ""
    name, start, end = phase
    if start <= goal.deadline <= end:
        return ""
    return gettext(WARNING_DEADLINE_OUTSIDE_PHASE).format(
        deadline=day_label(goal.deadline), phase=name, period=days_label(start, end)
    )


def phase_hint(area_id: int | None) -> str:
    """What the deadline field says before saving: the dates of the area's phase, and that a
    deadline outside it is saved with a note ("" for an area without a phase)."""
    phase = _phase_of(area_id)
    if phase is None:
        return ""
    name, start, end = phase
    return gettext(
        "{phase} pågår {period}. Ett måldatum utanför fasen (planen har mål till 2030) går att "
        "spara, och du får en påminnelse om det."
    ).format(phase=name, period=days_label(start, end))


class Improvement(models.TextChoices):
    HIGHER = "higher", _("Högre är bättre")
    LOWER = "lower", _("Lägre är bättre")


def _measure_unit(measure_id: int | None) -> str:
    """The unit of a measure by id ("" for none): a goal's target value is in it."""
    if measure_id is None:
        return ""
    from django.apps import apps  # followup sits above goals: the model by name, not import

    measure = apps.get_model("followup", "Measure")
    return str(measure.objects.filter(pk=measure_id).values_list("unit", flat=True).first() or "")


# A moved deadline's reason is its history record's change reason (services.goal_update), a
# column of 100 characters.
DEADLINE_REASON_MAX_LENGTH = 100
ERROR_DEADLINE_REASON = _("Skriv varför måldatumet ändras: det visas för styrgruppen.")
ERROR_DEADLINE_REASON_TOO_LONG = gettext_noop(
    "Skälet är {length} tecken: skriv det med högst {max} tecken. Inget har sparats."
)


def normalise_deadline_reason(reason: str) -> str:
    """The reason as stored: its words separated by single spaces (line breaks too)."""
    return " ".join((reason or "").split())


def deadline_reason_too_long(reason: str) -> str:
    """The refusal of a (normalised) reason longer than the history column holds, "" if it
    fits: it is refused, never cut."""
    if len(reason) <= DEADLINE_REASON_MAX_LENGTH:
        return ""
    return gettext(ERROR_DEADLINE_REASON_TOO_LONG).format(
        length=len(reason), max=DEADLINE_REASON_MAX_LENGTH
    )


class GoalQuerySet(VersionedQuerySet["Goal"]):
    def top_level(self) -> GoalQuerySet:
        """Goals that are not milestones."""
        return self.filter(parent__isnull=True)

    def with_deadline_move(self) -> GoalQuerySet:
        """Each goal with what its `deadline_move` reads from its change history, in the same
        query (correlated subqueries, no query per goal): the deadline its first history record
        had (as the plan, the data set or its creator set it) and the record that moved the
        deadline to the one it has now (when, by whom, the reason given)."""
        history = self.model.history.model
        first = history.objects.filter(id=OuterRef("pk")).order_by("history_date", "history_id")
        # A later record of the same goal with another deadline (none, too) than this one's.
        later_other = history.objects.filter(
            id=OuterRef("id"), history_date__gt=OuterRef("history_date")
        ).exclude(deadline=OuterRef("deadline"))
        # The first record with today's deadline after the last one with another: the move.
        moved = (
            history.objects.filter(id=OuterRef("pk"), deadline=OuterRef("deadline"))
            .filter(~Exists(later_other))
            .order_by("history_date", "history_id")
        )
        return self.annotate(
            first_deadline=Subquery(first.values("deadline")[:1]),
            deadline_moved_at=Subquery(moved.values("history_date")[:1]),
            deadline_moved_reason=Subquery(moved.values("history_change_reason")[:1]),
            deadline_moved_user_id=Subquery(moved.values("history_user_id")[:1]),
            deadline_moved_first_name=Subquery(moved.values("history_user__first_name")[:1]),
            deadline_moved_last_name=Subquery(moved.values("history_user__last_name")[:1]),
            deadline_moved_username=Subquery(moved.values("history_user__username")[:1]),
        )


@dataclass(frozen=True)
class DeadlineMove:
    """A goal's deadline moved away from the one it first had (the plan's): from, to, when, by
    whom and why, as the dashboards flag it."""

    original: datetime.date
    current: datetime.date
    moved_at: datetime.datetime | None
    author: str
    reason: str

    # Days, as the deadline is written beside the flag: two days of one month must differ.
    @property
    def original_label(self) -> str:
        return day_label(self.original)

    @property
    def current_label(self) -> str:
        return day_label(self.current)

    @property
    def moved_on_label(self) -> str:
        if self.moved_at is None:
            return ""
        return day_label(timezone.localtime(self.moved_at).date())


class Goal(Versioned):
    """A goal (mål) or, when it has a parent, a milestone (delmål) with a typed target."""

    class Kind(models.TextChoices):
        ADOPTION = "adoption", _("Införande")
        DELIVERABLE = "deliverable", _("Leverans")
        MEASURE = "measure", _("Mått")
        DIRECTION = "direction", _("Inriktning")

    programme_area = models.ForeignKey(
        ProgrammeArea,
        on_delete=models.PROTECT,
        related_name="goals",
        verbose_name=_("programområde"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="milestones",
        verbose_name=_("överordnat mål"),
    )
    code = models.SlugField(_("kod"), max_length=60, unique=True)
    title = models.CharField(_("rubrik"), max_length=300)
    description = models.TextField(_("beskrivning"), blank=True)
    kind = models.CharField(_("typ"), max_length=12, choices=Kind.choices)
    start_date = models.DateField(_("startdatum"), null=True, blank=True)
    deadline = models.DateField(_("måldatum"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("ordning"), default=0)

    # adoption
    working_method = models.ForeignKey(
        WorkingMethod,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="goals",
        verbose_name=_("arbetssätt"),
    )
    unit_kind = models.ForeignKey(
        UnitKind,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="goals",
        verbose_name=_("målgrupp (enhetstyp)"),
    )
    target_share = models.DecimalField(
        _("målandel"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    # deliverable
    completed_on = models.DateField(_("klardatum"), null=True, blank=True)
    evidence_reference = models.CharField(_("beslut/referens"), max_length=300, blank=True)
    evidence_url = models.URLField(_("länk till underlag"), blank=True)
    # measure (by string: followup sits above goals in the dependency order)
    measure = models.ForeignKey(
        "followup.Measure",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="goals",
        verbose_name=_("mått"),
    )
    target_value = models.DecimalField(
        _("målvärde"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    relative_change_pct = models.DecimalField(
        _("förändring mot basperiod (%)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    baseline_start = models.DateField(_("basperiod från"), null=True, blank=True)
    baseline_end = models.DateField(_("basperiod till"), null=True, blank=True)
    improvement = models.CharField(
        _("jämförelseriktning"),
        max_length=6,
        choices=Improvement.choices,
        default=Improvement.HIGHER,
    )
    provenance = provenance_field()
    provenance_note = provenance_note_field()
    history = HistoricalRecords()

    objects = GoalQuerySet.as_manager()  # type: ignore[misc]

    # The units of the number fields in the change history and the conflict box (base.editing):
    # a target value is in its measure's unit, the shares and changes in percent.
    display_units: ClassVar[dict[str, UnitSource]] = {
        "target_share": "%",
        "relative_change_pct": CHANGE_PERCENT,
        "target_value": lambda row: _measure_unit(getattr(row, "measure_id", None)),
    }

    class Meta:
        verbose_name = _("mål")
        verbose_name_plural = _("mål")
        ordering = ["programme_area__number", "order", "deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_share__isnull=True)
                | Q(target_share__gte=0, target_share__lte=100),
                name="goal_target_share_0_100",
                # %% because Django %-formats constraint messages.
                violation_error_message=_("Målandelen måste vara mellan 0 och 100 %%."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="adoption")
                | Q(
                    working_method__isnull=False,
                    unit_kind__isnull=False,
                    target_share__isnull=False,
                ),
                name="goal_adoption_has_target",
                violation_error_message=_(
                    "Ett införandemål behöver arbetssätt, enhetstyp och målandel."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(kind="measure")
                | (
                    Q(measure__isnull=False)
                    & (
                        Q(target_value__isnull=False, relative_change_pct__isnull=True)
                        | Q(
                            target_value__isnull=True,
                            relative_change_pct__isnull=False,
                            baseline_start__isnull=False,
                            baseline_end__isnull=False,
                        )
                    )
                ),
                name="goal_measure_has_one_target",
                violation_error_message=_(
                    "Ett måttmål behöver ett mått och antingen ett målvärde eller en "
                    "förändring mot en basperiod."
                ),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["adoption", "deliverable", "measure"], deadline__isnull=False)
                | Q(kind="direction"),
                name="goal_deadline_required",
                violation_error_message=_("Målet behöver ett måldatum."),
            ),
            models.CheckConstraint(
                condition=Q(baseline_start__isnull=True)
                | Q(baseline_end__isnull=True)
                | Q(baseline_end__gte=F("baseline_start")),
                name="goal_baseline_dates_ordered",
                violation_error_message=_("Basperiodens slut kan inte vara före dess start."),
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(deadline__isnull=True)
                | Q(deadline__gte=F("start_date")),
                name="goal_dates_ordered",
                violation_error_message=_("Måldatum kan inte vara före startdatum."),
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="goal_not_own_parent",
                violation_error_message=ERROR_GOAL_OWN_PARENT,
            ),
        ]

    def __str__(self) -> str:
        prefix = _("Delmål") if self.parent_id else _("Mål")
        return f"{prefix}: {self.title}"

    def clean(self) -> None:
        """What a form can break and the status engine needs: no parent cycle of any length,
        the deadline not before the start the engine counts from."""
        super().clean()
        errors: dict[str, list[str]] = {}
        if self.pk is not None and self.parent_id == self.pk:
            errors.setdefault("parent", []).append(str(ERROR_GOAL_OWN_PARENT))
        elif self.parent_id is not None and parent_cycle(self, self.parent):
            errors.setdefault("parent", []).append(str(ERROR_GOAL_CYCLE))
        area = (
            ProgrammeArea.objects.filter(pk=self.programme_area_id).first()
            if self.programme_area_id
            else None
        )
        if (
            self.deadline is not None
            and self.start_date is None
            and area is not None
            and area.start_date is not None
            and area.start_date > self.deadline
        ):
            errors.setdefault("deadline", []).append(
                str(ERROR_DEADLINE_BEFORE_AREA_START % {"start": area.start_date.isoformat()})
            )
        # The goal as stored (None while unsaved), read once for both checks below.
        stored = Goal.objects.filter(pk=self.pk).first() if self.pk is not None else None
        self._clean_tree(errors, stored)
        self._clean_deadline_move(errors, stored)
        self._clean_baseline(errors)
        if self.kind == self.Kind.MEASURE:
            self._clean_measure_target(errors)
        if errors:
            raise ValidationError(errors)

    def _clean_baseline(self, errors: dict[str, list[str]]) -> None:
        """The baseline is whole reporting periods (their last days are what it is compared
        with: a period cut inside a month would silently leave that month's value out), in
        order, and ends before the deadline (a baseline still running when the goal is due
        would leave it without a status for good)."""
        start, end = self.baseline_start, self.baseline_end
        if start is None or end is None:
            return
        if end < start:
            errors.setdefault("baseline_end", []).append(str(ERROR_BASELINE_ORDER))
            return
        if start.day != 1 or (end + datetime.timedelta(days=1)).day != 1:
            field = "baseline_start" if start.day != 1 else "baseline_end"
            last_day = calendar.monthrange(end.year, end.month)[1]
            whole_months = (start.replace(day=1), end.replace(day=last_day))
            errors.setdefault(field, []).append(
                str(
                    ERROR_BASELINE_NOT_WHOLE_MONTHS
                    % {"period": days_label(start, end), "example": days_label(*whole_months)}
                )
            )
        elif (
            self.kind == self.Kind.MEASURE
            and (measure := self._measure_or_none()) is not None
            and measure.frequency == "quarterly"
            and (start.month % 3 != 1 or end.month % 3 != 0)
        ):
            field = "baseline_start" if start.month % 3 != 1 else "baseline_end"
            whole_quarters = (Quarter.containing(start).start, Quarter.containing(end).end)
            errors.setdefault(field, []).append(
                str(
                    ERROR_BASELINE_NOT_WHOLE_QUARTERS
                    % {"period": days_label(start, end), "example": days_label(*whole_quarters)}
                )
            )
        if self.deadline is not None and end >= self.deadline:
            errors.setdefault("baseline_end", []).append(
                str(ERROR_BASELINE_AFTER_DEADLINE % {"deadline": day_label(self.deadline)})
            )

    def _clean_measure_target(self, errors: dict[str, list[str]]) -> None:
        """A target its measure's values can reach, by the rule every stored value keeps
        (base.measure_values): a share or an index 0–100, a count not negative (and whole where
        it is summed: the target is compared with the roll-up's value, and only a sum of whole
        counts is whole); a change not below −100 % (less than nothing)."""
        if self.relative_change_pct is not None and self.relative_change_pct < -100:
            errors.setdefault("relative_change_pct", []).append(str(ERROR_CHANGE_BELOW_ALL))
        measure = self._measure_or_none()
        value = self.target_value
        # Not a number (the field's own check says so) or no measure: nothing to judge.
        if not isinstance(value, Decimal | int) or measure is None:
            return
        problem = value_problem(measure.value_type, Decimal(value), aggregation=measure.aggregation)
        if problem is not None:
            errors.setdefault("target_value", []).append(str(TARGET_MESSAGES[problem]))

    def _measure_or_none(self) -> Any:
        """The goal's measure, None without one (or with an id that names none: the field's
        own check says so)."""
        if self.measure_id is None:
            return None
        try:
            return self.measure
        except ObjectDoesNotExist:
            return None

    def _clean_tree(self, errors: dict[str, list[str]], stored: Goal | None) -> None:
        """A milestone lies under a goal of its own programme area, due no later than it; a goal
        keeps its milestones' area and is due no earlier than they are. Asked when the parent,
        area or deadline is new or changes: a pair saved before these checks stays."""
        changed = stored is None or (
            stored.parent_id != self.parent_id
            or stored.programme_area_id != self.programme_area_id
            or stored.deadline != self.deadline
        )
        if not changed:
            return
        parent = (
            Goal.objects.select_related("programme_area").filter(pk=self.parent_id).first()
            if self.parent_id is not None and self.parent_id != self.pk
            else None
        )
        if parent is not None and self.programme_area_id is not None:
            if parent.programme_area_id != self.programme_area_id:
                area = ProgrammeArea.objects.filter(pk=self.programme_area_id).first()
                # Said at the field that changed: a milestone row of the admin shows its area,
                # not its goal (the row's hidden link to the goal it is listed under).
                moved_area = stored is not None and stored.parent_id == self.parent_id
                errors.setdefault("programme_area" if moved_area else "parent", []).append(
                    str(
                        ERROR_PARENT_OTHER_AREA
                        % {"parent_area": str(parent.programme_area), "area": str(area or "")}
                    )
                )
            elif (
                parent.deadline is not None
                and self.deadline is not None
                and self.deadline > parent.deadline
            ):
                errors.setdefault("deadline", []).append(
                    str(ERROR_MILESTONE_AFTER_GOAL % {"deadline": day_label(parent.deadline)})
                )
        if stored is None:
            return
        milestones = list(Goal.objects.filter(parent_id=self.pk).order_by("order", "id"))
        elsewhere = [m for m in milestones if m.programme_area_id != self.programme_area_id]
        if elsewhere and stored.programme_area_id != self.programme_area_id:
            errors.setdefault("programme_area", []).append(
                str(
                    ERROR_AREA_OF_GOAL_WITH_MILESTONES
                    % {
                        "titles": ", ".join(f"”{m.title}”" for m in elsewhere),
                        "area": str(ProgrammeArea.objects.get(pk=elsewhere[0].programme_area_id)),
                    }
                )
            )
        if self.deadline is not None and stored.deadline != self.deadline:
            later = [m for m in milestones if m.deadline and m.deadline > self.deadline]
            if later:
                errors.setdefault("deadline", []).append(
                    str(
                        ERROR_GOAL_BEFORE_MILESTONES
                        % {
                            "milestones": ", ".join(
                                f"”{m.title}” {day_label(m.deadline)}" for m in later if m.deadline
                            )
                        }
                    )
                )

    def _clean_deadline_move(self, errors: dict[str, list[str]], stored: Goal | None) -> None:
        """A deadline in a quarter whose quarterly report is closed stays (that report says
        the goal is due then), and none is moved into such a quarter."""
        if stored is None or stored.deadline == self.deadline:
            return
        message = deadline_move_refusal(
            area_id=stored.programme_area_id, old=stored.deadline, new=self.deadline
        )
        if message:
            errors.setdefault("deadline", []).append(message)

    @property
    def is_example(self) -> bool:
        """Whether the goal is an example the region has yet to confirm."""
        return self.provenance == Provenance.EXAMPLE

    @property
    def is_milestone(self) -> bool:
        """A milestone (delmål) is a goal with a parent."""
        return self.parent_id is not None

    @property
    def deadline_label(self) -> str:
        """The deadline as every date in text is written, "31 dec 2025": as the status sentence
        and the goal's "Underlag" beside it say it (the plan's own "dec 2025" stays in the
        plan's wording, "Planen: ”…”")."""
        return day_label(self.deadline) if self.deadline else ""

    @property
    def deadline_move(self) -> DeadlineMove | None:
        """The move of the deadline away from the one the goal first had, None if it has the
        same (or either is missing, or the goal was not read with_deadline_move: no query)."""
        original = getattr(self, "first_deadline", None)
        if original is None or self.deadline is None or original == self.deadline:
            return None
        reason = getattr(self, "deadline_moved_reason", None) or ""
        user_id = getattr(self, "deadline_moved_user_id", None)
        if user_id is not None:
            full = " ".join(
                part
                for part in (
                    getattr(self, "deadline_moved_first_name", ""),
                    getattr(self, "deadline_moved_last_name", ""),
                )
                if part
            )
            author = full or str(getattr(self, "deadline_moved_username", ""))
        else:
            author = author_label(None, reason)
        return DeadlineMove(
            original=original,
            current=self.deadline,
            moved_at=getattr(self, "deadline_moved_at", None),
            author=author,
            # A loader's source is its author, not a reason given.
            reason="" if reason in SOURCE_LABELS else reason,
        )

    @property
    def pace_start(self) -> datetime.date | None:
        """The day a goal counts from: its own start date, else its programme area's start.
        Before it the status engine calls the goal "Ej påbörjat"; an adoption goal's even pace
        (the expected share) counts from it (docs/status-rules.md)."""
        if self.start_date:
            return self.start_date
        return self.programme_area.start_date if self.programme_area_id else None

    @property
    def start_label(self) -> str:
        """The start date as the goal page shows it: the goal's own, or, where it gives none,
        which one the status counts from instead ("Målet anger inget startdatum;
        programområdets start 1 apr 2025 används.")."""
        if self.start_date:
            return day_label(self.start_date)
        start = self.pace_start
        # A direction goal has no computed status, so no start counts for it.
        if start is None or self.kind == self.Kind.DIRECTION:
            return ""
        return gettext("Målet anger inget startdatum; programområdets start %(day)s används.") % {
            "day": day_label(start)
        }

    @property
    def target_label(self) -> str:
        """The target in words, e.g. "50 % av hälsocentralerna"."""
        if self.kind == self.Kind.ADOPTION and self.target_share is not None:
            percent = format_set_level(self.target_share)
            if not self.unit_kind:
                return percent
            # The kind's plural made definite the Swedish way: "hälsocentraler" + "na".
            return gettext("%(percent)s av %(kinds)sna") % {
                "percent": percent,
                "kinds": self.unit_kind.name_plural.lower(),
            }
        if self.kind == self.Kind.MEASURE:
            if self.relative_change_pct is not None and self.baseline_end:
                # The whole baseline period, "jan–dec 2025" (one month: "dec 2025").
                return gettext("%(change)s jämfört med %(month)s") % {
                    "change": format_set_level(self.relative_change_pct, signed=True),
                    "month": months_label(
                        self.baseline_start or self.baseline_end, self.baseline_end
                    ),
                }
            if self.target_value is not None:
                unit = self.measure.unit if self.measure else ""
                return f"{format_number(self.target_value)} {unit}".strip()
        if self.kind == self.Kind.DELIVERABLE:
            return str(_("Klart"))
        return ""


class AdoptionRecord(Versioned):
    """Where one unit stands with one working method."""

    class Status(models.TextChoices):
        NOT_STARTED = "ej_paborjad", _("Ej påbörjat")
        PLANNED = "planerad", _("Planerat")
        IN_PROGRESS = "pagar", _("Pågår")
        ADOPTED = "infort", _("Infört")
        PHASED_OUT = "utfasat", _("Utfasat")

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="adoption_records", verbose_name=_("enhet")
    )
    working_method = models.ForeignKey(
        WorkingMethod,
        on_delete=models.PROTECT,
        related_name="adoption_records",
        verbose_name=_("arbetssätt"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NOT_STARTED
    )
    planned_date = models.DateField(_("planerat datum"), null=True, blank=True)
    actual_date = models.DateField(_("faktiskt datum"), null=True, blank=True)
    comment = models.TextField(_("kommentar"), blank=True)
    updated_at = models.DateTimeField(_("uppdaterad"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("införandestatus")
        verbose_name_plural = _("införandestatus")
        ordering = ["unit__name", "working_method__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "working_method"], name="adoptionrecord_unique_unit_method"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["infort", "utfasat"]) | Q(actual_date__isnull=False),
                name="adoptionrecord_done_has_date",
                violation_error_message=_("Ange datum när arbetssättet infördes eller fasades ut."),
            ),
        ]
        indexes = [models.Index(fields=["working_method", "status"])]

    def __str__(self) -> str:
        return f"{self.working_method.name} – {self.unit.name}: {self.get_status_display()}"

    def clean(self) -> None:
        """What the grid refuses, for every writer (the admin, its history revert, services):
        an actual date in the future, and a working method of another organisation."""
        super().clean()
        errors: dict[str, list[str]] = {}
        if self.actual_date is not None and self.actual_date > timezone.localdate():
            errors["actual_date"] = [str(ERROR_ACTUAL_FUTURE)]
        outside = self._method_outside_organisation()
        if outside:
            errors["working_method"] = [outside]
        if errors:
            raise ValidationError(errors)

    def _method_outside_organisation(self) -> str:
        """Region B's working method for Region A's health centre is refused, as plans and needs
        for another organisation's area are (programmes.models.check_area_organisation): only
        when the unit or method is new or changed, a pair saved before the check stays."""
        unit_id, method_id = self.unit_id, self.working_method_id
        if unit_id is None or method_id is None:
            return ""
        unchanged = AdoptionRecord.objects.filter(
            pk=self.pk, unit_id=unit_id, working_method_id=method_id
        )
        if self.pk is not None and unchanged.exists():
            return ""
        method = WorkingMethod.objects.filter(pk=method_id).first()
        outside = area_outside_organisation(unit_id, method.programme_area_id) if method else None
        if method is None or outside is None:
            return ""
        _area, organisation, unit = outside
        return str(
            ERROR_METHOD_OF_OTHER_ORGANISATION
            % {"method": method.name, "organisation": organisation.name, "unit": unit}
        )


class Assessment(Versioned):
    """A person's quarterly judgement of a goal: status and a required comment."""

    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="assessments", verbose_name=_("mål")
    )
    quarter = models.CharField(_("kvartal"), max_length=6)
    status = models.CharField(
        _("bedömning"),
        max_length=20,
        choices=status_choices(ASSESSABLE_STATUSES),
    )
    comment = models.TextField(_("kommentar"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("bedömd av"),
    )
    assessed_at = models.DateTimeField(_("bedömd"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bedömning")
        verbose_name_plural = _("bedömningar")
        ordering = ["goal", "-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "quarter"], name="assessment_one_per_quarter"),
            models.CheckConstraint(
                condition=Q(quarter__regex=QUARTER_CODE_PATTERN),
                name="assessment_quarter_code",
                violation_error_message=ERROR_QUARTER,
            ),
            models.CheckConstraint(
                condition=~Q(comment=""),
                name="assessment_comment_required",
                violation_error_message=_("En bedömning måste ha en kommentar."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.goal.title} – {quarter_label(self.quarter)}: {self.get_status_display()}"

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        """A quarter written as "2025 Kv 4" is stored as 2025Q4; anything else is an error."""
        if not exclude or "quarter" not in exclude:
            try:
                self.quarter = Quarter.parse(self.quarter or "").code
            except InvalidQuarter:
                raise ValidationError({"quarter": [str(ERROR_QUARTER)]}) from None
        super().clean_fields(exclude=exclude)
