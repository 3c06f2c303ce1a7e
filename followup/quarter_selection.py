"""The quarter selector every quarter-dependent page shares: `?kvartal=2025Q4`.

A plain GET form (it works without JavaScript); with htmx it swaps only the page's region and
pushes the URL, so reload and Back give the same state.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django import forms
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from base.periods import FIRST_YEAR, LAST_YEAR, QUARTER_SHAPE, InvalidQuarter, Quarter

from .selectors import computed_quarters

QUARTER_PARAM = "kvartal"
YEAR_OUT_OF_RANGE_MESSAGE = gettext_lazy(
    "”%(text)s” ligger utanför åren %(first)s–%(last)s. Sidan visar i stället %(label)s."
)
INVALID_QUARTER_MESSAGE = gettext_lazy(
    "”%(text)s” är inget kvartal; skriv till exempel 2025Q4. Sidan visar i stället %(label)s."
)


class QuarterForm(forms.Form):
    """Parses `?kvartal=`: "2025Q4" (also "2025-Q4", "2025K4")."""

    kvartal = forms.CharField(required=False, max_length=20)

    def clean_kvartal(self) -> Quarter | None:
        text = self.cleaned_data["kvartal"].strip()
        if not text:
            return None
        try:
            return Quarter.parse(text)
        except InvalidQuarter as error:
            # A quarter of a year out of range ("9999Q4") is told apart from text that is none.
            code = "year" if QUARTER_SHAPE.match(text) else "invalid"
            raise forms.ValidationError(str(error), code=code) from error


@dataclass(frozen=True)
class QuarterSelection:
    """The quarter a page shows, the quarters it can offer, and what to tell the user."""

    quarter: Quarter | None
    computed: list[Quarter] = field(default_factory=list)  # newest first
    error: str = ""
    # The day the page is rendered for: today unless given (a report closed by a command).
    on: datetime.date | None = None
    default: Quarter | None = None  # what the page shows without `?kvartal=`

    @property
    def link_code(self) -> str:
        """What a link to another quarter-dependent page carries as `?kvartal=`: the selected
        quarter where it is not the default, else nothing (the target's default is the same).
        It follows from the quarter, the computed quarters and today, so a region cached on
        those may hold links with it."""
        if self.quarter is None or self.quarter == self.default:
            return ""
        return self.quarter.code

    @property
    def is_computed(self) -> bool:
        """Whether the engine has written results for the selected quarter."""
        return self.quarter is not None and self.quarter in self.computed

    @property
    def has_report(self) -> bool:
        """Whether the selected quarter has a quarterly report to link to: not one before the
        follow-up's first computed quarter (quarter_report_start; quarter_report_views answers
        those 404, "Ingen rapport för …"), nor one that has not started."""
        start = quarter_report_start(self.computed)
        return (
            self.quarter is not None
            and (start is None or self.quarter >= start)
            # A quarter that has not started has no report yet (404, "… har inte börjat").
            and self.quarter.start <= timezone.localdate()
        )

    @property
    def is_ongoing(self) -> bool:
        """Whether the selected quarter has not ended yet: its results cover the periods so far,
        and its changes compare a part of a quarter with whole ones."""
        return self.quarter is not None and self.quarter == Quarter.containing(timezone.localdate())

    @property
    def reference_day(self) -> datetime.date:
        """The day the page counts the days to each deadline from, the day the engine
        evaluates the quarter at: an ended quarter's last day, else today."""
        today = self.on or timezone.localdate()
        return min(self.quarter.end, today) if self.quarter is not None else today

    @property
    def counts_from_quarter_end(self) -> bool:
        """Whether the reference day is the quarter's last day (the quarter has ended)."""
        return self.reference_day < (self.on or timezone.localdate())

    @property
    def ongoing_offer(self) -> Quarter | None:
        """The quarter under way, where it is computed and not the one shown: the page says
        that its results so far are a choice away."""
        current = Quarter.containing(timezone.localdate())
        if self.quarter is None or self.quarter == current or current not in self.computed:
            return None
        return current

    @property
    def choices(self) -> list[Quarter]:
        """What the select offers: the computed quarters, plus the selected one if it is not."""
        if self.quarter is None or self.quarter in self.computed:
            return self.computed
        return sorted([*self.computed, self.quarter], reverse=True)


def quarter_selection(request: HttpRequest) -> QuarterSelection:
    """The selected quarter from `?kvartal=`, else the quarter the dashboards show by default."""
    computed = computed_quarters()
    default = default_quarter(computed)
    form = QuarterForm(data={QUARTER_PARAM: request.GET.get(QUARTER_PARAM, "")})
    if not form.is_valid():
        label = default.label if default else _("inget beräknat kvartal")
        text = request.GET.get(QUARTER_PARAM, "")
        if form.has_error(QUARTER_PARAM, code="year"):
            message = YEAR_OUT_OF_RANGE_MESSAGE % {
                "text": text.strip(),
                "first": FIRST_YEAR,
                "last": LAST_YEAR,
                "label": label,
            }
        else:
            message = INVALID_QUARTER_MESSAGE % {"text": text, "label": label}
        return QuarterSelection(
            quarter=default, computed=computed, error=str(message), default=default
        )
    chosen: Quarter | None = form.cleaned_data[QUARTER_PARAM]
    return QuarterSelection(quarter=chosen or default, computed=computed, default=default)


def with_quarter(url: str, selection: QuarterSelection | None) -> str:
    """`url` with the selection's `kvartal=` where a quarter was chosen (QuarterSelection.
    link_code), after any query it has and before its #fragment; else `url` as it is."""
    code = selection.link_code if selection is not None else ""
    if not code:
        return url
    path, hash_mark, fragment = url.partition("#")
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{QUARTER_PARAM}={code}{hash_mark}{fragment}"


def default_quarter(computed: list[Quarter]) -> Quarter | None:
    """The latest computed quarter that has ended, else the current one (nothing has ended
    yet), else the earliest computed one.

    Follow-up is by quarter: the steering group, the programme areas and the VCs review the
    quarter just ended, so a page opens on whole quarters, not on the first weeks of the one
    under way; that one is a choice away (QuarterSelection.ongoing_offer links to it).
    """
    current = Quarter.containing(timezone.localdate())
    ended = [quarter for quarter in computed if quarter < current]
    if ended:
        return ended[0]
    if current in computed:
        return current
    return computed[-1] if computed else None


def quarter_report_start(computed: list[Quarter]) -> Quarter | None:
    """The first quarter with a quarterly report: the earliest computed one (the follow-up
    starts there; a quarter before it has no results, and its report would be an empty draft
    no list shows). None with nothing computed: no quarter is before the follow-up yet, and a
    report's draft says nothing is computed. A stored report is shown whatever this says."""
    return min(computed) if computed else None
