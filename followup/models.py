"""Measures, observations per unit and period, imports, and the precomputed results."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Collection, Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import ExpressionWrapper, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat, ExtractQuarter, ExtractYear
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from base.editing import comment_field
from base.formatting import format_number
from base.periods import QUARTER_CODE_PATTERN, Quarter, days_label, month_label, quarter_label
from base.versioning import Versioned, VersionedQuerySet
from goals.models import Goal
from goals.status import status_choices
from organisation.models import Unit
from programmes.models import provenance_field, provenance_note_field

from . import value_rules


class Measure(models.Model):
    """A follow-up measure (mått) and how it behaves: type, direction, roll-up rule, source."""

    class ValueType(models.TextChoices):
        COUNT = "count", _("Antal")
        SHARE = "share", _("Andel")
        MEAN = "mean", _("Medelvärde")
        INDEX = "index", _("Index")

    class Improvement(models.TextChoices):
        HIGHER = "higher", _("Högre är bättre")
        LOWER = "lower", _("Lägre är bättre")
        NONE = "none", _("Ingen riktning")

    class Aggregation(models.TextChoices):
        SUM = "sum", _("Summa")
        RATIO = "ratio", _("Kvot av summor (täljare/nämnare)")
        WEIGHTED_MEAN = "weighted_mean", _("Viktat medelvärde (viktat med nämnare)")

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("Månad")
        QUARTERLY = "quarterly", _("Kvartal")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Manuell inrapportering")
        CYKLOP = "cyklop", _("Cyklop")
        COSMIC = "cosmic", _("Cosmic")
        MVG = "mvg", _("Min vård Gävleborg")
        VIS = "vis", _("Vården i siffror")

    code = models.SlugField(_("kod"), max_length=60, unique=True)
    name = models.CharField(_("namn"), max_length=200)
    description = models.TextField(_("beskrivning"), blank=True)
    unit = models.CharField(
        _("enhet"), max_length=30, blank=True, help_text=_("t.ex. %, st, dagar")
    )
    value_type = models.CharField(_("värdetyp"), max_length=10, choices=ValueType.choices)
    improvement = models.CharField(
        _("önskad riktning"), max_length=6, choices=Improvement.choices, default=Improvement.HIGHER
    )
    aggregation = models.CharField(
        _("sammanvägning"), max_length=15, choices=Aggregation.choices, default=Aggregation.SUM
    )
    frequency = models.CharField(
        _("frekvens"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    source = models.CharField(
        _("källa"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )
    programme_areas = models.ManyToManyField(
        "programmes.ProgrammeArea",
        blank=True,
        related_name="measures",
        verbose_name=_("programområden"),
    )
    unit_kinds = models.ManyToManyField(
        "organisation.UnitKind",
        blank=True,
        related_name="measures",
        verbose_name=_("rapporterande enhetstyper"),
        help_text=_("Enheter av dessa typer förväntas rapportera (för datatäckning)."),
    )
    provenance = provenance_field()
    provenance_note = provenance_note_field()
    history = HistoricalRecords(m2m_fields=[programme_areas, unit_kinds])

    class Meta:
        verbose_name = _("mått")
        verbose_name_plural = _("mått")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(value_type="share") | Q(aggregation="ratio"),
                name="measure_share_aggregates_as_ratio",
                violation_error_message=_(
                    "En andel vägs samman som kvot av summerade täljare och nämnare."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def unit_label(self) -> str:
        """The unit to name beside the kind: "%", "st"; nothing when it only repeats the kind
        ("index" of an index), so a heading reads "(index)", not "(index, index)"."""
        unit = self.unit.strip()
        if unit.lower() in {self.value_type, str(self.get_value_type_display()).lower()}:
            return ""
        return unit

    @property
    def kind_label(self) -> str:
        """The kind of value with its unit in words, as a heading says it after the measure's
        name: "andel i procent", "antal", "medelvärde i minuter", "index" ("(andel, %)" read
        as notation). "st" says nothing "antal" does not."""
        kind = str(self.get_value_type_display()).lower()
        unit = self.unit_label
        if not unit or unit == "st":
            return kind
        if unit == "%":
            return gettext("%(kind)s i procent") % {"kind": kind}
        return gettext("%(kind)s i %(unit)s") % {"kind": kind, "unit": unit}


class ImportBatch(models.Model):
    """One import of a BI export file; observations point back to the batch that wrote them."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Manuell inrapportering")
        CYKLOP = "cyklop", _("Cyklop")
        COSMIC = "cosmic", _("Cosmic")
        MVG = "mvg", _("Min vård Gävleborg")
        VIS = "vis", _("Vården i siffror")
        DEMO = "demo", _("Demodata")

    source = models.CharField(_("källa"), max_length=10, choices=Source.choices)
    file_name = models.CharField(_("filnamn"), max_length=300, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="import_batches",
        verbose_name=_("importerad av"),
    )
    created_at = models.DateTimeField(_("importerad"), auto_now_add=True)
    row_count = models.PositiveIntegerField(_("antal rader"), default=0)
    note = models.TextField(_("anteckning"), blank=True)
    synthetic = models.BooleanField(
        _("syntetiska värden"),
        default=False,
        help_text=_(
            "Demodata: påhittade värden, inte verkliga uppgifter. Sidorna visar en banderoll "
            "så länge sådana data finns."
        ),
    )
    # Of the file as uploaded: the same file imported twice is recognisable.
    sha256 = models.CharField(_("SHA-256 för filen"), max_length=64, blank=True)
    created_count = models.PositiveIntegerField(_("nya värden"), default=0)
    changed_count = models.PositiveIntegerField(_("ändrade värden"), default=0)
    unchanged_count = models.PositiveIntegerField(_("oförändrade värden"), default=0)
    undone_at = models.DateTimeField(_("ångrad"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ångrad av"),
    )
    # The units the batch wrote, recorded when it is stored (an undo keeps them): the list of
    # imports reads these instead of the observations' history, which has no index on the
    # change reason (imports stay fast). The one unit when it wrote one, the one VO when all
    # its units belong to one; by key, so a renamed unit shows its name of today.
    unit_count = models.PositiveIntegerField(_("antal enheter"), default=0)
    only_unit = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enhet (om importen gällde en enda)"),
    )
    only_vo = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verksamhetsområde (om alla enheter hör till ett)"),
    )
    # Where the batch's rows lie in the observations' history: history_id in (history_from,
    # history_to], recorded by the store (followup.imports.history.batch_history). The primary
    # key finds the range cheaply; the change reason "Import #<pk>", which has no index (imports
    # stay fast), picks the batch's rows out of it. None: not recorded (a batch not stored by
    # the import), the reason alone finds them.
    history_from = models.IntegerField(
        _("historikens id före importen"), null=True, blank=True, editable=False
    )
    history_to = models.IntegerField(
        _("historikens id efter importen"), null=True, blank=True, editable=False
    )
    history = HistoricalRecords(excluded_fields=["history_from", "history_to"])

    class Meta:
        verbose_name = _("importomgång")
        verbose_name_plural = _("importomgångar")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.file_name} ({self.created_at:%Y-%m-%d})"


