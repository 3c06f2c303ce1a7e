"""The reporting grid: a period's values for the VC's units, validated by value type."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from base.formatting import SPACE
from base.periods import MONTHS_SV, Quarter
from followup.models import Measure, Observation
from tests.factories import ImportBatchFactory, MeasureFactory, ObservationFactory, OrgTree

pytestmark = pytest.mark.django_db
OCT = datetime.date(2025, 10, 1)


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(org_tree: OrgTree) -> str:
    return reverse("report_grid", args=[org_tree.vo1.pk])


def cell(measure: Measure, unit_id: int, **values: object) -> dict[str, object]:
    values.setdefault("version", 0)
    return {f"m{measure.pk}u{unit_id}-{k}": v for k, v in values.items()}


def test_the_vc_reports_a_months_values_for_the_health_centres(
    vc: User, org_tree: OrgTree, visits: Measure, right_help: Measure
) -> None:
    client = login(vc)
    page = client.get(url(org_tree), {"period": "2025-10"}).content.decode()
    assert "okt 2025" in page
    assert "Hälsocentral Norrby" in page
    assert "Hälsocentral Söderby" not in page

    data = {
        "period": "2025-10",
        **cell(visits, org_tree.hc1a.pk, value="120"),
        **cell(visits, org_tree.hc1b.pk, value="98"),
        **cell(right_help, org_tree.hc1a.pk, numerator="30", denominator="40"),
    }
    response = client.post(url(org_tree), data)

    assert response.status_code == 302
    assert Observation.objects.count() == 3
    share = Observation.objects.get(measure=right_help)
    assert share.value == Decimal("75")
    assert share.period_end == datetime.date(2025, 10, 31)
    assert share.quarter == "2025Q4"
    assert share.history.first().history_user == vc


@pytest.mark.parametrize(
    ("values", "message"),
    [
        # In the import's words (followup.value_rules, followup.imports.parsing), as the import
        # refuses them.
        ({"value": "-1"}, "Ett antal kan inte vara negativt (−1)."),
        ({"value": "2,5"}, "Ett antal måste vara ett heltal, inte 2,5."),
        ({"value": "tio"}, "”tio” är inte ett tal"),
        ({"value": "5 %"}, "Procenttecken passar bara mått som är andelar"),
    ],
)
def test_counts_are_whole_and_not_negative(
    vc: User, org_tree: OrgTree, visits: Measure, values: dict[str, str], message: str
) -> None:
    data = {
        "period": "2025-10",
        **cell(visits, org_tree.hc1b.pk, value="5"),
        **cell(visits, org_tree.hc1a.pk, **values),
    }
    response = login(vc).post(url(org_tree), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page
    # The summary's heading says what was refused, its text what to do: not "Inget sparades"
    # twice in a row.
    assert re.search(
        r'<h2 id="[^"]*">Inget sparades</h2>\s*<p>Rätta de markerade värdena och spara igen.</p>',
        page,
    )
    assert re.sub(r'\sdata-error-[a-z-]+="[^"]*"', "", page).count("Inget sparades") == 1
    assert not Observation.objects.exists()  # the valid cell was not saved either


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"numerator": "50", "denominator": "40"},
            "Täljaren (50) är större än nämnaren (40), men en andel kan inte vara över "
            "100 procent. Kontrollera talen: har de bytt plats?",
        ),
        ({"numerator": "5", "denominator": "0"}, "Nämnaren kan inte vara 0."),
        ({"numerator": "5", "denominator": "-2"}, "Talet kan inte vara negativt (−2)."),
        ({"numerator": "-5", "denominator": "20"}, "Talet kan inte vara negativt (−5)."),
        ({"numerator": "5", "denominator": ""}, "Täljare och nämnare måste anges tillsammans."),
        # Täljare and nämnare are counts, of a share too: not "percent fits only shares".
        (
            {"numerator": "12,5 %", "denominator": "400"},
            "Täljaren är ett antal, inte en procentsats: skriv antalet, t.ex. 212.",
        ),
        (
            {"numerator": "212", "denominator": "80 %"},
            "Nämnaren är ett antal, inte en procentsats: skriv antalet, t.ex. 400.",
        ),
    ],
)
def test_shares_need_a_numerator_not_above_a_positive_denominator(
    vc: User, org_tree: OrgTree, right_help: Measure, values: dict[str, str], message: str
) -> None:
    data = {"period": "2025-10", **cell(right_help, org_tree.hc1a.pk, **values)}
    response = login(vc).post(url(org_tree), data)
    assert response.status_code == 422
    assert message in response.content.decode()


@pytest.mark.parametrize("typed", ["1 200", "1\u00a0200", "1\u202f200", "1200,0", "1 200.00"])
def test_numbers_are_read_as_the_import_reads_them(
    vc: User, org_tree: OrgTree, visits: Measure, right_help: Measure, typed: str
) -> None:
    data = {
        "period": "2025-10",
        **cell(visits, org_tree.hc1a.pk, value=typed),
        **cell(right_help, org_tree.hc1a.pk, numerator="1 200", denominator="2\u00a0400"),
    }
    response = login(vc).post(url(org_tree), data)
    assert response.status_code == 302
    assert Observation.objects.get(measure=visits).value == Decimal(1200)
    assert Observation.objects.get(measure=right_help).value == Decimal(50)


@pytest.mark.parametrize(
    ("measure_name", "values", "field"),
    [
        ("visits", {"value": "abc"}, "value"),
        ("right_help", {"numerator": "abc", "denominator": "40"}, "numerator"),
        ("right_help", {"numerator": "30", "denominator": "4o"}, "denominator"),
    ],
)
def test_a_cell_that_is_not_a_number_is_said_so_and_not_called_empty(
    request: pytest.FixtureRequest,
    vc: User,
    org_tree: OrgTree,
    measure_name: str,
    values: dict[str, str],
    field: str,
) -> None:
    measure = request.getfixturevalue(measure_name)
    data = {"period": "2025-10", **cell(measure, org_tree.hc1a.pk, **values)}
    response = login(vc).post(url(org_tree), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert f"”{values[field]}” är inte ett tal" in page
    assert "Fyll i ett tal" not in page
    assert "Ange ett värde" not in page
    assert "Ange täljare och nämnare" not in page


def test_the_error_summary_links_to_the_cells_first_invalid_input(
    vc: User, org_tree: OrgTree, right_help: Measure
) -> None:
    key = f"m{right_help.pk}u{org_tree.hc1a.pk}"
    data = {
        "period": "2025-10",
        **cell(right_help, org_tree.hc1a.pk, numerator="5", denominator="0"),
    }
    body = login(vc).post(url(org_tree), data).content.decode()
    assert f'<a href="#id_{key}-denominator">Rätt hjälp på en gång, Hälsocentral Norrby:' in body
    assert f'href="#{key}-unit"' not in body


def test_an_index_outside_0_to_100_is_refused_in_the_imports_words(
    vc: User, org_tree: OrgTree
) -> None:
    index = MeasureFactory(name="Arbetsmiljöindex", value_type=Measure.ValueType.INDEX)
    index.unit_kinds.set([org_tree.hc1a.kind])
    data = {"period": "2025-10", **cell(index, org_tree.hc1a.pk, value="101,5")}

    response = login(vc).post(url(org_tree), data)

    assert response.status_code == 422
    assert "Ett index måste vara mellan 0 och 100, inte 101,5." in response.content.decode()
    assert not Observation.objects.exists()


@pytest.fixture
def work_environment(org_tree: OrgTree) -> Measure:
    """An index weighted up the tree by its nämnare, the number of respondents."""
    measure = MeasureFactory(
        name="Arbetsmiljö", unit="index", value_type=Measure.ValueType.INDEX,
        aggregation=Measure.Aggregation.WEIGHTED_MEAN, frequency=Measure.Frequency.QUARTERLY,
    )  # fmt: skip
    measure.unit_kinds.set([org_tree.hc1a.kind])
    return measure


def _index_value(measure: Measure, unit_id: int) -> tuple[object, ...]:
    obs = Observation.objects.get(measure=measure, unit_id=unit_id)
    return (obs.value, obs.numerator, obs.denominator)


def test_an_index_is_reported_with_its_value_and_nämnare_and_keeps_a_stored_one(
    vc: User, org_tree: OrgTree, work_environment: Measure
) -> None:
    q4 = datetime.date(2025, 10, 1)
    ObservationFactory(
        measure=work_environment, unit=org_tree.hc1b, period_start=q4,
        period_end=datetime.date(2025, 12, 31), value=Decimal("71.1"), denominator=Decimal(33),
    )  # fmt: skip
    client = login(vc)
    page = client.get(url(org_tree), {"period": "2025Q4"}).content.decode()
    assert "Nämnare (vikt, t.ex. antal svarande)" in page
    stored = f"m{work_environment.pk}u{org_tree.hc1b.pk}"
    assert 'value="33"' in _tag(_row(page, stored), f'name="{stored}-denominator"')

    data = {
        "period": "2025Q4",
        **cell(work_environment, org_tree.hc1a.pk, value="72,4", denominator="18"),
        # The nämnare left out: the stored one stays (as an import keeps it).
        **cell(work_environment, org_tree.hc1b.pk, value="70", denominator="", version=1),
    }
    response = client.post(url(org_tree), data)

    assert response.status_code == 302
    assert _index_value(work_environment, org_tree.hc1a.pk) == (Decimal("72.4"), None, 18)
    assert _index_value(work_environment, org_tree.hc1b.pk) == (Decimal(70), None, 33)


@pytest.mark.parametrize(
    ("denominator", "message"),
    [("0", "Nämnaren kan inte vara 0."), ("-3", "Talet kan inte vara negativt (−3).")],
)
def test_an_index_nämnare_is_positive(
    vc: User, org_tree: OrgTree, work_environment: Measure, denominator: str, message: str
) -> None:
    data = {
        "period": "2025Q4",
        **cell(work_environment, org_tree.hc1a.pk, value="72,4", denominator=denominator),
    }
    response = login(vc).post(url(org_tree), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Observation.objects.exists()


def test_the_model_takes_an_index_with_value_and_nämnare_and_no_täljare(
    org_tree: OrgTree, work_environment: Measure, right_help: Measure
) -> None:
    """Observation.clean keeps the import's and the grid's rule (value_rules.pair_missing)."""
    from django.core.exceptions import ValidationError

    index = Observation(
        measure=work_environment, unit=org_tree.hc1a, period_start=datetime.date(2025, 10, 1),
        period_end=datetime.date(2025, 12, 31), value=Decimal("72.4"), denominator=Decimal(18),
    )  # fmt: skip
    index.full_clean()
    index.denominator, index.numerator = None, Decimal(1303)
    with pytest.raises(ValidationError, match="Täljare och nämnare måste anges tillsammans"):
        index.full_clean()
    share = Observation(
        measure=right_help, unit=org_tree.hc1a, period_start=OCT,
        period_end=datetime.date(2025, 10, 31), value=Decimal(75), denominator=Decimal(4),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="Täljare och nämnare måste anges tillsammans"):
        share.full_clean()


def test_a_jump_above_the_setting_needs_a_comment(
    vc: User, org_tree: OrgTree, visits: Measure, settings: object
) -> None:
    ObservationFactory(
        measure=visits, unit=org_tree.hc1a, period_start=datetime.date(2025, 9, 1), value=100
    )
    client = login(vc)
    jump = {"period": "2025-10", **cell(visits, org_tree.hc1a.pk, value="200")}
    response = client.post(url(org_tree), jump)
    assert response.status_code == 422
    assert "mer än 50 %" in response.content.decode()
    explained = {
        "period": "2025-10",
        **cell(visits, org_tree.hc1a.pk, value="200", comment="Ny läkare på plats."),
    }
    assert client.post(url(org_tree), explained).status_code == 302
    assert Observation.objects.get(period_start=OCT).comment == "Ny läkare på plats."


def test_an_imported_value_changes_only_when_overridden_and_says_so(
    vc: User, org_tree: OrgTree, visits: Measure
) -> None:
    imported = ObservationFactory(
        measure=visits, unit=org_tree.hc1a, period_start=OCT, value=10, source="cyklop"
    )
    client = login(vc)
    data = {"period": "2025-10", **cell(visits, org_tree.hc1a.pk, value="12", version=1)}
    refused = client.post(url(org_tree), data)
    assert refused.status_code == 422
    assert "importerat från Cyklop" in refused.content.decode()
    imported.refresh_from_db()
    assert (imported.value, imported.source, imported.version) == (Decimal(10), "cyklop", 1)

    data[f"m{visits.pk}u{org_tree.hc1a.pk}-override"] = "on"
    assert client.post(url(org_tree), data).status_code == 302
    imported.refresh_from_db()
    assert imported.value == Decimal("12")
    assert imported.source == "manual"
    assert imported.overrides_source == "cyklop"
    record = imported.history.first()
    assert (record.history_user, record.overrides_source) == (vc, "cyklop")


@pytest.fixture
def imported(org_tree: OrgTree, visits: Measure) -> Observation:
    """Norrby's October visits, 54 imported from Cyklop in a batch."""
    batch = ImportBatchFactory(source="cyklop")
    return ObservationFactory(
        measure=visits,
        unit=org_tree.hc1a,
        period_start=OCT,
        value=54,
        source="cyklop",
        import_batch=batch,
    )


