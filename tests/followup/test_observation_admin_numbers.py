"""The admin's form of a value (a strategist's) reads and refuses numbers as the reporting grid
and the import do, not in Django's words."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from base.formatting import SPACE
from followup.models import Measure, Observation
from tests.factories import MeasureFactory, OrgTree

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1000000000000",
         f"Talet 1000000000000 är för stort: högst 999{SPACE}999{SPACE}999{SPACE}999."),
        ("12,12345", "Talet 12,12345 har fler än fyra decimaler."),
        ("tjugo", "”tjugo” är inte ett tal"),
    ],
)  # fmt: skip
def test_a_number_the_value_cannot_hold_is_refused_in_the_apps_words(
    client: Client, strategist: User, org_tree: OrgTree, typed: str, message: str
) -> None:
    measure = MeasureFactory(name="Besök", value_type=Measure.ValueType.COUNT)
    measure.unit_kinds.set([org_tree.hc1a.kind])
    client.force_login(strategist)

    response = client.post(
        reverse("admin:followup_observation_add"),
        {"measure": measure.pk, "unit": org_tree.hc1a.pk, "period_start": "2025-10-01",
         "period_end": "2025-10-31", "value": typed, "comment": ""},
    )  # fmt: skip

    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert "Säkerställ" not in page
    assert not Observation.objects.exists()


def test_a_number_as_the_pages_write_it_is_read(
    client: Client, strategist: User, org_tree: OrgTree
) -> None:
    measure = MeasureFactory(name="Besök", value_type=Measure.ValueType.COUNT)
    measure.unit_kinds.set([org_tree.hc1a.kind])
    client.force_login(strategist)

    response = client.post(
        reverse("admin:followup_observation_add"),
        {"measure": measure.pk, "unit": org_tree.hc1a.pk, "period_start": "2025-10-01",
         "period_end": "2025-10-31", "value": "1 200", "comment": "", "source": "manual"},
    )  # fmt: skip

    errors = re.findall(r'<ul class="errorlist[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    assert response.status_code == 302, errors
    assert Observation.objects.get().value == 1200
