"""The charts' geometry (followup.charts) and their template tags' SVG."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import engines
from django.utils import translation

from followup import charts
from followup.compute.series import spc_summary


def _series(values: list[float], start: datetime.date = datetime.date(2023, 1, 1)):
    out = []
    day = start
    for value in values:
        out.append((day, Decimal(str(value))))
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return out


# A stable process, then a jump: the last points are special cause (improvement, higher).
STEP = [50, 51, 52] * 7 + [58, 59, 60, 58, 59, 60]


def _summary(values: list[float] = STEP, **kwargs):
    return spc_summary(_series(values), improvement=kwargs.pop("improvement", "higher"), **kwargs)


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    assert charts.nice_ticks(49.5, 60.2) == [45.0, 50.0, 55.0, 60.0, 65.0]
    assert charts.nice_ticks(0, 1) == [0.0, 0.25, 0.5, 0.75, 1.0]
    # A flat series still gets a range around its value.
    ticks = charts.nice_ticks(10, 10)
    assert ticks[0] < 10 < ticks[-1]


def test_spc_chart_puts_higher_values_higher_and_every_line_inside_the_plot() -> None:
    chart = charts.spc_chart(_summary(), unit="%", target=62, two_sigma=True)
    frame = chart.frame
    assert len(chart.points) == len(STEP)
    low = min(chart.points, key=lambda p: p.value)
    high = max(chart.points, key=lambda p: p.value)
    assert high.y < low.y  # SVG's y grows downwards
    assert chart.line_kinds == (
        "mean",
        "upper_limit",
        "lower_limit",
        "upper_two_sigma",
        "lower_two_sigma",
        "target",
    )
    for item in [*chart.points, *chart.lines]:
        assert frame.plot_top <= item.y <= frame.plot_bottom
    lines = {line.kind: line for line in chart.lines}
    assert lines["upper_limit"].y < lines["mean"].y < lines["lower_limit"].y
    assert lines["target"].y < lines["upper_limit"].y  # 62 is above the upper limit
    assert lines["target"].value_label == "62\u00a0%"


def test_spc_chart_spaces_points_by_month_so_a_missing_period_leaves_a_gap() -> None:
    series = _series([1, 2, 3, 4])
    del series[2]  # no value for March
    summary = spc_summary(series, improvement="higher")
    xs = [point.x for point in charts.spc_chart(summary).points]
    assert xs[0] == charts.SPC_FRAME.plot_left
    assert xs[-1] == charts.SPC_FRAME.plot_right
    assert xs[2] - xs[1] == pytest.approx(2 * (xs[1] - xs[0]))


def test_special_cause_points_differ_in_shape_not_only_colour() -> None:
    chart = charts.spc_chart(_summary())
    signals = chart.signals
    assert signals, "the jump is a special cause"
    assert {p.kind for p in signals} <= {"improvement", "concern", "conflict"}
    shapes = {p.kind: p.shape for p in chart.points}
    assert shapes["improvement"] == "square"
    assert shapes["concern"] == "triangle"
    improvement = next(p for p in signals if p.kind == "improvement")
    assert "shift" in improvement.rules
    assert improvement.marker_points.count(",") == 4  # a square's four corners


def test_two_sigma_lines_only_when_asked() -> None:
    assert "upper_two_sigma" not in charts.spc_chart(_summary()).line_kinds


def test_fewer_than_13_points_give_a_run_chart_with_the_engines_sentence_and_no_limits() -> None:
    chart = charts.spc_chart(_summary(STEP[:8]), target=55)
    assert chart.is_run_chart
    assert chart.message == "För få punkter för styrgränser (8 av minst 13)."
    assert chart.line_kinds == ("median", "target")
    assert chart.variation is None
    assert chart.assurance is None
    assert not chart.signals


def test_an_empty_or_missing_summary_gives_an_empty_chart() -> None:
    for summary in (None, {}, {"points": [], "limits_available": False}):
        chart = charts.spc_chart(summary)
        assert chart.is_empty
        assert chart.lines == ()
        assert chart.message is None


def test_quarterly_points_are_labelled_as_quarters() -> None:
    summary = spc_summary(
        [(datetime.date(2025, m, 1), Decimal(m)) for m in (1, 4, 7, 10)], improvement="higher"
    )
    chart = charts.spc_chart(summary, quarterly=True)
    assert [p.label for p in chart.points] == ["Kv 1 2025", "Kv 2 2025", "Kv 3 2025", "Kv 4 2025"]


def test_x_axis_labels_stay_few_on_a_long_series() -> None:
    chart = charts.spc_chart(_summary([float(i % 5) for i in range(36)]))
    assert 3 <= len(chart.x_ticks) <= 8
    assert (chart.x_ticks[0].label, chart.x_ticks[0].year) == ("jan", "2023")


def test_x_axis_labels_name_the_period_and_the_year_where_it_begins() -> None:
    monthly = charts.spc_chart(_summary([float(i % 5) for i in range(24)]))
    assert [(t.label, t.year) for t in monthly.x_ticks] == [
        ("jan", "2023"),
        ("apr", ""),
        ("jul", ""),
        ("okt", ""),
        ("jan", "2024"),
        ("apr", ""),
        ("jul", ""),
        ("okt", ""),
    ]
    days = [datetime.date(2025, m, 1) for m in (4, 7, 10)] + [datetime.date(2026, 1, 1)]
    summary = spc_summary([(d, Decimal(1 + i)) for i, d in enumerate(days)], improvement="higher")
    quarterly = charts.spc_chart(summary, quarterly=True)
    assert [(t.label, t.year) for t in quarterly.x_ticks] == [
        ("Kv 2", "2025"),
        ("Kv 3", ""),
        ("Kv 4", ""),
        ("Kv 1", "2026"),
    ]


def test_the_lines_computed_from_the_values_have_the_values_precision() -> None:
    counts = charts.spc_chart(_summary([740, 728, 731, 746, 756, 663, 525] * 2), unit="st")
    labels = {line.kind: line.value_label for line in counts.lines}
    assert re.fullmatch(r"\d+\u00a0st", labels["mean"]), labels
    assert re.fullmatch(r"\d[\d ]*\u00a0st", labels["upper_limit"]), labels

    index = charts.spc_chart(_summary([70.07, 70.17, 70.82, 72.2]), unit="index", target=75.5)
    labels = {line.kind: line.value_label for line in index.lines}
    assert labels["median"] == "70,5"  # (70,17 + 70,82) / 2 = 70,495, to two decimals: 70,5
    assert labels["target"] == "75,5"  # the target as it was set

    shares = charts.spc_chart(_summary([50, 51, 52] * 5), unit="%")
    # A share as every value of a share measure is written: to one decimal, ",0" too, so
    # that "51,0 %" stands beside "51,6 %", not "51 %".
    labels = {line.kind: line.value_label for line in shares.lines}
    assert labels["mean"] == "51,0\u00a0%"
    assert re.fullmatch(r"\d+,\d\u00a0%", labels["upper_limit"]), labels


def test_value_decimals_counts_what_the_values_are_written_with() -> None:
    assert charts.value_decimals([1, 2, 3]) == 0
    assert charts.value_decimals([72.2, 70.07]) == 2
    assert charts.value_decimals([Decimal("12.50"), 3]) == 1
    assert charts.value_decimals([0.1 + 0.2]) == 1
    assert charts.value_decimals([1.23456]) == 2
    assert charts.value_decimals([]) == 0


def test_chart_value_text_is_swedish() -> None:
    assert charts.chart_value_text(54.25, "%") == "54,3\u00a0%"
    assert charts.chart_value_text(Decimal("1234.5"), "st") == "1\u00a0234,5\u00a0st"
    assert charts.chart_value_text(None, "st") == ""


def test_sparkline_keeps_the_last_periods_and_marks_the_latest() -> None:
    line = charts.sparkline(_summary([float(i) for i in range(20)]), periods=12)
    assert len(line.points) == 12
    assert line.points[0].value == 8.0
    assert line.last is not None
    assert line.last.value == 19.0
    assert line.last.y == line.frame.plot_top  # the highest value on top
    assert line.points[0].y == line.frame.plot_bottom


def test_sparkline_accepts_plain_rows_and_rejects_a_silly_length() -> None:
    line = charts.sparkline([("2025-10-01", 3), ("2025-11-01", None), ("2025-12-01", 5)])
    assert [p.value for p in line.points] == [3.0, 5.0]
    assert charts.sparkline(None).is_empty
    with pytest.raises(ValueError, match="2 to 36"):
        charts.sparkline([], periods=1)


def test_status_chart_has_a_column_per_quarter_oldest_first_and_the_latest_target() -> None:
    results = [
        {"quarter": "2025Q2", "status": "risk", "progress": 30, "target": 50},
        {"quarter": "2025Q1", "status": "enligt_plan", "progress": 20, "target": 50},
        {"quarter": "2025Q3", "status": None, "progress": None, "target": None},
    ]
    chart = charts.status_chart(results, percent=True)
    assert [c.label for c in chart.columns] == ["Kv 1 2025", "Kv 2 2025", "Kv 3 2025"]
    first, second, third = chart.columns
    assert second.bar_height > first.bar_height > 0
    assert third.bar_top is None
    assert third.bar_height == 0
    assert chart.target is not None
    assert chart.target.value_label == "50\u00a0%"
    assert chart.target.y < second.bar_top  # the target is above the bars
    assert first.x < second.x < third.x


def test_status_chart_writes_its_values_to_one_decimal_and_its_target_and_ticks_as_set() -> None:
    results = [
        {"quarter": "2025Q1", "status": "risk", "progress": 17, "target": 100},
        {"quarter": "2025Q2", "status": "risk", "progress": 60, "target": 100},
    ]
    chart = charts.status_chart(results, percent=True)

    # Measured: "17,0 %" beside "60,0 %"; set: "Mål 100 %" and the axis "50 %", no ",0".
    assert [c.progress_text for c in chart.columns] == ["17,0\u00a0%", "60,0\u00a0%"]
    assert chart.target is not None
    assert chart.target.value_label == "100\u00a0%"
    assert [t.label for t in chart.y_ticks] == ["0\u00a0%", "50\u00a0%", "100\u00a0%"]


def test_status_chart_without_numbers_shows_cells_only() -> None:
    chart = charts.status_chart([{"quarter": "2025Q4", "status": "uppnatt"}])
    assert not chart.has_progress
    assert chart.target is None
    assert chart.y_ticks == ()
    assert charts.status_chart([]).is_empty


def test_a_status_chart_without_bars_is_as_high_as_its_cells_and_their_labels() -> None:
    # A direction goal: statuses, no progress. No empty room for bars above the cells.
    cells = charts.status_chart(
        [{"quarter": "2026Q2", "status": "risk"}, {"quarter": "2026Q3", "status": "uppnatt"}]
    )
    frame = charts.STATUS_FRAME
    assert cells.frame.height == frame.top + cells.cell_height + frame.bottom
    assert [c.cell_y for c in cells.columns] == [frame.top, frame.top]
    # A measured goal keeps the bars' room above its cells, as before.
    bars = charts.status_chart([{"quarter": "2026Q3", "status": "risk", "progress": 30}])
    assert bars.frame == frame
    assert bars.columns[0].cell_y == frame.plot_bottom - bars.cell_height
    assert bars.columns[0].bar_top is not None
    assert bars.columns[0].bar_top >= frame.top


def test_a_status_charts_target_line_is_named_in_full_within_the_chart() -> None:
    # "Mål 1 234,5 st" at 12 px: some 7.2 px a character (0.6 em, the chart font's average).
    chart = charts.status_chart(
        [{"quarter": "2026Q3", "status": "risk", "progress": 900, "target": 1234.5}],
        unit="st",
    )
    assert chart.target is not None
    label = f"Mål {chart.target.value_label}"
    assert label == "Mål 1\u00a0234,5\u00a0st"
    assert chart.frame.line_label_x + len(label) * charts.LABEL_CHAR_WIDTH <= chart.frame.width
    # And the y axis' labels ("1 500 st") in full left of the plot, where 48 px cut them.
    widest = max(len(tick.label) for tick in chart.y_ticks)
    assert widest == len("1\u00a0500\u00a0st")
    assert chart.frame.y_label_x - widest * charts.LABEL_CHAR_WIDTH >= 0
    assert [c.x for c in chart.columns][0] >= chart.frame.plot_left


def test_a_direction_goals_status_chart_svg_has_no_room_for_bars() -> None:
    rows = [{"quarter": "2026Q3", "status": "enligt_plan"}]
    html = _render("{% goal_status_chart rows %}", rows=rows)
    view_box = re.search(r'viewBox="0 0 (\S+) (\S+)"', html)
    assert view_box is not None
    # 12 above the cells, the cells' 22, 64 for their labels: not 170 with 72 empty on top.
    assert float(view_box.group(2)) == 98
    assert 'class="progress-bar"' not in html
    cell = re.search(r'class="status-cell" x="\S+" y="(\S+)"', html)
    assert cell is not None
    assert float(cell.group(1)) == 12


def test_a_measure_goals_status_chart_names_the_period_its_value_is_of() -> None:
    """The engine judges a measure goal on the measure's latest month, not on the quarter's
    value the measure tables show (18,4 % in September beside 17,7 % for Kv 3 2026): each
    value says its month, and a quarterly measure's its quarter only where that is another."""
    rows = [
        {
            "quarter": "2026Q2",
            "status": "ej_enligt_plan",
            "progress": Decimal("17"),
            "target": 100,
            "basis": {"latest_period_end": "2026-06-30"},
        },
        {
            "quarter": "2026Q3",
            "status": "ej_enligt_plan",
            "progress": Decimal("18.4"),
            "target": 100,
            "basis": {"latest_period_end": "2026-09-30"},
        },
    ]
    monthly = charts.status_chart(rows, unit="%", period="month")
    assert [c.progress_text for c in monthly.columns] == [
        "jun 2026: 17,0\u00a0%",
        "sep 2026: 18,4\u00a0%",
    ]
    assert monthly.target is not None
    assert monthly.target.value_label == "100\u00a0%"  # the target as it was set
    html = _render(
        "{% goal_status_chart rows unit='%' measure=measure table='visible' %}",
        rows=rows,
        measure=SimpleNamespace(unit="%", value_type="share", frequency="monthly"),
    )
    assert ">Utfall (senaste månaden)</th>" in html
    assert "sep 2026: 18,4\u00a0%" in html

    rows[1]["basis"] = {"latest_period_end": "2026-06-30"}  # Kv 3 has no value yet
    quarterly = charts.status_chart(rows, unit="%", period="quarter")
    assert [c.progress_text for c in quarterly.columns] == [
        "17,0\u00a0%",
        "Kv 2 2026: 18,4\u00a0%",
    ]
    assert quarterly.period == "quarter"


