"""XmR statistical process control after NHS England's Making Data Count Single Chart Tool.

Pure Python: no Django, no database, no numpy. See ``docs/spc.md`` for the conventions
and the published material they were checked against.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from statistics import fmean
from typing import Any, Literal, cast

Improvement = Literal["higher", "lower"]
PointType = Literal["common_cause", "improvement", "concern", "neither"]
# What a point's signals say, as a reader should be told it: a point that rules flag on both
# its better and its worse side is a "conflict" (its PointType, its colour, is improvement).
Verdict = Literal["common_cause", "improvement", "concern", "conflict", "neither"]
Side = Literal["high", "low"]
Variation = Literal[
    "common_cause",
    "special_cause_improvement_high",
    "special_cause_improvement_low",
    "special_cause_concern_high",
    "special_cause_concern_low",
    "special_cause_neither_high",
    "special_cause_neither_low",
]
Assurance = Literal["consistently_passing", "consistently_failing", "hit_and_miss"]

LIMIT_FACTOR = 2.66
TWO_SIGMA_FACTOR = LIMIT_FACTOR * 2 / 3
MOVING_RANGE_OUTLIER_FACTOR = 3.267

ASTRONOMICAL = "astronomical"
SHIFT = "shift"
TREND = "trend"
TWO_OF_THREE = "two_of_three"
RULES = (ASTRONOMICAL, SHIFT, TREND, TWO_OF_THREE)

_HIGH = 1
_LOW = -1
_SIDE_NAMES: dict[int, Side] = {_HIGH: "high", _LOW: "low"}


@dataclass(frozen=True)
class Reasons:
    """A point's verdict and the signals behind it, split by what each says.

    `improvement` and `concern` hold the (rule, side) signals on the better and the worse side;
    `other` those of a measure with no better side. Each in the order of RULES.
    """

    verdict: Verdict
    improvement: tuple[tuple[str, Side], ...] = ()
    concern: tuple[tuple[str, Side], ...] = ()
    other: tuple[tuple[str, Side], ...] = ()


def reasons(signals: Sequence[Sequence[str]], improvement: Improvement | None) -> Reasons:
    """Split a point's (rule, side) signals by the side they are on and name its verdict.

    Each rule keeps its own side (a point below the lower limit is a concern when higher is
    better even while it rises in a trend); a point flagged on both sides is a conflict.
    """
    ordered = sorted(
        ((str(rule), side) for rule, side in signals if side in ("high", "low")),
        key=lambda signal: (_rule_order(signal[0]), signal[1] != "high"),
    )
    typed = [(rule, cast(Side, side)) for rule, side in ordered]
    if not typed:
        return Reasons("common_cause")
    if improvement is None:
        return Reasons("neither", other=tuple(typed))
    good: Side = "high" if improvement == "higher" else "low"
    better = tuple(signal for signal in typed if signal[1] == good)
    worse = tuple(signal for signal in typed if signal[1] != good)
    verdict: Verdict = "conflict" if better and worse else "improvement" if better else "concern"
    return Reasons(verdict, better, worse)


def stored_reasons(point: Sequence[Any], improvement: Any) -> Reasons | None:
    """The Reasons of a point as an SPC summary stores it ([start, value, type, rules,
    signals]), given the summary's `improvement`; None for a point stored before the signals
    had sides (SPC format 2, until the recompute rewrites it): its reader has only the type
    and the rules."""
    if len(point) < 5 or not isinstance(point[4], list) or improvement not in _DIRECTIONS:
        return None
    signals = [s for s in point[4] if isinstance(s, list | tuple) and len(s) == 2]
    return reasons(signals, cast(Improvement | None, improvement))


_DIRECTIONS = ("higher", "lower", None)


def stored_incomplete(point: Sequence[Any]) -> tuple[int, int] | None:
    """(reporting, expected) units of a stored point over only some of its units (SPC format
    4: a sixth field), which the rules do not judge; None for a point over all of them."""
    if len(point) < 6 or not isinstance(point[5], list | tuple) or len(point[5]) != 2:
        return None
    reporting, expected = point[5]
    return int(reporting), int(expected)


def latest_judged(points: Sequence[Sequence[Any]]) -> Sequence[Any] | None:
    """The latest stored point the rules judged (the one the variation icon speaks of): the
    latest point not over only some of its units; None if there is none."""
    return next((point for point in reversed(points) if stored_incomplete(point) is None), None)


def _rule_order(rule: str) -> int:
    """A rule's place in RULES; an unknown one (from an older stored chart) last."""
    return RULES.index(rule) if rule in RULES else len(RULES)


