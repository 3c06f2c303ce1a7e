"""The dashboards' number filters: what a template hands over for a line without a result."""

from __future__ import annotations

from decimal import Decimal

from django.template import Context, Template


def render(source: str, **context: object) -> str:
    return Template("{% load dashboard_tags %}" + source).render(Context(context))


def test_a_measure_without_a_result_shows_a_dash_not_an_error() -> None:
    # `line.result` is None: the template resolves `line.result.value` to "".
    line = {"result": None}

    assert render("{{ line.result.value|sv_value:'%' }}", line=line) == "–"
    assert render("{{ line.result.change_previous_quarter|sv_change:'%' }}", line=line) == "–"
    assert render("{{ line.result.value|sv_percent }}", line=line) == "–"


def test_values_and_changes_are_written_the_swedish_way() -> None:
    assert render("{{ v|sv_value:'%' }}", v=Decimal("54.25")) == "54,3 %"
    assert render("{{ v|sv_change:'st' }}", v=Decimal("-3")) == "\u22123 st"
