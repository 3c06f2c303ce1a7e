"""Recompute triggers: changes to the inputs of the follow-up schedule a recompute on commit.

The receivers only enqueue (through followup.triggers); they write nothing. Bulk writes,
which send no signals, call followup.triggers.request_recompute themselves.

Every saved or deleted row of what the dashboards show (the organisation, programmes, goals
and the follow-up's inputs, not the engine's own results) also bumps the dashboards' cache
generation (followup.cache), so a cached page never outlives an edit.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save

from goals.models import AdoptionRecord, Assessment, Goal
from organisation.models import Unit

from . import selectors, triggers
from .cache import bump_generation_on_change
from .models import (
    ComputeRun,
    GoalResult,
    ImportBatch,
    ImportJob,
    Measure,
    MeasureResult,
    Observation,
    PeriodResult,
    RecomputeRequest,
    SpcResult,
)
from .selectors import forget_synthetic_data_presence


def _observation_changed(sender: type, instance: Observation, **kwargs: Any) -> None:
    triggers.request_recompute(
        selectors.quarters_affected_from(instance.quarter), trigger="observation"
    )


def _status_input_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    # Goals, adoption, assessments, units and measure rules can change any quarter's result.
    triggers.request_recompute(selectors.quarters_in_scope(), trigger=sender.__name__.lower())


# The apps whose rows the dashboards show; of followup, not the engine's results (it bumps the
# generation itself after writing them) nor the bookkeeping of imports and recomputes.
DASHBOARD_APPS = ("organisation", "programmes", "goals", "followup")
NOT_SHOWN = (
    ComputeRun,
    GoalResult,
    MeasureResult,
    PeriodResult,
    SpcResult,
    RecomputeRequest,
    ImportJob,
)


def _shown_data_changed(sender: type, **kwargs: Any) -> None:
    bump_generation_on_change()


def _dashboard_models() -> list[type[Model]]:
    models = []
    for label in DASHBOARD_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model in NOT_SHOWN or model.__name__.startswith("Historical"):
                continue
            models.append(model)
    return models


def connect() -> None:
    """Wire the receivers (called from FollowupConfig.ready)."""
    for signal in (post_save, post_delete):
        signal.connect(_observation_changed, sender=Observation, dispatch_uid=f"obs-{signal}")
        # The banner "demodata – syntetiska värden" follows the batches that mark such data.
        signal.connect(
            forget_synthetic_data_presence, sender=ImportBatch, dispatch_uid=f"synth-{signal}"
        )
        for model in (Goal, AdoptionRecord, Assessment, Unit, Measure):
            signal.connect(
                _status_input_changed, sender=model, dispatch_uid=f"{model.__name__}-{signal}"
            )
    for shown in _dashboard_models():
        for signal in (post_save, post_delete, m2m_changed):
            uid = f"dashboards-{shown._meta.label}-{signal}"
            signal.connect(_shown_data_changed, sender=shown, dispatch_uid=uid)
