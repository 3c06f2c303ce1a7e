"""Optimistic locking: every editable row carries a version, and a stale save is refused.

A form sends back the version it was rendered from; the view puts it on the instance it hands
to the service, and the save then succeeds only if the stored row still has that version. The
check is one conditional UPDATE (``WHERE pk = … AND version = …``): on PostgreSQL a second
transaction saving from the same version waits for the first's row lock, then finds the
version moved on and is refused, so exactly one of two parallel saves wins and the history
gets one entry. Saves by any path (pages, the admin, services, imports) bump the version,
and so do bulk writes by construction: the versioned models' manager (`VersionedQuerySet`)
adds ``version = version + 1`` to every ``update()`` and ``bulk_update()``, so a form opened
before an import or a scripted update is refused afterwards instead of writing over it.

A deliberate overwrite (a history revert in the admin, "Spara mina ändringar" after a
conflict) says so with `deliberate_overwrite`: the save is then based on the version the user
knowingly overwrites, not on the one the instance carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar, TypeVar

from django.db import models, router, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _


class StaleVersion(Exception):  # noqa: N818 - reads as what happened, like ObjectDoesNotExist
    """The row changed since the version the save was based on."""

    def __init__(self, instance: models.Model, expected: int) -> None:
        super().__init__(f"{type(instance).__name__} {instance.pk}: version {expected} is stale")
        self.instance = instance
        self.expected = expected


_M = TypeVar("_M", bound="Versioned", covariant=True)


class VersionedQuerySet(models.QuerySet[_M, _M]):
    """Bulk writes that bump `version` like a save does.

    `update()` adds ``version = version + 1`` unless the caller sets `version` itself;
    `bulk_update()` bumps each row's version in the database (relative to the stored one, not
    to the instance's possibly older copy) and hands the new versions back to the instances,
    so history rows written after it (``bulk_update_with_history``) carry them.
    """

    def update(self, **kwargs: Any) -> int:
        kwargs.setdefault("version", F("version") + 1)
        return super().update(**kwargs)

    update.alters_data = True  # type: ignore[attr-defined]

    def bulk_update(
        self, objs: Iterable[_M], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        listed = list(objs)
        names = [*dict.fromkeys(fields)]
        if not listed or not names:
            return super().bulk_update(listed, names, batch_size=batch_size)
        if "version" not in names:
            names.append("version")
        # Read as stored on the instance: a deferred version (``only()``) is not loaded per row.
        before = [obj.__dict__.get("version") for obj in listed]
        for obj in listed:
            obj.version = F("version") + 1
        try:
            with transaction.atomic(using=self.db, savepoint=False):
                rows = super().bulk_update(listed, names, batch_size=batch_size)
                stored = dict(
                    self.model._base_manager.using(self.db)
                    .filter(pk__in=[obj.pk for obj in listed])
                    .values_list("pk", "version")
                )
        except BaseException:
            for obj, version in zip(listed, before, strict=True):
                _restore_version(obj, version)
            raise
        for obj, version in zip(listed, before, strict=True):
            _restore_version(obj, stored.get(obj.pk, version))
        return rows

    bulk_update.alters_data = True  # type: ignore[attr-defined]


def _restore_version(obj: models.Model, version: int | None) -> None:
    if version is None:
        obj.__dict__.pop("version", None)  # deferred again, as it was
    else:
        obj.version = version  # type: ignore[attr-defined]


# The rows a `deliberate_overwrite` block bases its saves on: (model label, pk) -> version.
_overwrites: ContextVar[dict[tuple[str, Any], int] | None] = ContextVar(
    "gonv_overwrites", default=None
)


@contextmanager
def deliberate_overwrite(instance: Versioned, *, of_version: int) -> Iterator[None]:
    """Within the block, the next save of this row is a deliberate overwrite of `of_version`.

    For a person who has seen the stored row and chooses to write over it: a history revert
    in the admin (the historical row carries the version it had then; the revert overwrites
    the row as it is now) and "Spara mina ändringar" after a conflict (the version shown as
    theirs). The save is still checked, against `of_version`: if the row moved on again since,
    it is refused like any stale save. Only the first save of the row in the block uses it.
    """
    key = (instance._meta.label, instance.pk)
    token = _overwrites.set({**(_overwrites.get() or {}), key: of_version})
    try:
        yield
    finally:
        _overwrites.reset(token)


def _overwrite_base(instance: Versioned) -> int | None:
    key = (instance._meta.label, instance.pk)
    pending = _overwrites.get() or {}
    if key not in pending:
        return None
    remaining = dict(pending)
    base = remaining.pop(key)
    _overwrites.set(remaining)
    return base


class Versioned(models.Model):
    """Abstract base: a `version` bumped by every save, checked against the stored row."""

    # Fields not worth showing in a change history (bookkeeping, not content).
    HISTORY_HIDDEN_FIELDS: ClassVar[frozenset[str]] = frozenset({"version"})

    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)

    objects = VersionedQuerySet.as_manager()

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
        base = _overwrite_base(self)
        expected = self.version if base is None else base
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
