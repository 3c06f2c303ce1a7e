"""What the reporting and adoption grids tell the user: the confirmation where they pressed
save, who saved a cell first (the user themselves in another tab, or someone else) and the
way on without losing the typed values, a closed quarter's note, and a share's result."""

from __future__ import annotations

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from followup.models import Measure, Observation, QuarterReport
from goals.models import AdoptionRecord, WorkingMethod
from tests.factories import (
    AdoptionRecordFactory,
    OrgTree,
    WorkingMethodFactory,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def report_url(org_tree: OrgTree) -> str:
    return reverse("report_grid", args=[org_tree.vo1.pk])


def cell(measure: Measure, unit_id: int, **values: object) -> dict[str, object]:
    values.setdefault("version", 0)
    return {f"m{measure.pk}u{unit_id}-{k}": v for k, v in values.items()}


def _input_value(page: str, name: str) -> str:
    """What an input (or a textarea: the adoption grid's comment) shows."""
    area = re.search(rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>\n?([^<]*)</textarea>', page)
    if area:
        return html.unescape(area.group(1))
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    assert match, name
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def _spaced(page: str) -> str:
    """The page with its no-break and narrow no-break spaces as plain spaces."""
    return page.replace("\u00a0", " ").replace("\u202f", " ")


def _messages(page: str) -> str:
    start = page.index('id="messages"')
    return page[start : page.index("</div>", start)]


# --- 1. the confirmation beside the save button ------------------------------------------------


def test_a_save_with_htmx_is_confirmed_beside_the_button_and_focused(
    vc: User, org_tree: OrgTree, visits: Measure
) -> None:
    data = {"period": "2025-10", **cell(visits, org_tree.hc1a.pk, value="45")}
    page = login(vc).post(report_url(org_tree), data, **HTMX).content.decode()
    status = page[page.index('id="report-saved"') - 60 : page.index('id="report-save"')]
    assert 'role="status"' in status
    assert "autofocus" in status
    assert 'tabindex="-1"' in status
    assert "1 värde är sparat." in status
    # The message region is emptied, not given a second text.
    assert "sparat" not in _messages(page)
    assert Observation.objects.get(unit=org_tree.hc1a).value == 45


def test_a_save_without_javascript_is_said_at_the_top_of_the_page_it_leads_to(
    vc: User, org_tree: OrgTree, visits: Measure
) -> None:
    client = login(vc)
    data = {"period": "2025-10", **cell(visits, org_tree.hc1a.pk, value="45")}
    page = client.post(report_url(org_tree), data, follow=True).content.decode()
    assert "1 värde är sparat." in _messages(page)
    assert 'id="report-saved"' not in page


def test_the_adoption_grid_confirms_beside_its_button(
    vc: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    data = _adoption_cell(org_tree.hc1a.pk, teamrond.pk, status="pagar")
    page = login(vc).post(_adoption_url(org_tree), data, **HTMX).content.decode()
    status = page[page.index('id="adoption-saved"') - 60 : page.index('id="adoption-save"')]
    assert "autofocus" in status
    assert "1 ändring är sparad." in status
    assert "sparad" not in _messages(page)


# --- 2. two tabs, two users ------------------------------------------------------------------


def test_the_users_own_save_in_another_tab_is_named_so_and_typed_values_are_kept(
    vc: User, org_tree: OrgTree, visits: Measure
) -> None:
    client = login(vc)
    client.post(
        report_url(org_tree), {"period": "2025-10", **cell(visits, org_tree.hc1a.pk, value="45")}
    )
    # The first tab, opened before that save: two typed cells, one of them now stale.
    stale = {
        "period": "2025-10",
        **cell(visits, org_tree.hc1a.pk, value="50", version=0),
        **cell(visits, org_tree.hc1b.pk, value="12"),
    }
    response = client.post(report_url(org_tree), stale, **HTMX)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Du har själv sparat 45 st i en annan flik" in _spaced(page)
    assert "Någon annan" not in page
    assert "Ladda om sidan" not in page
    key_a, key_b = f"m{visits.pk}u{org_tree.hc1a.pk}", f"m{visits.pk}u{org_tree.hc1b.pk}"
    assert _input_value(page, f"{key_a}-value") == "50"
    assert _input_value(page, f"{key_b}-value") == "12"
    stored = Observation.objects.get(unit=org_tree.hc1a)
    assert _input_value(page, f"{key_a}-overwrite") == str(stored.version)
    # Nothing of the refused request is stored.
    assert stored.value == 45
    assert not Observation.objects.filter(unit=org_tree.hc1b).exists()

    # Saving again, deliberately, writes the user's values over the stored one.
    again = {**stale, f"{key_a}-overwrite": str(stored.version)}
    assert client.post(report_url(org_tree), again, **HTMX).status_code == 200
    assert Observation.objects.get(unit=org_tree.hc1a).value == 50
    assert Observation.objects.get(unit=org_tree.hc1b).value == 12


def test_someone_elses_save_names_them_and_the_stored_value_can_be_taken(
    vc: User, strategist: User, org_tree: OrgTree, visits: Measure
) -> None:
    login(strategist).post(
        report_url(org_tree), {"period": "2025-10", **cell(visits, org_tree.hc1a.pk, value="45")}
    )
    stale = {
        "period": "2025-10",
        **cell(visits, org_tree.hc1a.pk, value="50"),
        **cell(visits, org_tree.hc1b.pk, value="12"),
    }
    client = login(vc)
    page = client.post(report_url(org_tree), stale, **HTMX).content.decode()
    name = strategist.get_full_name() or strategist.get_username()
    assert f"{name} sparade 45 st" in _spaced(page)
    assert "Ta det sparade värdet" in page

    key_a, key_b = f"m{visits.pk}u{org_tree.hc1a.pk}", f"m{visits.pk}u{org_tree.hc1b.pk}"
    stored = Observation.objects.get(unit=org_tree.hc1a)
    taken = {**stale, f"{key_a}-overwrite": str(stored.version), "ta": key_a}
    page = client.post(report_url(org_tree), taken, **HTMX).content.decode()
    assert _input_value(page, f"{key_a}-value") == "45"  # the stored value
    assert _input_value(page, f"{key_a}-version") == str(stored.version)
    assert _input_value(page, f"{key_b}-value") == "12"  # the other typed value kept
    assert not Observation.objects.filter(unit=org_tree.hc1b).exists()


def test_a_vc_of_another_vo_cannot_take_or_overwrite(
    vc: User, org_tree: OrgTree, visits: Measure
) -> None:
    url = reverse("report_grid", args=[org_tree.vo2.pk])
    data = {"period": "2025-10", **cell(visits, org_tree.hc1a.pk, value="5", overwrite="1")}
    assert login(vc).post(url, {**data, "ta": "m1u1"}).status_code == 403
    assert login(vc).post(url, data).status_code == 403


@pytest.fixture
def teamrond(org_tree: OrgTree) -> WorkingMethod:
    return WorkingMethodFactory(name="Teamrond", target_unit_kinds=[org_tree.hc1a.kind])


def _adoption_url(org_tree: OrgTree) -> str:
    return reverse("goals:adoption_grid", args=[org_tree.vo1.pk])


def _adoption_cell(unit_id: int, method_id: int, **values: object) -> dict[str, object]:
    data = {"status": "ej_paborjad", "planned_date": "", "actual_date": "", "comment": ""}
    data.update(values)
    data.setdefault("version", 0)
    return {f"c{unit_id}m{method_id}-{k}": v for k, v in data.items()}


def test_an_adoption_conflict_on_the_comment_shows_the_comment_and_who(
    vc: User, strategist: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    today = datetime.date.today().isoformat()
    record = AdoptionRecordFactory(
        unit=org_tree.hc1a, working_method=teamrond, status="infort", actual_date=today
    )
    opened = record.version
    fields = {"status": "infort", "actual_date": today}
    login(strategist).post(
        _adoption_url(org_tree),
        _adoption_cell(
            org_tree.hc1a.pk, teamrond.pk, comment="Alla team", version=opened, **fields
        ),
    )
    mine = _adoption_cell(
        org_tree.hc1a.pk, teamrond.pk, comment="Två team", version=opened, **fields
    )
    client = login(vc)
    response = client.post(_adoption_url(org_tree), mine, **HTMX)
    page = response.content.decode()
    assert response.status_code == 409
    name = strategist.get_full_name() or strategist.get_username()
    assert f"{name} sparade ändringar" in page
    assert "Kommentar: Alla team" in page
    key = f"c{org_tree.hc1a.pk}m{teamrond.pk}"
    assert _input_value(page, f"{key}-comment") == "Två team"
    record.refresh_from_db()
    assert record.comment == "Alla team"

    again = {**mine, f"{key}-overwrite": str(record.version)}
    assert client.post(_adoption_url(org_tree), again, **HTMX).status_code == 200
    record.refresh_from_db()
    assert record.comment == "Två team"
    assert record.history.first().history_user == vc


def test_an_adoption_conflict_with_the_users_own_tab_says_so(
    vc: User, org_tree: OrgTree, teamrond: WorkingMethod
) -> None:
    client = login(vc)
    data = _adoption_cell(org_tree.hc1a.pk, teamrond.pk, status="pagar")
    client.post(_adoption_url(org_tree), data, **HTMX)
    page = client.post(_adoption_url(org_tree), data, **HTMX).content.decode()
    assert "Du har själv sparat ändringar i en annan flik" in page
    assert "Du har redan sparat ändringar" in page  # the summary's heading
    assert "Någon annan" not in page
    assert AdoptionRecord.objects.get().history.count() == 1


# --- 3. a closed quarter -------------------------------------------------------------------


def test_a_period_in_an_approved_quarter_is_said_before_and_after_saving(
    vc: User, org_tree: OrgTree, visits: Measure
) -> None:
    QuarterReport.objects.create(
        organisation=org_tree.region, quarter="2025Q4", status=QuarterReport.Status.APPROVED
    )
    client = login(vc)
    page = client.get(report_url(org_tree), {"period": "2025-10"}).content.decode()
    assert "Perioden ligger i Kv 4 2025, vars kvartalsrapport är godkänd." in page
    data = {"period": "2025-10", **cell(visits, org_tree.hc1a.pk, value="45")}
    page = client.post(report_url(org_tree), data, **HTMX).content.decode()
    saved = page[page.index('id="report-saved"') : page.index('id="report-save"')]
    assert "1 värde gäller Kv 4 2025, vars kvartalsrapport är godkänd." in saved
    other = client.get(report_url(org_tree), {"period": "2025-09"}).content.decode()
    assert "vars kvartalsrapport" not in other


# --- 4. a share's result ---------------------------------------------------------------------


def test_a_share_shows_its_result_after_saving_so_a_typo_is_seen(
    vc: User, org_tree: OrgTree, right_help: Measure
) -> None:
    client = login(vc)
    data = {
        "period": "2025-10",
        **cell(right_help, org_tree.hc1a.pk, numerator="300", denominator="400"),
        **cell(right_help, org_tree.hc1b.pk, numerator="30", denominator="400"),
    }
    page = client.post(report_url(org_tree), data, **HTMX).content.decode()
    assert Observation.objects.get(unit=org_tree.hc1a).value == Decimal(75)
    assert "Andel: 75,0 %" in _spaced(page)
    assert "Andel: 7,5 %" in _spaced(page)
