"""Who may undo an import ("Ångra import"), and which batches can be undone at all.

A security review found that any signed-in user, with no role at all, could mark a batch undone:
the page asked no permission, and a batch whose values the history cannot name (the demo data's,
one made by hand in the admin) left an empty set of units that refused nobody. Now the page asks
for the right to report values, and the service refuses the demo data and a batch it cannot
attribute, for everyone, with a Swedish reason; the batch page shows the reason instead of the
button.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from base.history import DEMO_CHANGE_REASON, changes_by
from followup.imports import undo
from followup.imports.report import UndoRefused
from followup.imports.services import import_store
from followup.imports.undo import import_batch_undo
from followup.models import ImportBatch, Observation
from tests.factories import ObservationFactory
from tests.followup.imports.world import CorpusWorld

pytestmark = pytest.mark.django_db

READERS = ["no_role_user", "portfolio_owner", "steering_member", "programme_owner"]
IMPORTERS = ["strategist", "admin_user", "vc", "vec"]


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _imported(world: CorpusWorld, tmp_path: Path) -> ImportBatch:
    """A real batch: the strategist imports one value of HC 1A (in the VC's and VEC's scope)."""
    path = tmp_path / "export.csv"
    path.write_text("enhet;mått;period;värde\nHC1A;antal;2025-11;45\n", encoding="utf-8")
    report = import_store(user=world.users["strateg"], path=path, file_name="export.csv")
    return ImportBatch.objects.get(pk=report.batch_id)


def _demo(world: CorpusWorld) -> ImportBatch:
    """The demo data's batch, as load_demo writes it (its values' history names the demo)."""
    batch = ImportBatch.objects.create(
        source=ImportBatch.Source.DEMO, file_name="demo.csv", synthetic=True
    )
    with changes_by(DEMO_CHANGE_REASON):
        ObservationFactory(
            unit=world.tree.hc1a, measure=world.count, import_batch=batch, source="demo"
        )
    return batch


def _made_in_admin(world: CorpusWorld) -> ImportBatch:
    """A batch the strategist added by hand in the admin: no value comes from it."""
    return ImportBatch.objects.create(source=ImportBatch.Source.CYKLOP, file_name="x.csv")


def _batch(kind: str, world: CorpusWorld, tmp_path: Path) -> ImportBatch:
    if kind == "imported":
        return _imported(world, tmp_path)
    return _demo(world) if kind == "demo" else _made_in_admin(world)


@pytest.mark.parametrize("kind", ["imported", "demo", "admin"])
@pytest.mark.parametrize("role", READERS)
def test_a_role_that_may_not_import_cannot_undo_any_batch(
    corpus_world: CorpusWorld,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    role: str,
    kind: str,
) -> None:
    user = request.getfixturevalue(role)
    batch = _batch(kind, corpus_world, tmp_path)
    values = Observation.objects.count()
    client = _client(user)

    page = client.get(reverse("import_batch", args=[batch.pk]))
    response = client.post(reverse("import_batch_undo", args=[batch.pk]))
    with pytest.raises(UndoRefused):
        import_batch_undo(user=user, batch=batch)

    assert response.status_code == 403
    # The batch page: readers see it without the button; no role sees nothing.
    assert page.status_code == (403 if role == "no_role_user" else 200)
    assert "Ångra import</button>" not in page.content.decode()
    batch.refresh_from_db()
    assert (batch.undone_at, batch.undone_by) == (None, None)
    assert Observation.objects.count() == values


@pytest.mark.parametrize("role", ["portfolio_owner", "steering_member", "programme_owner"])
def test_a_reader_is_told_why_the_batch_page_has_no_undo(
    corpus_world: CorpusWorld, tmp_path: Path, request: pytest.FixtureRequest, role: str
) -> None:
    batch = _imported(corpus_world, tmp_path)

    page = _client(request.getfixturevalue(role)).get(reverse("import_batch", args=[batch.pk]))

    assert "Du får inte ångra importer: det kräver behörighet att rapportera mätvärden." in (
        page.content.decode()
    )


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("demo", "Demodata kan inte ångras som en import"),
        ("admin", "Importen kan inte ångras: inga värden i historiken kommer från den"),
    ],
)
@pytest.mark.parametrize("role", IMPORTERS)
def test_nobody_undoes_the_demo_data_or_a_batch_made_in_the_admin(
    corpus_world: CorpusWorld,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    role: str,
    kind: str,
    reason: str,
) -> None:
    user = request.getfixturevalue(role)
    batch = _batch(kind, corpus_world, tmp_path)
    values = Observation.objects.count()
    client = _client(user)

    page = client.get(reverse("import_batch", args=[batch.pk])).content.decode()
    response = client.post(reverse("import_batch_undo", args=[batch.pk]), follow=True)
    with pytest.raises(UndoRefused, match=reason):
        import_batch_undo(user=user, batch=batch)

    assert "Ångra import</button>" not in page
    assert reason in page
    assert reason in response.content.decode()
    assert undo.import_batch_can_undo(user=user, batch=batch) is False
    batch.refresh_from_db()
    assert (batch.undone_at, batch.undone_by) == (None, None)
    assert Observation.objects.count() == values


@pytest.mark.parametrize("role", IMPORTERS)
def test_an_importer_with_the_batchs_units_in_scope_still_undoes_it(
    corpus_world: CorpusWorld, tmp_path: Path, request: pytest.FixtureRequest, role: str
) -> None:
    user = request.getfixturevalue(role)
    batch = _imported(corpus_world, tmp_path)
    client = _client(user)

    page = client.get(reverse("import_batch", args=[batch.pk])).content.decode()
    response = client.post(reverse("import_batch_undo", args=[batch.pk]), follow=True)

    assert "Ångra import</button>" in page
    assert "Importen är ångrad: 1 värde togs bort." in response.content.decode()
    batch.refresh_from_db()
    assert batch.undone_by == user
    assert not Observation.objects.exists()


def test_a_vec_cannot_undo_a_batch_of_another_unit(
    corpus_world: CorpusWorld, tmp_path: Path, vec: User
) -> None:
    path = tmp_path / "export.csv"
    path.write_text("enhet;mått;period;värde\nHC1B;antal;2025-11;7\n", encoding="utf-8")
    report = import_store(user=corpus_world.users["strateg"], path=path, file_name="export.csv")
    batch = ImportBatch.objects.get(pk=report.batch_id)
    client = _client(vec)

    page = client.get(reverse("import_batch", args=[batch.pk])).content.decode()
    response = client.post(reverse("import_batch_undo", args=[batch.pk]), follow=True)

    assert "Ångra import</button>" not in page
    assert "enheter du inte får ändra (Hälsocentral Nordvik)" in response.content.decode()
    batch.refresh_from_db()
    assert batch.undone_at is None
    assert Observation.objects.count() == 1
