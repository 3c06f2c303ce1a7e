"""Fixtures of the import tests: the world the corpus files name."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from tests.factories import OrgTree
from tests.followup.imports.world import CorpusWorld, corpus_world_create


@pytest.fixture
def corpus_world(
    org_tree: OrgTree, strategist: User, vc: User, vec: User, settings: Settings, tmp_path: Path
) -> CorpusWorld:
    """The org tree, four measures, a closed unit, a clinic; uploads wait in tmp_path."""
    settings.GONV_IMPORT_DIR = tmp_path
    return corpus_world_create(org_tree, {"strateg": strategist, "vc1": vc, "vec1a": vec})
