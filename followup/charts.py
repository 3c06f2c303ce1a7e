"""Geometry of the server-rendered SVG charts, from the stored SPC summaries and goal results.

Pure Python: no Django, no database. The template tags in
``gonv/templatetags/followup_charts.py`` turn these frozen dataclasses into SVG through
templates; everything here is plain numbers and strings, so it is unit-tested without a page.
Coordinates are in the SVG's user units (its viewBox); the SVG scales to its container.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from typing import Any

from base.formatting import (
    format_count_level,
    format_number,
    format_set_level,
    format_share,
    quantum,
)
from base.periods import MONTHS_SV, Quarter, month_label, quarter_label

from .spc import Reasons, stored_incomplete, stored_reasons

# The point types of followup.spc, as the summary stores them.
COMMON_CAUSE = "common_cause"
IMPROVEMENT = "improvement"
CONCERN = "concern"
NEITHER = "neither"
POINT_TYPES = (COMMON_CAUSE, IMPROVEMENT, CONCERN, NEITHER)
# How a point is drawn: its type, except that a point flagged on both its better and its worse
# side is drawn as a conflict (its stored type is improvement, as in MDC's Excel tool).
CONFLICT = "conflict"
# A period only some of the expected units have reported: drawn as a hollow ring, not judged.
INCOMPLETE = "incomplete"
POINT_KINDS = (COMMON_CAUSE, IMPROVEMENT, CONCERN, CONFLICT, NEITHER, INCOMPLETE)

SPARKLINE_DEFAULT_PERIODS = 12
# A target further off the data than this many times the data's range is drawn off the scale.
TARGET_REACH = 1.0
# The margin added above or below the plot for an off-scale target's marker and name.
OFF_SCALE_ROOM = 18.0
# The least distance between two lines' names (the labels are 12 units high).
LABEL_GAP = 14.0


@dataclass(frozen=True)
class Frame:
    """The drawing area: the SVG's size and the plot's margins inside it."""

    width: float = 720
    height: float = 300
    left: float = 72
    right: float = 96
    top: float = 16
    bottom: float = 44

    @property
    def plot_left(self) -> float:
        return self.left

    @property
    def plot_right(self) -> float:
        return self.width - self.right

    @property
    def plot_top(self) -> float:
        return self.top

    @property
    def plot_bottom(self) -> float:
        return self.height - self.bottom

    @property
    def y_label_x(self) -> float:
        """Where the y axis' labels end (right-aligned, left of the plot)."""
        return self.left - 6

    @property
    def x_label_y(self) -> float:
        """The baseline of the x axis' labels, under the plot."""
        return self.plot_bottom + 20

    @property
    def tick_end(self) -> float:
        return self.plot_bottom + 5

    @property
    def line_label_x(self) -> float:
        """Where a horizontal line's name starts, right of the plot."""
        return self.plot_right + 4

    @property
    def marker_end(self) -> float:
        """Where an off-scale target's short line ends and (a little after) its name starts."""
        return self.plot_left + 28

    @property
    def marker_label_x(self) -> float:
        return self.plot_left + 34

    @property
    def plot_width(self) -> float:
        return self.plot_right - self.plot_left

    @property
    def plot_height(self) -> float:
        return self.plot_bottom - self.plot_top


SPC_FRAME = Frame()
SPARKLINE_FRAME = Frame(width=120, height=32, left=4, right=8, top=4, bottom=4)
# A chart label's character at 12 px, generously (0.6 em, the chart font's average): what the
# margins are sized by.
LABEL_CHAR_WIDTH = 7.2
# Room right of the plot for the target line's name: "Mål 1 234,5 st" at 12 px (64 cut
# "Mål 340 st" to "Mål 340 s").
STATUS_FRAME = Frame(width=520, height=170, left=48, right=108, top=12, bottom=64)


@dataclass(frozen=True)
class Tick:
    """An axis tick: its position along the axis and its label; a period's tick has the year
    as a second line where the year begins, or at the first tick ("jan" / "2025")."""

    position: float
    label: str
    year: str = ""


