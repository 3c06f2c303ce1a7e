"""Phases, programme areas, working methods, VO activity plans and support needs."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.db.models.signals import m2m_changed
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from base.editing import comment_field, tracked_m2m_pks
from base.periods import day_label
from base.versioning import Versioned
from organisation.models import Unit, UnitClosure, UnitKind

ERROR_AREA_OF_OTHER_ORGANISATION = _(
    "%(area)s hör till %(organisation)s, men %(unit)s gör det inte. Välj ett programområde i "
    "enhetens organisation."
)


def _dates_ordered(start: str, end: str, name: str) -> models.CheckConstraint:
    """A constraint that an optional end date is not before an optional start date."""
    return models.CheckConstraint(
        condition=Q(**{f"{start}__isnull": True})
        | Q(**{f"{end}__isnull": True})
        | Q(**{f"{end}__gte": F(start)}),
        name=name,
        violation_error_message=_("Slutdatum kan inte vara före startdatum."),
    )


class Provenance(models.TextChoices):
    """Where a record of the plan comes from: the plan itself, an example, or the region."""

    PLAN = "plan", _("Ur planen")
    EXAMPLE = "exempel", _("Exempel – fastställs av regionen")
    REGION = "region", _("Fastställd av regionen")


def area_outside_organisation(unit_id: int, area_id: int) -> tuple[ProgrammeArea, Unit, str] | None:
    """The area, its organisation and the unit's name when the unit is outside the area's
    organisation; None when it is inside, or the area's phase has no organisation (everyone's).

    Shared by the plans and needs (check_area_organisation) and the adoption records of goals (a
    working method's area).
    """
    found = (
        ProgrammeArea.objects.select_related("phase__organisation_unit").filter(pk=area_id).first()
    )
    organisation = found.phase.organisation_unit if found else None
    if found is None or organisation is None:
        return None
    if UnitClosure.objects.filter(ancestor=organisation, descendant_id=unit_id).exists():
        return None
    unit = Unit.objects.filter(pk=unit_id).values_list("name", flat=True).first() or ""
    return found, organisation, unit


def check_area_organisation(obj: ActivityPlan | SupportNeed) -> None:
    """Refuse a unit's need or plan for a programme area of another organisation (Region A's
    health centre and Region B's PO 1); an area of a phase of no organisation is everyone's.

    Only when the unit or the area is new or changed: a pair saved before the check existed can
    still be answered or submitted.
    """
    unit_id, area_id = obj.unit_id, obj.programme_area_id
    if unit_id is None or area_id is None:
        return
    unchanged = type(obj).objects.filter(pk=obj.pk, unit_id=unit_id, programme_area_id=area_id)
    if obj.pk is not None and unchanged.exists():
        return
    outside = area_outside_organisation(unit_id, area_id)
    if outside is None:
        return
    found, organisation, unit = outside
    raise ValidationError(
        {
            "programme_area": ValidationError(
                ERROR_AREA_OF_OTHER_ORGANISATION,
                code="area_of_other_organisation",
                params={"area": str(found), "organisation": organisation.name, "unit": unit},
            )
        }
    )


# A working method's name in its programme area (upper and lower case count as the same).
ERROR_METHOD_NAME_TAKEN = gettext_noop(
    "Programområdet har redan ett arbetssätt som heter ”%(name)s”. Välj ett annat namn, eller "
    "ändra det befintliga arbetssättet."
)
ERROR_METHOD_NAME_TAKEN_GENERIC = _(
    "Programområdet har redan ett arbetssätt med det namnet (stora och små bokstäver räknas lika)."
)
ERROR_SUPPORT_NEED_ANSWERED_BUT_NEW = _(
    "Ett behov med ett svar är inte nytt: välj status Pågår, Besvarat eller Avslutat."
)
ERROR_AREA_START_OUTSIDE_PHASE = _(
    "Programområdets startdatum måste ligga inom fasen ”%(phase)s” (%(start)s–%(end)s)."
)
ERROR_UNIT_CLOSED = _(
    "Enheten ”%(unit)s” är inte längre verksam (till och med %(date)s). Välj en enhet som är "
    "verksam i dag."
)


def check_unit_open(obj: ActivityPlan | SupportNeed, today: datetime.date | None = None) -> None:
    """Refuse a new plan or support need for a unit no longer open (its `valid_to` passed), or
    moving one there.

    One saved before the unit closed can still be submitted, answered and closed.
    """
    unit_id = obj.unit_id
    if unit_id is None:
        return
    if obj.pk is not None and type(obj).objects.filter(pk=obj.pk, unit_id=unit_id).exists():
        return
    unit = Unit.objects.filter(pk=unit_id).first()
    today = today or timezone.localdate()
    if unit is None or unit.valid_to is None or unit.valid_to >= today:
        return
    raise ValidationError(
        {
            "unit": ValidationError(
                ERROR_UNIT_CLOSED,
                code="unit_closed",
                params={"unit": unit.name, "date": day_label(unit.valid_to)},
            )
        }
    )


ERROR_PLAN_UNIT_NOT_VO = _(
    "En aktivitetsplan hör till ett verksamhetsområde (VO), men ”%(unit)s” är av typen "
    "%(kind)s. Välj verksamhetsområdet ”%(vo)s” i stället: enhetens arbete ingår i dess plan. "
    "Inget har sparats."
)
ERROR_PLAN_UNIT_NOT_VO_NONE_ABOVE = _(
    "En aktivitetsplan hör till ett verksamhetsområde (VO), men ”%(unit)s” är av typen "
    "%(kind)s. Välj ett verksamhetsområde. Inget har sparats."
)


def check_plan_unit_is_vo(plan: ActivityPlan) -> None:
    """Refuse a plan for a unit that is not a VO (UnitKind.is_vo), such as one of its health
    centres: each VO submits one plan, its units take part in it.

    Only when the unit is new or changed: a plan saved before the check existed can still be
    submitted and reviewed (and moved to its VO).
    """
    unit_id = plan.unit_id
    if unit_id is None:
        return
    if plan.pk is not None and type(plan).objects.filter(pk=plan.pk, unit_id=unit_id).exists():
        return
    unit = Unit.objects.select_related("kind").filter(pk=unit_id).first()
    if unit is None or unit.kind.is_vo:
        return
    # The VO above the unit, nearest first, to name what to choose instead.
    above = (
        UnitClosure.objects.filter(descendant_id=unit_id, ancestor__kind__is_vo=True)
        .order_by("depth")
        .values_list("ancestor__name", flat=True)
        .first()
    )
    params = {"unit": unit.name, "kind": unit.kind.name.lower(), "vo": above or ""}
    message = ERROR_PLAN_UNIT_NOT_VO if above else ERROR_PLAN_UNIT_NOT_VO_NONE_ABOVE
    raise ValidationError({"unit": ValidationError(message, code="unit_not_vo", params=params)})


def provenance_field() -> models.CharField:
    """The provenance of a record; rows made in the app are the region's own."""
    return models.CharField(
        _("ursprung"),
        max_length=10,
        choices=Provenance.choices,
        default=Provenance.REGION,
        help_text=_(
            "Ur planen, ett exempel som regionen ska fastställa, eller fastställt av regionen."
        ),
    )


def provenance_note_field() -> models.TextField:
    """A short note on the provenance: the plan's wording, or what an example assumes."""
    return models.TextField(
        _("kommentar om ursprunget"),
        blank=True,
        help_text=_(
            "Planens formulering där rubriken är omskriven, eller vad exemplet antar och "
            "regionen behöver ta ställning till."
        ),
    )


class Phase(models.Model):
    """A phase of the transformation, e.g. Fas 2 (2025–2027): göra, lära, bredda."""

    code = models.SlugField(_("kod"), max_length=40, unique=True)
    name = models.CharField(_("namn"), max_length=200)
    description = models.TextField(_("beskrivning"), blank=True)
    start_date = models.DateField(_("startdatum"))
    end_date = models.DateField(_("slutdatum"))
    governance = models.TextField(
        _("styrning, ledning och uppdrag"),
        blank=True,
        help_text=_(
            "Vilka grupper som styr arbetet, hur ofta de möts, och vårdens uppdrag i fasen."
        ),
    )
    # The region or municipality whose phase this is: goals count its units. Empty means the
    # whole tree, which is right while one organisation uses the installation.
    organisation_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="phases",
        verbose_name=_("organisation (region/kommun)"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("fas")
        verbose_name_plural = _("faser")
        ordering = ["start_date"]
        constraints = [_dates_ordered("start_date", "end_date", "phase_dates_ordered")]

    def __str__(self) -> str:
        return f"{self.name} ({self.start_date:%Y}–{self.end_date:%Y})"


class SupportingProcess(models.Model):
    """A supporting process that programme work can be linked to (Personcentrering, Cosmic, …)."""

    name = models.CharField(_("namn"), max_length=200, unique=True)
    description = models.TextField(_("beskrivning"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("stödjande process")
        verbose_name_plural = _("stödjande processer")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# Before the area: the area's history snapshots these links, which needs their model.
class ProgrammeAreaProcess(models.Model):
    """A supporting process linked to a programme area, with where the link comes from."""

    programme_area = models.ForeignKey(
        "ProgrammeArea",
        on_delete=models.CASCADE,
        related_name="process_links",
        verbose_name=_("programområde"),
        db_column="programmearea_id",
    )
    supporting_process = models.ForeignKey(
        SupportingProcess,
        on_delete=models.CASCADE,
        related_name="area_links",
        verbose_name=_("stödjande process"),
        db_column="supportingprocess_id",
    )
    provenance = provenance_field()
    provenance_note = provenance_note_field()
    history = HistoricalRecords()

    class Meta:
        # The table Django made for the plain many-to-many field: its rows are kept.
        db_table = "programmes_programmearea_supporting_processes"
        verbose_name = _("koppling till stödjande process")
        verbose_name_plural = _("kopplingar till stödjande processer")
        ordering = ["programme_area__number", "supporting_process__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme_area", "supporting_process"],
                name="programmeareaprocess_unique_link",
            )
        ]

    def __str__(self) -> str:
        return f"PO {self.programme_area.number} – {self.supporting_process.name}"


class ProgrammeArea(Versioned):
    """A programme area (programområde, PO) of a phase.

    Versioned: its page (programmes.views.programme_area_edit) and the admin refuse a save
    based on an older version, so one person's description or owners never silently replace
    another's."""

    phase = models.ForeignKey(
        Phase, on_delete=models.PROTECT, related_name="programme_areas", verbose_name=_("fas")
    )
    number = models.PositiveSmallIntegerField(_("nummer"))
    name = models.CharField(_("namn"), max_length=200)
    description = models.TextField(_("beskrivning"), blank=True)
    start_date = models.DateField(_("startdatum"), null=True, blank=True)
    # Phase 2's plan asks only PO 1 (Teamrond) for each VO's activity plan and timeline: an area
    # that does not ask shows "Ingen plan begärd" to the VOs, not a plan missing from their lists.
    requests_activity_plans = models.BooleanField(
        _("begär aktivitetsplaner"),
        default=False,
        help_text=_(
            "Varje verksamhetsområde lämnar då in en aktivitetsplan med tidplan för "
            "programområdet. Annars visas ”Ingen plan begärd” i stället för en saknad plan."
        ),
    )
    delivery_owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="owned_programme_areas",
        verbose_name=_("leveransansvariga"),
    )
    supporting_processes = models.ManyToManyField(
        SupportingProcess,
        through=ProgrammeAreaProcess,
        blank=True,
        related_name="programme_areas",
        verbose_name=_("stödjande processer"),
    )
    # Both many-to-many values are in the area's history (django-simple-history's snapshot
    # of the links with each record), so its pages show and the admin's revert restores
    # them. A link to a supporting process also keeps its own history (ProgrammeAreaProcess,
    # provenance included); its links are written as rows, not through the relation's
    # manager, so the services record them on the area (`record_process_links`).
    history = HistoricalRecords(
        m2m_fields=[delivery_owners, supporting_processes],
        # The links' snapshot model may not take the links' own history model's name.
        custom_model_name=lambda name: (
            "HistoricalProgrammeAreaProcessSnapshot"
            if name == "ProgrammeAreaProcess"
            else f"Historical{name}"
        ),
    )

    class Meta:
        verbose_name = _("programområde")
        verbose_name_plural = _("programområden")
        ordering = ["phase__start_date", "number"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "number"], name="programmearea_unique_number")
        ]

    def __str__(self) -> str:
        return f"PO {self.number}. {self.name}"

    def clean(self) -> None:
        """A start date (where goals' pacing starts) lies within the area's phase. Asked when
        the date or the phase is set or changed, so a row stored before keeps its other edits."""
        super().clean()
        if self.start_date is None or self.phase_id is None:
            return
        stored = (
            ProgrammeArea.objects.filter(pk=self.pk).values_list("phase_id", "start_date").first()
            if self.pk is not None
            else None
        )
        if stored == (self.phase_id, self.start_date):
            return
        phase = Phase.objects.filter(pk=self.phase_id).first()
        if phase is None or phase.start_date <= self.start_date <= phase.end_date:
            return
        raise ValidationError(
            {
                "start_date": ValidationError(
                    ERROR_AREA_START_OUTSIDE_PHASE,
                    code="outside_phase",
                    params={
                        "phase": phase.name,
                        "start": day_label(phase.start_date),
                        "end": day_label(phase.end_date),
                    },
                )
            }
        )

    @classmethod
    def merge_base_m2m(cls, record: Any) -> dict[str, set[Any]]:
        """The delivery owners and supporting processes as they were at a historical record of
        the area, so that "Redigera programområdet" merges each as a whole value with what
        others saved since (base.editing.merge). The owners are in the area's history; the
        processes are read from their links' own history, as they stood when the area was
        next saved (the page writes its links right after the area); unknown (no later save
        recorded, so the links may have moved without one) leaves them out: a clash."""
        values: dict[str, set[Any]] = {
            "delivery_owners": tracked_m2m_pks(record, "delivery_owners")
        }
        later = (
            cls.history.filter(id=record.id, version__gt=record.version)
            .order_by("history_date", "history_id")
            .values_list("history_date", flat=True)
            .first()
        )
        if later is not None:
            values["supporting_processes"] = _processes_linked_before(record.id, later)
        return values


