"""Reporting measure values in the browser: the grid of a unit's units × the measures they are
expected to report, for one period, saved all or nothing.

Each cell is written through base.writes.checked_save (permission on the observation
as it was and as it will be, validation, history with the user), as followup.services'
observation_record does for one value; this module adds the grid, the comment a value needs
when it jumps, and the explicit override of an imported value (recorded in
`overrides_source`). The recompute follows on commit (followup.signals).

A value imported from a source system is shown read-only with its source; the user chooses
"Ersätt värdet" for that cell (`overriding`, the `ersatt` parameter of the page), which shows
its inputs with a hidden override flag. The server refuses a changed imported value without
the flag, whatever the form contains.
"""

from __future__ import annotations

import calendar
import copy
import datetime
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from base import grid
from base.editing import Conflict
from base.grid import CellConflict, GridResult
from base.periods import Quarter, month_label
from base.versioning import StaleVersion
from base.writes import checked_save
from organisation.models import Unit

from . import value_rules
from .formatting import format_value
from .forms import NumberField
from .imports.parsing import CellError, parse_period
from .imports.selectors import closed_quarters
from .imports.wording import closed_quarter_note
from .models import ImportBatch, Measure, Observation
from .services import ERROR_OBSERVATION_FORBIDDEN, observation_source_settle

# A share's cell left without its parts (a value is required); the checks of what is typed are
# value_rules', worded as the import and the model word them.
ERROR_SHARE_PARTS = _("Ange täljare och nämnare för en andel.")
ERROR_JUMP = _(
    "Värdet skiljer sig mer än {pct} % från föregående period ({previous}): skriv en kommentar."
)
# An imported value replaced ("Ersätt värdet"): the new value is compared with the one it
# replaces as well, so a slip (12 typed in front of 15: 1512) is caught when the previous
# period has no value.
ERROR_JUMP_REPLACED = _(
    "Värdet skiljer sig mer än {pct} % från det värde som ersätts ({replaced}): skriv en kommentar."
)
ERROR_JUMP_BOTH = _(
    "Värdet skiljer sig mer än {pct} % från föregående period ({previous}) och från det värde "
    "som ersätts ({replaced}): skriv en kommentar."
)
ERROR_IMPORTED = _("Värdet är importerat från {source}; välj ”Ersätt värdet” för att ändra det.")
CONFLICT_MESSAGE = _(
    "Inget sparades: någon annan har sparat markerade värden sedan du öppnade sidan. Spara "
    "igen för att ersätta dem med dina värden, eller ta de sparade värdena."
)
OWN_CONFLICT_MESSAGE = _(
    "Inget sparades: du har själv sparat markerade värden i en annan flik sedan du öppnade "
    "sidan. Spara igen för att ersätta dem med dina värden, eller ta de sparade värdena."
)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_CELL_KEY = re.compile(r"^m\d{1,10}u\d{1,10}$")


def cell_keys(values: Iterable[str]) -> list[str]:
    """The well-formed cell keys ("m<measure>u<unit>") among the values, in order, once each."""
    return list(dict.fromkeys(v for v in values if _CELL_KEY.match(v)))


@dataclass(frozen=True)
class Period:
    """A reporting period: a month for monthly measures, a quarter for quarterly ones."""

    start: datetime.date
    end: datetime.date
    frequency: str
    label: str
    code: str

    def previous(self) -> Period:
        return period_parse(
            (self.start - datetime.timedelta(days=1)).strftime("%Y-%m")
            if self.frequency == Measure.Frequency.MONTHLY
            else Quarter.containing(self.start).previous().code
        )

    def open_problem(self, today: datetime.date) -> str | None:
        """Why nothing can be reported for this period yet (not begun, or not ended), as
        value_rules says it for every writer, or None."""
        return value_rules.period_open_problem(
            self.start, quarterly=self.frequency == Measure.Frequency.QUARTERLY, today=today
        )

    def following(self) -> Period:
        return period_parse(
            (self.end + datetime.timedelta(days=1)).strftime("%Y-%m")
            if self.frequency == Measure.Frequency.MONTHLY
            else Quarter.containing(self.end + datetime.timedelta(days=1)).code
        )


@dataclass(frozen=True)
class PeriodChoice:
    """The period the grid shows, what to tell the user about the text they gave, and the
    period after it when that one has ended (for a "Nästa" link)."""

    period: Period
    error: str = ""
    following: Period | None = None