@dataclass(frozen=True)
class ChartPoint:
    """One period's value on the chart, with the SPC verdict the engine gave it."""

    period: datetime.date
    value: float
    type: str
    rules: tuple[str, ...]
    x: float
    y: float
    label: str  # the period, "okt 2025" or "Kv 4 2025"
    value_label: str  # the value as a user reads it, "54,3 %"
    # Each rule with the side it flags the point on (followup.spc.reasons); None for a chart
    # stored before the signals had sides, whose text then names the rules only.
    reasons: Reasons | None = None
    # (reporting, expected) units of a period only some of them reported: not judged.
    incomplete: tuple[int, int] | None = None

    @property
    def is_signal(self) -> bool:
        """Whether a special-cause rule flags the point."""
        return self.type != COMMON_CAUSE

    @property
    def verdict(self) -> str:
        """What the text says of the point: its type, or "conflict" where rules flag it on
        both its better and its worse side."""
        return self.reasons.verdict if self.reasons is not None else self.type

    @property
    def kind(self) -> str:
        """How the point is drawn: its verdict. A conflict gets a marker of its own rather than
        the Excel tool's improvement, so that a point below the lower limit of a measure where
        higher is better never looks like an improvement. A point over only some of the units
        is drawn as incomplete, whatever its type."""
        if self.incomplete is not None:
            return INCOMPLETE
        return self.verdict if self.verdict in POINT_KINDS else self.type

    @property
    def shape(self) -> str:
        """The marker shape, so that a signal shows without colour (and in black and white)."""
        return {
            COMMON_CAUSE: "circle",
            IMPROVEMENT: "square",
            CONCERN: "triangle",
            CONFLICT: "hourglass",
            NEITHER: "diamond",
            INCOMPLETE: "ring",
        }.get(self.kind, "circle")

    @property
    def marker_points(self) -> str:
        """The polygon of a square, triangle or diamond marker around (x, y)."""
        r = 6.0 if self.is_signal else 3.5
        x, y = self.x, self.y
        if self.shape == "square":
            corners = [(x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)]
        elif self.shape == "triangle":
            h = r * 1.2
            corners = [(x, y - h), (x + h, y + h * 0.8), (x - h, y + h * 0.8)]
        elif self.shape == "diamond":
            h = r * 1.25
            corners = [(x, y - h), (x + h, y), (x, y + h), (x - h, y)]
        else:  # a circle, or a conflict's hourglass (conflict_halves)
            return ""
        return " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in corners)

    @property
    def conflict_halves(self) -> tuple[str, str]:
        """A conflict's hourglass as two triangles meeting at (x, y): the upper one in the
        colour of improvement, the lower one in that of concern."""
        r = 6.5
        x, y = self.x, self.y

        def polygon(corners: list[tuple[float, float]]) -> str:
            return " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in corners)

        return (
            polygon([(x - r, y - r), (x + r, y - r), (x, y)]),
            polygon([(x, y), (x + r, y + r), (x - r, y + r)]),
        )

    @property
    def radius(self) -> float:
        if self.incomplete is not None:
            return 4.5
        return 6.0 if self.is_signal else 3.5


@dataclass(frozen=True)
class Line:
    """A horizontal line across the plot: centre line, a limit, a two-sigma line or the target."""

    kind: str  # mean, median, upper_limit, lower_limit, upper_two_sigma, lower_two_sigma, target
    value: float
    y: float
    value_label: str  # the value as users read it, "80 %"; the template names the line
    # Where the line's name sits: moved apart from its neighbours' so that none overlap.
    label_y: float = 0.0
    # "above" or "below" when the value lies so far off the data that drawing it to scale
    # would flatten the series; it is then a marker in a margin outside the plot (at y), named
    # as off the scale, never a line at a height that would read as another value.
    off_scale: str = ""


