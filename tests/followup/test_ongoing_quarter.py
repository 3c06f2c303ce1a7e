"""A quarter that has not ended says so: its values cover the periods so far."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from base.periods import Quarter
from followup.quarter_selection import QuarterSelection


def test_the_ongoing_quarter_says_that_its_values_are_so_far() -> None:
    current = Quarter.containing(timezone.localdate())
    selection = QuarterSelection(quarter=current, computed=[current, current.previous()])

    html = render_to_string("includes/quarter_state.html", {"selection": selection})

    assert selection.is_ongoing
    assert f"{current.label} pågår till och med" in html
    assert "resultaten gäller det som har rapporterats hittills" in html


def test_an_ended_quarter_says_nothing_of_the_kind() -> None:
    earlier = Quarter.containing(timezone.localdate()).previous()
    selection = QuarterSelection(quarter=earlier, computed=[earlier])

    html = render_to_string("includes/quarter_state.html", {"selection": selection})

    assert not selection.is_ongoing
    assert f"Resultat för {earlier.label}" in html
    assert "pågår" not in html