@dataclass(frozen=True)
class PeriodExamples:
    """The period field's examples: the latest month that can be reported (the grid's default),
    written both ways, and the latest quarter that has ended."""

    month: str
    month_code: str
    quarter: str


def period_examples(today: datetime.date | None = None) -> PeriodExamples:
    today = today or timezone.localdate()
    month = period_parse(None, today)
    quarter = Quarter.containing(today).previous()
    return PeriodExamples(month=month.label, month_code=month.code, quarter=quarter.label)


def period_choice(text: str | None, today: datetime.date | None = None) -> PeriodChoice:
    """The period in the text, in any spelling an import accepts ("2025-12", "dec 2025",
    "2025Q4", "Kv 4 2025"...), else the previous month with a Swedish message saying why: the
    message quotes the text, the period field then shows the period the page shows.

    A month (quarter) that has not ended is refused as an import and the model refuse it
    (value_rules.period_open_problem): nothing can be reported for it yet.
    """
    today = today or timezone.localdate()
    default = period_parse(None, today)
    text = (text or "").strip()
    if not text:
        return _with_following(default, "", today)
    try:
        parsed = parse_period(text)
    except CellError as error:
        message = _("%(problem)s Sidan visar i stället %(default)s.") % {
            "problem": error,
            "default": default.label,
        }
        return _with_following(default, message, today)
    period = period_parse(
        parsed.start.strftime("%Y-%m")
        if parsed.kind == "month"
        else Quarter.containing(parsed.start).code
    )
    still_open = period.open_problem(today)
    if still_open is not None:
        message = _(
            "”%(text)s” kan inte rapporteras ännu: %(problem)s Sidan visar i stället %(default)s."
        ) % {
            "text": text,
            "problem": still_open,
            "default": default.label,
        }
        return _with_following(default, message, today)
    return _with_following(period, "", today)


def _with_following(period: Period, error: str, today: datetime.date) -> PeriodChoice:
    following = period.following()
    return PeriodChoice(period, error, following if following.open_problem(today) is None else None)


def period_parse(text: str | None, today: datetime.date | None = None) -> Period:
    """ "2025-10" (a month) or "2025Q4" (a quarter); by default the previous month."""
    text = (text or "").strip()
    match = _MONTH.match(text)
    if match and 1 <= int(match.group(2)) <= 12:
        year, month = int(match.group(1)), int(match.group(2))
        start = datetime.date(year, month, 1)
        end = datetime.date(year, month, calendar.monthrange(year, month)[1])
        return Period(start, end, Measure.Frequency.MONTHLY, month_label(start), text)
    try:
        quarter = Quarter.parse(text)
    except ValueError:
        first = (today or datetime.date.today()).replace(day=1) - datetime.timedelta(days=1)
        return period_parse(first.strftime("%Y-%m"))
    return Period(
        quarter.start, quarter.end, Measure.Frequency.QUARTERLY, quarter.label, quarter.code
    )