def test_an_imported_value_is_read_only_text_with_its_source_and_batch(
    vc: User, org_tree: OrgTree, visits: Measure, imported: Observation
) -> None:
    key = f"m{visits.pk}u{org_tree.hc1a.pk}"
    page = login(vc).get(url(org_tree), {"period": "2025-10"}).content.decode()

    row = _row(page, key)
    batch_url = reverse("import_batch", args=[imported.import_batch_id])
    number = imported.import_batch_id
    # The value under its column, the source and the batch under Källa.
    assert re.search(
        r'<td role="cell" class="num imported-value">(<span [^>]*>Värde</span>)?54\u00a0st</td>',
        row,
    )
    assert f'Importerat från Cyklop (<a href="{batch_url}">import #{number}</a>)' in row
    assert f'name="{key}-value"' not in row  # no input: nothing to change by accident
    assert f'name="{key}-override"' not in row
    assert "Ersätt värdet" in row
    # A button of the grid form (without JavaScript it posts what was typed elsewhere).
    button = _tag(row, "Ersätt värdet")
    assert 'type="submit"' in button
    assert f'name="ersatt" value="{key}"' in button
    # The other unit's cell, not imported, is an input as before.
    assert f'name="m{visits.pk}u{org_tree.hc1b.pk}-value"' in page