# --- the template tags ------------------------------------------------------------------------


def _render(source: str, **context) -> str:
    template = engines["django"].from_string("{% load followup_charts %}" + source)
    return template.render(context)


def test_spc_chart_tag_renders_an_accessible_svg_with_its_table_and_no_style_attribute() -> None:
    html = _render(
        '{% spc_chart s unit="%" target=62 caption="Andel" chart_id="c1" %}', s=_summary()
    )
    assert '<figure class="chart spc-chart" id="c1">' in html
    assert 'role="img" aria-labelledby="c1-title c1-desc"' in html
    assert "<details" in html
    assert "<table" in html
    assert "style=" not in html
    # Coordinates are never localised ("72,0" would break the SVG).
    assert re.search(r'y1="\d+(\.\d+)?"', html)
    assert not re.search(r'(cx|cy|x1|y1)="\d+,\d', html)
    # The rule that fired, in a tooltip and in the table.
    assert html.count("Sex punkter i rad över medelvärdet") >= 2
    assert "Särskild orsak – förbättring" in html
    # The x axis: the month, and the year on a second line where it begins.
    assert re.search(r'>jan<tspan x="[\d.]+" dy="1.15em">2023</tspan></text>', html)


def test_spc_chart_tag_with_few_points_says_why_there_are_no_limits() -> None:
    html = _render("{% spc_chart s %}", s=_summary(STEP[:5]))
    assert "Seriediagram (för få punkter för styrgränser)" in html
    assert "För få punkter för styrgränser (5 av minst 13)." in html
    assert "Övre gräns" not in html