@dataclass(frozen=True)
class XmrPoint:
    """One non-missing observation with the limits that apply to it and its verdict."""

    index: int
    value: float
    moving_range: float | None
    mean: float
    lower_limit: float | None
    upper_limit: float | None
    rules: tuple[str, ...]
    type: PointType
    # Each rule that flags the point with the side it flags it on: ("astronomical", "low").
    signals: tuple[tuple[str, Side], ...] = ()
    # Drawn but not judged: no rule looks at it and it is not in the limits (xmr's
    # `incomplete`, a period only some of the units have reported).
    incomplete: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the point as JSON-serialisable plain data."""
        return {
            "index": self.index,
            "value": self.value,
            "moving_range": self.moving_range,
            "mean": self.mean,
            "lower_limit": self.lower_limit,
            "upper_limit": self.upper_limit,
            "rules": list(self.rules),
            "type": self.type,
            "signals": [list(signal) for signal in self.signals],
            "incomplete": self.incomplete,
        }


@dataclass(frozen=True)
class XmrResult:
    """The XmR chart of a series; series-level figures describe its latest segment."""

    mean: float | None
    lower_limit: float | None
    upper_limit: float | None
    lower_two_sigma: float | None
    upper_two_sigma: float | None
    mean_moving_range: float | None
    points: tuple[XmrPoint, ...]
    variation: Variation | None
    assurance: Assurance | None
    limits_available: bool
    message: str | None

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-serialisable plain data."""
        return {
            "mean": self.mean,
            "lower_limit": self.lower_limit,
            "upper_limit": self.upper_limit,
            "lower_two_sigma": self.lower_two_sigma,
            "upper_two_sigma": self.upper_two_sigma,
            "mean_moving_range": self.mean_moving_range,
            "points": [point.to_dict() for point in self.points],
            "variation": self.variation,
            "assurance": self.assurance,
            "limits_available": self.limits_available,
            "message": self.message,
        }


@dataclass(frozen=True)
class _Sigma:
    """Process limits and two-sigma lines of one segment."""

    mean_moving_range: float
    lower_limit: float
    upper_limit: float
    lower_two_sigma: float
    upper_two_sigma: float


@dataclass(frozen=True)
class _Limits:
    """Centre line of one segment and its sigma lines, absent without any moving range."""

    mean: float
    sigma: _Sigma | None


def _drawn_limits(line: _Limits, available: bool) -> tuple[float | None, float | None]:
    """The segment's lower and upper process limits, when there are enough points to draw."""
    if not available or line.sigma is None:
        return None, None
    return line.sigma.lower_limit, line.sigma.upper_limit


# The fewest judged points that get limits, signals and icons (xmr's min_points; the quarterly
# job uses it as it is). The pages name it: "För få punkter för styrgränser (4 av minst 13)".
MIN_POINTS = 13


