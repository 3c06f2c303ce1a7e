"""The warning before the session ends, in Chromium (WCAG 2.2.1): it opens before the idle
limit with the keyboard's focus on "Fortsätt vara inloggad", which (or Escape) keeps the
session alive and says so; left alone, it says the user has been logged out and offers to log
in again in a new tab, the page and its typing left as they were. axe-core on the dialog. Every
request the server answers counts as activity, a script's fetch() as well as htmx's; an answer
that says the session has ended does not."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import Locator, Page, expect
from pytest_django.fixtures import Settings

from tests.browser.accessibility import assert_accessible
from tests.browser.session import LOGIN_PATH, log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def dialog(page: Page, settings: Settings) -> Locator:
    """A logged-in user's page with an idle limit of 12 s, warned 9 s before: the dialog opens
    some 3 s after the last request."""
    settings.SESSION_COOKIE_AGE = 12
    settings.SESSION_WARNING_SECONDS = 9
    user = UserFactory()
    log_in(page, user.username)
    page.goto("/tillganglighet/")
    return page.locator("#session-warning")


def test_the_warning_keeps_the_session_alive_or_says_it_has_ended(
    page: Page, dialog: Locator
) -> None:
    extend = dialog.get_by_role("button", name="Fortsätt vara inloggad")

    expect(dialog).to_be_visible(timeout=8_000)
    expect(dialog.get_by_role("heading")).to_have_text("Du loggas snart ut")
    expect(dialog).to_contain_text("Av säkerhetsskäl loggas du ut kl.")
    expect(extend).to_be_focused()
    assert_accessible(page, "session-warning")

    # What the live region is given, each time anew (a screen reader says each addition).
    page.evaluate("""() => {
        window.__said = [];
        const status = document.getElementById("swap-status");
        new MutationObserver(() => {
            if (status.textContent) window.__said.push(status.textContent);
        }).observe(status, {childList: true, characterData: true, subtree: true});
    }""")
    extend.click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#swap-status")).to_have_text("Du är fortfarande inloggad.")

    expect(dialog).to_be_visible(timeout=8_000)  # the limit counted again from the renewal
    page.keyboard.press("Escape")  # the simplest action extends too
    expect(dialog).to_be_hidden()
    # Said again, though the region already held the same words.
    page.wait_for_function("() => window.__said.length === 2")
    assert page.evaluate("window.__said") == ["Du är fortfarande inloggad."] * 2

    expect(dialog).to_be_visible(timeout=8_000)
    # Left alone past the limit: said, not a sudden trip to the login page.
    expect(dialog.get_by_role("heading")).to_have_text("Du har blivit utloggad", timeout=15_000)
    login = dialog.get_by_role("link", name="Logga in igen (öppnas i en ny flik)")
    expect(login).to_be_focused()
    assert "/tillganglighet/" in page.url


def test_a_scripts_requests_count_until_the_session_has_ended(page: Page, dialog: Locator) -> None:
    # fetch() from the page keeps the session alive on the server, so it puts the warning off.
    for _ in range(5):
        page.wait_for_timeout(1_000)
        assert page.evaluate("fetch('/tillganglighet/').then((r) => r.status)") == 200
    expect(dialog).to_be_hidden()

    # Ended on the server (as by a logout in another tab): answers that say so put nothing off.
    Session.objects.all().delete()
    keepalive = """() => {
        const dialog = document.getElementById("session-warning");
        return fetch(dialog.dataset.keepaliveUrl, {
            method: "POST", headers: {"X-CSRFToken": dialog.dataset.csrf},
        }).then((r) => r.status);
    }"""
    for _ in range(5):
        page.wait_for_timeout(1_000)
        assert page.evaluate(keepalive) == 401
        assert page.evaluate("fetch('/').then((r) => new URL(r.url).pathname)") == LOGIN_PATH
    assert dialog.is_visible()  # on time, some 3 s after the last request that counted
