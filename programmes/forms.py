"""Forms of the programme pages: working methods, activities, support needs and answers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from base.editing import ERROR_COMMENT_TOO_LONG, ChoiceFieldsMixin, VersionField, unique_slug
from organisation.models import Unit

from .choices import AreaLabels, areas_for_units
from .models import (
    Activity,
    ActivityPlan,
    ProgrammeArea,
    SupportingProcess,
    SupportNeed,
    WorkingMethod,
)
from .selectors import delivery_owner_choices, person_label
from .services import ERROR_PLAN_REOPEN_COMMENT, ERROR_PLAN_SEND_BACK_COMMENT

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ERROR_END_BEFORE_START = _("Slutdatum kan inte vara före startdatum.")
# What the VO reports on an approved plan's activity (services.activity_update: progress).
REPORTED_FIELDS = ("status", "status_note", "version")


class WorkingMethodForm(ChoiceFieldsMixin, forms.ModelForm):
    version = VersionField()

    class Meta:
        model = WorkingMethod
        fields = ("name", "description", "direction", "target_unit_kinds")
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "target_unit_kinds": forms.CheckboxSelectMultiple,
        }

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        # A new method's code is made from its name (the form does not ask for one).
        if self.instance.pk is None and not self.instance.code:
            self.instance.code = unique_slug(WorkingMethod, self.instance.name, "arbetssatt")


class PersonChoiceField(forms.ModelMultipleChoiceField):
    """People by full name and username ("Sara Provberg (styrgrupp)")."""

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class ProgrammeAreaForm(forms.ModelForm):
    """What an area's programme owner and the strategist edit on the area's page: its
    description, delivery owners and supporting processes (not its phase, number or name), and
    for those who shape the portfolio (`structure`) whether it asks for activity plans."""

    version = VersionField()
    delivery_owners = PersonChoiceField(
        queryset=None,
        required=False,
        label=_("Leveransansvariga"),
        help_text=_("Medlemmar i HSL styrgrupp som delar leveransansvaret för programområdet."),
        widget=forms.CheckboxSelectMultiple,
    )
    supporting_processes = forms.ModelMultipleChoiceField(
        queryset=SupportingProcess.objects.all(),
        required=False,
        label=_("Stödjande processer"),
        help_text=_("Processer som programområdets arbete hänger ihop med."),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ProgrammeArea
        # The many-to-many fields too, so the save merges each (a whole set) with what
        # others saved since (base.editing.submitted_values); the service writes them.
        fields = (
            "description",
            "delivery_owners",
            "supporting_processes",
            "requests_activity_plans",
        )
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}
        labels = {
            "description": _("Beskrivning"),
            "requests_activity_plans": _("Begär aktivitetsplaner"),
        }

    def __init__(self, *args: Any, structure: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not structure:
            # Structure (services.AREA_STRUCTURE_FIELDS): the strategist's, not the owner's.
            del self.fields["requests_activity_plans"]
        area = self.instance
        owners: Any = self.fields["delivery_owners"]
        owners.queryset = delivery_owner_choices(area)
        if not self.is_bound and area.pk is not None:
            self.initial.setdefault("delivery_owners", list(area.delivery_owners.all()))
            self.initial.setdefault("supporting_processes", list(area.supporting_processes.all()))


class ActivityForm(ChoiceFieldsMixin, forms.ModelForm):
    version = VersionField()

    class Meta:
        model = Activity
        fields = ("title", "responsible", "start_date", "end_date", "status", "status_note")
        # No maxlength on the textarea: a browser would cut a pasted text short without a
        # word; the model's check says how long it is instead (check_status_note_length).
        widgets = {
            "start_date": DATE_WIDGET,
            "end_date": DATE_WIDGET,
            "status_note": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, status_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if status_only:
            # An approved plan's activity: its status and the status description that explains
            # it are reported, the rest was agreed (a disabled field keeps its stored value
            # whatever is posted).
            for name, field in self.fields.items():
                if name not in REPORTED_FIELDS:
                    field.disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", ERROR_END_BEFORE_START)
        return data


class SupportNeedForm(ChoiceFieldsMixin, forms.ModelForm):
    """Raise a support need for one of the user's units.

    The areas offered are those of the units' organisations (and of phases of none), each
    labelled with its organisation when several organisations have plans here; a unit with an
    area of another organisation is refused by the model (models.check_area_organisation).
    """

    class Meta:
        model = SupportNeed
        fields = ("programme_area", "unit", "text")
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}
        labels = {"text": _("Vad behöver du som chef för att implementera detta i din verksamhet?")}

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        area = self.fields["programme_area"]
        area.queryset = areas_for_units(units)  # type: ignore[attr-defined]
        area.label_from_instance = AreaLabels().area  # type: ignore[attr-defined]
        self.fields["text"].error_messages["required"] = _("Beskriv vad du behöver.")


class SupportAnswerForm(ChoiceFieldsMixin, forms.ModelForm):
    """The programme area's answer and the need's status."""

    version = VersionField()

    class Meta:
        model = SupportNeed
        fields = ("status", "response")
        widgets = {"response": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"response": _("Krävs när behovet markeras som besvarat.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Answering a new need is what the form is for: it offers "Besvarat", not "Nytt" (a need
        # left "Nytt" with an answer would still count as unanswered, and is refused).
        if not self.is_bound and self.instance.status == SupportNeed.Status.OPEN:
            self.initial["status"] = SupportNeed.Status.ANSWERED

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == SupportNeed.Status.ANSWERED and not data.get("response"):
            self.add_error("response", _("Skriv svaret innan behovet markeras som besvarat."))
        return data


class SupportNeedCloseForm(forms.ModelForm):
    """ "Avsluta – svaret räcker": the unit closes its answered need, from the version it read
    (the status is the button's, kept in a hidden field for the conflict box)."""

    version = VersionField()

    class Meta:
        model = SupportNeed
        fields = ("status",)
        widgets = {"status": forms.HiddenInput}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].required = False

    def clean_status(self) -> str:
        # Closing is all this form does, whatever is posted.
        return SupportNeed.Status.CLOSED


