"""Sending Celery work, for every app's tasks: queued, or run in-process in the embedded mode."""

from __future__ import annotations

from celery import Signature
from django.conf import settings


def send_or_run(signature: Signature) -> None:
    """Enqueue, or in the embedded mode run in-process (read from Django's settings, so a test
    or the local mode switching it is obeyed even after Celery has been configured)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        signature.apply()
    else:
        signature.apply_async()