def test_ersatt_vardet_shows_the_cell_as_inputs_with_a_hidden_override_flag(
    vc: User, org_tree: OrgTree, visits: Measure, imported: Observation
) -> None:
    key = f"m{visits.pk}u{org_tree.hc1a.pk}"
    client = login(vc)

    # Without JavaScript: the link renders the whole grid with that cell editable, focused.
    page = client.get(url(org_tree), {"period": "2025-10", "ersatt": key}).content.decode()
    row = _row(page, key)
    assert f'<input type="hidden" name="{key}-override" value="on">' in row
    assert f'name="{key}-value" value="54"' in row
    assert "autofocus" in _tag(row, f'name="{key}-value"')
    assert f'aria-describedby="{key}-source"' in _tag(row, f'name="{key}-value"')
    assert "Ersätter 54\u00a0st från Cyklop" in row
    assert "Behåll importerat värde" in row

    # With htmx: the same cell alone, to swap in place.
    swapped = client.get(
        url(org_tree), {"period": "2025-10", "ersatt": key, "rad": key}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert swapped.lstrip().startswith(f'<tr role="row" id="{key}-row"')
    assert "<form" not in swapped
    assert f'<input type="hidden" name="{key}-override" value="on">' in swapped
    assert "autofocus" in _tag(swapped, f'name="{key}-value"')
    # Selected as it takes the focus (static/js/editing.js): typing replaces 54, not 1554.
    assert "data-select-on-focus" in _tag(swapped, f'name="{key}-value"')
    assert "data-select-on-focus" in _tag(row, f'name="{key}-value"')
    # "Behåll importerat värde" swaps it back, the focus on "Ersätt värdet".
    back = client.get(
        url(org_tree), {"period": "2025-10", "rad": key}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'name="{key}-value"' not in back
    assert "autofocus" in _tag(back, "Ersätt värdet")


def test_ersatt_vardet_without_javascript_keeps_the_typed_values_and_stores_nothing(
    vc: User, org_tree: OrgTree, visits: Measure, right_help: Measure, imported: Observation
) -> None:
    """The button posts the grid: it comes back with the cell open and every typed value
    (and comment) where it was, nothing saved; "Behåll importerat värde" closes it the same way."""
    key = f"m{visits.pk}u{org_tree.hc1a.pk}"
    other = f"m{visits.pk}u{org_tree.hc1b.pk}"
    share = f"m{right_help.pk}u{org_tree.hc1a.pk}"
    typed = {
        "period": "2025-10",
        **cell(visits, org_tree.hc1b.pk, value="98", comment="Ny rutin"),
        **cell(right_help, org_tree.hc1a.pk, numerator="30", denominator="4O"),  # a typo, too
    }
    client = login(vc)

    response = client.post(url(org_tree), {**typed, "ersatt": key})

    assert response.status_code == 200
    page = response.content.decode()
    assert f'name="{other}-value" value="98"' in page
    assert f'name="{other}-comment" value="Ny rutin"' in page
    assert f'name="{share}-numerator" value="30"' in page
    assert f'name="{share}-denominator" value="4O"' in page
    # Not validated: nothing was meant to be saved yet (the messages region's data-error-*
    # attributes hold the words a failed request would show, not a message).
    assert "Inget sparades" not in re.sub(r'\sdata-error-[a-z-]+="[^"]*"', "", page)
    row = _row(page, key)
    assert f'<input type="hidden" name="{key}-override" value="on">' in row
    assert "autofocus" in _tag(row, f'name="{key}-value"')
    assert Observation.objects.count() == 1  # only the imported value, as it was
    imported.refresh_from_db()
    assert (imported.value, imported.source, imported.version) == (54, "cyklop", 1)

    # Typed into the opened cell too, then "Behåll importerat värde": the cell is read-only
    # again (its typed value dropped), the others keep theirs, still nothing stored.
    opened = {**typed, **cell(visits, org_tree.hc1a.pk, value="60", version=1, override="on")}
    page = client.post(url(org_tree), {**opened, "behall": key}).content.decode()
    row = _row(page, key)
    assert f'name="{key}-value"' not in row
    assert "autofocus" in _tag(row, "Ersätt värdet")
    assert f'name="{other}-value" value="98"' in page
    assert Observation.objects.count() == 1


def test_an_overridden_value_is_saved_and_recorded_as_an_override(
    vc: User, org_tree: OrgTree, visits: Measure, imported: Observation
) -> None:
    data = {
        "period": "2025-10",
        **cell(visits, org_tree.hc1a.pk, value="60", version=1, override="on"),
    }
    response = login(vc).post(url(org_tree), data)

    assert response.status_code == 302
    imported.refresh_from_db()
    assert (imported.value, imported.source, imported.overrides_source) == (60, "manual", "cyklop")
    page = login(vc).get(url(org_tree), {"period": "2025-10"}).content.decode()
    row = _row(page, f"m{visits.pk}u{org_tree.hc1a.pk}")
    assert "ersätter import" in row
    assert f'name="m{visits.pk}u{org_tree.hc1a.pk}-value"' in row  # manual now: editable


def test_ersatt_without_a_new_value_writes_nothing(
    vc: User, org_tree: OrgTree, visits: Measure, imported: Observation
) -> None:
    data = {
        "period": "2025-10",
        **cell(visits, org_tree.hc1a.pk, value="54", version=1, override="on"),
    }
    assert login(vc).post(url(org_tree), data).status_code == 302
    imported.refresh_from_db()
    assert (imported.source, imported.version, imported.overrides_source) == ("cyklop", 1, "")


def test_a_comment_on_an_imported_value_keeps_its_source(
    vc: User, org_tree: OrgTree, visits: Measure, imported: Observation
) -> None:
    # The value is still Cyklop's: only a changed value is a person's (observation_source_settle,
    # the rule the admin and observation_record follow too).
    data = {
        "period": "2025-10",
        **cell(visits, org_tree.hc1a.pk, value="54", version=1, override="on", comment="Stämmer."),
    }
    assert login(vc).post(url(org_tree), data).status_code == 302
    imported.refresh_from_db()
    assert (imported.comment, imported.source, imported.overrides_source) == (
        "Stämmer.",
        "cyklop",
        "",
    )


def test_the_strategists_override_in_the_grid_is_recorded_as_one(
    strategist: User, org_tree: OrgTree, visits: Measure, imported: Observation
) -> None:
    data = {
        "period": "2025-10",
        **cell(visits, org_tree.hc1a.pk, value="61", version=1, override="on"),
    }
    assert login(strategist).post(url(org_tree), data).status_code == 302
    imported.refresh_from_db()
    assert (imported.value, imported.source, imported.overrides_source) == (61, "manual", "cyklop")


def test_an_override_is_all_or_nothing_with_the_other_cells(
    vc: User, org_tree: OrgTree, visits: Measure, imported: Observation
) -> None:
    key = f"m{visits.pk}u{org_tree.hc1a.pk}"
    data = {
        "period": "2025-10",
        **cell(visits, org_tree.hc1a.pk, value="60", version=1, override="on"),
        **cell(visits, org_tree.hc1b.pk, value="-1"),
    }
    response = login(vc).post(url(org_tree), data)

    assert response.status_code == 422
    imported.refresh_from_db()
    assert (imported.value, imported.source) == (54, "cyklop")
    assert Observation.objects.count() == 1
    # The overridden cell stays as the user left it: inputs, their value, the flag.
    row = _row(response.content.decode(), key)
    assert f'name="{key}-value" value="60"' in row
    assert f'<input type="hidden" name="{key}-override" value="on">' in row


def test_a_stale_override_is_a_conflict_and_changes_nothing(
    vc: User, strategist: User, org_tree: OrgTree, visits: Measure, imported: Observation
) -> None:
    fresh = Observation.objects.get(pk=imported.pk)
    fresh.value = Decimal(55)
    fresh.save()  # a re-import, say: version 2
    data = {
        "period": "2025-10",
        **cell(visits, org_tree.hc1a.pk, value="60", version=1, override="on"),
    }
    response = login(vc).post(url(org_tree), data)
    assert response.status_code == 409
    imported.refresh_from_db()
    assert (imported.value, imported.source) == (55, "cyklop")


def _row(page: str, key: str) -> str:
    start = page.index(f'<tr role="row" id="{key}-row"')
    return page[start : page.index("</tr>", start)]


def _tag(html: str, marker: str) -> str:
    at = html.index(marker)
    return html[html.rindex("<", 0, at) : html.index(">", at)]


def test_a_vc_cannot_report_for_another_vo(vc: User, org_tree: OrgTree, visits: Measure) -> None:
    other = reverse("report_grid", args=[org_tree.vo2.pk])
    data = {"period": "2025-10", **cell(visits, org_tree.hc2a.pk, value="1")}
    assert login(vc).post(other, data).status_code == 403
    assert not Observation.objects.exists()


def test_cells_left_alone_show_no_errors_when_another_cell_is_wrong(
    vc: User, org_tree: OrgTree, visits: Measure, right_help: Measure
) -> None:
    data = {
        "period": "2025-10",
        **cell(visits, org_tree.hc1a.pk, value="-1"),
        **cell(right_help, org_tree.hc1a.pk, numerator="", denominator=""),
        **cell(right_help, org_tree.hc1b.pk, numerator="", denominator=""),
    }
    body = login(vc).post(url(org_tree), data).content.decode()
    assert "negativt" in body
    assert "Ange täljare och nämnare" not in body


def test_the_previous_periods_values_are_written_the_swedish_way_with_their_unit(
    vc: User, org_tree: OrgTree, visits: Measure, right_help: Measure
) -> None:
    sep = datetime.date(2025, 9, 1)
    ObservationFactory(measure=visits, unit=org_tree.hc1a, period_start=sep, value=Decimal("1234"))
    ObservationFactory(
        measure=right_help, unit=org_tree.hc1a, period_start=sep, value=Decimal("19.90")
    )

    page = login(vc).get(url(org_tree), {"period": "2025-10"}).content.decode()

    assert f"19,9{SPACE}%" in page  # not "19,90"
    assert f"1{SPACE}234\u00a0st" in page
    assert "19,90" not in page


def test_an_index_is_named_once_in_its_heading_and_its_values_are_plain_numbers(
    vc: User, org_tree: OrgTree, visits: Measure, right_help: Measure
) -> None:
    index = MeasureFactory(
        name="Arbetsmiljö", unit="index", value_type=Measure.ValueType.INDEX,
        aggregation=Measure.Aggregation.WEIGHTED_MEAN, frequency=Measure.Frequency.QUARTERLY,
    )  # fmt: skip
    index.unit_kinds.set([org_tree.hc1a.kind])
    ObservationFactory(
        measure=index, unit=org_tree.hc1a, period_start=datetime.date(2025, 7, 1),
        period_end=datetime.date(2025, 9, 30), value=Decimal("67.3"),
    )  # fmt: skip

    page = login(vc).get(url(org_tree), {"period": "2025Q4"}).content.decode()

    assert '<span class="caption-meta">– index</span>' in page  # not "index i index"
    assert ">67,3</td>" in page  # the heading names the scale, not every value
    assert "67,3\u00a0index" not in page
    month = login(vc).get(url(org_tree), {"period": "2025-10"}).content.decode()
    # The kind and unit in words after the name, not as notation: "(andel, %)", "(antal, st)".
    assert '<span class="caption-meta">– andel i procent</span>' in month
    assert '<span class="caption-meta">– antal</span>' in month


# --- the period picker ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("2025-10", "okt 2025"),
        ("okt 2025", "okt 2025"),
        ("oktober 2025", "okt 2025"),
        ("202510", "okt 2025"),
        ("2025Q3", "Kv 3 2025"),
        ("Kv 3 2025", "Kv 3 2025"),
        ("kv3 2025", "Kv 3 2025"),
    ],
)
def test_the_period_is_read_in_every_spelling_an_import_accepts(
    vc: User, org_tree: OrgTree, visits: Measure, text: str, shown: str
) -> None:
    page = login(vc).get(url(org_tree), {"period": text}).content.decode()

    assert re.search(rf"<h1>Rapportera värden: [^<]*, {shown}</h1>", page)
    assert f'value="{shown}"' in page  # the picker shows the period as it is spoken
    assert 'role="alert"' not in page


