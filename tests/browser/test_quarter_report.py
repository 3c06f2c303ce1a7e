"""The quarterly close in Chromium: the strategist closes the quarter, the portfolio owner
approves the report; axe-core on every state of the page, screenshots at 1280 and 768 px, and
the printed report (print media: the report alone, A4)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from organisation.models import Role
from tests.browser.accessibility import SCREENSHOT_DIR, axe_violations, screenshot
from tests.browser.conftest import BrowserErrors
from tests.browser.test_dashboards import check_page, log_in
from tests.factories import UserFactory
from tests.followup.dashboard_data import DashboardData, dashboard_data_create

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def data(transactional_db: None) -> DashboardData:
    return dashboard_data_create(vos=2, hcs_per_vo=3, quarters=5, measures=2, goals=2)


def check_print(page: Page, name: str) -> None:
    """As printed: the report with its title, organisation, quarter, status and date, and no
    navigation, breadcrumbs or buttons; an A4 PDF and a screenshot for people to look at."""
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator(".report-facts")).to_be_visible()
    for hidden in (".main-nav", ".breadcrumbs", ".report-actions", ".site-footer", ".report-link"):
        for element in page.locator(hidden).all():
            expect(element).to_be_hidden()
    assert page.get_by_role("button").filter(visible=True).count() == 0
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SCREENSHOT_DIR / f"{name}.pdf"), format="A4")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    screenshot(page, f"{name}-print")
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_strategist_closes_the_quarter_and_the_portfolio_owner_approves_the_report(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)
    UserFactory(username="portfoljagare", role=Role.PORTFOLIO_OWNER)

    log_in(page, "strateg")
    page.get_by_role("link", name="Kvartalsrapport för Kv 4 2025").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kvartalsrapport Kv 4 2025")
    expect(page.locator(".report-draft-notice")).to_contain_text(
        "Utkast – ändras när underlaget ändras."
    )
    check_page(page, "quarter-report-draft-strateg", browser_errors)
    check_print(page, "quarter-report-draft-strateg")
    page.get_by_label("Kommentar från strategen (valfri)").fill("PO 2 behöver stöd.")
    page.get_by_role("button", name="Stäng kvartalet").click()

    expect(page.locator("#messages")).to_contain_text("Kvartalet är stängt")
    expect(page.locator(".report-facts")).to_contain_text("Fastställd")
    expect(page.locator(".report-draft-notice")).to_have_count(0)
    expect(page.get_by_role("button", name="Öppna rapporten igen")).to_be_visible()
    check_page(page, "quarter-report-closed-strateg", browser_errors)
    check_print(page, "quarter-report-closed-strateg")
    page.get_by_role("button", name="Logga ut").click()

    log_in(page, "portfoljagare")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role(
        "link", name="Kvartalsrapporter"
    ).click()
    expect(page.get_by_role("row", name=re.compile("Kv 4 2025"))).to_contain_text("Fastställd")
    check_page(page, "quarter-report-list-portfoljagare", browser_errors)
    page.get_by_role("link", name="Kvartalsrapport Kv 4 2025").click()
    expect(page.get_by_role("button", name="Stäng kvartalet")).to_have_count(0)
    check_page(page, "quarter-report-closed-portfoljagare", browser_errors)
    # An approval cannot be undone: without the confirmation it is refused, by the field.
    page.get_by_role("button", name="Godkänn rapporten").click()
    expect(page.locator(".report-facts")).to_contain_text("Fastställd")
    confirm = page.get_by_label("Jag har läst rapporten och godkänner den")
    expect(confirm).to_have_attribute("aria-invalid", "true")
    confirm.check()
    page.get_by_role("button", name="Godkänn rapporten").click()

    expect(page.locator(".report-facts")).to_contain_text("Godkänd")
    expect(page.get_by_role("button")).to_have_count(1)  # "Logga ut"
    assert not axe_violations(page)
    check_page(page, "quarter-report-approved-portfoljagare", browser_errors)
    check_print(page, "quarter-report-approved-portfoljagare")
    assert browser_errors.all == []


def test_sending_back_without_a_comment_says_so_by_the_field(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    from base.periods import Quarter
    from followup import services

    strategist = UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)
    UserFactory(username="portfoljagare", role=Role.PORTFOLIO_OWNER)
    services.quarter_report_close(
        user=strategist, organisation=None, quarter=Quarter(2025, 4), version=0
    )

    log_in(page, "portfoljagare")
    page.goto("/rapporter/2025Q4/")
    page.get_by_role("button", name="Skicka tillbaka").click()

    field = page.get_by_label("Vad behöver ändras? (obligatoriskt)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error")).to_contain_text("Skriv en kommentar")
    check_page(page, "quarter-report-send-back-error", browser_errors)
    # The refusal redirects to the report (at its decision): reloading it posts nothing again
    # and shows the report without the refusal, which was said once.
    expect(page).to_have_url(re.compile(r"/rapporter/2025Q4/#beslut$"))
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kvartalsrapport Kv 4 2025")
    expect(page.locator(".field-error")).to_have_count(0)
    assert browser_errors.all == []


def test_portfolio_hands_the_report_over_between_strategist_and_portfolio_owner(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)
    UserFactory(
        username="portfoljagare",
        first_name="Pia",
        last_name="Portfölj",
        role=Role.PORTFOLIO_OWNER,
    )

    log_in(page, "strateg")
    page.goto("/")
    page.get_by_role("link", name="öppna kvartalsrapporten").click()
    page.get_by_role("button", name="Stäng kvartalet").click()
    expect(page.locator("#messages")).to_contain_text("Kvartalet är stängt")
    page.get_by_role("button", name="Logga ut").click()

    log_in(page, "portfoljagare")
    page.goto("/")
    waiting = page.get_by_role("link", name="Kvartalsrapporten för Kv 4 2025 väntar på ditt")
    expect(waiting).to_be_visible()
    check_page(page, "portfolio-report-waiting-portfoljagare", browser_errors)
    waiting.click()
    page.get_by_label("Vad behöver ändras? (obligatoriskt)").fill("Förklara PO 1.")
    page.get_by_role("button", name="Skicka tillbaka").click()
    page.get_by_role("button", name="Logga ut").click()

    log_in(page, "strateg")
    page.goto("/")
    expect(page.locator(".report-notices")).to_contain_text(
        "Kvartalsrapporten för Kv 4 2025 skickades tillbaka av Pia Portfölj"
    )
    expect(page.locator(".report-notices")).to_contain_text("”Förklara PO 1.”")
    check_page(page, "portfolio-report-returned-strateg", browser_errors)
    assert browser_errors.all == []


# Printed type, in points (CSS px × 0.75), as Chromium computes it in print media.
PRINTED_SIZES = """() => {
  const pt = el => parseFloat(getComputedStyle(el).fontSize) * 0.75;
  const notes = '.cell-note, .muted, .sparkline-empty, .measure-meta';
  const cells = [...document.querySelectorAll('.data-table td, .data-table th')];
  return {
    body: pt(document.body),
    cells: cells.map(pt),
    notes: cells.flatMap(cell => [...cell.querySelectorAll(notes)].map(
      note => [pt(note), pt(cell), note.textContent.trim()])),
  };
}"""


@pytest.mark.parametrize("path", ["/rapporter/2025Q4/", "/"], ids=["report", "portfolio"])
def test_printed_tables_are_readable_and_their_notes_smaller_than_their_values(
    page: Page, data: DashboardData, path: str
) -> None:
    UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)
    log_in(page, "strateg")
    page.goto(path)
    page.emulate_media(media="print")

    sizes = page.evaluate(PRINTED_SIZES)

    assert 10 <= sizes["body"] <= 11
    assert sizes["cells"]
    assert min(sizes["cells"]) >= 9
    assert sizes["notes"]  # "30 av 30 varje månad", "om 30 dagar", "inga värden"
    for note, value, said in sizes["notes"]:
        assert 7.5 <= note < value, said
    name = f"print-sizes-{'report' if 'rapporter' in path else 'portfolio'}"
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SCREENSHOT_DIR / f"{name}.pdf"), format="A4")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    screenshot(page, name)


def test_a_reopened_reports_earlier_version_is_listed_and_opens_read_only(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    """The strategist reopens a closed report: the steering group finds the version it was
    shown under the quarter in the list, opens it (marked as an earlier version, on screen and
    in print) and goes from it to the report as it is now."""
    UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)
    UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)

    log_in(page, "strateg")
    page.goto("/rapporter/2025Q4/")
    page.get_by_role("button", name="Stäng kvartalet").click()
    page.get_by_label("Varför öppnas rapporten igen? (obligatoriskt)").fill("Fel i PO 2.")
    page.get_by_role("button", name="Öppna rapporten igen").click()
    expect(page.locator("#messages")).to_contain_text("Rapporten är öppnad igen")
    expect(page.get_by_role("link", name="Visa version 1 som den fastställdes")).to_be_visible()
    page.get_by_role("button", name="Logga ut").click()

    log_in(page, "styrgrupp")
    page.goto("/rapporter/")
    earlier = page.get_by_role("row", name=re.compile("Tidigare version 1"))
    expect(earlier).to_contain_text("öppnad igen")
    expect(earlier).to_contain_text("Fel i PO 2.")
    check_page(page, "quarter-report-list-versions-styrgrupp", browser_errors)
    earlier.get_by_role("link").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Kvartalsrapport Kv 4 2025, tidigare version 1"
    )
    expect(page.locator(".report-superseded-notice")).to_contain_text(
        "Tidigare version – ersatt när rapporten öppnades igen"
    )
    expect(page.get_by_role("button")).to_have_count(1)  # "Logga ut"
    check_page(page, "quarter-report-version-styrgrupp", browser_errors)
    check_print(page, "quarter-report-version-styrgrupp")
    page.emulate_media(media="print")
    expect(page.locator(".report-superseded-notice")).to_be_visible()
    page.emulate_media(media="screen")
    page.get_by_role("link", name="Gå till den gällande kvartalsrapporten").click()
    expect(page.locator(".report-draft-notice")).to_contain_text("Utkast")
    assert browser_errors.all == []
