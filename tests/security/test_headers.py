"""Finding 11: authenticated pages stay out of shared caches; an untrusted TLS proxy is noticed."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django.fixtures import Settings

from gonv.middleware import UNTRUSTED_PROXY_WARNING


@pytest.mark.parametrize("url", ["/", "/admin/", "/admin/goals/goal/"])
def test_authenticated_pages_are_private_and_not_stored(strategist: User, url: str) -> None:
    client = Client()
    client.force_login(strategist)

    response = client.get(url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_the_login_page_for_anonymous_visitors_keeps_its_own_headers() -> None:
    response = Client().get("/konto/logga-in/")

    assert response.status_code == 200
    assert "private, no-store" not in response.get("Cache-Control", "")


def test_static_files_keep_their_own_cache_for_a_logged_in_user(
    strategist: User, settings: Settings
) -> None:
    # As in production: WhiteNoise answers static files before the session or the user is read.
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:2],
        "whitenoise.middleware.WhiteNoiseMiddleware",
        *settings.MIDDLEWARE[2:],
    ]
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client = Client()
    client.force_login(strategist)

    response = client.get("/static/css/app.css")

    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "no-store" not in response["Cache-Control"]


@pytest.mark.django_db
def test_https_from_an_untrusted_proxy_in_production_is_warned_about_once(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.PRODUCTION = True
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["gonv.example.se"]
    client = Client()

    first = client.get(
        "/konto/logga-in/", HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="gonv.example.se"
    )
    client.get("/konto/logga-in/", HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="gonv.example.se")

    assert first.status_code == 301  # the redirect loop the warning explains
    warnings = [r for r in caplog.records if r.getMessage() == UNTRUSTED_PROXY_WARNING]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


@pytest.mark.django_db
def test_a_trusted_proxy_gives_no_warning(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.PRODUCTION = True
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = ["gonv.example.se"]

    response = Client().get(
        "/konto/logga-in/", HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="gonv.example.se"
    )

    assert response.status_code == 200
    assert UNTRUSTED_PROXY_WARNING not in caplog.text
