"""Finding 6: a mistyped DJANGO_ENV, or DEBUG under production, stops start-up (fails closed).

Settings are read once at start-up, so each case runs `manage.py check` in a child process
with exactly the environment it sets.
"""

from __future__ import annotations

import os
import secrets

import pytest

from tests.helpers import base_env, manage

TEST_DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@localhost:5432/gonv")


def production(**variables: str) -> dict[str, str]:
    defaults = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "gonv.example.se",
        "DATABASE_URL": TEST_DATABASE_URL,
        # The accessibility statement's contact and date (gonv.checks: an error in production).
        "GONV_ACCESSIBILITY_CONTACT_EMAIL": "tillganglighet@region.example.se",
        "GONV_ACCESSIBILITY_STATEMENT_DATE": "2027-01-15",
    }
    return base_env(**(defaults | variables))


@pytest.mark.subprocess
@pytest.mark.parametrize("value", ["prod", "staging", "lokal", "true", "production-eu"])
def test_an_unknown_django_env_stops_start_up_with_a_clear_message(value: str) -> None:
    result = manage("check", env=base_env(DJANGO_ENV=value))

    assert result.returncode != 0
    assert "DJANGO_ENV must be 'local' or 'production'" in result.stderr
    assert repr(value) in result.stderr


@pytest.mark.subprocess
@pytest.mark.parametrize("value", ["true", "1", "yes", "on"])
def test_debug_cannot_be_switched_on_in_production(value: str) -> None:
    result = manage("check", env=production(DJANGO_DEBUG=value))

    assert result.returncode != 0
    assert "DJANGO_DEBUG cannot be on when DJANGO_ENV=production" in result.stderr


@pytest.mark.subprocess
@pytest.mark.parametrize("value", ["production", "PRODUCTION"])
def test_production_spelled_right_starts(value: str) -> None:
    result = manage("check", env=production(DJANGO_ENV=value, DJANGO_DEBUG="false"))

    assert result.returncode == 0, result.stderr


@pytest.mark.subprocess
def test_local_and_unset_start_in_the_local_mode() -> None:
    assert manage("check", env=base_env(DJANGO_ENV="local")).returncode == 0
    assert manage("check", env=base_env()).returncode == 0