class ImportJob(models.Model):
    """An uploaded file on its way from preview to store (the browser's import), with its state.

    Transient: the file waits in GONV_IMPORT_DIR under the job's id; the batch it stored is
    the lasting record. A waiting file is deleted when the user cancels (CANCELLED) or when it
    has waited GONV_IMPORT_MAX_AGE_HOURS (EXPIRED, followup.imports.jobs.import_uploads_expire).
    """

    class State(models.TextChoices):
        VALIDATING = "validating", _("Kontrolleras")
        READY = "ready", _("Förhandsgranskad")
        STORING = "storing", _("Importeras")
        STORED = "stored", _("Importerad")
        FAILED = "failed", _("Misslyckades")
        CANCELLED = "cancelled", _("Avbruten")
        EXPIRED = "expired", _("Utgången")
        # Its check or store made no progress for GONV_IMPORT_STALLED_MINUTES (a lost task or
        # request): nothing was stored, the file must be uploaded again.
        INTERRUPTED = "interrupted", _("Avbröts")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="import_jobs",
        verbose_name=_("användare"),
    )
    file_name = models.CharField(_("filnamn"), max_length=300)
    sha256 = models.CharField(_("SHA-256 för filen"), max_length=64)
    size = models.PositiveBigIntegerField(_("storlek (byte)"), default=0)
    source = models.CharField(_("källa"), max_length=10, choices=ImportBatch.Source.choices)
    sheet = models.CharField(_("blad"), max_length=100, blank=True)
    row_estimate = models.PositiveIntegerField(_("uppskattat antal rader"), default=0)
    state = models.CharField(
        _("läge"), max_length=12, choices=State.choices, default=State.VALIDATING
    )
    background = models.BooleanField(_("i bakgrunden"), default=False)
    preview = models.JSONField(_("förhandsgranskning"), default=dict)
    result = models.JSONField(_("resultat"), default=dict)
    batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("importomgång"),
    )
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    # When its check or store last started or reported progress (the running pass reports to
    # the cache, outside its transaction; see followup.imports.jobs.last_progress).
    progressed_at = models.DateTimeField(_("senaste framsteg"), null=True, blank=True)

    class Meta:
        verbose_name = _("importjobb")
        verbose_name_plural = _("importjobb")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"


ERROR_OBSERVATION_QUARTER = _("Kvartalet måste vara det kvartal som perioden slutar i.")


def quarter_of_date(field: str) -> Concat:
    """The quarter code ("2025Q4") of a date column, computed by the database."""
    return Concat(
        Cast(ExtractYear(field), models.CharField()),
        Value("Q"),
        Cast(ExtractQuarter(field), models.CharField()),
        output_field=models.CharField(),
    )


class ObservationQuerySet(VersionedQuerySet["Observation"]):
    def bulk_create(
        self, objs: Iterable[Observation], *args: Any, **kwargs: Any
    ) -> list[Observation]:
        """As QuerySet.bulk_create, with each observation's quarter derived from its period."""
        listed = list(objs)
        for obj in listed:
            obj.derive_quarter()
        return list(super().bulk_create(listed, *args, **kwargs))