def test_a_stored_summarys_message_is_said_in_todays_words_and_the_readers_language() -> None:
    # A summary computed before the wording changed keeps its Swedish text until its series
    # changes: the page says it from the points instead, those the rules judge.
    stored = _summary(STEP[:5])
    stored["message"] = "För få datapunkter (5 av 13) för styrgränser."
    stored["points"][0] = [*stored["points"][0][:5], [20, 26]]  # reported by only some units

    html = _render("{% spc_chart s %}", s=stored)
    assert "För få punkter för styrgränser (4 av minst 13)." in html
    assert "datapunkter" not in html
    with translation.override("en"):
        english = _render("{% spc_chart s %}", s=stored)
    assert "Too few points for control limits (4 of at least 13)." in english
    assert "Run chart (too few points for control limits)" in english


def test_icons_carry_their_swedish_meaning() -> None:
    html = _render("{% variation_icon 'special_cause_improvement_high' %}")
    assert "Särskild orsak – förbättring (högre är bättre)" in html
    assert ">H</text>" in html
    html = _render("{% assurance_icon 'consistently_failing' label=False %}")
    assert 'role="img"' in html
    assert "Målet missas konsekvent" in html
    assert ">F</text>" in html
    assert "Variation bedöms inte – för få punkter för styrgränser" in _render(
        "{% variation_icon None %}"
    )


