"""axe-core in the browser tests: fail on any WCAG 2.1 A/AA violation, and keep a screenshot.

axe-core is bundled with axe-playwright-python (no download at run time). Use the `axe`
fixture of tests/browser/conftest.py:

    def test_my_page(page, axe):
        page.goto("/matt/")
        axe(page, "matt")            # axe over the whole page + screenshots/matt.png

Screenshots go to GONV_SCREENSHOT_DIR, by default `screenshots/` in the project root (ignored
by git), for a human to look at; the tests never compare them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

# The rules of WCAG 2.0 and 2.1, levels A and AA (axe-core's tags for them).
WCAG_21_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOT_DIR = Path(
    os.environ.get("GONV_SCREENSHOT_DIR")
    or Path(__file__).resolve().parent.parent.parent / "screenshots"
)

_axe = Axe()


@dataclass(frozen=True)
class AxeViolation:
    """One rule broken, with the elements that break it."""

    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        where = "; ".join(self.targets[:5])
        more = f" (+{len(self.targets) - 5} more)" if len(self.targets) > 5 else ""
        return f"{self.rule} [{self.impact}] {self.help}: {where}{more}"


def axe_violations(page: Page, *, context: Any = None) -> list[AxeViolation]:
    """Run axe-core on the page (or a context selector) for WCAG 2.1 A and AA."""
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA_TAGS}, "resultTypes": ["violations"]}
    results = _axe.run(page, context=context, options=options)
    # axe-core sets styles through the CSSOM while it measures (allowed by the CSP) and leaves
    # empty style attributes behind; htmx's settle step would later copy them with
    # setAttribute, which the CSP blocks. Remove them so the page is as the server sent it.
    page.evaluate(
        "() => document.querySelectorAll('[style]').forEach(e => e.removeAttribute('style'))"
    )
    return [
        AxeViolation(
            rule=item["id"],
            impact=item.get("impact") or "",
            help=item["help"],
            targets=[", ".join(node["target"]) for node in item["nodes"]],
        )
        for item in results.response["violations"]
    ]


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as <SCREENSHOT_DIR>/<name>.png."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_accessible(page: Page, name: str, *, context: Any = None) -> Path:
    """Screenshot the page, then fail with every WCAG 2.1 A/AA violation axe-core finds."""
    path = screenshot(page, name)
    violations = axe_violations(page, context=context)
    assert not violations, f"axe-core on {page.url} ({path.name}):\n" + "\n".join(
        f"  - {v}" for v in violations
    )
    return path