def test_text_that_is_no_period_says_so_and_shows_the_previous_month(
    vc: User, org_tree: OrgTree, visits: Measure
) -> None:
    page = login(vc).get(url(org_tree), {"period": "2025-13"}).content.decode()

    last_month = datetime.date.today().replace(day=1) - datetime.timedelta(days=1)
    expected = f"{MONTHS_SV[last_month.month - 1]} {last_month.year}"
    assert "”2025-13” är ingen period" in page
    assert f"Sidan visar i stället {expected}." in page
    assert re.search(rf"<h1>Rapportera värden: [^<]*, {expected}</h1>", page)
    # The field reads the period shown (values typed next are saved to it); the text typed is
    # quoted in the message, which takes the focus.
    assert f'name="period" value="{expected}"' in page
    assert 'value="2025-13"' not in page
    assert 'aria-invalid="true"' not in page
    assert re.search(
        r'<p class="form-error" id="id_period_pick_error" role="alert" tabindex="-1" autofocus>',
        page,
    )


def test_a_period_out_of_range_is_quoted_as_typed(
    vc: User, org_tree: OrgTree, visits: Measure
) -> None:
    page = login(vc).get(url(org_tree), {"period": "  Kv 4 1999 "}).content.decode()

    assert "Perioden ”Kv 4 1999” ligger utanför åren 2000–2100. Sidan visar i stället" in page