def test_the_assurance_dash_says_why_where_the_page_knows() -> None:
    def meaning(code: str, rule: str = "") -> str:
        html = _render(
            "{% assurance_icon None reason=r %}", r=SimpleNamespace(code=code, rule=rule)
        )
        return re.search(r'<span class="mdc-label">([^<]*)</span>', html).group(1)

    assert meaning("no_goal") == "Måluppfyllelse bedöms inte – inget mål följer måttet"
    assert meaning("goal_not_yet", "baseline_missing") == (
        "Målet kan ännu inte bedömas – basvärde saknas"
    )
    assert meaning("goal_not_yet", "before_start") == "Målet har inte startat ännu"
    assert "inget mål eller för få punkter för styrgränser" in _render(
        "{% assurance_icon None %}"
    )  # the legend


def test_goal_status_chart_tag_lists_each_quarter_in_its_table() -> None:
    rows = [{"quarter": "2025Q3", "status": "risk", "progress": Decimal("30"), "target": 50}]
    html = _render("{% goal_status_chart rows percent=True %}", rows=rows)
    assert "Kv 3 2025" in html
    assert "Risk" in html
    assert "30,0\u00a0%" in html
    assert ">Utfall</th>" in html  # an adoption goal's share: no period to name


def test_a_chart_renders_once_per_content_and_its_id_follows_the_content() -> None:
    first = _render('{% spc_chart s unit="%" caption="A" %}', s=_summary())
    again = _render('{% spc_chart s unit="%" caption="A" %}', s=_summary())
    other = _render('{% spc_chart s unit="%" caption="A" %}', s=_summary(STEP[:20]))
    assert first == again
    assert first != other
    ids = {re.search(r'<figure [^>]*id="([^"]+)"', html).group(1) for html in (first, other)}
    assert len(ids) == 2  # two different charts on one page never share an id