class Observation(Versioned):
    """A measured value for one measure, unit and period (aggregates only, never patients).

    The quarter is derived from period_end, here and nowhere else: on validation and on save,
    with a database check behind it so that no write (a bulk insert, raw SQL) stores another.
    """

    # No index of its own: the unique (measure, unit, period_start) and the (measure, quarter,
    # unit) indexes both lead with it. Every index is paid for by every import's writes.
    measure = models.ForeignKey(
        Measure,
        on_delete=models.PROTECT,
        related_name="observations",
        verbose_name=_("mått"),
        db_index=False,
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="observations", verbose_name=_("enhet")
    )
    period_start = models.DateField(_("period från"))
    period_end = models.DateField(_("period till"))
    # Denormalised from period_end ("2025Q4") so the quarterly job filters on one indexed column.
    # Derived (derive_quarter), never typed: forms do not show it as a field to edit.
    # Indexed in Meta.indexes, a plain b-tree: db_index would add a second, LIKE-pattern index
    # that no query uses (the quarter is compared whole).
    quarter = models.CharField(_("kvartal"), max_length=6, editable=False)
    value = models.DecimalField(_("värde"), max_digits=16, decimal_places=4)
    numerator = models.DecimalField(
        _("täljare"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    denominator = models.DecimalField(
        _("nämnare"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    source = models.CharField(
        _("källa"),
        max_length=10,
        choices=ImportBatch.Source.choices,
        default=ImportBatch.Source.MANUAL,
    )
    import_batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="observations",
        verbose_name=_("importomgång"),
    )
    # A database default as well: bulk loaders that write rows with SQL (the bench) leave it out.
    comment = models.TextField(_("kommentar"), blank=True, default="", db_default="")
    updated_at = models.DateTimeField(_("uppdaterad"), auto_now=True)
    # Set when a person replaced a value imported from a source system: which source it was.
    overrides_source = models.CharField(
        _("ersätter importerat värde från"),
        max_length=10,
        choices=ImportBatch.Source.choices,
        blank=True,
        default="",
        db_default="",
    )
    # The history is read by the observation (id), by date and by change reason; its per-field
    # indexes on measure, unit, quarter and batch served no query and slowed every write.
    history = HistoricalRecords(no_db_index=["measure", "unit", "quarter", "import_batch"])

    objects = ObservationQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observationer")
        ordering = ["measure", "unit", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "unit", "period_start"],
                name="observation_unique_measure_unit_period",
                violation_error_message=_(
                    "Det finns redan ett värde för det här måttet, enheten och perioden."
                ),
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="observation_period_ordered",
                violation_error_message=_("Periodens slut kan inte vara före dess start."),
            ),
            models.CheckConstraint(
                condition=Q(denominator__isnull=True) | Q(denominator__gt=0),
                name="observation_denominator_positive",
                violation_error_message=_("Nämnaren måste vara större än noll."),
            ),
            models.CheckConstraint(
                condition=Q(numerator__isnull=True) | Q(numerator__gte=0),
                name="observation_numerator_not_negative",
                violation_error_message=_("Täljaren kan inte vara negativ."),
            ),
            models.CheckConstraint(
                condition=Q(quarter=quarter_of_date("period_end")),
                name="observation_quarter_of_period_end",
                violation_error_message=ERROR_OBSERVATION_QUARTER,
            ),
        ]
        indexes = [
            models.Index(fields=["measure", "quarter", "unit"]),
            models.Index(fields=["quarter"], name="observation_quarter"),
        ]

    def __str__(self) -> str:
        # The admin's titles and history name a value by this: the Swedish period and number.
        quarterly = self.measure.frequency == Measure.Frequency.QUARTERLY
        period = (
            Quarter.containing(self.period_start).label
            if quarterly
            else month_label(self.period_start)
        )
        value = format_number(self.value) if self.value is not None else "–"
        return f"{self.measure.name} – {self.unit.name} – {period}: {value}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.derive_quarter()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "period_end" in update_fields:
            kwargs["update_fields"] = {*update_fields, "quarter"}
        super().save(*args, **kwargs)

    def derive_quarter(self) -> None:
        """Set the quarter from the period's end (the one place that does)."""
        if self.period_end is not None:
            self.quarter = Quarter.containing(self.period_end).code

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        self.derive_quarter()
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        """The rules the import and the reporting grid keep, for every other writer too (the
        admin and its history revert, the services), in the import's words (value_rules): a
        period that has begun, a unit in operation during it and of a kind that reports the
        measure, and a value its measure's type allows, a share's agreeing with its parts."""
        super().clean()
        measure = (
            Measure.objects.prefetch_related("unit_kinds").filter(pk=self.measure_id).first()
            if self.measure_id
            else None
        )
        unit = (
            Unit.objects.select_related("kind").filter(pk=self.unit_id).first()
            if self.unit_id
            else None
        )
        errors: dict[str, list[str]] = {}
        if measure is not None:
            for name, message in self._period_problems(measure, unit):
                errors.setdefault(name, []).append(message)
            for name, message in self._value_problems(measure):
                errors.setdefault(name, []).append(message)
        if errors:
            raise ValidationError(errors)

    def _period_problems(self, measure: Measure, unit: Unit | None) -> list[tuple[str, str]]:
        start, end = self.period_start, self.period_end
        if start is None or end is None:
            return []
        quarterly = measure.frequency == Measure.Frequency.QUARTERLY
        whole = _whole_period(start, quarterly=quarterly)
        # A reversed period is the constraint's to refuse (observation_period_ordered).
        if start <= end and (start, end) != whole:
            # A period is one whole month or quarter, as the import and the grid write it
            # (the admin's date fields allow any day): the computation counts by periods.
            message = (
                value_rules.ERROR_PERIOD_NOT_WHOLE_QUARTER
                if quarterly
                else value_rules.ERROR_PERIOD_NOT_WHOLE_MONTH
            )
            # Ranges as every range is written ("2–31 dec 2025", "1 okt–31 dec 2025").
            return [
                (
                    "period_start" if start != whole[0] else "period_end",
                    gettext(message).format(
                        period=days_label(start, end),
                        measure=measure.name,
                        example=days_label(*whole),
                    ),
                )
            ]
        label = Quarter.containing(start).label if quarterly else month_label(start)
        # Nothing is reported for a month (quarter) that has not ended, as the import and the
        # grid refuse it.
        still_open = value_rules.period_open_problem(
            start, quarterly=quarterly, today=timezone.localdate()
        )
        if still_open is not None:
            return [("period_start", still_open)]
        if unit is None:
            return []
        problems = []
        if not (
            (unit.valid_from is None or unit.valid_from <= end)
            and (unit.valid_to is None or unit.valid_to >= start)
        ):
            problems.append(
                (
                    "unit",
                    gettext(value_rules.ERROR_UNIT_NOT_ACTIVE).format(unit=unit.name, period=label),
                )
            )
        kinds = {kind.pk for kind in measure.unit_kinds.all()}
        if kinds and unit.kind_id not in kinds:
            problems.append(
                (
                    "unit",
                    gettext(value_rules.ERROR_KIND_DOES_NOT_REPORT).format(
                        kind=unit.kind.name.lower(), measure=measure.name
                    ),
                )
            )
        return problems

    def _value_problems(self, measure: Measure) -> list[tuple[str, str]]:
        value = None if self.value is None else Decimal(self.value)
        num = None if self.numerator is None else Decimal(self.numerator)
        den = None if self.denominator is None else Decimal(self.denominator)
        text = value_rules.number_text
        missing = value_rules.pair_missing(measure.aggregation, num, den)
        if missing is not None:
            return [(missing, gettext(value_rules.ERROR_PAIR_INCOMPLETE))]
        if value is None:
            return []
        kind = measure.value_type
        # What a value of the kind may be is one rule (base.measure_values), in the import's
        # words: "Ett antal kan inte vara negativt (−3).", as the grid and the import say it.
        if kind == Measure.ValueType.COUNT and (problem := value_rules.count_problem(value)):
            return [("value", problem)]
        # A negative numerator or a zero denominator is the constraints' to refuse.
        if kind == Measure.ValueType.SHARE and num is not None and den is not None:
            if num < 0 or den <= 0:
                return []
            if num > den:
                message = gettext(value_rules.ERROR_NUMERATOR_ABOVE_DENOMINATOR)
                return [("numerator", message.format(numerator=text(num), denominator=text(den)))]
            if not value_rules.share_consistent(value, num, den):
                computed = value_rules.share_of(num, den).quantize(Decimal("0.01"))
                message = gettext(value_rules.ERROR_VALUE_INCONSISTENT).format(
                    value=text(value),
                    computed=text(computed),
                    tolerance=text(value_rules.TOLERANCE),
                )
                return [("value", message)]
        if problem := value_rules.range_problem(kind, value):
            return [("value", problem)]
        if kind == Measure.ValueType.SHARE and num is None:
            message = gettext(value_rules.ERROR_SHARE_PARTS_MISSING)
            return [("numerator", message.format(measure=measure.name))]
        return []


def _whole_period(day: datetime.date, *, quarterly: bool) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the month (or quarter) containing the day."""
    if quarterly:
        quarter = Quarter.containing(day)
        return quarter.start, quarter.end
    first = day.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


class MeasureResultQuerySet(models.QuerySet["MeasureResult"]):
    def of_quarter(self, quarter: Quarter) -> MeasureResultQuerySet:
        """The quarter's results, each with its changes against the previous quarter and the
        same quarter last year: change_previous_quarter and change_previous_year, None where
        either value is missing; and the units those quarters expected,
        expected_previous_quarter and expected_previous_year (None where there is no row).

        The changes are read, not stored: each is one lookup of the other quarter's row by its
        primary key. Stored, they went stale whenever an earlier quarter was recomputed alone,
        and their two joins cost a quarter's computation about 0.4× the SQL floor (make bench,
        national).
        """

        def change_against(other: Quarter) -> ExpressionWrapper:
            stored = MeasureResult.objects.filter(
                quarter=other.code, measure=OuterRef("measure"), unit=OuterRef("unit")
            ).values("value")[:1]
            return ExpressionWrapper(
                F("value") - Subquery(stored),
                # As the values: SQLite computes in floats, and the converter rounds them back.
                output_field=models.DecimalField(max_digits=21, decimal_places=6),
            )

        def expected_in(other: Quarter) -> Subquery:
            return Subquery(
                MeasureResult.objects.filter(
                    quarter=other.code, measure=OuterRef("measure"), unit=OuterRef("unit")
                ).values("expected_units")[:1],
                output_field=models.PositiveIntegerField(),
            )

        # The units the other quarters expected: a summed value is compared like for like
        # only where each of its months has them all (followup.quarter_basis).
        return self.filter(quarter=quarter.code).annotate(
            change_previous_quarter=change_against(quarter.previous()),
            change_previous_year=change_against(quarter.year_before()),
            expected_previous_quarter=expected_in(quarter.previous()),
            expected_previous_year=expected_in(quarter.year_before()),
        )

    def with_previous_value(self, quarter: Quarter) -> MeasureResultQuerySet:
        """Each row with `previous_value`, the same unit's and measure's value the quarter
        before `quarter` (None where it has none): what a quarterly measure shows as its latest
        value while its own quarter is still under way. A subquery, not another query."""
        previous = MeasureResult.objects.filter(
            quarter=quarter.previous().code, measure=OuterRef("measure"), unit=OuterRef("unit")
        ).values("value")[:1]
        return self.annotate(
            previous_value=ExpressionWrapper(
                Subquery(previous),
                output_field=models.DecimalField(max_digits=20, decimal_places=6),
            )
        )


class MeasureResult(models.Model):
    """Precomputed quarterly value of a measure for a unit at any level of the tree.

    Read a quarter's rows through MeasureResult.objects.of_quarter(quarter), which adds the
    changes against the previous quarter and the same quarter last year.
    """

    # The result's own key is its primary key, with no surrogate id (one index in all):
    # quarter first, as the computation reads and writes a quarter at a time (a new quarter's
    # rows append to the index's end); then unit, as the pages read some units' measures for
    # a quarter, or for several quarters (quarter IN (…) AND unit = …, a short range each).
    # A quarter's first write paid about 0.25× the SQL floor for an id's index and 0.4× for
    # an index on unit alone (make bench, national). Deleting a unit scans the table for its rows:
    # rare, and done in the admin. Django's admin cannot list a model with a composite key
    # (5.2), so these rows have no admin page.
    pk = models.CompositePrimaryKey("quarter", "unit", "measure")
    # Results are derived rows that only the computation writes, from a join with the units
    # and measures in the same transaction, so they cannot point nowhere; deleting a unit or a
    # measure deletes its results through Django's cascade (on_delete works without a database
    # constraint). Checking 2 foreign keys per row at commit cost a cold national quarter
    # 0.4 s, more than the SQL floor itself, hence db_constraint=False. No index of their own
    # on measure or unit either: the primary key serves the reads.
    measure = models.ForeignKey(
        Measure,
        on_delete=models.CASCADE,
        related_name="results",
        db_index=False,
        db_constraint=False,
        verbose_name=_("mått"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        related_name="measure_results",
        db_index=False,
        db_constraint=False,
        verbose_name=_("enhet"),
    )
    quarter = models.CharField(_("kvartal"), max_length=6)
    value = models.DecimalField(_("värde"), max_digits=20, decimal_places=6, null=True)
    numerator = models.DecimalField(_("täljare"), max_digits=20, decimal_places=6, null=True)
    denominator = models.DecimalField(_("nämnare"), max_digits=20, decimal_places=6, null=True)
    reporting_units = models.PositiveIntegerField(_("rapporterande enheter"), default=0)
    expected_units = models.PositiveIntegerField(_("förväntade enheter"), default=0)
    latest_update = models.DateTimeField(_("senast uppdaterad"), null=True)

    objects = MeasureResultQuerySet.as_manager()

    # The SPC chart of the row's series is an SpcResult of the same key: kept apart, a row is
    # about a tenth of its size, and the roll-up, which compares a quarter's rows with the
    # stored ones and rewrites them, reads and writes a tenth of the bytes.

    class Meta:
        verbose_name = _("beräknat måttvärde")
        verbose_name_plural = _("beräknade måttvärden")

    def __str__(self) -> str:
        return f"{self.measure} – {self.unit.name} – {quarter_label(self.quarter)}"

    @property
    def completeness_pct(self) -> float | None:
        """Share of the units that should report that did."""
        if not self.expected_units:
            return None
        return 100.0 * self.reporting_units / self.expected_units


class SpcResult(models.Model):
    """The SPC chart of a measure's series for a unit, up to a quarter's end.

    One per MeasureResult (same quarter, measure and unit), written by the SPC tasks after
    the roll-up; the summary's shape is documented in docs/spc.md.
    """

    # Derived rows without database constraints, as MeasureResult.
    measure = models.ForeignKey(
        Measure,
        on_delete=models.CASCADE,
        related_name="spc_results",
        db_index=False,
        db_constraint=False,
        verbose_name=_("mått"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        related_name="spc_results",
        db_constraint=False,
        verbose_name=_("enhet"),
    )
    quarter = models.CharField(_("kvartal"), max_length=6)
    summary = models.JSONField(_("diagramdata"))
    # Of the summary's inputs (followup.compute.series.spc_digest): a rerun skips series whose
    # digest matches.
    digest = models.CharField(_("kontrollsumma för indata"), max_length=32)

    class Meta:
        verbose_name = _("beräknat styrdiagram")
        verbose_name_plural = _("beräknade styrdiagram")
        constraints = [
            models.UniqueConstraint(
                fields=["quarter", "measure", "unit"], name="spcresult_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.measure} – {self.unit.name} – {quarter_label(self.quarter)}"


class PeriodResult(models.Model):
    """Precomputed value of a measure for a unit at any level and one reporting period.

    The monthly (or quarterly) series that SPC charts are drawn from; written for a quarter's
    periods by the same job as MeasureResult.
    """

    # Derived rows without database constraints, as MeasureResult; the unique key (measure,
    # unit, period_start) serves the lookups by measure.
    measure = models.ForeignKey(
        Measure,
        on_delete=models.CASCADE,
        related_name="period_results",
        db_index=False,
        db_constraint=False,
        verbose_name=_("mått"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        related_name="period_results",
        db_constraint=False,
        verbose_name=_("enhet"),
    )
    period_start = models.DateField(_("period från"))
    quarter = models.CharField(_("kvartal"), max_length=6)
    value = models.DecimalField(_("värde"), max_digits=20, decimal_places=6, null=True)
    # As MeasureResult's: a share's (a ratio's) summed täljare and nämnare, a mean's total
    # weight. A goal's baseline of several periods pools a share's from them (Σ täljare ÷
    # Σ nämnare), and a mean's by its weight (Σ värde × nämnare ÷ Σ nämnare), so a small month
    # does not weigh as much as a big one.
    numerator = models.DecimalField(_("täljare"), max_digits=20, decimal_places=6, null=True)
    denominator = models.DecimalField(_("nämnare"), max_digits=20, decimal_places=6, null=True)
    reporting_units = models.PositiveIntegerField(_("rapporterande enheter"), default=0)

    class Meta:
        verbose_name = _("beräknat periodvärde")
        verbose_name_plural = _("beräknade periodvärden")
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "unit", "period_start"], name="periodresult_unique_key"
            )
        ]
        indexes = [models.Index(fields=["quarter", "measure"])]

    def __str__(self) -> str:
        return f"{self.measure} – {self.unit.name} – {month_label(self.period_start)}"


class GoalResult(models.Model):
    """Precomputed status of a goal for a quarter, with the numbers and the explanation."""

    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="results", verbose_name=_("mål")
    )
    quarter = models.CharField(_("kvartal"), max_length=6)
    status = models.CharField(_("status"), max_length=20, choices=status_choices(), null=True)
    progress = models.DecimalField(_("utfall"), max_digits=20, decimal_places=6, null=True)
    target = models.DecimalField(_("målvärde"), max_digits=20, decimal_places=6, null=True)
    forecast = models.DecimalField(_("prognos"), max_digits=20, decimal_places=6, null=True)
    forecast_status = models.CharField(
        _("prognosstatus"), max_length=20, choices=status_choices(), null=True
    )
    explanation = models.TextField(_("förklaring"), blank=True)
    basis = models.JSONField(_("underlag"), default=dict)
    assessment_status = models.CharField(
        _("bedömd status"), max_length=20, choices=status_choices(), null=True
    )
    assessment_comment = models.TextField(_("bedömningens kommentar"), blank=True)
    assessment_author = models.CharField(_("bedömd av"), max_length=200, blank=True)
    assessment_quarter = models.CharField(_("bedömningens kvartal"), max_length=6, blank=True)
    # A digest of everything the status was computed from (the goal, its numbers, its latest
    # assessment, the date, the rules and the code that applies them): a recompute skips the
    # goals whose digest is unchanged, as SPC skips unchanged series.
    inputs_digest = models.CharField(
        _("kontrollsumma för indata"), max_length=32, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("beräknad målstatus")
        verbose_name_plural = _("beräknade målstatus")
        constraints = [
            models.UniqueConstraint(fields=["goal", "quarter"], name="goalresult_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.goal.title} – {quarter_label(self.quarter)}"

    @property
    def assessment_shown(self) -> str:
        """Which line the pages give the latest assessment (the engine carries it forward to
        every later quarter): "current" when it was made in this quarter; "basis" when it is
        older but the status rests on it (a direction goal, whose status is the assessment; an
        open deliverable judged by it), said with its quarter; "" otherwise (an older one the
        status does not rest on is not this quarter's news: it stays on the goal's history)."""
        if not self.assessment_status:
            return ""
        if self.assessment_quarter == self.quarter:
            return "current"
        rests_on_it = self.status is None or (self.basis or {}).get("rule") == "open_assessed"
        return "basis" if rests_on_it else ""

    @property
    def assessed_on(self) -> datetime.date | None:
        """The day of the assessment a direction goal's status is (the engine's basis)."""
        day = (self.basis or {}).get("assessed_on")
        try:
            return datetime.date.fromisoformat(day) if isinstance(day, str) else None
        except ValueError:
            return None


class ComputeRun(models.Model):
    """A log line per recompute: what was written, when, and how long it took."""

    quarter = models.CharField(_("kvartal"), max_length=6)
    started_at = models.DateTimeField(_("startad"))
    finished_at = models.DateTimeField(_("klar"), null=True)
    measure_rows = models.PositiveIntegerField(_("skrivna måttvärden"), default=0)
    period_rows = models.PositiveIntegerField(_("skrivna periodvärden"), default=0)
    goal_rows = models.PositiveIntegerField(_("skrivna målstatusar"), default=0)
    spc_series = models.PositiveIntegerField(_("beräknade styrdiagram"), default=0)
    trigger = models.CharField(_("orsak"), max_length=40, blank=True)
    # Set when the computation failed: the quarter stays requested (RecomputeRequest) and the
    # administrator sees why here.
    error = models.TextField(_("fel"), blank=True)

    class Meta:
        verbose_name = _("beräkningskörning")
        verbose_name_plural = _("beräkningskörningar")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return gettext("%(quarter)s beräknat %(time)s") % {
            "quarter": quarter_label(self.quarter),
            "time": f"{self.started_at:%Y-%m-%d %H:%M}",
        }

    @property
    def failed(self) -> bool:
        """Whether this run ended in an error."""
        return bool(self.error)


class RecomputeRequest(models.Model):
    """A quarter that must be recomputed: the durable outbox of the recompute triggers.

    Written in the database when a change commits, before anything is sent to the broker, so a
    broker that is down loses nothing; the dispatcher and the nightly run claim the rows, and a
    successful computation of the quarter deletes the rows requested before it started.
    """

    quarter = models.CharField(_("kvartal"), max_length=6, unique=True)
    trigger = models.CharField(_("orsak"), max_length=40, blank=True)
    requested_at = models.DateTimeField(_("begärd"))
    # When a dispatcher sent it to the workers; empty while it waits for one.
    dispatched_at = models.DateTimeField(_("skickad"), null=True, blank=True)

    class Meta:
        verbose_name = _("begärd omberäkning")
        verbose_name_plural = _("begärda omberäkningar")
        ordering = ["quarter"]

    def __str__(self) -> str:
        return quarter_label(self.quarter)


class DemoAccount(models.Model):
    """A login that load_demo created: the only users it may touch again.

    load_demo creates demo accounts only in a database whose every user is one of these, so it
    never adds a known password beside the region's real users.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="demo_account",
        verbose_name=_("användare"),
    )
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)

    class Meta:
        verbose_name = _("demokonto")
        verbose_name_plural = _("demokonton")

    def __str__(self) -> str:
        return str(self.user)


