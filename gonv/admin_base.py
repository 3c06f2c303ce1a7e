"""The admin base class: object permissions from gonv.rules, and history on every model."""

from django.db import models
from rules.contrib.admin import ObjectPermissionsModelAdmin
from simple_history.admin import SimpleHistoryAdmin


class GonvAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    """Admin that asks gonv.rules for every permission and shows each object's history."""

    list_per_page = 50
    # Links to evidence are https; Django 6 makes that the default, this says it now.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