@dataclass(frozen=True)
class SpcChart:
    """An SPC (XmR) chart, or a run chart when there are too few points for limits."""

    frame: Frame
    points: tuple[ChartPoint, ...]
    lines: tuple[Line, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    path: str
    limits_available: bool
    message: str | None
    variation: str | None
    assurance: str | None
    quarterly: bool

    @property
    def is_run_chart(self) -> bool:
        """Fewer points than the engine needs for limits: a run chart, no limits."""
        return not self.limits_available

    @property
    def is_empty(self) -> bool:
        return not self.points

    @property
    def signals(self) -> tuple[ChartPoint, ...]:
        return tuple(point for point in self.points if point.is_signal)

    @property
    def point_kinds(self) -> tuple[str, ...]:
        """The kinds of marker drawn, in a fixed order (the legend shows only these)."""
        present = {point.kind for point in self.points}
        return tuple(kind for kind in POINT_KINDS if kind in present)

    @property
    def incomplete_points(self) -> tuple[ChartPoint, ...]:
        """The points over only some of the units expected, which the rules do not judge."""
        return tuple(point for point in self.points if point.incomplete is not None)

    @property
    def has_conflict(self) -> bool:
        """Whether a point is flagged on both its better and its worse side."""
        return CONFLICT in self.point_kinds

    @property
    def line_kinds(self) -> tuple[str, ...]:
        return tuple(line.kind for line in self.lines)


@dataclass(frozen=True)
class Sparkline:
    """The last periods of a series as a small line, with its latest point marked."""

    frame: Frame
    path: str
    points: tuple[ChartPoint, ...]
    last: ChartPoint | None
    # Quarters rather than months: the caption says which ("Kvartalsvärden t.o.m. Kv 3 2026").
    quarterly: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.points


@dataclass(frozen=True)
class StatusColumn:
    """One quarter of a goal: its status and, where the goal is measured, its progress bar."""

    quarter: str
    label: str  # "Kv 4 2025"
    status: str | None
    progress: float | None
    progress_label: str
    x: float
    width: float
    bar_top: float | None
    bar_height: float
    cell_y: float
    # The status is a manual assessment made in the quarter (a goal the engine gives no status
    # of its own: a direction goal), not one the engine computed.
    assessed: bool = False
    # The period the progress is the value of, where that is not the quarter: a monthly
    # measure's goal is judged on its latest month ("sep 2026"), a quarterly one's on an
    # earlier quarter while its own has no value.
    period_label: str = ""

    @property
    def progress_text(self) -> str:
        """The progress with its period, "sep 2026: 18,4 %"; the value alone for the quarter's
        own ("92,3 %"); "" for none."""
        if not self.progress_label or not self.period_label:
            return self.progress_label
        return f"{self.period_label}: {self.progress_label}"

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 2)

    @property
    def label_lines(self) -> tuple[str, str]:
        """The label on two lines under the column, ("Kv 4", "2025"): narrow columns fit."""
        head, _, year = self.label.rpartition(" ")
        return (head, year) if head else (self.label, "")


@dataclass(frozen=True)
class StatusChart:
    """A goal's status per quarter: a cell per quarter, bars of progress and the target line."""

    frame: Frame
    columns: tuple[StatusColumn, ...]
    target: Line | None
    y_ticks: tuple[Tick, ...]
    has_progress: bool
    cell_height: float
    # "month": the progress is a monthly measure's latest month in the quarter, not the
    # quarter's value (the measure tables' "Värde för kvartalet"): the table says so.
    period: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.columns


# --- formatting -------------------------------------------------------------------------------


# Units that name a scale rather than a quantity: a value on it is a plain number ("67,3", not
# "67,3 index"); the heading names the scale, as it does the measure.
SCALE_UNITS = frozenset({"index"})

# The decimals a value of each kind of measure (Measure.ValueType) is written with, so that one
# column of one measure never mixes "72,2" and "72,08": an index one decimal, as Swedish survey
# reports write one (the measure has no decimals of its own to ask); a mean one; a count none.
# A share is written by format_share to one decimal, "17,0 %" too, so that a column never
# mixes "17 %" and "17,6 %"; a target or an axis tick as it was set ("100 %", target_text).
# The one rule for every table and chart that shows a measure's value.
KIND_DECIMALS = {"index": 1, "mean": 1, "count": 0}


