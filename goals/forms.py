"""Forms of the goal pages: a goal or milestone by kind, the quarter's assessment, an
adoption grid cell. They validate as the model does, with a Swedish message next to each field.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from django.forms.models import construct_instance
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from base.editing import ChoiceFieldsMixin, VersionField, unique_slug
from base.periods import Quarter, day_label
from programmes.choices import AreaLabels

from .models import (
    ERROR_ACTUAL_FUTURE,
    ERROR_CHANGE_BELOW_ALL,
    ERROR_DEADLINE_REASON,
    ERROR_QUARTER_CLOSED,
    AdoptionRecord,
    Assessment,
    ClosedQuarter,
    Goal,
    Improvement,
    deadline_reason_too_long,
    editable_quarters,
    normalise_deadline_reason,
    phase_hint,
)

COMMON_FIELDS = ("title", "description", "kind", "start_date", "deadline")
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    Goal.Kind.ADOPTION: ("working_method", "unit_kind", "target_share"),
    Goal.Kind.DELIVERABLE: ("completed_on", "evidence_reference", "evidence_url"),
    Goal.Kind.MEASURE: (
        "measure",
        "target_value",
        "relative_change_pct",
        "baseline_start",
        "baseline_end",
        "improvement",
    ),
    Goal.Kind.DIRECTION: (),
}
ALL_KIND_FIELDS = tuple(name for names in KIND_FIELDS.values() for name in names)
# What clean() asks for with each kind, though the fields are not required in Django's sense
# (the kinds share one form): marked so in the label and to assistive technology. A measure
# goal's target is one of two (a value or a change), so neither is marked.
REQUIRED_FOR_KIND: dict[str, tuple[str, ...]] = {
    Goal.Kind.ADOPTION: ("working_method", "unit_kind", "target_share"),
    Goal.Kind.MEASURE: ("measure",),
}

ERROR_REQUIRED = _("Fyll i fältet.")
ERROR_KIND = _("Välj typ av mål.")
ERROR_DEADLINE = _("Ange ett måldatum (inriktningsmål kan sakna måldatum).")
ERROR_ONE_TARGET = _("Ange antingen ett målvärde eller en förändring mot en basperiod, inte båda.")
ERROR_NO_TARGET = _("Ange ett målvärde eller en förändring mot en basperiod.")
ERROR_BASELINE = _("Ange basperiodens start och slut för en relativ förändring.")
ERROR_DATES = _("Måldatum kan inte vara före startdatum.")
ERROR_ACTUAL_NEEDED = _("Ange faktiskt datum när arbetssättet är infört eller utfasat.")
ERROR_PLANNED_NEEDED = _("Ange planerat datum när arbetssättet är planerat.")
# The adoption grid's first status where a unit has no record with a method: the dashboards'
# words for it. Left so, the cell stores nothing.
NO_RECORD_LABEL = _("– Ingen uppgift –")
ERROR_STATUS_NEEDED = _("Välj en status för att spara uppgifterna i cellen.")
# A record once stored is kept (its history with it): the grid has no "Ingen uppgift" for it.
ERROR_STATUS_KEPT = _("En sparad status kan inte tas bort här; välj en status.")

# A number field's digits and range in the app's words, instead of Django's "Säkerställ att det
# inte är mer än 5 siffror totalt." (the column's digits) or "Kontrollera att detta värde är
# mindre än eller lika med 100." (the model's validators).
ERROR_SHARE_RANGE = _("Målandelen ska vara 0–100 %.")
ERROR_SHARE_DECIMALS = _("Målandelen får ha högst 2 decimaler.")
ERROR_TARGET_TOO_LARGE = _("Målvärdet är för stort: högst 10 siffror före decimaltecknet.")
ERROR_TARGET_DECIMALS = _("Målvärdet får ha högst 4 decimaler.")
ERROR_CHANGE_TOO_LARGE = _("Förändringen är för stor: högst 6 siffror före decimaltecknet.")
ERROR_CHANGE_DECIMALS = _("Förändringen får ha högst 2 decimaler.")


class NumberRule:
    """One validator for a decimal field, which says the first thing wrong only: too many
    decimals, below `minimum` or above `maximum`, or too large for the column (max_digits,
    decimal_places). In place of the field's DecimalValidator (and the model's min and max,
    which then never fail): Django runs every validator and would show each of their messages,
    "mer än 5 siffror totalt" beside "mindre än eller lika med 100"."""

    def __init__(
        self,
        *,
        max_digits: int,
        decimal_places: int,
        too_large: Any,
        decimals: Any,
        minimum: Decimal | None = None,
        below: Any = None,
        maximum: Decimal | None = None,
        above: Any = None,
    ) -> None:
        self.whole_limit = Decimal(10) ** (max_digits - decimal_places)
        self.decimal_places = decimal_places
        self.too_large, self.decimals = too_large, decimals
        self.minimum, self.below = minimum, below
        self.maximum, self.above = maximum, above

    def __call__(self, value: Decimal) -> None:
        if not isinstance(value, Decimal) or not value.is_finite():
            return  # the field's to_python refuses what is no number
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > self.decimal_places:
            raise ValidationError(str(self.decimals), code="max_decimal_places")
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(str(self.below), code="min_value")
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(str(self.above), code="max_value")
        if abs(value) >= self.whole_limit:
            raise ValidationError(str(self.too_large), code="max_whole_digits")


def plain_number(value: Decimal) -> str:
    """A decimal as a number input takes it, without trailing zeros: "90", "12.5", "-10"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def use_number_rules(form: forms.BaseForm) -> None:
    """Give a goal form's number fields (this one's and the admin's) the app's messages."""
    rules = {
        "target_share": NumberRule(
            max_digits=5,
            decimal_places=2,
            too_large=ERROR_SHARE_RANGE,
            decimals=ERROR_SHARE_DECIMALS,
            minimum=Decimal(0),
            below=ERROR_SHARE_RANGE,
            maximum=Decimal(100),
            above=ERROR_SHARE_RANGE,
        ),
        "target_value": NumberRule(
            max_digits=14,
            decimal_places=4,
            too_large=ERROR_TARGET_TOO_LARGE,
            decimals=ERROR_TARGET_DECIMALS,
        ),
        "relative_change_pct": NumberRule(
            max_digits=8,
            decimal_places=2,
            too_large=ERROR_CHANGE_TOO_LARGE,
            decimals=ERROR_CHANGE_DECIMALS,
            minimum=Decimal(-100),
            below=ERROR_CHANGE_BELOW_ALL,
        ),
    }
    for name, rule in rules.items():
        field = form.fields.get(name)
        if field is None:
            continue
        field.validators = [v for v in field.validators if not isinstance(v, DecimalValidator)]
        field.validators.append(rule)
        # The model's validators (0–100 for a share) run only on what this rule let through.
        for code, message in (
            ("min_value", rule.below),
            ("max_value", rule.above),
            ("max_digits", rule.too_large),
            ("max_whole_digits", rule.too_large),
            ("max_decimal_places", rule.decimals),
        ):
            if message is not None:
                field.error_messages[code] = message