def test_a_period_not_begun_cannot_be_shown_or_reported(
    vc: User, org_tree: OrgTree, visits: Measure
) -> None:
    client = login(vc)
    next_year = datetime.date.today().year + 1

    page = client.get(url(org_tree), {"period": f"{next_year}-01"}).content.decode()
    response = client.post(
        url(org_tree),
        {"period": f"{next_year}-01", **cell(visits, org_tree.hc1a.pk, value="120")},
        follow=True,
    )

    assert f"Perioden jan {next_year} har inte börjat än" in page
    assert Observation.objects.count() == 0
    assert Observation.history.count() == 0
    assert "Inget sparades. ”" in response.content.decode()
    assert "kan inte rapporteras ännu: Perioden jan" in response.content.decode()


def test_the_picker_leads_to_the_previous_period_and_to_the_next_once_it_has_ended(
    vc: User, org_tree: OrgTree, visits: Measure
) -> None:
    client = login(vc)

    october = client.get(url(org_tree), {"period": "2025-10"}).content.decode()
    latest = client.get(url(org_tree)).content.decode()

    assert 'href="?period=2025-09">Föregående: sep 2025</a>' in october
    assert 'href="?period=2025-11">Nästa: nov 2025</a>' in october
    this_month = datetime.date.today().strftime("%Y-%m")
    # The default is last month, the latest that has ended: this month is not offered.
    assert "Nästa:" not in latest
    assert f"?period={this_month}" not in latest