def record_process_links(area: ProgrammeArea, *, saved_now: bool = False) -> bool:
    """Record the area's supporting processes in its history if they differ from its latest
    record's snapshot (a link's provenance and its note too): the links are rows written one by
    one (with their provenance and their own history), which django-simple-history does not
    see as a change of the relation.

    `saved_now`: the area was saved in this transaction just before its links were written
    (the area's page), so its latest record is that save's and takes the links: one change,
    one record. Otherwise a new record ("~") is written. Either names the acting user (the
    request's, via its middleware) or the source of a load (base.history). True if the
    history changed."""
    links = list(ProgrammeAreaProcess.objects.filter(programme_area=area))
    latest = area.history.order_by("-history_date", "-history_id").first()
    # Each link whole: a changed provenance is a change of the area's processes too, recorded
    # now by whoever made it (not found later, in the next save's record, as someone else's).
    current = {
        (link.supporting_process_id, link.provenance, link.provenance_note) for link in links
    }
    if latest is not None and _linked_as(latest) == current:
        return False
    if saved_now and latest is not None:
        snapshot = latest.supporting_processes
        snapshot.all().delete()
        snapshot.model.objects.bulk_create(
            snapshot.model(
                history=latest,
                id=link.pk,
                programme_area_id=area.pk,
                supporting_process_id=link.supporting_process_id,
                provenance=link.provenance,
                provenance_note=link.provenance_note,
            )
            for link in links
        )
        return True
    # What Django sends when a relation without a through model changes: the area's history
    # takes a new record with the snapshot of both relations.
    m2m_changed.send(
        sender=ProgrammeAreaProcess,
        instance=area,
        action="post_add",
        reverse=False,
        model=SupportingProcess,
        pk_set=set(),
        using=area._state.db or "default",
    )
    return True


