"""An import that changes a stored value bumps its version: a form opened before is refused."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from followup.imports.services import import_store
from followup.models import Observation
from tests.factories import ObservationFactory
from tests.followup.imports.world import CorpusWorld

pytestmark = pytest.mark.django_db


def test_a_reporting_grid_opened_before_an_import_changed_the_value_gets_409(
    corpus_world: CorpusWorld, tmp_path: Path
) -> None:
    tree = corpus_world.tree
    stored = ObservationFactory(
        unit=tree.hc1a,
        measure=corpus_world.count,
        period_start=datetime.date(2025, 11, 1),
        value=Decimal(40),
    )
    key = f"m{corpus_world.count.pk}u{tree.hc1a.pk}"
    # Even with the override flag (the value is imported now), the stale version is refused.
    opened = {
        "period": "2025-11",
        f"{key}-value": "41",
        f"{key}-version": stored.version,
        f"{key}-override": "on",
    }
    path = tmp_path / "export.csv"
    path.write_text("enhet;mått;period;värde\nHC1A;antal;2025-11;45\n", encoding="utf-8")

    report = import_store(
        user=corpus_world.users["strateg"], path=path, file_name="x.csv", source="cyklop"
    )

    assert report.changed == 1
    after = Observation.objects.get(pk=stored.pk)
    assert after.version == stored.version + 1
    assert after.history.first().version == after.version
    client = Client()
    client.force_login(corpus_world.users["vc1"])
    response = client.post(reverse("report_grid", args=[tree.vo1.pk]), opened)
    assert response.status_code == 409
    assert Observation.objects.get(pk=stored.pk).value == Decimal(45)