class ObservationCellForm(forms.Form):
    """One unit's value of one measure for the period."""

    # Read as the import reads a file ("1 200", "12,5"); a share is entered as its parts.
    value = NumberField(label=_("Värde"), required=False, max_digits=16, decimal_places=4)
    numerator = NumberField(
        label=_("Täljare"), required=False, max_digits=16, decimal_places=4, part="numerator"
    )
    denominator = NumberField(
        label=_("Nämnare"), required=False, max_digits=16, decimal_places=4, part="denominator"
    )
    comment = forms.CharField(label=_("Kommentar"), required=False, max_length=2000)
    override = forms.BooleanField(label=_("Ersätt importerat värde"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    # After a conflict: the stored version the user has seen beside the cell; the next save
    # writes over that version (and only that one), knowingly.
    overwrite = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(
        self,
        *args: Any,
        measure: Measure,
        existing: Observation | None,
        previous: Decimal | None,
        **kwargs: Any,
    ) -> None:
        self.measure, self.existing, self.previous = measure, existing, previous
        super().__init__(*args, **kwargs)
        # A share is entered as its parts; a weighted mean (an index) as its value and the
        # nämnare it is weighted by (e.g. respondents); anything else as its value.
        if measure.value_type == Measure.ValueType.SHARE:
            del self.fields["value"]
        else:
            # A count is whole: a message's example must not be one the next check refuses.
            self.fields["value"].whole = measure.value_type == Measure.ValueType.COUNT  # type: ignore[attr-defined]
            del self.fields["numerator"]
            if not self.weighted:
                del self.fields["denominator"]
        if not self.imported:
            del self.fields["override"]

    @property
    def weighted(self) -> bool:
        return self.measure.value_type != Measure.ValueType.SHARE and (
            value_rules.weighted_by_denominator(self.measure.aggregation)
        )

    @property
    def imported(self) -> bool:
        return self.existing is not None and self.existing.source not in (
            ImportBatch.Source.MANUAL,
            "",
        )

    @property
    def is_empty(self) -> bool:
        names = ("value", "numerator", "denominator")
        return all(not self.data.get(self.add_prefix(n)) for n in names)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.imported and not data.get("override"):
            raise ValidationError(
                str(ERROR_IMPORTED).format(source=self.existing.get_source_display())  # type: ignore[union-attr]
            )
        kind = self.measure.value_type
        if kind == Measure.ValueType.SHARE:
            num, den = data.get("numerator"), data.get("denominator")
            if self.has_error("numerator") or self.has_error("denominator"):
                return data  # a part that is not a number is said so, not called missing
            if num is None and den is None:
                self.add_error("numerator", ERROR_SHARE_PARTS)
                return data
            problem = value_rules.share_parts_problem(num, den)
            if problem is not None or num is None or den is None:
                if problem is not None:
                    self.add_error(*problem)
                return data
            data["value"] = (Decimal(100) * num / den).quantize(Decimal("0.0001"))
        value = data.get("value")
        if self.has_error("value"):
            return data
        if self.weighted and not self.has_error("denominator"):
            problem = value_rules.share_parts_problem(
                None, data.get("denominator"), weight_alone=True
            )
            if problem is not None:
                self.add_error(*problem)
        if value is None:
            self.add_error("value" if "value" in self.fields else "numerator", _("Ange ett värde."))
            return data
        message = (
            value_rules.count_problem(value)
            if kind == Measure.ValueType.COUNT
            else value_rules.range_problem(kind, value)
        )
        if message is not None:
            self.add_error("value", message)
        self._check_jump(data, value)
        return data

    def _check_jump(self, data: dict[str, Any], value: Decimal) -> None:
        """A value more than GONV_REPORT_JUMP_PCT % from the previous period's, or (replacing
        an imported value) from the value it replaces, needs a comment. The imported value's
        own comment, left in the input, explains that value, not the new one."""
        if self.errors:
            return
        comment = data.get("comment") or ""
        replaced = self.existing.value if self.imported and self.existing is not None else None
        if replaced is not None and comment == (self.existing.comment or ""):  # type: ignore[union-attr]
            comment = ""
        if comment:
            return
        limit = value_rules.jump_limit()
        from_previous = value_rules.jumped(value, self.previous, limit)
        from_replaced = value_rules.jumped(value, replaced, limit)
        if not (from_previous or from_replaced):
            return
        words = {"pct": value_rules.jump_limit_text(limit)}
        if from_previous:
            words["previous"] = self._value_text(self.previous)
        if from_replaced:
            words["replaced"] = self._value_text(replaced)
        message = (
            ERROR_JUMP_BOTH
            if from_previous and from_replaced
            else ERROR_JUMP
            if from_previous
            else ERROR_JUMP_REPLACED
        )
        self.add_error("comment", str(message).format(**words))

    def _value_text(self, value: Decimal | None) -> str:
        """A stored value in a message as the pages write the measure's values: "12 st"."""
        return format_value(value, self.measure.unit, self.measure.value_type)


def _trimmed(value: Decimal | None) -> Decimal | None:
    """A stored value without its trailing zeros, as a person typed it: 54, not 54,0000."""
    if value is None:
        return None
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


# What a cell posts, shown again as typed when the grid is redisplayed without saving.
CELL_FIELDS = ("value", "numerator", "denominator", "comment", "version", "overwrite")


def _stored_text(obs: Observation, measure: Measure) -> str:
    value = format_value(obs.value, measure.unit)
    if measure.value_type == Measure.ValueType.SHARE and obs.denominator:
        parts = f"{format_value(_trimmed(obs.numerator))}/{format_value(_trimmed(obs.denominator))}"
        return f"{value} ({parts})"
    return value


def cell_conflict(
    *, current: Observation | None, since: int, user: Any, measure: Measure
) -> CellConflict:
    """What the grid says beside a cell stored since version `since` (the user's grid's): who
    saved which value, and when."""
    value = _stored_text(current, measure) if current is not None else ""

    def sentence(info: Conflict, when: str, yours: bool) -> str:
        words = {"value": value, "name": info.user_name, "when": when}
        return (
            gettext("Du har själv sparat %(value)s i en annan flik %(when)s.")
            if yours
            else gettext("%(name)s sparade %(value)s %(when)s.")
        ) % words

    return grid.cell_conflict(
        current,
        since=since,
        user=user,
        removed=_("Värdet har tagits bort sedan du öppnade sidan."),
        sentence=sentence,
    )


def closed_period_note(period: Period, count: int | None = None) -> str:
    """The import's note when the period lies in a quarter whose quarterly report is
    Fastställd or Godkänd ("" otherwise): before saving (`count` None) and with the save's
    confirmation (the values saved)."""
    quarter = Quarter.containing(period.end)
    status = closed_quarters(codes=[quarter.code]).get(quarter.code)
    if status is None:
        return ""
    return closed_quarter_note(count, quarter.label, status)


def report_grid_cells(
    *,
    unit: Unit,
    period: Period,
    data: Any = None,
    overriding: Collection[str] = (),
    redisplay: bool = False,
    user: Any = None,
) -> list[dict[str, Any]]:
    """Per measure of the period's frequency, a cell form for each active unit below `unit`
    of a kind the measure expects to report.

    An imported value's cell is read-only (`editable` false) unless its key is in
    `overriding` or its override flag was posted with `data`. With `redisplay`, the posted
    values are shown again as typed (the version included), unvalidated: the grid after
    "Ersätt värdet" without JavaScript, which stores nothing. A posted cell that carries the
    stored version it is to overwrite (after a conflict) says again who saved what.
    """
    units = list(
        Unit.objects.in_subtree(unit).active_on(period.end).select_related("kind").order_by("name")
    )
    kinds = {u.kind_id for u in units}
    measures = list(
        Measure.objects.filter(unit_kinds__in=kinds, frequency=period.frequency)
        .distinct()
        .prefetch_related("unit_kinds")
        .order_by("name")
    )
    existing = {
        (o.measure_id, o.unit_id): o
        for o in Observation.objects.filter(
            measure__in=measures, unit__in=units, period_start=period.start
        )
    }
    previous_period = period.previous()
    previous = {
        (m, u): v
        for m, u, v in Observation.objects.filter(
            measure__in=measures, unit__in=units, period_start=previous_period.start
        ).values_list("measure_id", "unit_id", "value")
    }
    sections = []
    for measure in measures:
        targets = {k.pk for k in measure.unit_kinds.all()}
        rows = []
        for u in units:
            if u.kind_id not in targets:
                continue
            obs = existing.get((measure.pk, u.pk))
            prefix = f"m{measure.pk}u{u.pk}"
            sent = data is not None and any(k.startswith(f"{prefix}-") for k in data)
            initial: dict[str, Any] = {"version": obs.version if obs else 0}
            if obs is not None:
                initial.update(
                    value=_trimmed(obs.value),
                    numerator=_trimmed(obs.numerator),
                    denominator=_trimmed(obs.denominator),
                    comment=obs.comment,
                )
            if redisplay and sent:
                initial.update(
                    {n: data[f"{prefix}-{n}"] for n in CELL_FIELDS if f"{prefix}-{n}" in data}
                )
            form = ObservationCellForm(
                data if sent and not redisplay else None,
                prefix=prefix,
                initial=initial,
                measure=measure,
                existing=obs,
                previous=previous.get((measure.pk, u.pk)),
            )
            row: dict[str, Any] = {
                "unit": u,
                "form": form,
                "existing": obs,
                "key": prefix,
                "previous": previous.get((measure.pk, u.pk)),
                "imported": form.imported,
                "editable": True,
            }
            seen = data.get(f"{prefix}-overwrite", "") if sent else ""
            if str(seen).isdigit():
                since = str(data.get(f"{prefix}-version", "") or "0")
                since_version = int(since) if since.isdigit() else 0
                if (obs.version if obs is not None else 0) != since_version:
                    row["conflict"] = cell_conflict(
                        current=obs, since=since_version, user=user, measure=measure
                    )
            if obs is not None and form.imported:
                posted = sent and bool(data.get(f"{prefix}-override"))
                row.update(
                    editable=posted or prefix in overriding,
                    value_text=format_value(obs.value, measure.unit),
                    source_label=obs.get_source_display(),
                    batch_id=obs.import_batch_id,
                )
                # A screen reader hears, on the inputs, what they replace.
                for f in form.fields.values():
                    if not isinstance(f.widget, forms.HiddenInput):
                        f.widget.attrs["aria-describedby"] = f"{prefix}-source"
            rows.append(row)
        sections.append(
            {
                "measure": measure,
                "name": measure.name,
                "rows": rows,
                "weighted": measure.value_type != Measure.ValueType.SHARE
                and value_rules.weighted_by_denominator(measure.aggregation),
            }
        )
    return sections


def report_grid_save(
    *, user: Any, period: Period, sections: list[dict[str, Any]]
) -> GridResult[Observation]:
    """Save every changed value of a bound reporting grid in one transaction, or none."""
    result: GridResult[Observation] = GridResult()
    changed = []
    for section in sections:
        for row in section["rows"]:
            form = row["form"]
            # The override flag alone changes nothing: "Ersätt värdet" and no new value.
            if not form.is_bound or not set(form.changed_data) - {"override"}:
                form.is_bound = False  # shown as it was, never with errors of its own
                continue
            if (
                row["existing"] is None
                and form.is_empty
                and not form.data.get(form.add_prefix("comment"))
            ):
                form.is_bound = False
                continue  # an untouched empty cell
            changed.append((section["measure"], row))
            if not form.is_valid():
                result.errors[row["key"]] = [e for errs in form.errors.values() for e in errs]
    if result.errors:
        return result
    grid.save_all_or_nothing(
        result,
        changed,
        lambda cell: _save_cell(
            user=user, period=period, measure=cell[0], row=cell[1], result=result
        ),
    )
    return result


def _save_cell(
    *,
    user: Any,
    period: Period,
    measure: Measure,
    row: dict[str, Any],
    result: GridResult[Observation],
) -> None:
    form, unit, existing = row["form"], row["unit"], row["existing"]
    data = form.cleaned_data
    # Saved again after a conflict: over the stored version shown beside the cell, knowingly.
    expected = grid.expected_version(data)
    obs = existing or Observation(measure=measure, unit=unit, period_start=period.start)
    before = copy.copy(existing)
    obs.period_end = period.end
    obs.quarter = Quarter.containing(period.end).code
    stored = (obs.value, obs.numerator, obs.denominator) if existing is not None else None
    obs.value = data["value"]
    obs.numerator = data.get("numerator")
    obs.denominator = data.get("denominator")
    if form.weighted and stored is not None:
        # A weighted mean's weight is kept when its nämnare is left out (value_rules, as the
        # import does); its täljare, unused by the roll-up, stays while value and weight do.
        if value_rules.kept_weight(measure.aggregation, None, obs.denominator, stored[2]):
            obs.denominator = stored[2]
        if (obs.value, obs.denominator) == (stored[0], stored[2]):
            obs.numerator = stored[1]
    obs.comment = data.get("comment") or ""
    # A person's value is manual; one that replaces an imported value says which (the rule the
    # admin and observation_record follow too).
    observation_source_settle(user=user, observation=obs, stored=before)
    if existing is not None:
        obs.version = expected
    # A new value is stored at version 1 (the default), never 0: 0 is what a cell that had no
    # value when the grid was opened posts, so a second tab's save of it is seen as stale.
    try:
        with transaction.atomic():
            if (
                existing is None
                and Observation.objects.filter(
                    measure=measure, unit=unit, period_start=period.start
                ).exists()
            ):
                raise StaleVersion(obs, expected)
            checked_save(
                user=user,
                obj=obs,
                message=gettext(ERROR_OBSERVATION_FORBIDDEN).format(unit=unit.name),
            )
    except StaleVersion:
        current = Observation.objects.filter(
            measure=measure, unit=unit, period_start=period.start
        ).first()
        result.conflicts[row["key"]] = current
        row["conflict"] = cell_conflict(current=current, since=expected, user=user, measure=measure)
        # The cell is shown again as typed, with the stored version beside it: saving again
        # writes over that version; nothing of this request is stored.
        grid.offer_overwrite(form, row["conflict"])
    except ValidationError as error:
        result.errors[row["key"]] = error.messages
        for message in error.messages:
            form.add_error(None, message)
    else:
        result.saved += 1