# The quarterly report's refusals (followup.services.quarter_report_*, shown on its page).
ERROR_REPORT_QUARTER_ONGOING = gettext_noop(
    "{quarter} pågår till och med {end} och kan stängas först när kvartalet är slut."
)
ERROR_REPORT_NOT_STARTED = gettext_noop(
    "{quarter} har inte börjat (det börjar {start}), så det har ingen kvartalsrapport än."
)
ERROR_REPORT_NOT_COMPUTED = gettext_noop(
    "Uppföljningen för {quarter} är inte beräknad. Kvartalet kan stängas när "
    "kvartalsberäkningen har körts."
)
ERROR_REPORT_RECOMPUTE_PENDING = gettext_noop(
    "Uppföljningen för {quarter} väntar på en omräkning efter de senaste ändringarna. Stäng "
    "kvartalet när omräkningen är klar."
)
ERROR_REPORT_ALREADY_CLOSED = gettext_noop(
    "Kvartalet är redan stängt: rapporten är fastställd eller godkänd."
)
ERROR_REPORT_NOT_CLOSED = gettext_noop(
    "Rapporten är inte fastställd. Bara en fastställd rapport kan godkännas, skickas tillbaka "
    "eller öppnas igen."
)
ERROR_REPORT_APPROVED = gettext_noop(
    "Rapporten är godkänd och kan inte längre öppnas igen eller skickas tillbaka."
)
ERROR_REPORT_COMMENT_REQUIRED = gettext_noop(
    "Skriv en kommentar om vad som behöver ändras innan rapporten skickas tillbaka."
)
ERROR_REPORT_REOPEN_REASON_REQUIRED = gettext_noop(
    "Skriv varför rapporten öppnas igen; skälet visas i rapportens händelser. Inget har ändrats."
)
ERROR_REPORT_CLOSE_FORBIDDEN = gettext_noop(
    "Bara strategen och administratörer stänger kvartalet eller öppnar rapporten igen."
)
ERROR_REPORT_APPROVE_FORBIDDEN = gettext_noop(
    "Bara portföljägaren och administratörer godkänner kvartalsrapporten eller skickar "
    "tillbaka den."
)
ERROR_REPORT_STALE = gettext_noop(
    "Någon annan har ändrat rapporten sedan du öppnade sidan. Ingen av dina ändringar har "
    "sparats: sidan visar nu rapporten som den är, gör om ditt val."
)
# The same when every change since was the user's own (another tab or window).
ERROR_REPORT_STALE_OWN = gettext_noop(
    "Du har själv ändrat rapporten (t.ex. i en annan flik) sedan du öppnade sidan. Det du "
    "valde här har inte sparats: sidan visar nu rapporten som den är, gör om ditt val om det "
    "behövs."
)


