"""Playwright in Debian's headless Chromium against pytest-django's live server.

Never `playwright install`: the browser is the system's (CHROMIUM, default /usr/bin/chromium).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, sync_playwright
from pytest_django.live_server_helper import LiveServer

from tests.browser.accessibility import assert_accessible

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse the
# ORM calls the tests make to set up data.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole session."""
    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(executable):
        pytest.skip(f"Chromium is not installed at {executable} (set CHROMIUM=/path).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class BrowserErrors:
    """Console errors (CSP violations land here) and uncaught page errors."""

    console: list[str] = field(default_factory=list)
    page: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console.append(message.text)

    def on_page_error(self, error: Error) -> None:
        self.page.append(str(error))

    @property
    def all(self) -> list[str]:
        return self.console + self.page


@pytest.fixture
def browser_errors() -> BrowserErrors:
    return BrowserErrors()


@pytest.fixture
def page(
    browser: Browser, live_server: LiveServer, browser_errors: BrowserErrors
) -> Iterator[Page]:
    """A fresh Swedish-speaking browser context on the live server."""
    context = browser.new_context(
        base_url=live_server.url, locale="sv-SE", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("console", browser_errors.on_console)
    page.on("pageerror", browser_errors.on_page_error)
    yield page
    context.close()


@pytest.fixture
def axe() -> Callable[..., Path]:
    """`axe(page, "name")`: a full-page screenshot, then fail on any WCAG 2.1 A/AA violation
    axe-core finds (tests/browser/accessibility.py)."""
    return assert_accessible