def _this_month() -> tuple[str, str, str]:
    """This month's code, its name as the refusal says it and its last day ("31 dec 2026")."""
    today = datetime.date.today()
    last = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    last -= datetime.timedelta(days=1)
    names = (
        "Januari", "Februari", "Mars", "April", "Maj", "Juni",
        "Juli", "Augusti", "September", "Oktober", "November", "December",
    )  # fmt: skip
    name = f"{names[today.month - 1]} {today.year}"
    return today.strftime("%Y-%m"), name, f"{last.day} {MONTHS_SV[last.month - 1]} {last.year}"


def test_a_month_that_has_not_ended_is_refused_by_url_and_by_post(
    vc: User, org_tree: OrgTree, visits: Measure
) -> None:
    client = login(vc)
    code, name, last_day = _this_month()
    refusal = f"{name} pågår till och med {last_day}; värden rapporteras när månaden är slut."
    typed = f"{MONTHS_SV[datetime.date.today().month - 1]} {datetime.date.today().year}"

    page = client.get(url(org_tree), {"period": f" {typed} "}).content.decode()
    response = client.post(
        url(org_tree), {"period": code, **cell(visits, org_tree.hc1a.pk, value="120")}, follow=True
    )

    last_month = datetime.date.today().replace(day=1) - datetime.timedelta(days=1)
    shown = f"{MONTHS_SV[last_month.month - 1]} {last_month.year}"
    assert f"”{typed}” kan inte rapporteras ännu: {refusal} Sidan visar i stället {shown}." in page
    assert f'name="period" value="{shown}"' in page  # not the month refused
    assert 'aria-invalid="true"' not in page
    assert re.search(
        rf"<h1>Rapportera värden: [^<]*, {shown}</h1>", page
    )  # last month's grid, not this one's
    assert f"Inget sparades. ”{code}” kan inte rapporteras ännu: {refusal}" in (
        response.content.decode()
    )
    assert Observation.objects.count() == 0
    assert Observation.history.count() == 0


