"""Logging in through the login form, as a user does, for the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.factories import TEST_PASSWORD

LOGIN_PATH = "/konto/logga-in/"


def log_in(page: Page, username: str) -> None:
    """Log in with the form and wait until the user has left it for their landing page (a
    refused login stays on the form, so the wait fails the test there, not a step later)."""
    page.goto(LOGIN_PATH)
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(lambda url: LOGIN_PATH not in url)
