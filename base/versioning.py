"""Optimistic locking: every editable row carries a version, and a stale save is refused.

A form sends back the version it was rendered from; the view puts it on the instance it hands
to the service, and the save then succeeds only if the stored row still has that version. The
check is one conditional UPDATE (``WHERE pk = … AND version = …``): on PostgreSQL a second
transaction saving from the same version waits for the first's row lock, then finds the
version moved on and is refused, so exactly one of two parallel saves wins and the history
gets one entry. Saves by any path (pages, the admin, services, imports) bump the version;
bulk writes (``QuerySet.update``, ``bulk_update``) must bump it themselves.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models, router, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _


class StaleVersion(Exception):  # noqa: N818 - reads as what happened, like ObjectDoesNotExist
    """The row changed since the version the save was based on."""

    def __init__(self, instance: models.Model, expected: int) -> None:
        super().__init__(f"{type(instance).__name__} {instance.pk}: version {expected} is stale")
        self.instance = instance
        self.expected = expected


class Versioned(models.Model):
    """Abstract base: a `version` bumped by every save, checked against the stored row."""

    # Fields not worth showing in a change history (bookkeeping, not content).
    HISTORY_HIDDEN_FIELDS: ClassVar[frozenset[str]] = frozenset({"version"})

    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, refusing with StaleVersion if the stored row's version is not this one's.

        A save() override on purpose: the check must hold for every writer, and it is
        bookkeeping like auto_now, not business logic.
        """
        if self._state.adding or self.pk is None:
            super().save(*args, **kwargs)
            return
        expected = self.version
        with transaction.atomic(using=kwargs.get("using") or router.db_for_write(type(self))):
            claimed = (
                type(self)
                ._base_manager.filter(pk=self.pk, version=expected)
                .update(version=F("version") + 1)
            )
            if not claimed:  # changed by someone else since, or deleted
                raise StaleVersion(self, expected)
            self.version = expected + 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version"}
            try:
                super().save(*args, **kwargs)
            except BaseException:
                self.version = expected
                raise