def test_a_quarter_that_has_not_ended_is_refused_and_not_offered(
    vc: User, org_tree: OrgTree, visits: Measure
) -> None:
    quarterly = MeasureFactory(name="Kvartalsmått", frequency=Measure.Frequency.QUARTERLY)
    quarterly.unit_kinds.set([org_tree.hc1a.kind])
    client = login(vc)
    current = Quarter.containing(datetime.date.today())
    previous = current.previous()
    end = current.end
    refusal = (
        f"{current.label} pågår till och med {end.day} {MONTHS_SV[end.month - 1]} {end.year}; "
        "värden rapporteras när kvartalet är slut."
    )

    before = client.get(url(org_tree), {"period": previous.code}).content.decode()
    page = client.get(url(org_tree), {"period": current.label}).content.decode()
    response = client.post(
        url(org_tree),
        {"period": current.code, **cell(quarterly, org_tree.hc1a.pk, value="3")},
        follow=True,
    )

    assert "Nästa:" not in before
    assert f"”{current.label}” kan inte rapporteras ännu: {refusal}" in page
    assert f'value="{current.label}"' not in page
    assert f"Inget sparades. ”{current.code}” kan inte rapporteras ännu: {refusal}" in (
        response.content.decode()
    )
    assert Observation.objects.count() == 0