def _linked_as(record: Any) -> set[tuple[int, str, str]]:
    """The links of an area's historical record (its snapshot): process, provenance, note."""
    return set(
        record.supporting_processes.values_list(
            "supporting_process_id", "provenance", "provenance_note"
        )
    )


def _processes_linked_before(area_id: int, moment: datetime.datetime) -> set[int]:
    """The supporting processes an area was linked to just before `moment`, from the links'
    history; a link without history from before (an older table's row) was there already."""
    state: dict[int, int | None] = {}
    records = (
        ProgrammeAreaProcess.history.filter(programme_area_id=area_id)
        .order_by("history_date", "history_id")
        .values_list("id", "supporting_process_id", "history_type", "history_date")
    )
    for link_id, process_id, kind, at in records:
        if at < moment:
            state[link_id] = None if kind == "-" else process_id
        elif link_id not in state:  # first recorded after: it existed before unless created then
            state[link_id] = None if kind == "+" else process_id
    for link_id, process_id in ProgrammeAreaProcess.objects.filter(
        programme_area_id=area_id
    ).values_list("id", "supporting_process_id"):
        state.setdefault(link_id, process_id)  # never recorded: there all along
    return {process_id for process_id in state.values() if process_id is not None}


class PhaseEvent(models.Model):
    """An item of a phase's timeline (tidplan): dated, without a target, so never a status."""

    phase = models.ForeignKey(
        Phase, on_delete=models.CASCADE, related_name="events", verbose_name=_("fas")
    )
    programme_area = models.ForeignKey(
        ProgrammeArea,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("programområde"),
    )
    code = models.SlugField(_("kod"), max_length=60, unique=True)
    title = models.CharField(_("rubrik"), max_length=300)
    description = models.TextField(_("beskrivning"), blank=True)
    start_date = models.DateField(_("från"), null=True, blank=True)
    end_date = models.DateField(_("till"), null=True, blank=True)
    ongoing = models.BooleanField(
        _("pågående"), default=False, help_text=_("Pågår utan slutdatum (t.ex. ”PO 4 – pågår”).")
    )
    order = models.PositiveSmallIntegerField(_("ordning"), default=0)
    provenance = provenance_field()
    provenance_note = provenance_note_field()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("händelse i tidplanen")
        verbose_name_plural = _("tidplan")
        ordering = ["phase__start_date", "order", "id"]
        constraints = [_dates_ordered("start_date", "end_date", "phaseevent_dates_ordered")]

    def __str__(self) -> str:
        return self.title


