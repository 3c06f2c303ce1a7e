from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from base.admin import GonvAdmin, adopt_saved
from organisation.admin import ScopedChoicesAdmin
from organisation.selectors import scope_for

from . import services
from .forms import NumberField
from .imports import undo as import_undo
from .models import (
    ComputeRun,
    GoalResult,
    ImportBatch,
    Measure,
    Observation,
    PeriodResult,
    QuarterReport,
    RecomputeRequest,
    SpcResult,
)
from .selectors import organisations


@admin.register(Measure)
class MeasureAdmin(GonvAdmin):
    # What fits at 1280 px; the source and aggregation are filters and on the measure's page.
    list_display = ["name", "code", "value_type", "frequency", "provenance"]
    list_filter = ["value_type", "source", "frequency", "provenance"]
    search_fields = ["name", "code"]
    filter_horizontal = ["programme_areas", "unit_kinds"]


@admin.register(ImportBatch)
class ImportBatchAdmin(GonvAdmin):
    """Import batches, read-only: the import writes them and "Ångra import" reverts one.

    No one adds or changes a batch here (superusers neither), so its counts, "ångrad" and flag
    "syntetiska värden" say what happened, and no history revert rewrites them. Deleting is the
    demo data's batch only, with its values (`import_batch_delete`); a real import's delete is
    refused, pointing to its undo.
    """

    list_display = [
        "created_at", "source", "file_name", "row_count", "created_count", "changed_count",
        "imported_by", "undone_at", "synthetic",
    ]  # fmt: skip
    list_filter = ["source", "synthetic"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def validate_delete(self, request: HttpRequest, obj: ImportBatch) -> None:
        # Said before the delete page and the bulk delete's confirmation, with the way to undo.
        if not obj.synthetic:
            raise ValidationError(
                format_html(
                    '{} <a href="{}">{}</a>',
                    gettext(import_undo.ERROR_BATCH_DELETE_NOT_SYNTHETIC),
                    reverse("import_batch", args=[obj.pk]),
                    gettext("Till importens sida"),
                )
            )

    def delete_object(self, request: HttpRequest, obj: ImportBatch) -> None:
        import_undo.import_batch_delete(user=request.user, batch=obj)


@admin.register(Observation)
class ObservationAdmin(ScopedChoicesAdmin):
    # What fits at 1280 px: a value is for the period that starts then (its end on its page).
    list_display = ["measure", "unit", "period_start", "value", "source"]
    list_filter = ["measure", "source", "quarter"]
    search_fields = ["unit__name", "unit__code"]
    autocomplete_fields = ["unit"]
    list_select_related = ["measure", "unit"]
    unit_scoped_fields = ("unit",)
    # Numbers read as the grid and the import read them, refused in their words ("Talet … är
    # för stort: högst 999 999 999 999."), not Django's "Säkerställ att …".
    formfield_overrides = {
        **GonvAdmin.formfield_overrides,
        models.DecimalField: {"form_class": NumberField},
    }

    # The quarter follows the period (derived by the model); an import batch is set by the
    # import that wrote the value.
    readonly_fields = ["quarter", "import_batch"]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        # Where a value comes from is said by the service (a person's value is manual, one
        # that replaces an imported value says which): only those who edit everything may
        # set it here. A VC re-labelling a value "Cyklop" or "Demodata" is not offered.
        readonly = [*self.readonly_fields]
        if not scope_for(request.user).edits_everything:
            readonly += ["source", "overrides_source"]
        return readonly

    def save_object(self, request: HttpRequest, obj: Observation, change: bool) -> None:
        if change:
            services.observation_update(user=request.user, observation=obj)
            return
        saved = services.observation_record(
            user=request.user,
            measure=obj.measure,
            unit=obj.unit,
            period_start=obj.period_start,
            period_end=obj.period_end,
            value=obj.value,
            numerator=obj.numerator,
            denominator=obj.denominator,
            source=obj.source,
        )
        adopt_saved(obj, saved)

    def delete_object(self, request: HttpRequest, obj: Observation) -> None:
        services.observation_delete(user=request.user, observation=obj)


class ReadOnlyResultAdmin(GonvAdmin):
    """Computed rows: visible for checking, written only by the follow-up job (superusers too)."""

    list_select_related = True

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SpcResult)
class SpcResultAdmin(ReadOnlyResultAdmin):
    list_display = ["measure", "unit", "quarter"]
    list_filter = ["quarter", "measure"]


@admin.register(PeriodResult)
class PeriodResultAdmin(ReadOnlyResultAdmin):
    list_display = ["measure", "unit", "period_start", "value", "reporting_units"]
    list_filter = ["quarter", "measure"]


@admin.register(GoalResult)
class GoalResultAdmin(ReadOnlyResultAdmin):
    list_display = ["goal", "quarter", "status", "progress", "target", "forecast"]
    list_filter = ["quarter", "status"]


