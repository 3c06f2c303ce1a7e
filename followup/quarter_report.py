"""The quarterly report's body: rendered from the same reads and partials as Portfölj.

The page renders it live while the report is a draft ("Utkast – ändras när underlaget
ändras"); closing the quarter renders it once more and stores the HTML with its SHA-256
(followup.services.quarter_report_close), so the approved report shows exactly what was
approved, whatever data or recomputes change afterwards. The body depends on the organisation,
the quarter and its reference day, never on who renders it: it holds no edit links or other
per-user content. The days to each deadline count from the quarter's reference day (the day
the engine evaluates it at and its status texts count from): an ended quarter's last day, so
a report closed in December counts from 30 September as its status texts do, or today while
the quarter is ongoing.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string

from base.periods import Quarter

from .quarter_selection import QuarterSelection
from .selectors import Organisation, quarter_report_body

REPORT_BODY_TEMPLATE = "followup/quarter_report.html#report-body"


@dataclass(frozen=True)
class RenderedReport:
    """A report body as HTML, its SHA-256 (hex) and when the follow-up it shows was computed."""

    html: str
    sha256: str
    computed_at: datetime.datetime | None


def report_body_context(
    *, organisation: Organisation | None, quarter: Quarter, today: datetime.date
) -> dict[str, Any]:
    """The body partial's context: the quarter shown as a selection (the links to goals and
    measures name it), the day the countdowns count from (the quarter's reference day, its
    last day once it has ended) and the portfolio's reads."""
    day = min(quarter.end, today)
    return {
        "selection": QuarterSelection(quarter=quarter, computed=[quarter], on=today),
        "status_quarter": quarter,
        **quarter_report_body(organisation=organisation, quarter=quarter, today=day),
    }


def sha256_of(html: str) -> str:
    """The SHA-256 of a body's UTF-8 bytes, as stored beside it and shown on the page."""
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def render_report_body(
    *, organisation: Organisation | None, quarter: Quarter, today: datetime.date
) -> RenderedReport:
    """Render the body as it will be frozen (no request: nothing of a user in it)."""
    context = report_body_context(organisation=organisation, quarter=quarter, today=today)
    html = render_to_string(REPORT_BODY_TEMPLATE, context)
    return RenderedReport(html=html, sha256=sha256_of(html), computed_at=context["computed_at"])