def value_kind(unit: str, kind: str = "") -> str:
    """The kind a value is written as: the measure's value type where the caller has it, else
    what the unit says ("%" a share, "index" an index); "" for a unit alone that does not say
    (a mean per unit of a count, "st", is no count)."""
    if kind:
        return kind
    unit = unit.strip()
    if unit == "%":
        return "share"
    return "index" if unit.lower() in SCALE_UNITS else ""


def kind_decimals(unit: str, kind: str = "") -> int | None:
    """The fixed decimals of a value of the unit and kind; None where neither says (then up to
    two, trailing zeros dropped)."""
    return KIND_DECIMALS.get(value_kind(unit, kind))


def chart_value_text(value: float | Decimal | None, unit: str = "", kind: str = "") -> str:
    """A measure value as users read it: "54,3 %", "1 234 st", "72,0" (an index); an empty
    string for none. `kind` is the measure's value type (Measure.ValueType), where known."""
    # A template hands over "" for a missing result (`line.result.value` of no result).
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    if value_kind(unit, kind) == "share":
        # One decimal, as the status sentences write shares (base.formatting.format_share),
        # kept when it is 0: "17,0 %" in a column with "17,6 %".
        return format_share(number)
    return format_number(number, kind_decimals(unit, kind)) + unit_suffix(unit)


def target_text(value: float | Decimal | None, unit: str = "", kind: str = "") -> str:
    """A level as it was set, a target or an axis tick: as chart_value_text writes a value,
    but a share as it was set, without a ",0" nobody typed ("Mål 100 %", "50 %" on the axis;
    base.formatting.format_set_level); "" for none."""
    if value is None or value == "":
        return ""
    if value_kind(unit, kind) == "share":
        return format_set_level(Decimal(str(value)))
    if value_kind(unit, kind) == "count":
        # A count goal's target computed from its baseline is no count: "Mål 191,8 st", as
        # its status sentence and "Underlag" write it (base.formatting.count_decimals' one
        # decimal; the more a value just short of it needs are theirs), not "Mål 192 st".
        return format_count_level(Decimal(str(value))) + unit_suffix(unit)
    return chart_value_text(value, unit, kind)


def unit_suffix(unit: str) -> str:
    """What follows a value of the unit: " st", " dagar" (a no-break space keeps them
    together); nothing for no unit or a scale ("index")."""
    unit = unit.strip()
    if not unit or unit.lower() in SCALE_UNITS:
        return ""
    return f"\u00a0{unit}"


def period_label(day: datetime.date, *, quarterly: bool = False) -> str:
    """A period's label: "okt 2025" for a month, "Kv 4 2025" for a quarter."""
    return Quarter.containing(day).label if quarterly else month_label(day)


def _short_period(day: datetime.date, *, quarterly: bool) -> str:
    """An axis label's first line, the period within its year: "okt", "Kv 4"."""
    if quarterly:
        return f"Kv {Quarter.containing(day).number}"
    return MONTHS_SV[day.month - 1]


_CENT = Decimal("0.01")


def value_decimals(values: Iterable[float | Decimal]) -> int:
    """The decimals a series' values are written with (chart_value_text: at most two, trailing
    zeros dropped): 0 for counts, 2 for "70,07". Lines computed from the values (mean, limits,
    median) are written to the same precision, not to two decimals that the data do not have."""
    most = 0
    for value in values:
        written = Decimal(str(value)).quantize(_CENT, ROUND_HALF_UP).normalize()
        exponent = written.as_tuple().exponent
        if isinstance(exponent, int):
            most = max(most, -exponent)
    return most


def format_level(value: float, unit: str, decimals: int, kind: str = "") -> str:
    """A line computed from the series ("Medel 827 st", "Median 71,6"), as the values are
    written: a share as every share (format_share), a kind with fixed decimals with those,
    else to the values' precision (`decimals`, no trailing zeros)."""
    if value_kind(unit, kind) == "share" or kind_decimals(unit, kind) is not None:
        return chart_value_text(value, unit, kind)
    rounded = Decimal(str(value)).quantize(quantum(decimals), ROUND_HALF_UP)
    return format_number(rounded) + unit_suffix(unit)


