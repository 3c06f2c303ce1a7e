"""The warning before the session ends, in Chromium (WCAG 2.2.1): it opens before the idle
limit with the keyboard's focus on "Fortsätt vara inloggad", which (or Escape) keeps the
session alive and says so; left alone, it says the user has been logged out and offers to log
in again in a new tab, the page and its typing left as they were. axe-core on the dialog."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from tests.browser.accessibility import assert_accessible
from tests.browser.session import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_the_warning_keeps_the_session_alive_or_says_it_has_ended(
    page: Page, settings: Settings
) -> None:
    # Idle limit 12 s, warned 9 s before: the dialog opens some 3 s after a request.
    settings.SESSION_COOKIE_AGE = 12
    settings.SESSION_WARNING_SECONDS = 9
    user = UserFactory()
    log_in(page, user.username)
    page.goto("/tillganglighet/")
    dialog = page.locator("#session-warning")
    extend = dialog.get_by_role("button", name="Fortsätt vara inloggad")

    expect(dialog).to_be_visible(timeout=8_000)
    expect(dialog.get_by_role("heading")).to_have_text("Du loggas snart ut")
    expect(dialog).to_contain_text("Av säkerhetsskäl loggas du ut kl.")
    expect(extend).to_be_focused()
    assert_accessible(page, "session-warning")

    extend.click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#swap-status")).to_have_text("Du är fortfarande inloggad.")

    expect(dialog).to_be_visible(timeout=8_000)  # the limit counted again from the renewal
    page.keyboard.press("Escape")  # the simplest action extends too
    expect(dialog).to_be_hidden()

    expect(dialog).to_be_visible(timeout=8_000)
    # Left alone past the limit: said, not a sudden trip to the login page.
    expect(dialog.get_by_role("heading")).to_have_text("Du har blivit utloggad", timeout=15_000)
    login = dialog.get_by_role("link", name="Logga in igen (öppnas i en ny flik)")
    expect(login).to_be_focused()
    assert "/tillganglighet/" in page.url