def test_a_measure_goals_target_is_part_of_what_the_chart_is_drawn_from() -> None:
    low = _render("{% spc_chart s target=t %}", s=_summary(), t=Decimal("55"))
    high = _render("{% spc_chart s target=t %}", s=_summary(), t=Decimal("57"))
    assert low != high


def test_a_point_flagged_on_both_sides_is_drawn_as_a_conflict_never_as_improvement() -> None:
    # A rise that stays below the lower limit and the mean (higher is better).
    values = [72.0, 71.5, 72.2, 71.8, 72.1, 71.6, 72.0, 71.7, 72.3, 71.9, 72.0, 71.8, 72.1]
    values += [71.7, 70.2, 70.4, 70.6, 70.8, 71.0, 71.2, 71.3, 71.4]
    chart = charts.spc_chart(_summary(values), unit="%")
    point = chart.points[14]
    # The engine keeps MDC's type; the chart draws the verdict, with a marker of its own.
    assert (point.type, point.verdict) == ("improvement", "conflict")
    assert (point.kind, point.shape) == ("conflict", "hourglass")
    assert point.marker_points == ""  # drawn as two halves, not as improvement's square
    upper, lower = point.conflict_halves
    assert upper.count(",") == lower.count(",") == 3
    assert chart.has_conflict
    assert "conflict" in chart.point_kinds
    assert not charts.spc_chart(_summary([50, 51, 52] * 5)).has_conflict
    # No point below the lower limit of a measure where higher is better looks like improvement.
    below = [p for p in chart.points if p.value < chart_line(chart, "lower_limit")]
    assert below
    assert all(p.kind in ("concern", "conflict") and p.shape != "square" for p in below)
    html = _render("{% spc_chart s unit='%' %}", s=_summary(values))
    assert (
        "Särskild orsak – både förbättring och försämring</strong>: Förbättring: Sex punkter i "
        "rad som stiger. Försämring: Punkt under undre styrgränsen; Sex punkter i rad under "
        "medelvärdet."
    ) in html
    assert '<g class="point point-conflict">' in html
    assert 'class="legend-item legend-point-conflict"' in html
    assert "visas som förbättring" not in html