def xmr(
    values: Sequence[float | Decimal | None],
    *,
    improvement: Improvement | None = "higher",
    target: float | Decimal | None = None,
    baseline: int | None = None,
    run_length: int = 6,
    screen_outliers: bool = False,
    min_points: int = MIN_POINTS,
    recalculate_at: Sequence[int] = (),
    incomplete: Collection[int] = (),
) -> XmrResult:
    """Compute an XmR chart with Making Data Count special-cause rules and summary icons.

    `incomplete` holds indices into `values` of points that are drawn but not judged (MDC's
    "ghosted" points): no rule flags them, they are not in the mean, the limits or the moving
    ranges, they do not count towards `min_points`, and the icons speak of the latest point
    that is judged.
    """
    _check_options(improvement, baseline, run_length, min_points)
    starts = _segment_starts(len(values), recalculate_at)
    ghosts = _ghost_indices(len(values), incomplete)
    drawn = [(index, x) for index, raw in enumerate(values) if (x := _as_float(raw)) is not None]
    observed = [(index, x) for index, x in drawn if index not in ghosts]
    target_value = _as_float(target)
    indices = [index for index, _ in observed]
    xs = [x for _, x in observed]

    segment_of = [bisect_right(starts, index) - 1 for index in indices]
    by_segment: dict[int, list[float]] = {}
    for x, segment in zip(xs, segment_of, strict=True):
        by_segment.setdefault(segment, []).append(x)
    fitted = {
        segment: _fit(segment_xs, baseline=baseline, screen_outliers=screen_outliers)
        for segment, segment_xs in by_segment.items()
    }
    lines = [fitted[segment] for segment in segment_of]

    available = len(xs) >= min_points
    signals = _signals(xs, lines, run_length) if available else [set() for _ in xs]
    moving_ranges: list[float | None] = [None]
    moving_ranges += [
        abs(b - a) if segment_a == segment_b else None
        for (a, segment_a), (b, segment_b) in pairwise(zip(xs, segment_of, strict=True))
    ]
    points = tuple(
        XmrPoint(
            index=indices[i],
            value=xs[i],
            moving_range=moving_ranges[i],
            mean=lines[i].mean,
            lower_limit=_drawn_limits(lines[i], available)[0],
            upper_limit=_drawn_limits(lines[i], available)[1],
            rules=_rule_names(signals[i]),
            type=_point_type(signals[i], improvement),
            signals=_sided(signals[i]),
        )
        for i in range(len(xs))
    )
    if ghosts:
        points = _with_ghosts(points, drawn, ghosts, starts, fitted, available)

    if not available:
        return XmrResult(
            mean=lines[-1].mean if lines else None,
            lower_limit=None,
            upper_limit=None,
            lower_two_sigma=None,
            upper_two_sigma=None,
            mean_moving_range=None,
            points=points,
            variation=None,
            assurance=None,
            limits_available=False,
            # Stored for readers of the JSON; the pages say it translated, from the points
            # (gonv.templatetags.followup_charts.limits_message).
            message=f"För få punkter för styrgränser ({len(xs)} av minst {min_points}).",
        )
    latest = lines[-1]
    sigma = latest.sigma
    return XmrResult(
        mean=latest.mean,
        lower_limit=sigma.lower_limit if sigma else None,
        upper_limit=sigma.upper_limit if sigma else None,
        lower_two_sigma=sigma.lower_two_sigma if sigma else None,
        upper_two_sigma=sigma.upper_two_sigma if sigma else None,
        mean_moving_range=sigma.mean_moving_range if sigma else None,
        points=points,
        variation=_variation(_point_type(signals[-1], improvement), signals[-1], improvement),
        assurance=_assurance(target_value, latest, improvement),
        limits_available=True,
        message=None if sigma else "Senaste segmentet har för få punkter för styrgränser.",
    )


def _check_options(
    improvement: Improvement | None, baseline: int | None, run_length: int, min_points: int
) -> None:
    """Reject option values that have no meaning for an XmR chart."""
    if improvement not in ("higher", "lower", None):
        raise ValueError(f"improvement must be 'higher', 'lower' or None, not {improvement!r}")
    if baseline is not None and baseline < 2:
        raise ValueError("baseline needs at least 2 points to give a moving range")
    if run_length < 2:
        raise ValueError("run_length must be at least 2")
    if min_points < 2:
        raise ValueError("min_points must be at least 2")


def _segment_starts(length: int, recalculate_at: Sequence[int]) -> list[int]:
    """Return the sorted first indices of the segments, always starting with 0."""
    starts = {0}
    for index in recalculate_at:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < length:
            raise ValueError(f"recalculate_at index {index!r} is outside 0..{length - 1}")
        starts.add(index)
    return sorted(starts)


