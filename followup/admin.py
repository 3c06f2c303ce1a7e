from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from base.admin import GonvAdmin

from .models import (
    ComputeRun,
    GoalResult,
    ImportBatch,
    Measure,
    Observation,
    PeriodResult,
    RecomputeRequest,
    SpcResult,
)


@admin.register(Measure)
class MeasureAdmin(GonvAdmin):
    list_display = ["name", "code", "value_type", "aggregation", "frequency", "source"]
    list_filter = ["value_type", "source", "frequency"]
    search_fields = ["name", "code"]
    filter_horizontal = ["programme_areas", "unit_kinds"]


@admin.register(ImportBatch)
class ImportBatchAdmin(GonvAdmin):
    list_display = ["created_at", "source", "file_name", "row_count", "imported_by"]
    list_filter = ["source"]


@admin.register(Observation)
class ObservationAdmin(GonvAdmin):
    list_display = ["measure", "unit", "period_start", "period_end", "value", "source"]
    list_filter = ["measure", "source", "quarter"]
    search_fields = ["unit__name", "unit__code"]
    autocomplete_fields = ["unit"]
    list_select_related = ["measure", "unit"]
    # Derived from the period's end by the model; shown, never typed.
    readonly_fields = ["quarter"]


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


@admin.register(ComputeRun)
class ComputeRunAdmin(ReadOnlyResultAdmin):
    list_display = [
        "quarter",
        "started_at",
        "finished_at",
        "measure_rows",
        "goal_rows",
        "trigger",
        "succeeded",
        "error",
    ]
    list_filter = ["quarter", ("error", admin.EmptyFieldListFilter)]

    @admin.display(boolean=True, description=_("lyckades"))
    def succeeded(self, obj: ComputeRun) -> bool:
        return not obj.failed


@admin.register(RecomputeRequest)
class RecomputeRequestAdmin(ReadOnlyResultAdmin):
    """Quarters waiting for a recompute (kept while the broker is down or after a failure)."""

    list_display = ["quarter", "trigger", "requested_at", "dispatched_at"]