# The field the reason for a moved deadline is asked in (this form and the admin's).
DEADLINE_REASON_FIELD = "deadline_reason"


def deadline_reason_field() -> forms.CharField:
    """ "Skäl till ändrat måldatum": asked only when a saved goal's deadline changes; stored as
    the reason of the change's history record (services.goal_update), a column of 100
    characters. A longer reason is refused with its length (clean_deadline_reason), never cut:
    the textarea has no maxlength, which would make the browser cut a pasted reason silently."""
    return forms.CharField(
        label=_("Skäl till ändrat måldatum"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        # The limit is DEADLINE_REASON_MAX_LENGTH, written out for the translators.
        help_text=_(
            "Bara när du ändrar måldatumet: varför det flyttas, högst 100 tecken. Det visas "
            "vid målet för styrgruppen, med datum och ditt namn."
        ),
    )


def clean_deadline_reason(form: forms.ModelForm[Any], data: dict[str, Any]) -> None:
    """A form's check that a saved goal whose deadline changes has a reason that fits the
    history (the service asks again when it saves); none is needed when the deadline stays."""
    instance = form.instance
    if instance.pk is None or "deadline" not in data:
        return
    stored, version = Goal.objects.filter(pk=instance.pk).values_list(
        "deadline", "version"
    ).first() or (None, None)
    reason = normalise_deadline_reason(data.get(DEADLINE_REASON_FIELD) or "")
    data[DEADLINE_REASON_FIELD] = reason
    if data["deadline"] == stored:
        return
    opened = data.get("version")
    if opened and opened != version:
        # Saved by someone else since the form was opened: a deadline the user left as it was
        # then is not moved by them (the save keeps the other's, base.editing.merge).
        shown = (
            Goal.history.filter(id=instance.pk, version=opened)
            .order_by("-history_date", "-history_id")
            .values_list("deadline", flat=True)
        )
        if shown.exists() and data["deadline"] == shown.first():
            return
    if not reason:
        form.add_error(DEADLINE_REASON_FIELD, str(ERROR_DEADLINE_REASON))
    elif too_long := deadline_reason_too_long(reason):
        form.add_error(DEADLINE_REASON_FIELD, too_long)


START_EMPTY_HELP = _(
    "Före startdatumet är statusen Ej påbörjat. Lämnas det tomt räknas målet, och den "
    "förväntade takten, från programområdets start."
)
START_EMPTY_HELP_AREA = _(
    "Före startdatumet är statusen Ej påbörjat. Lämnas det tomt räknas målet, och den "
    "förväntade takten, från programområdets start (%(start)s)."
)
START_FROM_GOAL_HELP = _("Ifyllt med det överordnade målets startdatum (%(start)s).")
OWN_AREA_GROUP = _("%(area)s – målets programområde")

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_FORMAT_HINT = _("ÅÅÅÅ-MM-DD, t.ex. 2026-03-31")


class GoalForm(ChoiceFieldsMixin, forms.ModelForm):
    """A goal or milestone: the common fields and those of the chosen kind only."""

    version = VersionField()
    deadline_reason = deadline_reason_field()
    evidence_url = forms.URLField(
        label=Goal._meta.get_field("evidence_url").verbose_name.capitalize(),
        required=False,
        assume_scheme="https",
        max_length=200,
    )

    class Meta:
        model = Goal
        fields = (*COMMON_FIELDS, *ALL_KIND_FIELDS)
        widgets = {
            "start_date": DATE_WIDGET,
            "deadline": DATE_WIDGET,
            "completed_on": DATE_WIDGET,
            "baseline_start": DATE_WIDGET,
            "baseline_end": DATE_WIDGET,
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "target_share": _("Andel av målgruppens enheter i procent, 0–100."),
            "relative_change_pct": _("T.ex. 50 för en ökning med 50 %."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.attrs["data-kind-switch"] = ""
        # A new goal starts on "Välj typ": a kind preselected would be saved unnoticed.
        self.fields["kind"].error_messages["required"] = ERROR_KIND
        self.fields["kind"].error_messages["invalid_choice"] = ERROR_KIND
        hint = phase_hint(self.instance.programme_area_id)
        if hint:
            self.fields["deadline"].help_text = hint
        # Shown for measure goals only; others keep what they have (or the default).
        self.fields["improvement"].required = False
        self.fields["start_date"].help_text = self._start_help()
        # Each date field says how a date is written, as the adoption grid's do (the help is
        # the widget's aria-describedby): a browser without a date picker takes typed text.
        for name in ("start_date", "deadline", "completed_on", "baseline_start", "baseline_end"):
            field = self.fields[name]
            field.help_text = " ".join(
                str(part) for part in (f"{DATE_FORMAT_HINT}.", field.help_text) if part
            )
        use_number_rules(self)
        # A stored 90.00 is shown as typed, 90: the number input would say "90.00" (or "90,00").
        for name in ("target_share", "target_value", "relative_change_pct"):
            stored = self.initial.get(name)
            if isinstance(stored, Decimal) and stored.is_finite():
                self.initial[name] = plain_number(stored)
        for name in ("unit_kind", "measure"):
            self.fields[name].widget.choices = self.fields[name].choices  # type: ignore[attr-defined]
        # The working methods grouped by programme area, the goal's own first (read when the
        # select is rendered): which area's "Teamrond" is which is said, not guessed.
        self.fields["working_method"].widget.choices = self._working_method_groups
        self._mark_required_for_kind()

    def _mark_required_for_kind(self) -> None:
        """The chosen kind's fields that clean() asks for, and the deadline (every kind but a
        direction goal has one), get the attribute `required`: includes/field.html then adds
        "(obligatoriskt)" to the label and a screen reader says "obligatoriskt". The form is
        novalidate, so the browser does not stop a send: the server's message says what is
        missing, as for the other fields."""
        kind = self.chosen_kind
        names = list(REQUIRED_FOR_KIND.get(kind, ()))
        if kind != Goal.Kind.DIRECTION:
            names.append("deadline")
        for name in names:
            self.fields[name].widget.attrs["required"] = True

    def _start_help(self) -> str:
        """What the start date means for the status, and an empty one (Goal.pace_start), after
        where a new milestone's start comes from when it is its goal's (views.goal_create)."""
        area = self.instance.programme_area if self.instance.programme_area_id else None
        if area is not None and area.start_date is not None:
            empty = str(START_EMPTY_HELP_AREA) % {"start": day_label(area.start_date)}
        else:
            empty = str(START_EMPTY_HELP)
        parent = self.instance.parent if self.instance.parent_id else None
        prefilled = self.initial.get("start_date")
        if (
            self.instance.pk is None
            and parent is not None
            and parent.start_date is not None
            and prefilled == parent.start_date
        ):
            goal = str(START_FROM_GOAL_HELP) % {"start": day_label(parent.start_date)}
            return f"{goal} {empty}"
        return empty

    def _working_method_groups(self) -> list[tuple[Any, Any]]:
        field = self.fields["working_method"]
        own = self.instance.programme_area_id
        labels = AreaLabels()
        groups: dict[int, list[tuple[Any, str]]] = {}
        areas: dict[int, Any] = {}
        queryset = field.queryset.select_related("programme_area")  # type: ignore[attr-defined]
        for method in queryset.order_by("programme_area__number", "name", "pk"):
            groups.setdefault(method.programme_area_id, []).append((method.pk, method.name))
            areas[method.programme_area_id] = method.programme_area
        choices: list[tuple[Any, Any]] = []
        empty = getattr(field, "empty_label", None)
        if empty is not None:
            choices.append(("", empty))
        for area_id in sorted(groups, key=lambda pk: pk != own):
            label = labels.area(areas[area_id])
            if area_id == own:
                label = str(OWN_AREA_GROUP) % {"area": label}
            choices.append((label, groups[area_id]))
        return choices

    @property
    def chosen_kind(self) -> str:
        """The kind whose fields the form shows: the submitted one, else the goal's own."""
        value = self.data.get(self.add_prefix("kind")) if self.is_bound else None
        value = value or self.initial.get("kind") or self.instance.kind or ""
        return value if value in KIND_FIELDS else ""

    @property
    def deadline_required(self) -> bool:
        """Whether the chosen kind needs a deadline (not a direction goal)."""
        return self.chosen_kind != Goal.Kind.DIRECTION

    @property
    def chosen_kind_label(self) -> str:
        return str(dict(Goal.Kind.choices).get(self.chosen_kind, "")) if self.chosen_kind else ""

    def common_fields(self) -> list[forms.BoundField]:
        """The common fields; a saved goal's with the reason for a moved deadline after it."""
        names = list(COMMON_FIELDS)
        if self.instance.pk is not None:
            names.insert(names.index("deadline") + 1, DEADLINE_REASON_FIELD)
        return [self[name] for name in names]

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in KIND_FIELDS.get(self.chosen_kind, ())]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind not in KIND_FIELDS:
            return data
        # Fields of the other kinds are cleared: a deliverable keeps no stale target share.
        for name in ALL_KIND_FIELDS:
            if name not in KIND_FIELDS[kind]:
                data[name] = (
                    self.fields[name].to_python(None)
                    if name != "improvement"
                    else (self.instance.improvement or Goal._meta.get_field("improvement").default)
                )
        if kind != Goal.Kind.DIRECTION and not data.get("deadline"):
            self.add_error("deadline", ERROR_DEADLINE)
        clean_deadline_reason(self, data)
        start, deadline = data.get("start_date"), data.get("deadline")
        if start and deadline and deadline < start:
            self.add_error("deadline", ERROR_DATES)
        if kind == Goal.Kind.ADOPTION:
            for name in KIND_FIELDS[kind]:
                if data.get(name) in (None, ""):
                    self._add_unless_refused(name, self._required_message(name))
        if kind == Goal.Kind.MEASURE:
            self._clean_measure(data)
        if not data.get("improvement"):
            data["improvement"] = self.instance.improvement or Improvement.HIGHER
        return data

    def _clean_measure(self, data: dict[str, Any]) -> None:
        """A measure and one target. A number its field refused (too large, say) was given: it
        is not asked for again ("Ange ett målvärde …" under "Målvärdet är för stort"). The
        target's range for the measure, the baseline's order and its end before the deadline
        are Goal.clean's, which the form runs after this (so the admin says the same)."""
        if not data.get("measure"):
            self._add_unless_refused("measure", self._required_message("measure"))
        absolute = data.get("target_value") is not None or self.has_error("target_value")
        relative = data.get("relative_change_pct") is not None or self.has_error(
            "relative_change_pct"
        )
        if absolute and relative:
            self._add_unless_refused("target_value", ERROR_ONE_TARGET)
        elif not absolute and not relative:
            self._add_unless_refused("target_value", ERROR_NO_TARGET)
        if relative:
            for name in ("baseline_start", "baseline_end"):
                if not data.get(name):
                    self._add_unless_refused(name, ERROR_BASELINE)
        else:
            data["baseline_start"] = data["baseline_end"] = None

    def _add_unless_refused(self, name: str, message: Any) -> None:
        """An error for a field that has none yet: one refused already is not also missing."""
        if not self.has_error(name):
            self.add_error(name, message)

    def _required_message(self, name: str) -> str:
        """A select's "Välj arbetssätt." (ChoiceFieldsMixin), another field's "Fyll i fältet."."""
        field = self.fields[name]
        return str(
            field.error_messages["required"]
            if isinstance(field, forms.ModelChoiceField)
            else ERROR_REQUIRED
        )

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        if self.instance.pk is None and not self.instance.code:
            self.instance.code = unique_slug(Goal, self.instance.title, "mal")


class AssessmentForm(ChoiceFieldsMixin, forms.ModelForm):
    """The quarter's assessment of a goal: status and a required comment.

    `quarters` are the quarters it offers (goals.models.assessable_quarters), `closed` those of
    the date's quarters whose report is closed: left out, and said under the select. The
    hidden `shown_quarter` is the quarter the form was rendered for, whose assessment the
    version is of: a save for another quarter (the select changed without loading it) is told
    apart from a save after someone else's (goals.views.goal_assess)."""

    version = VersionField()
    quarter = forms.ChoiceField(label=_("Kvartal"))
    shown_quarter = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Assessment
        fields = ("quarter", "status", "comment")
        widgets = {"comment": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"comment": _("Motivera bedömningen: vad har hänt och vad händer härnäst?")}

    def __init__(
        self,
        *args: Any,
        quarters: list[Quarter] | None = None,
        closed: list[ClosedQuarter] | None = None,
        today: datetime.date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        offered = quarters if quarters is not None else editable_quarters(today)
        self.fields["quarter"].choices = [(q.code, q.label) for q in offered]  # type: ignore[attr-defined]
        # Any other quarter is closed (the services say the same to the admin).
        self.fields["quarter"].error_messages["invalid_choice"] = ERROR_QUARTER_CLOSED
        self.closed = {quarter.code: quarter for quarter in closed or []}
        if closed:
            self.fields["quarter"].help_text = " ".join(quarter.message for quarter in closed)
        self.fields["comment"].required = True
        self.fields["comment"].error_messages["required"] = _(
            "Skriv en kommentar till bedömningen."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A quarter its report has closed says so, not only that it cannot be assessed.
        closed = self.closed.get(str(self.data.get(self.add_prefix("quarter")) or ""))
        if closed is not None and self.has_error("quarter"):
            self.errors["quarter"] = self.error_class([closed.message])
        return data


class AdoptionCellForm(forms.ModelForm):
    """One cell of the adoption grid: a unit's status with one working method."""

    version = VersionField()
    # After a conflict: the stored version the user has seen beside the cell; the next save
    # writes over that version (and only that one), knowingly.
    overwrite = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    class Meta:
        model = AdoptionRecord
        fields = ("status", "planned_date", "actual_date", "comment")
        widgets = {
            "planned_date": DATE_WIDGET,
            "actual_date": DATE_WIDGET,
            # Two lines that wrap: a tablet's narrow column shows a comment, not its first word.
            "comment": forms.Textarea(attrs={"rows": 2, "class": "grid-comment"}),
        }
        # A browser without a date picker, or one showing its own locale's order (mm/dd/yyyy
        # in en-US), leaves the user to type: the format the server reads is said by each input
        # (Django links the help text with aria-describedby).
        help_texts = {"planned_date": DATE_FORMAT_HINT, "actual_date": DATE_FORMAT_HINT}

    def __init__(
        self,
        *args: Any,
        today: datetime.date | None = None,
        unrecorded: bool | None = None,
        **kwargs: Any,
    ) -> None:
        """`unrecorded`: the cell had no record when the user's grid was shown (by default:
        it has none now). It then starts on "– Ingen uppgift –" with empty fields, and is
        unchanged, so stores nothing, while left so; a record stored since is the user's
        conflict only when they set something."""
        self.today = today or timezone.localdate()
        super().__init__(*args, **kwargs)
        self.unrecorded = self.instance.pk is None if unrecorded is None else unrecorded
        status = self.fields["status"]
        if self.unrecorded:
            status.choices = [("", NO_RECORD_LABEL), *AdoptionRecord.Status.choices]  # type: ignore[attr-defined]
            self.initial.update(
                status="", planned_date=None, actual_date=None, comment="", version=0
            )
        status.error_messages["required"] = (
            ERROR_STATUS_NEEDED if self.unrecorded else ERROR_STATUS_KEPT
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        status, actual = data.get("status"), data.get("actual_date")
        if (
            status in (AdoptionRecord.Status.ADOPTED, AdoptionRecord.Status.PHASED_OUT)
            and not actual
        ):
            self.add_error("actual_date", ERROR_ACTUAL_NEEDED)
        # "Planerad" without a date is what the to-do list flags at once. Asked of a cell set to
        # Planerad (or whose date is cleared) only: an older row without one, saved before this
        # check, does not block the grid when the user changes something else.
        if (
            status == AdoptionRecord.Status.PLANNED
            and not data.get("planned_date")
            and {"status", "planned_date"} & set(self.changed_data)
            and not self.has_error("planned_date")
        ):
            self.add_error("planned_date", ERROR_PLANNED_NEEDED)
        if actual and actual > self.today:
            self.add_error("actual_date", ERROR_ACTUAL_FUTURE)
        return data

    def _post_clean(self) -> None:
        # Only carry the values over: the unit and method are the grid's, and the model's
        # checks run once more in the service (this form already says them per field).
        self.instance = construct_instance(self, self.instance, self._meta.fields)
