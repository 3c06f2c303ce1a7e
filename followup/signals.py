"""Recompute triggers: changes to the inputs of the follow-up schedule a recompute on commit.

The receivers only enqueue (through followup.triggers); they write nothing. Bulk writes,
which send no signals, call followup.triggers.request_recompute themselves.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from goals.models import AdoptionRecord, Assessment, Goal
from organisation.models import Unit

from . import selectors, triggers
from .models import Measure, Observation


def _observation_changed(sender: type, instance: Observation, **kwargs: Any) -> None:
    triggers.request_recompute(
        selectors.quarters_affected_from(instance.quarter), trigger="observation"
    )


def _status_input_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    # Goals, adoption, assessments, units and measure rules can change any quarter's result.
    triggers.request_recompute(selectors.quarters_in_scope(), trigger=sender.__name__.lower())


def connect() -> None:
    """Wire the receivers (called from FollowupConfig.ready)."""
    for signal in (post_save, post_delete):
        signal.connect(_observation_changed, sender=Observation, dispatch_uid=f"obs-{signal}")
        for model in (Goal, AdoptionRecord, Assessment, Unit, Measure):
            signal.connect(
                _status_input_changed, sender=model, dispatch_uid=f"{model.__name__}-{signal}"
            )