# --- scales -----------------------------------------------------------------------------------


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 × 10^k apart) covering low..high."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("ticks need finite bounds")
    if high < low:
        low, high = high, low
    if high == low:
        spread = abs(high) * 0.1 or 1.0
        low, high = low - spread, high + spread
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def spread_labels(ys: Sequence[float], *, gap: float, low: float, high: float) -> list[float]:
    """Label positions for lines at ys, moved apart until neighbours are at least `gap` apart,
    in the lines' order, and kept above `high` (the plot's bottom) where the run allows."""
    if not ys:
        return []
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed = [ys[i] for i in order]
    for i in range(1, len(placed)):  # push each label below the one above it
        placed[i] = max(placed[i], placed[i - 1] + gap)
    if placed[-1] > high:  # then pull the run back up from the bottom
        placed[-1] = max(high, ys[order[-1]])
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    out = [0.0] * len(ys)
    for position, index in zip(placed, order, strict=True):
        out[index] = round(max(position, low - gap), 2)
    return out


@dataclass(frozen=True)
class _Scale:
    low: float
    high: float
    top: float
    bottom: float

    def __call__(self, value: float) -> float:
        if self.high == self.low:
            return (self.top + self.bottom) / 2
        share = (value - self.low) / (self.high - self.low)
        return round(self.bottom - share * (self.bottom - self.top), 2)


def _months_between(first: datetime.date, day: datetime.date) -> int:
    return (day.year - first.year) * 12 + day.month - first.month


def _x_positions(days: Sequence[datetime.date], frame: Frame) -> list[float]:
    """x of each period by calendar month, so that a missing period leaves a gap."""
    if not days:
        return []
    span = _months_between(days[0], days[-1])
    if span == 0:
        return [round(frame.plot_left + frame.plot_width / 2, 2) for _ in days]
    step = frame.plot_width / span
    return [round(frame.plot_left + _months_between(days[0], d) * step, 2) for d in days]


def _x_ticks(
    days: Sequence[datetime.date], xs: Sequence[float], *, quarterly: bool, most: int = 8
) -> tuple[Tick, ...]:
    """Labels for at most `most` periods, on round months (every 1, 2, 3, 6 or 12)."""
    if not days:
        return ()
    span = _months_between(days[0], days[-1]) + 1
    step = next((s for s in (1, 2, 3, 6, 12, 24) if span / s <= most), 24)
    if quarterly:
        step = max(step, 3)
    chosen = [(day, x) for day, x in zip(days, xs, strict=True) if (day.month - 1) % step == 0]
    if not chosen:  # a short series that starts mid-step: label its first period
        chosen = [(days[0], xs[0])]
    ticks = []
    for index, (day, x) in enumerate(chosen):
        # The year under the first label and where it changes: "jan 2025 … okt, jan 2026".
        new_year = index == 0 or day.year != chosen[index - 1][0].year
        ticks.append(Tick(x, _short_period(day, quarterly=quarterly), str(day.year) * new_year))
    return tuple(ticks)


def _parse_day(raw: Any) -> datetime.date:
    if isinstance(raw, datetime.date):
        return raw
    return datetime.date.fromisoformat(str(raw))


def _float_or_none(raw: Any) -> float | None:
    if raw is None:
        return None
    value = float(raw)
    return value if math.isfinite(value) else None


# --- the SPC chart ------------------------------------------------------------------------------