def _ghost_indices(length: int, incomplete: Collection[int]) -> frozenset[int]:
    """The indices of the points drawn but not judged, checked against the series."""
    for index in incomplete:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < length:
            raise ValueError(f"incomplete index {index!r} is outside 0..{length - 1}")
    return frozenset(incomplete)


def _with_ghosts(
    judged: tuple[XmrPoint, ...],
    drawn: list[tuple[int, float]],
    ghosts: frozenset[int],
    starts: list[int],
    fitted: dict[int, _Limits],
    available: bool,
) -> tuple[XmrPoint, ...]:
    """The judged points with the unjudged ones among them, in the series' order.

    An unjudged point gets its segment's lines (or, in a segment of unjudged points only, the
    nearest earlier segment's; the first one's before any), no moving range and no rule.
    """
    by_index = {point.index: point for point in judged}
    merged: list[XmrPoint] = []
    for index, x in drawn:
        if index not in ghosts:
            merged.append(by_index[index])
            continue
        segment = bisect_right(starts, index) - 1
        earlier = [s for s in fitted if s <= segment]
        nearest = max(earlier) if earlier else min(fitted, default=None)
        line = fitted[nearest] if nearest is not None else _Limits(x, None)
        lower, upper = _drawn_limits(line, available)
        merged.append(
            XmrPoint(
                index=index,
                value=x,
                moving_range=None,
                mean=line.mean,
                lower_limit=lower,
                upper_limit=upper,
                rules=(),
                type="common_cause",
                incomplete=True,
            )
        )
    return tuple(merged)


def _as_float(raw: float | Decimal | None) -> float | None:
    """Convert an input value to float, mapping None and NaN to missing."""
    if raw is None:
        return None
    if isinstance(raw, bool | str):
        raise TypeError(f"{raw!r} is not a measurement")
    x = float(raw)
    if math.isnan(x):
        return None
    if math.isinf(x):
        raise ValueError("infinite values cannot be charted")
    return x


def _fit(xs: list[float], *, baseline: int | None, screen_outliers: bool) -> _Limits:
    """Compute mean, mean moving range and sigma lines from a segment's (baseline) points."""
    used = xs[:baseline] if baseline is not None else xs
    mean = fmean(used)
    moving_ranges = [abs(b - a) for a, b in pairwise(used)]
    if not moving_ranges:
        return _Limits(mean, None)
    mr_bar = fmean(moving_ranges)
    if screen_outliers:
        # Screened once only, as NHSRplotthedots does; the mean itself is left unscreened.
        mr_bar = fmean(m for m in moving_ranges if m <= MOVING_RANGE_OUTLIER_FACTOR * mr_bar)
    sigma = _Sigma(
        mean_moving_range=mr_bar,
        lower_limit=mean - LIMIT_FACTOR * mr_bar,
        upper_limit=mean + LIMIT_FACTOR * mr_bar,
        lower_two_sigma=mean - TWO_SIGMA_FACTOR * mr_bar,
        upper_two_sigma=mean + TWO_SIGMA_FACTOR * mr_bar,
    )
    return _Limits(mean, sigma)


