"""The import in a real browser: upload, preview, Importera, the imported value on the Mått
page after the recompute, a bad file's problems, Avbryt, a large file's progress bar that
stops when done; axe-core on every state."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from followup.imports import tasks
from followup.models import ImportBatch, ImportJob, MeasureResult, Observation
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import BrowserErrors
from tests.browser.session import log_in
from tests.followup.imports.world import EXCEL_CSV, CorpusWorld

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

BAD_CSV = "enhet;mått;period;värde\nHC1A;antal;2025-11;45\nHC9;antal;2025-11;sju\n"


def choose_file(page: Page, tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    page.get_by_label("Fil (CSV eller XLSX)").set_input_files(str(path))


def test_upload_preview_and_import_a_swedish_excel_csv(
    page: Page, corpus_world: CorpusWorld, tmp_path: Path, browser_errors: BrowserErrors
) -> None:
    log_in(page, "strateg")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role(
        "link", name="Importera mätvärden"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importera mätvärden")
    assert_accessible(page, "import-upload")

    choose_file(page, tmp_path, "cyklop-dec.csv", EXCEL_CSV.encode("cp1252"))
    page.get_by_role("radio", name="Cyklop").check()
    page.get_by_role("button", name="Kontrollera filen").click()

    expect(page.get_by_role("heading", name="Förhandsgranskning")).to_be_visible()
    # Focus on the result of the check (not left on the body), as for a refused file.
    expect(page.get_by_role("heading", name="Förhandsgranskning")).to_be_focused()
    expect(page.locator(".import-counts")).to_contain_text("Nya värden")
    expect(page.get_by_role("cell", name="Arbetsmiljöindex")).to_be_visible()
    expect(page.get_by_role("cell", name="71,5")).to_be_visible()
    expect(
        page.get_by_role("cell", name=re.compile(r"^Nytt värde: 45\s+st$"))
    ).to_be_visible()  # its unit
    assert not Observation.objects.exists()
    assert_accessible(page, "import-preview")

    page.get_by_role("button", name="Importera").click()

    expect(page.locator("#messages")).to_contain_text("Importen är klar: 2 nya värden.")
    expect(page.get_by_role("button", name="Ångra import")).to_be_visible()
    # The status region was already in the page: the heading takes the focus, described by it.
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_be_focused()
    expect(heading).to_have_accessible_description(re.compile("Importen är klar: 2 nya värden."))
    assert page.evaluate("document.activeElement.id") == "batch-title"
    values = page.get_by_role("table", name="Värden som importen skrev")
    expect(values.get_by_role("cell", name="71,5", exact=True)).to_be_visible()  # not 71,5000
    assert Observation.objects.get(measure__code="index").value == Decimal("71.5")
    assert_accessible(page, "import-batch")

    # "Ångra import" asks first, without JavaScript: the confirmation takes the focus and
    # says what the undo will do; nothing is undone until "Ångra importen".
    page.get_by_role("button", name="Ångra import", exact=True).click()
    confirm = page.get_by_role("heading", name="Ångra importen?")
    expect(confirm).to_be_focused()
    expect(confirm).to_have_accessible_description("2 värden som importen lade till tas bort.")
    expect(page.get_by_role("link", name="Avbryt")).to_be_visible()
    assert Observation.objects.count() == 2
    assert_accessible(page, "import-undo-confirm")
    page.get_by_role("button", name="Ångra importen", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("Importen är ångrad: 2 värden togs bort.")
    expect(heading).to_be_focused()
    expect(heading).to_have_accessible_description(re.compile("Importen är ångrad"))
    assert not Observation.objects.exists()
    assert_accessible(page, "import-undone")
    assert browser_errors.all == []


def test_an_imported_value_reaches_the_measure_page_after_the_recompute(
    page: Page, corpus_world: CorpusWorld, tmp_path: Path, browser_errors: BrowserErrors
) -> None:
    log_in(page, "vec1a")
    page.goto("/importera/")
    choose_file(
        page,
        tmp_path,
        "arbetsmiljo.csv",
        "enhet;mått;period;värde\nHC1A;index;Kv 4 2025;63,5\n".encode(),
    )
    # A VEC's values are their own report: no system to choose (only the strategist names one).
    expect(page.get_by_role("radio")).to_have_count(0)
    expect(page.get_by_text("Värdena sparas som din egen rapportering")).to_be_visible()
    page.get_by_role("button", name="Kontrollera filen").click()
    expect(page.get_by_role("heading", name="Förhandsgranskning")).to_be_visible()
    expect(page.get_by_role("cell", name="63,5")).to_be_visible()

    page.get_by_role("button", name="Importera").click()
    # The recompute runs on commit (eager Celery, as in the embedded mode), before the answer.
    expect(page.locator("#messages")).to_contain_text("Importen är klar: 1 nytt värde.")
    assert MeasureResult.objects.filter(
        measure__code="index", unit__code="HC1A", quarter="2025Q4"
    ).exists()

    page.goto("/matt/index/?enhet=HC1A&kvartal=2025Q4")
    expect(page.get_by_role("heading", level=1)).to_have_text("Arbetsmiljöindex")
    expect(page.get_by_role("heading", name="Hälsocentral Norrby, Kv 4 2025")).to_be_visible()
    expect(page.get_by_label("Enhet")).to_have_value("HC1A")
    table = page.get_by_role("table", name="Per kvartal")
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Kv 4 2025"))
    expect(row.get_by_role("cell").first).to_have_text("63,5")
    expect(page.locator(".headline-value")).to_have_text("63,5")
    assert_accessible(page, "import-measure-page-after-import")
    assert browser_errors.all == []


def test_avbryt_on_the_preview_deletes_the_upload(
    page: Page, corpus_world: CorpusWorld, tmp_path: Path, browser_errors: BrowserErrors
) -> None:
    log_in(page, "strateg")
    page.goto("/importera/")
    choose_file(page, tmp_path, "cyklop-dec.csv", EXCEL_CSV.encode("cp1252"))
    page.get_by_role("radio", name="Cyklop").check()
    page.get_by_role("button", name="Kontrollera filen").click()
    expect(page.get_by_role("heading", name="Förhandsgranskning")).to_be_visible()

    page.get_by_role("button", name="Avbryt").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Importera mätvärden")
    expect(page.locator("#messages")).to_contain_text(
        "Importen avbröts och den uppladdade filen ”cyklop-dec.csv” togs bort."
    )
    assert ImportJob.objects.get().state == ImportJob.State.CANCELLED
    assert not Observation.objects.exists()
    assert_accessible(page, "import-cancelled")
    assert browser_errors.all == []


def test_a_bad_file_shows_its_problems_and_no_import_button(
    page: Page, corpus_world: CorpusWorld, tmp_path: Path, browser_errors: BrowserErrors
) -> None:
    log_in(page, "vc1")
    page.goto("/importera/")
    choose_file(page, tmp_path, "fel.csv", BAD_CSV.encode())
    page.get_by_role("button", name="Kontrollera filen").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Filen har 2 problem och kan inte importeras")
    expect(summary).to_contain_text("Rad 3, kolumn ”enhet”: Enheten ”HC9” finns inte")
    expect(summary).to_contain_text("Rad 3, kolumn ”värde”: ”sju” är inte ett tal")
    expect(summary).to_be_focused()
    expect(page.get_by_role("button", name="Importera")).to_have_count(0)
    assert_accessible(page, "import-problems")
    # Avbryt and the way back to the upload neither overlap nor touch (a focus ring would
    # cover the other) at a desktop's or a tablet's width.
    for width in (1280, 768):
        page.set_viewport_size({"width": width, "height": 900})
        cancel = page.get_by_role("button", name="Avbryt").bounding_box()
        retry = page.get_by_role("link", name="Rätta filen och försök igen").bounding_box()
        assert cancel is not None
        assert retry is not None
        apart = max(
            retry["x"] - (cancel["x"] + cancel["width"]),
            cancel["x"] - (retry["x"] + retry["width"]),
            retry["y"] - (cancel["y"] + cancel["height"]),
            cancel["y"] - (retry["y"] + retry["height"]),
        )
        assert apart >= 8, (width, cancel, retry)
    assert not ImportBatch.objects.exists()
    assert browser_errors.all == []


def test_a_large_file_shows_a_progress_bar_that_stops_when_done(
    page: Page, corpus_world: CorpusWorld, tmp_path: Path, settings: object,
    monkeypatch: pytest.MonkeyPatch, browser_errors: BrowserErrors,
) -> None:  # fmt: skip
    settings.GONV_IMPORT_BACKGROUND_ROWS = 2  # type: ignore[attr-defined]
    queued: list[object] = []
    monkeypatch.setattr(tasks, "send", queued.append)  # a worker that has not started yet
    log_in(page, "strateg")
    page.goto("/importera/")
    choose_file(page, tmp_path, "stor.csv", EXCEL_CSV.encode("cp1252"))
    page.get_by_role("radio", name="Cyklop").check()
    page.get_by_role("button", name="Kontrollera filen").click()

    progress = page.get_by_role("progressbar")
    expect(progress).to_be_visible()
    expect(page.get_by_text("Filen kontrolleras…")).to_be_visible()
    assert_accessible(page, "import-progress")

    queued.pop().apply()  # type: ignore[attr-defined]  # the worker checks the file

    expect(page.get_by_role("heading", name="Förhandsgranskning")).to_be_visible()
    expect(progress).to_have_count(0)
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url))
    page.wait_for_timeout(2500)
    assert polls == []  # polling stopped with the 286 response
    assert browser_errors.all == []


def test_the_batch_page_fits_a_tablet_without_cutting_off_a_column(
    page: Page, corpus_world: CorpusWorld, tmp_path: Path, browser_errors: BrowserErrors
) -> None:
    log_in(page, "strateg")
    page.goto("/importera/")
    content = "enhet;mått;period;värde\nHC1A;antal;2025-11;44\nHC2A;antal;2025-11;3\n"
    choose_file(page, tmp_path, "sandviken-rätt-hjälp-på-en-gång.csv", content.encode())
    page.get_by_role("radio", name="Cyklop").check()
    page.get_by_role("button", name="Kontrollera filen").click()
    page.get_by_role("button", name="Importera").click()
    expect(page.get_by_role("button", name="Ångra import")).to_be_visible()

    for width in (1280, 768):
        page.set_viewport_size({"width": width, "height": 900})
        wrap = page.get_by_role("region", name="Värden som importen skrev")
        # No column behind the scroll shadow: the table is no wider than its wrapper.
        assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth"), width
        header = wrap.get_by_role("columnheader", name="Ändrat efter importen")
        # Below the fold on a short screen is fine (scrolled to); cut off at the side is not.
        header.scroll_into_view_if_needed()
        expect(header).to_be_in_viewport()
        box = header.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= width, (width, box)
        page.screenshot(path=str(tmp_path / f"batch-{width}.png"), full_page=True)
    assert_accessible(page, "import-batch-768")
    assert browser_errors.all == []


def test_the_undo_refusal_is_a_notice_where_the_button_would_be(
    page: Page, corpus_world: CorpusWorld, tmp_path: Path, browser_errors: BrowserErrors
) -> None:
    log_in(page, "vc1")
    for value in (44, 46):  # the second import changes the first's value: it cannot be undone
        page.goto("/importera/")
        content = f"enhet;mått;period;värde\nHC1A;antal;2025-11;{value}\n"
        choose_file(page, tmp_path, f"fil-{value}.csv", content.encode())
        page.get_by_role("button", name="Kontrollera filen").click()
        page.get_by_role("button", name="Importera").click()
        expect(page.get_by_role("button", name="Ångra import")).to_be_visible()
    first = ImportBatch.objects.order_by("pk").first()
    assert first is not None
    page.set_viewport_size({"width": 820, "height": 1000})
    page.goto(f"/importer/{first.pk}/")

    # Where the button would be, as the app's notices are: a box with a coloured edge, not a
    # plain paragraph among the facts; a static note, not an alert.
    note = page.get_by_role("note", name="Ångra import")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Importen kan inte ångras: 1 av dess värden har ändrats")
    expect(page.get_by_role("button", name="Ångra import")).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)
    style = note.evaluate(
        "el => { const s = getComputedStyle(el), b = getComputedStyle(document.body);"
        " return [s.borderLeftWidth, s.backgroundColor !== b.backgroundColor]; }"
    )
    assert style == ["5px", True]
    page.screenshot(path=str(tmp_path / "batch-refused-820.png"), full_page=True)
    assert_accessible(page, "import-batch-refused-820")
    assert browser_errors.all == []