def chart_line(chart: charts.SpcChart, kind: str) -> float:
    return next(line.value for line in chart.lines if line.kind == kind)


def test_a_sparklines_latest_point_is_drawn_as_its_verdict() -> None:
    values = [72.0, 71.5, 72.2, 71.8, 72.1, 71.6, 72.0, 71.7, 72.3, 71.9, 72.0, 71.8, 72.1]
    values += [71.7, 70.2, 70.4, 70.6, 70.8, 71.0, 71.2]
    line = charts.sparkline(_summary(values))
    assert line.last is not None
    assert (line.last.type, line.last.kind) == ("improvement", "conflict")
    assert "sparkline-last point-conflict" in _render("{% sparkline s %}", s=_summary(values))


# A target far above or below the data (DÖ: 100 % for a series around 10–18 %).
LOW_SHARES = [9.6, 10.2, 10.8, 11.1, 11.5, 12.0, 12.4, 13.1, 13.8, 14.2, 15.0, 15.6, 16.3, 17.7]


@pytest.mark.parametrize(
    ("target", "side", "arrow"), [(100, "above", "↑"), (Decimal("-80"), "below", "↓")]
)
def test_a_target_off_the_scale_is_a_marker_outside_the_plot_never_a_line_at_a_wrong_value(
    target: float, side: str, arrow: str
) -> None:
    chart = charts.spc_chart(_summary(LOW_SHARES), unit="%", target=target)
    line = next(line for line in chart.lines if line.kind == "target")
    assert line.off_scale == side
    frame = chart.frame
    # Outside the plot, in a margin of its own: no gridline's value can be read off it.
    if side == "above":
        assert line.y < frame.plot_top
        assert frame.top == charts.SPC_FRAME.top + charts.OFF_SCALE_ROOM
    else:
        assert line.y > frame.plot_bottom
        assert frame.bottom == charts.SPC_FRAME.bottom + charts.OFF_SCALE_ROOM
    assert all(line.y != tick.position for tick in chart.y_ticks)
    # The data keep their own scale: every point inside the plot.
    assert all(frame.plot_top <= p.y <= frame.plot_bottom for p in chart.points)
    html = _render("{% spc_chart s unit='%' target=t %}", s=_summary(LOW_SHARES), t=target)
    # The target as it was set ("100 %"), not written as a value ("100,0 %").
    label = f"{arrow} Mål {charts.target_text(target, '%')} (utanför skalan)"
    assert ",0\u00a0% (utanför skalan)" not in html
    assert label in html
    # No target line across the plot (the old one lay on the top gridline, 20 %).
    assert not re.search(
        rf'<line class="level level-target" x1="{frame.plot_left:g}" x2="{frame.plot_right:g}"',
        html,
    )


def test_a_target_near_the_data_extends_the_axis_and_is_drawn_at_its_value() -> None:
    chart = charts.spc_chart(_summary(LOW_SHARES), unit="%", target=25)
    line = next(line for line in chart.lines if line.kind == "target")
    assert not line.off_scale
    assert chart.frame == charts.SPC_FRAME
    top = chart.y_ticks[-1]
    assert float(top.label.split("\u00a0")[0].replace(",", ".")) >= 25
    low, high = chart.y_ticks[0], chart.y_ticks[-1]
    low_value = float(low.label.split("\u00a0")[0].replace(",", "."))
    high_value = float(high.label.split("\u00a0")[0].replace(",", "."))
    expected = low.position - (25 - low_value) / (high_value - low_value) * (
        low.position - high.position
    )
    assert line.y == pytest.approx(expected, abs=0.01)


def test_a_sparkline_says_whether_it_shows_months_or_quarters_and_up_to_when() -> None:
    html = _render("{% sparkline s %}", s=_summary(LOW_SHARES))
    assert '<span class="sparkline-caption">Månadsvärden t.o.m. feb 2024</span>' in html
    html = _render("{% sparkline s quarterly=True %}", s=_summary(LOW_SHARES))
    assert '<span class="sparkline-caption">Kvartalsvärden t.o.m. Kv 1 2024</span>' in html
    assert _render("{{ s|spc_latest_period }}", s=_summary(LOW_SHARES)) == "feb 2024"
    assert _render("{{ s|spc_latest_period }}", s={}) == ""