def spc_chart(
    summary: Mapping[str, Any] | None,
    *,
    unit: str = "",
    value_type: str = "",
    target: float | Decimal | None = None,
    two_sigma: bool = False,
    quarterly: bool = False,
    frame: Frame = SPC_FRAME,
) -> SpcChart:
    """The chart of a stored SPC summary (SpcResult.summary, see docs/spc.md).

    With limits: points, the centre line (mean), the process limits, optionally the two-sigma
    lines, and the target line. Without (fewer points than the engine needs): a run chart,
    points around their median and the target, with the engine's message; never limits.
    """
    summary = summary or {}
    raw_points = summary.get("points") or []
    days = [_parse_day(p[0]) for p in raw_points]
    values = [float(p[1]) for p in raw_points]
    limits_available = bool(summary.get("limits_available")) and bool(raw_points)
    target_value = _float_or_none(target)

    levels: list[tuple[str, float]] = []
    if limits_available:
        wanted = ["mean", "upper_limit", "lower_limit"]
        if two_sigma:
            wanted += ["upper_two_sigma", "lower_two_sigma"]
        for kind in wanted:
            level = _float_or_none(summary.get(kind))
            if level is not None:
                levels.append((kind, level))
    elif values:
        # The run chart's centre: the periods judged, not those over only some of the units.
        judged = [
            v for p, v in zip(raw_points, values, strict=True) if stored_incomplete(p) is None
        ]
        levels.append(("median", median(judged or values)))
    if target_value is not None and raw_points:
        levels.append(("target", target_value))

    # A target far off the data (say 100 % for a series around 12 %) would squash the series
    # into a flat line: it is not drawn on the axis (where any height would be a wrong value)
    # but as a marker in a margin added above or below the plot, named as off the scale.
    scaled = values + [level for kind, level in levels if kind != "target"]
    off_scale = ""
    if target_value is not None and scaled:
        low, high = min(scaled), max(scaled)
        reach = max(high - low, abs(high) * 0.05, 1e-9) * TARGET_REACH
        if target_value > high + reach:
            off_scale = "above"
            frame = replace(
                frame, height=frame.height + OFF_SCALE_ROOM, top=frame.top + OFF_SCALE_ROOM
            )
        elif target_value < low - reach:
            off_scale = "below"
            frame = replace(
                frame, height=frame.height + OFF_SCALE_ROOM, bottom=frame.bottom + OFF_SCALE_ROOM
            )
        else:
            scaled.append(target_value)
    ticks = nice_ticks(min(scaled), max(scaled)) if scaled else []
    scale = _Scale(ticks[0], ticks[-1], frame.plot_top, frame.plot_bottom) if ticks else None
    xs = _x_positions(days, frame)

    def line_y(kind: str, level: float) -> float:
        if scale is None:
            return 0.0
        if kind == "target" and off_scale == "above":
            return frame.plot_top - OFF_SCALE_ROOM + 2
        if kind == "target" and off_scale == "below":
            return frame.height - OFF_SCALE_ROOM / 2 + 2
        return scale(level)

    points = tuple(
        ChartPoint(
            period=day,
            value=value,
            type=str(raw[2]) if len(raw) > 2 and raw[2] in POINT_TYPES else COMMON_CAUSE,
            rules=tuple(raw[3]) if len(raw) > 3 and raw[3] else (),
            x=x,
            y=scale(value) if scale else 0.0,
            label=period_label(day, quarterly=quarterly),
            value_label=chart_value_text(value, unit, value_type),
            reasons=stored_reasons(raw, summary.get("improvement")),
            incomplete=stored_incomplete(raw),
        )
        for raw, day, value, x in zip(raw_points, days, values, xs, strict=True)
    )
    ys = [line_y(kind, level) for kind, level in levels]
    # An off-scale target's marker carries its own name, in its margin: the other lines' names
    # are spread among themselves.
    on_scale = [i for i, (kind, _) in enumerate(levels) if not (kind == "target" and off_scale)]
    spread = spread_labels(
        [ys[i] for i in on_scale], gap=LABEL_GAP, low=frame.plot_top, high=frame.plot_bottom
    )
    label_ys = list(ys)
    for index, label_y in zip(on_scale, spread, strict=True):
        label_ys[index] = label_y
    decimals = value_decimals(values)
    lines = tuple(
        Line(
            kind=kind,
            value=level,
            y=y,
            # The target as it was set; the lines computed from the values to their precision.
            value_label=(
                target_text(level, unit, value_type)
                if kind == "target"
                else format_level(level, unit, decimals, value_type)
            ),
            label_y=label_y,
            off_scale=off_scale if kind == "target" else "",
        )
        for (kind, level), y, label_y in zip(levels, ys, label_ys, strict=True)
    )
    path = " ".join(f"{p.x:.1f},{p.y:.1f}" for p in points)
    # Only a percent sign on the axis: "st" or "index" on every tick is noise (the caption and
    # the table carry the unit).
    tick_unit = unit if unit.strip() == "%" else ""
    y_ticks = tuple(Tick(scale(t), target_text(t, tick_unit)) for t in ticks) if scale else ()
    message = summary.get("message") if raw_points else None
    return SpcChart(
        frame=frame,
        points=points,
        lines=lines,
        y_ticks=y_ticks,
        x_ticks=_x_ticks(days, xs, quarterly=quarterly),
        path=path,
        limits_available=limits_available,
        message=message,
        variation=summary.get("variation") if limits_available else None,
        assurance=summary.get("assurance") if limits_available else None,
        quarterly=quarterly,
    )