class QuarterReport(Versioned):
    """The quarterly report (kvartalsrapport) of one organisation's portfolio for a quarter.

    Utkast → Fastställd (the strategist closes the quarter: the report's body is rendered and
    frozen here with its SHA-256) → Godkänd (the portfolio owner approves it). The portfolio
    owner may send a closed report back to Utkast with a comment; the strategist may reopen a
    closed report that is not approved. Every transition is a service (followup.services), and
    the approved report shows the frozen body, never the live data.
    """

    class Status(models.TextChoices):
        DRAFT = "utkast", _("Utkast")
        CLOSED = "faststalld", _("Fastställd")
        APPROVED = "godkand", _("Godkänd")

    # The unit whose portfolio the report is: a phase's organisation, or the tree's root
    # where there is one organisation or none.
    organisation = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="quarter_reports",
        verbose_name=_("organisation"),
    )
    quarter = models.CharField(_("kvartal"), max_length=6)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    strategist_comment = comment_field(
        _("kommentar från strategen"),
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fastställd av"),
    )
    closed_at = models.DateTimeField(_("fastställd"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("godkänd av"),
    )
    approved_at = models.DateTimeField(_("godkänd"), null=True, blank=True)
    approval_note = comment_field(
        _("portföljägarens kommentar"),
    )
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tillbakaskickad av"),
    )
    returned_at = models.DateTimeField(_("tillbakaskickad"), null=True, blank=True)
    return_comment = comment_field(
        _("kommentar vid tillbakaskickning"),
    )
    # The strategist's last reopening (followup.services.quarter_report_reopen) and why: kept
    # through the next close, each one in the history (the report page lists them).
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("öppnad igen av"),
    )
    reopened_at = models.DateTimeField(_("öppnad igen"), null=True, blank=True)
    reopen_reason = comment_field(
        _("skäl till att rapporten öppnades igen"),
    )
    # The frozen report's SHA-256 (hex) and when the follow-up it shows was computed, as in
    # the history; empty while a draft. The body itself is stored once, in the close's
    # QuarterReportVersion (content_html below reads it).
    content_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, editable=False)
    content_computed_at = models.DateTimeField(
        _("underlaget beräknat"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("skapad"), default=timezone.now, editable=False)
    # The body is large and identified by its hash: the history keeps the hash, not the HTML.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kvartalsrapport")
        verbose_name_plural = _("kvartalsrapporter")
        ordering = ["-quarter", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "quarter"], name="quarterreport_unique_per_quarter"
            ),
            models.CheckConstraint(
                condition=Q(quarter__regex=QUARTER_CODE_PATTERN),
                name="quarterreport_quarter_code",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Kvartalsrapport %(quarter)s") % {"quarter": quarter_label(self.quarter)}

    @classmethod
    def about(cls, organisation_id: int | None) -> QuarterReport:
        """An unsaved report of an organisation (none: any), to ask gonv.rules about."""
        if organisation_id is None:
            return cls()
        return cls(organisation_id=organisation_id)

    @property
    def content_html(self) -> str:
        """The frozen body, as rendered at the close, stored in the close's version (the one
        not ended); empty while a draft. Annotated as `current_body` by the report page's
        query (followup.selectors.quarter_report_get), else read here (one query)."""
        if "current_body" in self.__dict__:
            return self.__dict__["current_body"] or ""
        if self.closed_at is None or self.pk is None:
            return ""
        return next(iter(QuarterReportVersion.current_body_of(self.pk)), "")

    def body_known(self, html: str) -> None:
        """The body this instance's content_html gives without asking, as the page's query
        annotates it: a transition knows it (a close's, or none after a reopening)."""
        self.__dict__["current_body"] = html


class QuarterReportVersion(models.Model):
    """One close of a quarterly report, kept for good: the body frozen then (with its SHA-256
    and when the follow-up it shows was computed), who closed it and when, the strategist's
    comment of that close, and how it ended, if it did: reopened by the strategist or sent back
    by the portfolio owner, by whom, when and why.

    The steering group must be able to see what it was shown: a reopening or a send-back drops
    the report's own frozen body (the page is a live draft again), never its version. Written
    only inside the report's transitions (followup.services.quarter_report_*), which are in the
    report's history; nobody adds, changes or deletes one (gonv.rules), and a report with
    versions cannot be deleted (PROTECT). The current close's body is stored here only: the
    report reads it from its version that has not ended (QuarterReport.content_html).
    """

    class Ending(models.TextChoices):
        REOPENED = "oppnad_igen", _("Öppnad igen")
        SENT_BACK = "tillbakaskickad", _("Skickad tillbaka")

    report = models.ForeignKey(
        QuarterReport,
        on_delete=models.PROTECT,
        related_name="versions",
        verbose_name=_("kvartalsrapport"),
    )
    # 1, 2, … in the order of the closes kept (closes before versions were kept are in the
    # report's history with their hash only: their bodies were dropped then).
    number = models.PositiveIntegerField(_("version"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fastställd av"),
    )
    closed_at = models.DateTimeField(_("fastställd"))
    strategist_comment = comment_field(_("kommentar från strategen"))
    content_html = models.TextField(_("fastställt innehåll"), editable=False)
    content_sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    content_computed_at = models.DateTimeField(
        _("underlaget beräknat"), null=True, blank=True, editable=False
    )
    ended_as = models.CharField(
        _("avslutad genom"), max_length=20, choices=Ending.choices, blank=True
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("avslutad av"),
    )
    ended_at = models.DateTimeField(_("avslutad"), null=True, blank=True)
    # The reopening's reason or the send-back's comment.
    end_comment = comment_field(_("skäl"))

    class Meta:
        verbose_name = _("version av kvartalsrapport")
        verbose_name_plural = _("versioner av kvartalsrapporter")
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "number"], name="quarterreportversion_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="quarterreportversion_number_positive"
            ),
            # Ended means how and when, together.
            models.CheckConstraint(
                condition=(Q(ended_as="") & Q(ended_at__isnull=True))
                | (~Q(ended_as="") & Q(ended_at__isnull=False)),
                name="quarterreportversion_ended_consistent",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Kvartalsrapport %(quarter)s, version %(number)s") % {
            "quarter": quarter_label(self.report.quarter),
            "number": self.number,
        }

    @classmethod
    def current_body_of(cls, report: Any) -> models.QuerySet[QuarterReportVersion, str]:
        """The frozen body of a report (a pk or an OuterRef): its version that has not ended
        (one at the most; none while a draft)."""
        current = cls.objects.filter(report=report, ended_at__isnull=True).order_by("-number")
        return current.values_list("content_html", flat=True)[:1]

    @property
    def ended(self) -> bool:
        """Replaced: the report was reopened or sent back after this close."""
        return self.ended_at is not None

    @property
    def closed_by_name(self) -> str:
        """Who closed it, as the pages name people ("okänd" for a close without a user)."""
        return _person_name(self.closed_by)

    @property
    def ended_by_name(self) -> str:
        """Who reopened it or sent it back ("okänd" without a user)."""
        return _person_name(self.ended_by)


def _person_name(user: Any) -> str:
    if user is None:
        return gettext("okänd")
    return str(user.get_full_name() or user.get_username())