class PlanReviewForm(forms.ModelForm):
    """The programme area's decision on a submitted plan: approve it or send it back to draft,
    with a comment to the VO (required when sending back).

    The decision is the button pressed (`status`); the conflict box keeps it in a hidden field.
    """

    version = VersionField()
    # The plan's activities as the reviewer saw them (views.activities_seen): the VO may change
    # them without the plan's version moving, and a decision is on what was shown.
    activities_seen = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = ActivityPlan
        fields = ("status", "review_comment")
        widgets = {"review_comment": forms.Textarea(attrs={"rows": 3})}
        labels = {"review_comment": _("Kommentar till verksamheten")}
        error_messages = {"review_comment": {"max_length": ERROR_COMMENT_TOO_LONG}}
        help_texts = {
            "review_comment": _("Frivillig när planen godkänns, krävs när den skickas tillbaka.")
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        status.choices = [  # type: ignore[attr-defined]
            (ActivityPlan.Status.ACCEPTED, _("Godkänn planen")),
            (ActivityPlan.Status.DRAFT, _("Skicka tillbaka för komplettering")),
        ]
        status.error_messages["required"] = _("Välj att godkänna planen eller skicka tillbaka den.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["review_comment"] = (data.get("review_comment") or "").strip()
        if data.get("status") == ActivityPlan.Status.DRAFT and not data["review_comment"]:
            self.add_error("review_comment", _(ERROR_PLAN_SEND_BACK_COMMENT))
        return data


class PlanReopenForm(forms.ModelForm):
    """The programme area reopens an approved plan for change ("Öppna för ändring"), with a
    required comment to the VO on what to change; decided on the version the reviewer saw."""

    version = VersionField()

    class Meta:
        model = ActivityPlan
        fields = ("review_comment",)
        widgets = {"review_comment": forms.Textarea(attrs={"rows": 3})}
        labels = {"review_comment": _("Vad ska verksamheten ändra?")}
        error_messages = {"review_comment": {"max_length": ERROR_COMMENT_TOO_LONG}}
        help_texts = {
            "review_comment": _(
                "Krävs. Verksamhetschefen ser kommentaren på planens sida och under ”Att göra”."
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["review_comment"].required = True
        self.fields["review_comment"].error_messages["required"] = _(ERROR_PLAN_REOPEN_COMMENT)

    def clean_review_comment(self) -> str:
        return (self.cleaned_data.get("review_comment") or "").strip()
