"""The warning before a session ends (WCAG 2.2.1, adjustable time limit): every page of a
logged-in user carries the dialog with the limits it counts down from, and "Fortsätt vara
inloggad" is a POST that keeps the session alive, refused once it has ended."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from gonv.middleware import SESSION_STARTED_KEY
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEEPALIVE = "/konto/fortsatt-inloggad/"


def test_every_page_of_a_logged_in_user_carries_the_warning_with_its_limits(
    client: Client, settings: Settings
) -> None:
    settings.SESSION_COOKIE_AGE = 1800
    settings.SESSION_ABSOLUTE_SECONDS = 12 * 3600
    settings.SESSION_WARNING_SECONDS = 120
    client.force_login(UserFactory())

    page = client.get("/tillganglighet/").content.decode()

    dialog = re.search(r'<dialog id="session-warning"[^>]*>', page, re.S)
    assert dialog is not None
    assert 'data-idle="1800"' in dialog.group(0)
    assert 'data-warning="120"' in dialog.group(0)
    left = int(re.search(r'data-absolute-left="(\d+)"', dialog.group(0)).group(1))  # type: ignore[union-attr]
    assert 12 * 3600 - 60 <= left <= 12 * 3600
    assert "Av säkerhetsskäl loggas alla ut 12 timmar efter inloggningen" in dialog.group(0)
    assert "Fortsätt vara inloggad" in page


def test_the_login_page_has_no_warning(client: Client) -> None:
    assert 'id="session-warning"' not in client.get("/konto/logga-in/").content.decode()


def test_staying_logged_in_renews_the_session(client: Client) -> None:
    client.force_login(UserFactory())

    response = client.post(KEEPALIVE)

    assert response.status_code == 204
    assert "sessionid" in response.cookies  # a new expiry, the idle limit counted from now
    assert client.get("/tillganglighet/").context["user"].is_authenticated


def test_staying_logged_in_is_refused_once_the_session_has_ended(
    client: Client, settings: Settings
) -> None:
    assert client.post(KEEPALIVE).status_code == 401  # never logged in, or idle too long

    client.force_login(UserFactory())
    session = client.session
    session[SESSION_STARTED_KEY] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 5
    session.save()
    assert client.post(KEEPALIVE).status_code == 401  # the absolute limit: nothing extends it
    assert not client.get("/tillganglighet/").context["user"].is_authenticated


def test_staying_logged_in_is_a_post_with_the_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    assert client.get(KEEPALIVE).status_code == 405
    assert client.post(KEEPALIVE).status_code == 403
