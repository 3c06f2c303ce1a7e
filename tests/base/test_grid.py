"""The grids' shared conflict sentence (base.grid.cell_conflict): a removed cell, who saved a
cell since the grid was opened, when (local time) and whether it was the user's own save; the
adoption and reporting grids word the sentence themselves."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import dateformat, timezone

from base import grid
from base.editing import Conflict
from followup import reporting
from goals import grid_services, services
from tests.factories import AdoptionRecordFactory, MeasureFactory, OrgTree, WorkingMethodFactory

pytestmark = pytest.mark.django_db


def _said(info: Conflict, when: str, yours: bool) -> str:
    return f"{'Du' if yours else info.user_name} sparade {when}."


def test_a_removed_cell_is_said_in_each_grids_words_with_no_version(vc: User) -> None:
    removed = grid.cell_conflict(None, since=3, user=vc, removed="Borta.", sentence=_said)
    assert removed == grid.CellConflict("Borta.", version=0, yours=False)
    adoption = grid_services.cell_conflict(current=None, submitted={}, since=3, user=vc)
    assert adoption.text == "Cellen har tagits bort sedan du öppnade sidan."
    report = reporting.cell_conflict(current=None, since=3, user=vc, measure=MeasureFactory())
    assert report.text == "Värdet har tagits bort sedan du öppnade sidan."
    assert (adoption.version, report.version, adoption.yours) == (0, 0, False)


def test_who_saved_since_when_in_local_time_and_whether_it_was_the_users_own(
    vc: User, strategist: User, org_tree: OrgTree
) -> None:
    method = WorkingMethodFactory(target_unit_kinds=[org_tree.hc1a.kind])
    record = AdoptionRecordFactory(unit=org_tree.hc1a, working_method=method)
    opened = record.version
    services.adoption_record_update(user=vc, record=record, data={"comment": "Alla team"})
    record.refresh_from_db()
    saved_at = record.history.first().history_date
    when = dateformat.format(timezone.localtime(saved_at), "j b Y H:i")

    own = grid.cell_conflict(record, since=opened, user=vc, removed="", sentence=_said)
    assert own == grid.CellConflict(f"Du sparade {when}.", version=record.version, yours=True)
    other = grid.cell_conflict(record, since=opened, user=strategist, removed="", sentence=_said)
    assert other.text.endswith(f" sparade {when}.")
    assert not other.yours

    # The adoption grid names the fields that differ from the user's, with their stored values.
    adoption = grid_services.cell_conflict(
        current=record, submitted={"comment": "Två team"}, since=opened, user=strategist
    )
    assert adoption.text.endswith(f"sparade ändringar {when}. Sparat: Kommentar: Alla team.")

    # A stored comment that ends with its own full stop is not given a second one.
    services.adoption_record_update(user=vc, record=record, data={"comment": "Tre team."})
    record.refresh_from_db()
    again = grid_services.cell_conflict(
        current=record, submitted={"comment": "Två team"}, since=opened, user=strategist
    )
    assert again.text.endswith("Sparat: Kommentar: Tre team.")


def test_a_space_left_before_a_full_stop_is_dropped(vc: User, org_tree: OrgTree) -> None:
    method = WorkingMethodFactory(target_unit_kinds=[org_tree.hc1a.kind])
    record = AdoptionRecordFactory(unit=org_tree.hc1a, working_method=method)
    said = grid.cell_conflict(
        record, since=0, user=vc, removed="", sentence=lambda info, when, yours: "Sparat ."
    )
    assert said.text == "Sparat."
