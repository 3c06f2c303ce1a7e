"""The admin base class: object permissions from gonv.rules, and history on every model."""

from __future__ import annotations

from typing import Any

from django.db import models
from rules.contrib.admin import ObjectPermissionsModelAdmin
from simple_history.admin import SimpleHistoryAdmin

# Links to evidence are https; Django 6 makes that the default, this says it now.
HTTPS_URL_FIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


class GonvAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    """Admin that asks gonv.rules for every permission and shows each object's history."""

    list_per_page = 50
    formfield_overrides = HTTPS_URL_FIELDS