# What started a recompute, as the admin shows it (the stored value is a short code).
TRIGGER_LABELS = {
    "observation": _("Ändrat värde"),
    "goal": _("Ändrat mål"),
    "adoptionrecord": _("Ändrad införandestatus"),
    "assessment": _("Ändrad bedömning"),
    "unit": _("Ändrad enhet"),
    "measure": _("Ändrat mått"),
    "change": _("Ändring"),
    "command": _("Kommando"),
    "load_demo": _("Inläsning av data"),
    "schedule": _("Nattlig omräkning"),
    "quarter-start": _("Kvartalsstart"),
    # A migration that adds a computed column marks the quarters whose rows need it.
    "migration": _("Uppdatering av programmet"),
}


def trigger_text(code: str) -> str:
    """What started a recompute, in Swedish (an unknown code is shown as it is)."""
    return str(TRIGGER_LABELS.get(code, code or "–"))


@admin.register(ComputeRun)
class ComputeRunAdmin(ReadOnlyResultAdmin):
    list_display = [
        "quarter",
        "started_at",
        "finished_at",
        "measure_rows",
        "goal_rows",
        "trigger_label",
        "succeeded",
        "error",
    ]
    list_filter = ["quarter", ("error", admin.EmptyFieldListFilter)]

    @admin.display(description=_("orsak"), ordering="trigger")
    def trigger_label(self, obj: ComputeRun) -> str:
        return trigger_text(obj.trigger)

    @admin.display(boolean=True, description=_("lyckades"))
    def succeeded(self, obj: ComputeRun) -> bool:
        return not obj.failed


@admin.register(RecomputeRequest)
class RecomputeRequestAdmin(ReadOnlyResultAdmin):
    """Quarters waiting for a recompute (kept while the broker is down or after a failure)."""

    list_display = ["quarter", "trigger_label", "requested_at", "dispatched_at"]

    @admin.display(description=_("orsak"), ordering="trigger")
    def trigger_label(self, obj: RecomputeRequest) -> str:
        return trigger_text(obj.trigger)


@admin.register(QuarterReport)
class QuarterReportAdmin(ReadOnlyResultAdmin):
    """The quarterly reports, to read: they change only through their transitions on the
    report page (followup.services.quarter_report_*), which check who may close, reopen,
    approve or send back and in which state. No form here writes them, and with no change
    permission the history's revert is refused too (gonv.rules denies add/change/delete)."""

    list_display = ["quarter", "organisation", "status", "closed_by", "closed_at", "approved_by"]
    list_filter = ["quarter", "status"]
    # The frozen body is long HTML: the page shows it; here its hash identifies it.
    fields = [
        "organisation", "quarter", "status", "strategist_comment", "closed_by", "closed_at",
        "approved_by", "approved_at", "approval_note", "returned_by", "returned_at",
        "return_comment", "reopened_by", "reopened_at", "reopen_reason", "content_sha256",
        "content_computed_at", "created_at", "versions_kept",
    ]  # fmt: skip
    readonly_fields = ["versions_kept"]
    # Closing stores the frozen body's hash: its history shows each transition's hash.
    history_extra_fields = ("content_sha256", "content_computed_at")

    def get_list_select_related(self, request: HttpRequest) -> list[str]:
        # The people are nullable: `True` would not follow them (a query per row).
        return ["organisation", "closed_by", "approved_by"]

    @admin.display(description=_("versioner"))
    def versions_kept(self, obj: QuarterReport) -> SafeString | str:
        """Every close's kept body, each linked to the page that shows it (an earlier one on
        its own read-only page, the current one on the report's)."""
        versions = (
            obj.versions.select_related("closed_by", "ended_by")
            .defer("content_html")
            .order_by("number")
        )
        if not versions:
            return "–"
        query = f"?organisation={obj.organisation.code}" if len(organisations()) > 1 else ""
        rows = []
        for version in versions:
            name = "quarter_report_version" if version.ended else "quarter_report_detail"
            kwargs: dict[str, str | int] = {"quarter": obj.quarter}
            if version.ended:
                kwargs["number"] = version.number
            closed = gettext("Version %(number)s, fastställd %(when)s av %(name)s") % {
                "number": version.number,
                "when": date_format(version.closed_at, "j b Y H:i"),
                "name": version.closed_by_name,
            }
            if version.ended_at is not None:
                ended = gettext("%(how)s %(when)s av %(name)s: %(comment)s") % {
                    "how": version.get_ended_as_display(),
                    "when": date_format(version.ended_at, "j b Y H:i"),
                    "name": version.ended_by_name,
                    "comment": version.end_comment,
                }
            else:
                ended = gettext("gällande")
            rows.append((reverse(name, kwargs=kwargs) + query, closed, ended))
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", '<li><a href="{}">{}</a> ({})</li>', rows),
        )