def _signals(xs: list[float], lines: list[_Limits], run_length: int) -> list[set[tuple[str, int]]]:
    """Return, per point, the (rule, direction) pairs that flag it as special cause."""
    found: list[set[tuple[str, int]]] = [set() for _ in xs]
    sides = [_side(x, line.mean) for x, line in zip(xs, lines, strict=True)]

    for i, (x, line) in enumerate(zip(xs, lines, strict=True)):
        if line.sigma is not None and x > line.sigma.upper_limit:
            found[i].add((ASTRONOMICAL, _HIGH))
        elif line.sigma is not None and x < line.sigma.lower_limit:
            found[i].add((ASTRONOMICAL, _LOW))

    # Shift, trend and two-of-three cross recalculations, as in the Single Chart Tool; each
    # point is judged against its own segment's lines.
    for start, end, side in _runs(sides):
        if side and end - start >= run_length:
            for i in range(start, end):
                found[i].add((SHIFT, side))

    steps = [_side(b, a) for a, b in pairwise(xs)]
    for start, end, step in _runs(steps):
        if step and end - start + 1 >= run_length:
            for i in range(start, end + 1):
                found[i].add((TREND, step))

    near = [_near_side(x, line) for x, line in zip(xs, lines, strict=True)]
    for first in range(len(xs) - 2):
        window = near[first : first + 3]
        if window.count(0) > 1:
            continue  # fewer than two points beyond a two-sigma line: the common case
        for side in (_HIGH, _LOW):
            if window.count(side) >= 2 and sides[first : first + 3] == [side, side, side]:
                for i in range(first, first + 3):
                    if near[i] == side:
                        found[i].add((TWO_OF_THREE, side))
    return found


def _rule_names(found: set[tuple[str, int]]) -> tuple[str, ...]:
    """The rules that flag a point, in the order of RULES."""
    if not found:
        return ()
    fired = {rule for rule, _ in found}
    return tuple(rule for rule in RULES if rule in fired)


def _sided(found: set[tuple[str, int]]) -> tuple[tuple[str, Side], ...]:
    """The (rule, side) signals of a point, in the order of RULES, high before low."""
    if not found:
        return ()
    return tuple(
        (rule, _SIDE_NAMES[direction])
        for rule in RULES
        for direction in (_HIGH, _LOW)
        if (rule, direction) in found
    )


def _side(x: float, reference: float) -> int:
    """Return +1 above, -1 below and 0 exactly on the reference."""
    return (x > reference) - (x < reference)


def _near_side(x: float, line: _Limits) -> int:
    """Return the side on which x lies beyond the two-sigma line but not beyond the limit."""
    sigma = line.sigma
    if sigma is None:
        return 0
    if sigma.upper_two_sigma < x <= sigma.upper_limit:
        return _HIGH
    if sigma.lower_limit <= x < sigma.lower_two_sigma:
        return _LOW
    return 0


def _runs(items: list[int]) -> list[tuple[int, int, int]]:
    """Split items into maximal runs of equal values as (start, end exclusive, value)."""
    runs = []
    start = 0
    for i in range(1, len(items) + 1):
        if i == len(items) or items[i] != items[start]:
            runs.append((start, i, items[start]))
            start = i
    return runs


def _point_type(found: set[tuple[str, int]], improvement: Improvement | None) -> PointType:
    """Classify a point (its colour), letting improvement win a conflict as the Single Chart
    Tool does; `reasons` tells a conflict apart."""
    if not found:
        return "common_cause"
    if improvement is None:
        return "neither"
    good = _HIGH if improvement == "higher" else _LOW
    if any(direction == good for _, direction in found):
        return "improvement"
    return "concern"


def _variation(
    point_type: PointType, found: set[tuple[str, int]], improvement: Improvement | None
) -> Variation:
    """Return the Making Data Count variation icon for the latest point."""
    if point_type == "common_cause":
        return "common_cause"
    if point_type == "neither":
        # High first when both sides fire, as the Making Data Count SQL query orders it.
        high = any(direction == _HIGH for _, direction in found)
        return "special_cause_neither_high" if high else "special_cause_neither_low"
    high_is_good = improvement == "higher"
    if point_type == "improvement":
        return "special_cause_improvement_high" if high_is_good else "special_cause_improvement_low"
    return "special_cause_concern_low" if high_is_good else "special_cause_concern_high"


def _assurance(
    target: float | None, line: _Limits, improvement: Improvement | None
) -> Assurance | None:
    """Return the assurance icon comparing the target with the latest process limits."""
    if target is None or improvement is None or line.sigma is None:
        return None
    if line.sigma.lower_limit < target < line.sigma.upper_limit:
        return "hit_and_miss"
    target_above = target >= line.sigma.upper_limit
    if target_above == (improvement == "lower"):
        return "consistently_passing"
    return "consistently_failing"
