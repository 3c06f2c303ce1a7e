"""The dashboards' number filters: what a template hands over for a line without a result."""

from __future__ import annotations

from decimal import Decimal

from django.template import Context, Template

from base.formatting import SPACE


def render(source: str, **context: object) -> str:
    return Template("{% load dashboard_tags %}" + source).render(Context(context))


def test_a_measure_without_a_result_shows_a_dash_not_an_error() -> None:
    # `line.result` is None: the template resolves `line.result.value` to "".
    line = {"result": None}

    assert render("{{ line.result.value|sv_value:'%' }}", line=line) == "–"
    assert render("{{ line.result.change_previous_quarter|sv_change:'%' }}", line=line) == "–"
    assert render("{{ line.result.value|sv_share }}", line=line) == "–"


def test_values_and_changes_are_written_the_swedish_way() -> None:
    assert render("{{ v|sv_value:'%' }}", v=Decimal("54.25")) == "54,3\u00a0%"
    assert render("{{ v|sv_change:'st' }}", v=Decimal("-3")) == "\u22123\u00a0st"


def test_a_change_is_spelled_the_same_on_the_unit_page_and_the_measure_pages() -> None:
    # The unit page (sv_change) and the Mått pages (measure_change) once wrote the same
    # change of a share as "+1,14 %-enheter" and "+1,1 procentenheter".
    for source in (
        "{% load dashboard_tags %}{{ v|sv_change:'%' }}",
        "{% load followup_pages %}{{ v|measure_change:'%' }}",
    ):
        template = Template(source)
        assert template.render(Context({"v": Decimal("1.14")})) == "+1,1 procentenheter"
        assert template.render(Context({"v": Decimal("-0.26")})) == "\u22120,3 procentenheter"
        # No change, with its unit; two decimals where one would hide a change that is there.
        assert template.render(Context({"v": Decimal("0")})) == "±0,0 procentenheter"
        assert template.render(Context({"v": Decimal("0.04")})) == "+0,04 procentenheter"
        assert template.render(Context({"v": Decimal("0.004")})) == "±0,0 procentenheter"
    counts = Template("{% load followup_pages %}{{ v|measure_change:'st' }}")
    assert counts.render(Context({"v": Decimal("-1234.5")})) == f"\u22121{SPACE}234,5\u00a0st"


def test_a_negative_zero_or_a_value_rounding_to_zero_is_written_without_a_minus() -> None:
    from base.admin import format_decimal

    for value in (Decimal("-0"), Decimal("-0.0000"), Decimal("-0.001")):
        assert render("{{ v|sv_value }}", v=value) == "0", value
        assert render("{{ v|sv_value:'%' }}", v=value) == f"0,0{SPACE}%", value
        assert render("{{ v|sv_change:'st' }}", v=value) == "±0\u00a0st", value
        assert render("{{ v|sv_change:'%' }}", v=value) == "±0,0 procentenheter", value
    assert format_decimal(Decimal("-0.0000")) == "0"  # the admin's lists


def test_given_the_measure_a_value_and_its_change_have_the_kinds_decimals() -> None:
    from followup.models import Measure

    index = Measure(code="i", name="Index", unit="index", value_type=Measure.ValueType.INDEX)
    mean = Measure(code="m", name="Väntetid", unit="dagar", value_type=Measure.ValueType.MEAN)

    values = [render("{{ v|sv_value:m }}", v=Decimal(v), m=index) for v in ("72.2", "72.08")]
    assert values == ["72,2", "72,1"]
    assert render("{{ v|sv_change:m }}", v=Decimal("0.47"), m=index) == "+0,5"
    assert render("{{ v|sv_value:m }}", v=Decimal("12"), m=mean) == "12,0\u00a0dagar"
    assert render("{{ v|sv_change:m }}", v=Decimal("-1.04"), m=mean) == "\u22121,0\u00a0dagar"


def test_a_whole_coverage_reads_with_its_decimal_as_the_others_in_its_column() -> None:
    # "100,0 %" above "98,7 %" in the Datatäckning column, not "100 %".
    from types import SimpleNamespace

    from django.template.loader import render_to_string

    def cell(pct: float) -> str:
        basis = SimpleNamespace(coverage_lines=["30 av 30 varje månad"], coverage_pct=pct)
        return render_to_string("includes/coverage.html", {"basis": basis})

    assert cell(100.0).startswith("100,0\u00a0%<span")
    assert cell(296 / 300 * 100).startswith("98,7\u00a0%<span")


def test_a_target_share_is_written_as_set_and_a_share_of_units_to_one_decimal() -> None:
    assert render("{{ v|sv_share }}", v=Decimal(60)) == "60,0\u00a0%"
    assert render("{{ v|sv_share }}", v=Decimal(500) / 6) == "83,3\u00a0%"
    assert render("{{ v|sv_set_level }}", v=Decimal("100.00")) == "100\u00a0%"