class WorkingMethod(Versioned):
    """A working method (arbetssätt) a programme area introduces or phases out."""

    class Direction(models.TextChoices):
        INTRODUCE = "infora", _("Införa")
        PHASE_OUT = "fasa_ut", _("Fasa ut")

    code = models.SlugField(_("kod"), max_length=60, unique=True)
    name = models.CharField(_("namn"), max_length=200)
    description = models.TextField(_("beskrivning"), blank=True)
    programme_area = models.ForeignKey(
        ProgrammeArea,
        on_delete=models.PROTECT,
        related_name="working_methods",
        verbose_name=_("programområde"),
    )
    direction = models.CharField(
        _("riktning"), max_length=10, choices=Direction.choices, default=Direction.INTRODUCE
    )
    target_unit_kinds = models.ManyToManyField(
        UnitKind,
        blank=True,
        related_name="working_methods",
        verbose_name=_("målgrupp (enhetstyper)"),
    )
    provenance = provenance_field()
    provenance_note = provenance_note_field()
    history = HistoricalRecords(m2m_fields=[target_unit_kinds])

    class Meta:
        verbose_name = _("arbetssätt")
        verbose_name_plural = _("arbetssätt")
        ordering = ["programme_area__number", "name"]
        constraints = [
            # Goal forms and the admin offer an area's methods by name: two "Teamrond" could not
            # be told apart. clean() says it first, in the form; this holds for every writer.
            models.UniqueConstraint(
                Lower("name"),
                "programme_area",
                name="workingmethod_unique_name_per_area",
                violation_error_message=ERROR_METHOD_NAME_TAKEN_GENERIC,
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A name another method of the same area has (upper or lower case alike) is refused."""
        super().clean()
        self.name = " ".join((self.name or "").split())
        if not self.name or self.programme_area_id is None:
            return
        wanted = self.name.casefold()
        others = WorkingMethod.objects.filter(programme_area_id=self.programme_area_id).exclude(
            pk=self.pk
        )
        taken = next(
            (n for n in others.values_list("name", flat=True) if n.casefold() == wanted), None
        )
        if taken is not None:
            raise ValidationError(
                {"name": gettext(ERROR_METHOD_NAME_TAKEN) % {"name": taken}},
                code="unique_name_per_area",
            )


class ActivityPlan(Versioned):
    """A VO's activity plan and timeline for one programme area."""

    class Status(models.TextChoices):
        DRAFT = "utkast", _("Utkast")
        SUBMITTED = "inlamnad", _("Inlämnad")
        ACCEPTED = "godkand", _("Godkänd")

    programme_area = models.ForeignKey(
        ProgrammeArea,
        on_delete=models.PROTECT,
        related_name="activity_plans",
        verbose_name=_("programområde"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="activity_plans", verbose_name=_("enhet (VO)")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    submitted_at = models.DateTimeField(_("inlämnad"), null=True, blank=True)
    comment = models.TextField(_("kommentar"), blank=True)
    # The programme area's last review (services.activity_plan_review): who approved the plan
    # or sent it back, when, and what they told the VO. Kept when the VO submits again, so the
    # plan page shows what the previous review asked for; the history keeps every review.
    review_comment = comment_field(
        _("granskarens kommentar"),
        help_text=_("Till verksamheten: vad som behöver kompletteras, eller en kommentar."),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviewed_activity_plans",
        verbose_name=_("granskad av"),
    )
    reviewed_at = models.DateTimeField(_("granskad"), null=True, blank=True)
    # Whether that review reopened an approved plan for change ("Öppna för ändring") rather
    # than approving it or sending a submitted plan back: the VO's lists and "Att göra" word the
    # two apart ("öppnad för ändring", "skickad tillbaka"). Set only by the review services.
    reopened = models.BooleanField(_("öppnad för ändring"), default=False, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("aktivitetsplan")
        verbose_name_plural = _("aktivitetsplaner")
        ordering = ["programme_area__number", "unit__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme_area", "unit"], name="activityplan_unique_per_area_and_unit"
            )
        ]

    def __str__(self) -> str:
        return f"Aktivitetsplan {self.unit.name} – PO {self.programme_area.number}"

    def clean(self) -> None:
        super().clean()
        check_area_organisation(self)
        check_unit_open(self)
        check_plan_unit_is_vo(self)


# An activity's status description ("Lägesbeskrivning") is a short account beside its status,
# read on the plan, the area's timeline and by the steering group: a few sentences, not a
# report. The limit is the model's, so the pages, the admin and the services refuse alike.
STATUS_NOTE_MAX_LENGTH = 1000
ERROR_STATUS_NOTE_TOO_LONG = _(
    "Lägesbeskrivningen får vara högst 1 000 tecken, den har %(length)s. Korta den så att det "
    "viktigaste står kvar."
)


def check_status_note_length(value: str) -> None:
    """Refuse a status description longer than STATUS_NOTE_MAX_LENGTH, saying how long it is."""
    if len(value) > STATUS_NOTE_MAX_LENGTH:
        raise ValidationError(
            ERROR_STATUS_NOTE_TOO_LONG, code="max_length", params={"length": len(value)}
        )


class Activity(Versioned):
    """One activity in a VO's activity plan, with its timeline."""

    class Status(models.TextChoices):
        PLANNED = "planerad", _("Planerad")
        ONGOING = "pagar", _("Pågår")
        DONE = "klar", _("Klar")
        CANCELLED = "installd", _("Inställd")

    plan = models.ForeignKey(
        ActivityPlan, on_delete=models.CASCADE, related_name="activities", verbose_name=_("plan")
    )
    title = models.CharField(_("aktivitet"), max_length=300)
    responsible = models.CharField(_("ansvarig"), max_length=200, blank=True)
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("slut"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    # Reported with the status (on an approved plan too): why it is what it is.
    status_note = models.TextField(
        _("lägesbeskrivning"),
        blank=True,
        validators=[check_status_note_length],
        help_text=_(
            "Hur går det? Skriv kort vad som är gjort, vad som hindrar och vad som händer "
            "härnäst. Högst 1 000 tecken."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("aktivitet")
        verbose_name_plural = _("aktiviteter")
        # A plan is a timeline: by date, as the programme area's timeline lists them too; an
        # activity not yet dated comes last.
        ordering = [
            F("start_date").asc(nulls_last=True),
            F("end_date").asc(nulls_last=True),
            "title",
            "id",
        ]
        constraints = [_dates_ordered("start_date", "end_date", "activity_dates_ordered")]

    def __str__(self) -> str:
        return self.title


class SupportNeed(Versioned):
    """A need for support raised by a manager through the dialogue model (Dialogmodellen)."""

    class Status(models.TextChoices):
        OPEN = "oppen", _("Nytt")
        IN_PROGRESS = "pagar", _("Pågår")
        ANSWERED = "besvarad", _("Besvarat")
        CLOSED = "stangd", _("Avslutat")

    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="support_needs",
        verbose_name=_("framfört av"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="support_needs", verbose_name=_("enhet")
    )
    programme_area = models.ForeignKey(
        ProgrammeArea,
        on_delete=models.PROTECT,
        related_name="support_needs",
        verbose_name=_("programområde"),
    )
    text = models.TextField(_("vad behöver du som chef för att implementera detta?"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    response = models.TextField(_("svar"), blank=True)
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("stödbehov")
        verbose_name_plural = _("stödbehov")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return gettext("Stödbehov %(unit)s – PO %(number)s") % {
            "unit": self.unit.name,
            "number": self.programme_area.number,
        }

    def clean(self) -> None:
        super().clean()
        check_area_organisation(self)
        check_unit_open(self)
        # "Nytt" is what counts as unanswered (the area page's "Obesvarade stödbehov", Att göra):
        # a need with an answer is not new, whichever entry wrote the answer.
        if self.status == self.Status.OPEN and self.response.strip():
            raise ValidationError({"status": ERROR_SUPPORT_NEED_ANSWERED_BUT_NEW})