@pytest.mark.parametrize(
    ("measure_name", "values", "message"),
    [
        # A count's example is whole: 12,5 would be refused by the next check.
        ("visits", {"value": "tjugo"},
         f"”tjugo” är inte ett tal; skriv ett heltal, till exempel 12 eller 1{SPACE}234."),
        ("right_help", {"numerator": "tjugo", "denominator": "40"},
         f"”tjugo” är inte ett tal; skriv till exempel 12,5 eller 1{SPACE}234."),
        # The app's words for what a value may hold, not Django's "Säkerställ att …".
        ("visits", {"value": "1000000000000"},
         f"Talet 1000000000000 är för stort: högst 999{SPACE}999{SPACE}999{SPACE}999."),
        ("right_help", {"numerator": "1", "denominator": "99999999999999"},
         f"Talet 99999999999999 är för stort: högst 999{SPACE}999{SPACE}999{SPACE}999."),
        ("right_help", {"numerator": "1,12345", "denominator": "3"},
         "Talet 1,12345 har fler än fyra decimaler."),
    ],
)  # fmt: skip
def test_a_number_that_cannot_be_stored_is_said_so_in_the_apps_words(
    request: pytest.FixtureRequest, vc: User, org_tree: OrgTree, measure_name: str,
    values: dict[str, str], message: str,
) -> None:  # fmt: skip
    measure = request.getfixturevalue(measure_name)
    data = {"period": "2025-10", **cell(measure, org_tree.hc1a.pk, **values)}
    response = login(vc).post(url(org_tree), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page
    assert "12,5" not in page or measure_name != "visits"
    assert "Säkerställ" not in page
    assert not Observation.objects.exists()


# --- replacing an imported value: a jump from the value replaced --------------------------------


def _override(visits: Measure, org_tree: OrgTree, **values: object) -> dict[str, object]:
    values.setdefault("version", 1)
    return {"period": "2025-10", **cell(visits, org_tree.hc1a.pk, override="on", **values)}


def test_a_replacement_far_from_the_value_it_replaces_needs_a_comment(
    vc: User, org_tree: OrgTree, visits: Measure, imported: Observation
) -> None:
    """No previous period to compare with; 54 typed after the cursor left before it (5460)
    is asked about, in words that say what it is compared with."""
    client = login(vc)

    refused = client.post(url(org_tree), _override(visits, org_tree, value="5460"))
    explained = client.post(
        url(org_tree), _override(visits, org_tree, value="5460", comment="Ny räknemetod.")
    )

    assert refused.status_code == 422
    assert (
        "Värdet skiljer sig mer än 50 % från det värde som ersätts (54\u00a0st): skriv en "
        "kommentar." in refused.content.decode()
    )
    assert "föregående period" not in refused.content.decode().split("skiljer sig")[1][:60]
    assert explained.status_code == 302
    imported.refresh_from_db()
    assert (imported.value, imported.overrides_source) == (5460, "cyklop")


def test_a_replacement_near_the_value_it_replaces_needs_no_comment(
    vc: User, org_tree: OrgTree, visits: Measure, imported: Observation
) -> None:
    response = login(vc).post(url(org_tree), _override(visits, org_tree, value="60"))
    assert response.status_code == 302
    imported.refresh_from_db()
    assert imported.value == 60


def test_the_imported_comment_left_in_the_input_does_not_explain_a_replacement(
    vc: User, org_tree: OrgTree, visits: Measure, imported: Observation
) -> None:
    imported.comment = "Från Cyklop."
    imported.save()
    response = login(vc).post(
        url(org_tree), _override(visits, org_tree, value="5460", comment="Från Cyklop.", version=2)
    )
    assert response.status_code == 422
    assert "från det värde som ersätts" in response.content.decode()


def test_a_replacement_far_from_both_says_both(
    vc: User, org_tree: OrgTree, visits: Measure, imported: Observation
) -> None:
    ObservationFactory(
        measure=visits, unit=org_tree.hc1a, period_start=datetime.date(2025, 9, 1), value=50
    )
    response = login(vc).post(url(org_tree), _override(visits, org_tree, value="5460"))
    assert response.status_code == 422
    assert (
        "Värdet skiljer sig mer än 50 % från föregående period (50\u00a0st) och från det värde "
        "som ersätts (54\u00a0st): skriv en kommentar." in response.content.decode()
    )


def test_a_leading_plus_is_read_as_the_number(vc: User, org_tree: OrgTree, visits: Measure) -> None:
    data = {"period": "2025-10", **cell(visits, org_tree.hc1a.pk, value="+40")}
    assert login(vc).post(url(org_tree), data).status_code == 302
    assert Observation.objects.get().value == 40


def test_the_period_hint_gives_the_latest_month_and_quarter_that_can_be_reported(
    vc: User, org_tree: OrgTree, visits: Measure
) -> None:
    page = login(vc).get(url(org_tree)).content.decode()

    last_month = datetime.date.today().replace(day=1) - datetime.timedelta(days=1)
    month = f"{MONTHS_SV[last_month.month - 1]} {last_month.year}"
    quarter = Quarter.containing(datetime.date.today()).previous()
    assert (
        f"En månad, t.ex. {month} eller {last_month:%Y-%m}, eller ett kvartal för kvartalsmått, "
        f"t.ex. {quarter.label}." in page
    )
    # Each example is a period the grid shows.
    client = login(vc)
    for example in (month, f"{last_month:%Y-%m}", quarter.label):
        shown = client.get(url(org_tree), {"period": example}).content.decode()
        assert 'role="alert"' not in shown, example
