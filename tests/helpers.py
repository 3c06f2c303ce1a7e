"""Small helpers shared by the tests: model assertions, and manage.py in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


ROOT = Path(__file__).resolve().parents[1]
SUBPROCESS_TIMEOUT = 300


def base_env(**variables: str) -> dict[str, str]:
    """A bare environment: nothing the settings read leaks in from the test run."""
    env = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    env |= {"LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
    env.update(variables)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run manage.py in the project root with exactly `env`.

    Settings are read from the environment once, at start-up, hence a child process.
    """
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