def test_a_measures_values_have_its_kinds_decimals_whatever_their_trailing_zeros() -> None:
    # /matt/arbetsmiljo/ once wrote one column as "72,67", "72,2", "72,08": an index is
    # written to one decimal, a count to none, a mean to one, a share as every share.
    assert [charts.chart_value_text(v, "index") for v in (72.67, 72.2, 72.08, 70)] == [
        "72,7",
        "72,2",
        "72,1",
        "70,0",
    ]
    assert charts.chart_value_text(Decimal("67.3"), "", "index") == "67,3"
    assert charts.chart_value_text(Decimal("70.43"), "", "index") == "70,4"
    assert charts.chart_value_text(Decimal("12"), "st", "count") == "12\u00a0st"
    assert charts.chart_value_text(Decimal("12.25"), "dagar", "mean") == "12,3\u00a0dagar"
    assert charts.chart_value_text(Decimal("54.25"), "%", "share") == "54,3\u00a0%"
    # A unit alone that says nothing of the kind keeps up to two decimals (a mean per unit).
    assert charts.chart_value_text(Decimal("2.67"), "st") == "2,67\u00a0st"

    index = charts.spc_chart(_summary([72.67, 72.2, 72.08, 70.0]), unit="index")
    assert [p.value_label for p in index.points] == ["72,7", "72,2", "72,1", "70,0"]
    assert {line.kind: line.value_label for line in index.lines}["median"] == "72,1"
    spark = charts.sparkline(_summary([72.67, 72.2]), unit="", value_type="index")
    assert [p.value_label for p in spark.points] == ["72,7", "72,2"]


# --- a period only some of the units have reported ----------------------------------------------


def _with_units(values: list[float], partial_last: tuple[int, int]) -> list[tuple]:
    """A series of (start, value, reporting, expected), whole but for its last period."""
    rows = [(day, value, 3, 3) for day, value in _series(values)]
    day, value, _, _ = rows[-1]
    return [*rows[:-1], (day, value, *partial_last)]


def test_an_incomplete_point_is_a_hollow_ring_named_in_its_tooltip_and_table() -> None:
    values = [50, 51, 52] * 5 + [80]
    whole = charts.spc_chart(_summary(values))
    assert whole.points[-1].kind == "improvement"
    assert whole.points[-1].shape == "square"

    summary = spc_summary(_with_units(values, (1, 3)), improvement="higher")
    assert summary["points"][-1][2:] == ["common_cause", [], [], [1, 3]]
    chart = charts.spc_chart(summary, unit="%")
    last = chart.points[-1]
    assert (last.kind, last.shape, last.incomplete, last.is_signal) == (
        "incomplete",
        "ring",
        (1, 3),
        False,
    )
    assert chart.incomplete_points == (last,)
    assert "incomplete" in chart.point_kinds
    html = (
        engines["django"]
        .from_string("{% load followup_charts %}{% spc_chart summary unit='%' %}")
        .render({"summary": summary})
    )
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert re.search(r'<g class="point point-incomplete">\s*<title>', html)
    assert "apr 2024: 80,0 % – ofullständig: 1 av 3 enheter, bedöms inte" in text
    assert "Ofullständig: 1 av 3 enheter, bedöms inte" in text
    assert "Ofullständig – alla enheter har inte rapporterat, bedöms inte" in text  # legend
    # The sparkline's latest point is the ring too.
    assert charts.sparkline(summary).last.kind == "incomplete"


def test_a_run_charts_median_leaves_an_incomplete_point_out() -> None:
    summary = spc_summary(_with_units([10, 10, 12, 12, 40], (1, 3)), improvement="higher")
    chart = charts.spc_chart(summary)
    assert [line.value for line in chart.lines if line.kind == "median"] == [11.0]


def test_a_count_goals_computed_target_is_labelled_with_one_decimal_where_not_whole() -> None:
    # "Mål 191,8 st" in the charts, as the goal's status sentence and "Underlag" write it.
    assert charts.target_text(Decimal("191.766667"), "st", "count") == "191,8\u00a0st"
    assert charts.target_text(Decimal(200), "st", "count") == "200\u00a0st"
    assert charts.target_text(Decimal("1234.5"), "st", "count") == "1\u00a0234,5\u00a0st"
