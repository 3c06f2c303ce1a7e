"""Where the keyboard's focus lands, in Chromium: after a refused decision on a quarterly
report (the page opens at #beslut, where the browser skips autofocus) the field in error has
it, with its error as its description, so the error is read and what is typed goes into the
field; a refusal of the state (a stale page) focuses its reason. On a large import's progress
page a focused link keeps the focus through the polls, and only a new quarter of the rows is
said. axe-core on each state."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings

from base.periods import Quarter
from followup import services
from followup.imports import jobs, tasks
from followup.models import ImportJob
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import BrowserErrors
from tests.browser.session import log_in
from tests.followup.dashboard_data import DashboardData, dashboard_data_create
from tests.followup.imports.world import EXCEL_CSV, CorpusWorld

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

QUARTER = Quarter(2025, 4)
REPORT = "/rapporter/2025Q4/"


@pytest.fixture
def data(transactional_db: None) -> DashboardData:
    return dashboard_data_create(vos=2, hcs_per_vo=3, quarters=5, measures=2, goals=2)


def focused(page: Page) -> dict[str, Any]:
    """The element in focus: its id and role attributes, and the text its aria-describedby
    names (what a screen reader reads with it)."""
    return page.evaluate(
        """() => {
          const active = document.activeElement;
          const described = (active.getAttribute("aria-describedby") || "").split(/\\s+/)
            .map((id) => document.getElementById(id)).filter(Boolean)
            .map((element) => element.textContent.replace(/\\s+/g, " ").trim()).join(" ");
          return {id: active.id, tag: active.tagName.toLowerCase(),
                  invalid: active.getAttribute("aria-invalid"), described,
                  role: active.getAttribute("role"), text: active.textContent.trim()};
        }"""
    )


def wait_for_focus_on(page: Page, element_id: str) -> None:
    """The focus is moved once the page has loaded (static/js/editing.js): wait for it."""
    expect(page.locator(f"#{element_id}")).to_be_focused()
    assert focused(page)["id"] == element_id


def refused_at(page: Page, field_id: str, error: str) -> dict[str, Any]:
    """A refused decision: the page opened at its decisions with the field in error focused,
    marked invalid and described by its error (read with it); what is focused, as focused()."""
    expect(page).to_have_url(re.compile(r"/rapporter/2025Q4/#beslut$"))
    wait_for_focus_on(page, field_id)
    state = focused(page)
    assert state["invalid"] == "true"
    assert state["described"].startswith(error)
    return state


def test_a_refused_reopening_focuses_its_reason_with_the_error_as_description(
    page: Page, data: DashboardData, strategist: User, browser_errors: BrowserErrors
) -> None:
    services.quarter_report_close(user=strategist, organisation=None, quarter=QUARTER, version=0)

    log_in(page, "strateg")
    page.goto(REPORT)
    page.get_by_role("button", name="Öppna rapporten igen").click()

    state = refused_at(page, "report-oppna-comment", "Fel: Skriv varför rapporten öppnas igen")
    assert state["tag"] == "textarea"
    reason = page.get_by_label("Varför öppnas rapporten igen? (obligatoriskt)")
    expect(reason).to_have_accessible_description(re.compile("Skriv varför rapporten öppnas"))
    # Typed keys go into the field, not nowhere.
    page.keyboard.type("Fel underlag för PO 2")
    expect(reason).to_have_value("Fel underlag för PO 2")
    assert_accessible(page, "quarter-report-reopen-refused")
    assert browser_errors.all == []


def test_a_refused_approval_and_send_back_focus_the_box_and_the_comment(
    page: Page, data: DashboardData, strategist: User, portfolio_owner: User,
    browser_errors: BrowserErrors,
) -> None:  # fmt: skip
    services.quarter_report_close(user=strategist, organisation=None, quarter=QUARTER, version=0)

    log_in(page, "portfoljagare")
    page.goto(REPORT)
    page.get_by_role("button", name="Godkänn rapporten").click()

    refused_at(page, "report-godkann-confirm", "Fel: Kryssa i att du har läst rapporten")
    assert_accessible(page, "quarter-report-approve-refused")
    page.keyboard.press("Space")  # the key reaches the box
    expect(page.get_by_label("Jag har läst rapporten och godkänner den")).to_be_checked()

    page.goto(REPORT)
    page.get_by_role("button", name="Skicka tillbaka").click()

    refused_at(
        page, "report-skicka-tillbaka-comment", "Fel: Skriv en kommentar om vad som behöver ändras"
    )
    page.keyboard.type("Lägg till PO 3")
    expect(page.get_by_label("Vad behöver ändras? (obligatoriskt)")).to_have_value("Lägg till PO 3")
    assert_accessible(page, "quarter-report-send-back-refused")
    assert browser_errors.all == []


def test_a_decision_refused_on_a_stale_page_focuses_the_reason(
    page: Page, data: DashboardData, strategist: User, browser_errors: BrowserErrors
) -> None:
    log_in(page, "strateg")
    page.goto(REPORT)
    # Meanwhile, in another tab, the strategist closes the quarter and opens it again.
    report = services.quarter_report_close(
        user=strategist, organisation=None, quarter=QUARTER, version=0
    )
    services.quarter_report_reopen(
        user=strategist,
        organisation_id=report.organisation_id,
        quarter=QUARTER,
        version=report.version,
        reason="Fel underlag",
    )
    page.get_by_role("button", name="Stäng kvartalet").click()

    expect(page).to_have_url(re.compile(r"/rapporter/2025Q4/$"))
    wait_for_focus_on(page, "report-error")
    state = focused(page)
    assert state["role"] == "alert"
    assert state["text"].startswith("Du har själv ändrat rapporten (t.ex. i en annan flik)")
    assert_accessible(page, "quarter-report-stale-refused")
    assert browser_errors.all == []


# --- the import's progress ------------------------------------------------------------------


def test_a_focused_link_keeps_the_focus_while_the_progress_is_polled(
    page: Page, corpus_world: CorpusWorld, tmp_path: Path, settings: Settings,
    monkeypatch: pytest.MonkeyPatch, browser_errors: BrowserErrors,
) -> None:  # fmt: skip
    settings.GONV_IMPORT_BACKGROUND_ROWS = 2
    queued: list[Any] = []
    monkeypatch.setattr(tasks, "send", queued.append)  # a worker that has not started yet
    log_in(page, "strateg")
    page.goto("/importera/")
    path = tmp_path / "stor.csv"
    path.write_bytes(EXCEL_CSV.encode("cp1252"))
    page.get_by_label("Fil (CSV eller XLSX)").set_input_files(str(path))
    page.get_by_role("radio", name="Cyklop").check()
    page.get_by_role("button", name="Kontrollera filen").click()
    job = ImportJob.objects.get()

    progress = page.get_by_role("progressbar", name="Filen kontrolleras…")
    expect(progress).to_have_attribute("value", "0")
    expect(progress).to_have_attribute("max", "3")
    announce = page.locator("#job-announce")
    expect(announce).to_have_attribute("role", "status")
    assert page.locator("[aria-live]").count() == 0  # the count is no live region
    refresh = page.get_by_role("link", name="Uppdatera sidan")
    refresh.focus()

    def polls(count: int) -> list[str]:
        """The bodies of the next `count` polls."""
        bodies = []
        for _ in range(count):
            with page.expect_response(
                lambda response: f"/importera/{job.pk}/?sagt=" in response.url
            ) as polled:
                pass
            bodies.append(polled.value.text())
        return bodies

    polls(2)
    assert focused(page)["text"] == "Uppdatera sidan"
    expect(announce).to_be_empty()  # nothing new to say at 0 %

    jobs._progress_setter(job)(2)  # 2 of about 3 rows: a new quarter reached
    said = polls(3)
    expect(announce).to_have_text("Filen kontrolleras: ungefär 50 % klart.")
    assert sum("job-announce" in body for body in said) == 1  # said once, not every second
    expect(page.locator("#job-progress")).to_contain_text("2 av ungefär 3 rader.")
    expect(progress).to_have_attribute("value", "2")
    assert focused(page)["text"] == "Uppdatera sidan"
    assert_accessible(page, "import-progress-polled")

    queued.pop().apply()  # the worker checks the file

    preview = page.get_by_role("heading", name="Förhandsgranskning")
    expect(preview).to_be_focused()  # the outcome takes the focus from the link it replaced
    expect(page.get_by_role("progressbar")).to_have_count(0)
    expect(page.get_by_role("link", name="Uppdatera sidan")).to_have_count(0)
    assert_accessible(page, "import-progress-done")
    assert browser_errors.all == []
