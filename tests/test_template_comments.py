"""Template comments that would show on a page.

Django's `{# … #}` comment ends at the end of its line: one spread over two lines is not a
comment at all, and its text (English, meant for developers) is shown to the user as it is,
as it once was above every import preview.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted(
    path
    for folder in (ROOT / "templates", *ROOT.glob("*/templates"))
    for path in folder.rglob("*.html")
    if ".venv" not in path.parts
)


def test_there_are_templates_to_check() -> None:
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_one_line_comment_ends_on_its_line(path: Path) -> None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        opened = line.find("{#")
        assert opened == -1 or "#}" in line[opened:], (
            f"{path.relative_to(ROOT)}:{number}: `{{#` without `#}}` on the same line is shown "
            "on the page; use {% comment %} for a comment over several lines"
        )
