"""templates/includes/provenance.html: what each provenance shows (pages include it)."""

from __future__ import annotations

from types import SimpleNamespace

from django.template.loader import render_to_string

TEMPLATE = "includes/provenance.html"


def render(provenance: str, note: str = "", **extra: object) -> str:
    record = SimpleNamespace(provenance=provenance, provenance_note=note)
    return render_to_string(TEMPLATE, {"record": record, **extra})


def test_an_example_is_labelled_with_its_note() -> None:
    html = render("exempel", "Planen definierar inte måttet.")

    assert "Exempel – fastställs av regionen" in html
    assert "Planen definierar inte måttet." in html


def test_a_compact_example_is_one_word_that_opens_its_note_with_no_spaces_around() -> None:
    """A disclosure, not a title tooltip: keyboard and touch users read the note too."""
    html = render("exempel", "Antagande", compact=True)

    # data-print-closed: on paper it stays a label; its note would split the list it is in.
    assert html == (
        '<details class="provenance-toggle" data-print-closed>'
        '<summary class="provenance provenance-example">'
        'Exempel</summary><span class="provenance-toggle-note">Antagande</span></details>'
    )
    assert "title=" not in html
    assert render("exempel", compact=True) == (
        '<span class="provenance provenance-example">Exempel</span>'
    )


def test_a_plan_record_shows_the_plans_wording_and_no_example_label() -> None:
    html = render("plan", "Planen: ”Teamrond ska vara infört på 50% av HC i dec 2025”.")

    assert "Teamrond ska vara infört" in html
    assert "Exempel" not in html
    assert render("plan").strip() == ""
    assert render("plan", "Planen: …", compact=True) == ""


def test_the_regions_own_record_shows_nothing() -> None:
    assert render("region", "Fastställt i HSL").strip() == ""