# --- the sparkline ----------------------------------------------------------------------------


def sparkline(
    series: Mapping[str, Any] | Iterable[Sequence[Any]] | None,
    *,
    periods: int = SPARKLINE_DEFAULT_PERIODS,
    unit: str = "",
    value_type: str = "",
    quarterly: bool = False,
    frame: Frame = SPARKLINE_FRAME,
) -> Sparkline:
    """The last `periods` values (8–12 on the dashboards) of an SPC summary or of
    (period, value[, type]) rows, scaled to their own range."""
    if not 2 <= periods <= 36:
        raise ValueError("a sparkline shows 2 to 36 periods")
    rows = series.get("points") or [] if isinstance(series, Mapping) else list(series or [])
    rows = [row for row in rows if row[1] is not None][-periods:]
    improvement = series.get("improvement") if isinstance(series, Mapping) else None
    days = [_parse_day(row[0]) for row in rows]
    values = [float(row[1]) for row in rows]
    if not values:
        return Sparkline(frame=frame, path="", points=(), last=None, quarterly=quarterly)
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    scale = _Scale(low, high, frame.plot_top, frame.plot_bottom)
    xs = _x_positions(days, frame)
    points = tuple(
        ChartPoint(
            period=day,
            value=value,
            type=str(row[2]) if len(row) > 2 and row[2] in POINT_TYPES else COMMON_CAUSE,
            rules=(),
            x=x,
            y=scale(value),
            label=period_label(day, quarterly=quarterly),
            value_label=chart_value_text(value, unit, value_type),
            # The latest point's marker is drawn as its verdict, as on the chart.
            reasons=stored_reasons(row, improvement),
            incomplete=stored_incomplete(row),
        )
        for row, day, value, x in zip(rows, days, values, xs, strict=True)
    )
    path = " ".join(f"{p.x:.1f},{p.y:.1f}" for p in points)
    return Sparkline(frame=frame, path=path, points=points, last=points[-1], quarterly=quarterly)


# --- goal status per quarter ------------------------------------------------------------------


