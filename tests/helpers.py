"""Small assertions shared by the model tests."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model

# The six programme areas of Fas 2, as the plan names them.
PHASE2_AREAS = (
    (1, "Teamarbete"),
    (2, "Prevention"),
    (3, "Dokumenterad överenskommelse (DÖ)"),
    (4, "Digitala arbetssätt"),
    (5, "Undvik slutenvård genom proaktiva arbetssätt"),
    (6, "Stegvis vård för psykisk hälsa"),
)


def clean_errors(obj: Model) -> list[str]:
    """The messages full_clean() gives for an object (empty if it is valid)."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        return exc.messages
    return []


def assert_database_refuses(obj: Model) -> None:
    """Saving the object past the form validation still fails in the database."""
    with pytest.raises(IntegrityError), transaction.atomic():
        obj.save()