def status_chart(
    results: Iterable[Any],
    *,
    percent: bool = False,
    unit: str = "",
    kind: str = "",
    period: str = "",
    frame: Frame = STATUS_FRAME,
) -> StatusChart:
    """A goal's results per quarter (objects or mappings with quarter, status, progress,
    target), oldest first: a status cell per quarter and, where progress is a number, a bar
    up to it with the latest target as a line. Without any progress the frame loses the bars'
    room: the chart is as high as its cells and their labels.

    period: "month" for a goal of a monthly measure, "quarter" of a quarterly one: the engine
    judges it on the latest period that counts (basis "latest_period_end"), so each value is
    named by its month ("sep 2026: 18,4 %"), or by its quarter where that is an earlier one.
    kind: the measure's value type (Measure.ValueType), for its values' decimals.

    A quarter without a computed status (a goal judged only by assessment) shows the status
    assessed in that quarter (assessment_status where assessment_quarter is the quarter),
    marked as assessed; none where nobody assessed it then."""
    results = list(results)
    assessed = {
        str(_field(r, "quarter"))
        for r in results
        if not _field(r, "status") and _assessed_in_quarter(r)
    }
    rows: list[dict[str, Any]] = sorted(
        (
            {
                "quarter": str(_field(r, "quarter")),
                "status": _field(r, "status") or _assessed_in_quarter(r),
                "progress": _float_or_none(_field(r, "progress")),
                "target": _float_or_none(_field(r, "target")),
                "period_end": _period_end(r),
            }
            for r in results
        ),
        key=lambda r: r["quarter"],
    )
    if not rows:
        return StatusChart(frame, (), None, (), has_progress=False, cell_height=0)
    if not any(r["period_end"] for r in rows):
        period = ""  # no value of a period: an adoption goal's share, a goal not yet judged
    cell_height = 22.0
    has_progress = any(r["progress"] is not None for r in rows)
    if not has_progress:
        # No bars (a direction goal, a goal not yet measured): no room above the cells for
        # them, the chart as high as its row of cells and their labels.
        frame = replace(frame, height=frame.top + cell_height + frame.bottom)
    target = next((r["target"] for r in reversed(rows) if r["target"] is not None), None)
    bar_bottom = frame.plot_bottom - cell_height - 6
    scale = None
    ticks: list[float] = []
    if has_progress:
        extent = [r["progress"] for r in rows if r["progress"] is not None]
        if target is not None:
            extent.append(target)
        ticks = nice_ticks(min(0.0, *extent), max(extent), count=3)
        scale = _Scale(ticks[0], ticks[-1], frame.plot_top, bar_bottom)

    def fmt(value: float) -> str:
        return chart_value_text(value, "%" if percent else unit, kind)

    def level(value: float) -> str:
        return target_text(value, "%" if percent else unit, kind)

    if ticks:
        # The y axis' longest label left of the plot in full ("2 000 st" needs more than 48).
        widest = max(len(level(t)) for t in ticks) * LABEL_CHAR_WIDTH + 8
        frame = replace(frame, left=max(frame.left, math.ceil(widest)))
    slot = frame.plot_width / len(rows)
    width = min(slot * 0.7, 48.0)

    def named(row: dict[str, Any]) -> str:
        end = row["period_end"]
        if end is None or row["progress"] is None:
            return ""
        if period == "month":
            return month_label(end)
        if period == "quarter" and Quarter.containing(end).code != row["quarter"]:
            return Quarter.containing(end).label
        return ""

    columns = tuple(
        StatusColumn(
            quarter=r["quarter"],
            label=quarter_label(r["quarter"]),
            status=r["status"] or None,
            progress=r["progress"],
            progress_label=fmt(r["progress"]) if r["progress"] is not None else "",
            x=round(frame.plot_left + slot * i + (slot - width) / 2, 2),
            width=round(width, 2),
            bar_top=scale(r["progress"]) if scale and r["progress"] is not None else None,
            bar_height=(
                round(bar_bottom - scale(r["progress"]), 2)
                if scale and r["progress"] is not None
                else 0.0
            ),
            cell_y=round(frame.plot_bottom - cell_height, 2),
            assessed=r["quarter"] in assessed,
            period_label=named(r),
        )
        for i, r in enumerate(rows)
    )
    target_line = (
        Line("target", target, scale(target), level(target))
        if scale and target is not None
        else None
    )
    y_ticks = tuple(Tick(scale(t), level(t)) for t in ticks) if scale else ()
    return StatusChart(
        frame=frame,
        columns=columns,
        target=target_line,
        y_ticks=y_ticks,
        has_progress=has_progress,
        cell_height=cell_height,
        period=period,
    )


def _period_end(row: Any) -> datetime.date | None:
    """The last day of the period a result's progress is the value of (its basis)."""
    basis = _field(row, "basis")
    raw = basis.get("latest_period_end") if isinstance(basis, Mapping) else None
    try:
        return datetime.date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def _assessed_in_quarter(row: Any) -> str | None:
    """The status assessed in the row's own quarter (not one carried from an earlier quarter)."""
    status = _field(row, "assessment_status")
    if status and _field(row, "assessment_quarter") == _field(row, "quarter"):
        return str(status)
    return None


def _field(row: Any, name: str) -> Any:
    if isinstance(row, Mapping):
        return row.get(name)
    return getattr(row, name, None)
