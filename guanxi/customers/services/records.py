"""The shared write path: validate, version-check, save, audit — one transaction per call.

Every service in this app goes through these four functions, so every create, update,
delete and restore is validated the same way and lands in the audit trail.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.utils import timezone

from guanxi.core.errors import ConflictError
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record, diff, snapshot

M = TypeVar("M", bound=models.Model)

SKIP_FIELDS = {"search_pinyin", "search_initials", "mobile_last4", "last_interaction_at", "name_key", "company_key"}


def _snap(instance: models.Model) -> dict[str, Any]:
    return {k: v for k, v in snapshot(instance).items() if k not in SKIP_FIELDS}


def _customer_id(instance: models.Model) -> int | None:
    if instance._meta.model_name == "customer":
        return instance.pk
    return getattr(instance, "customer_id", None)


def record_create(*, actor: Any, instance: M, exclude: list[str] | None = None) -> M:
    instance.full_clean(exclude=exclude)
    instance.save()
    audit_record(actor=actor, action=AuditLog.Action.CREATE, instance=instance,
                 changes=diff({}, _snap(instance)), customer_id=_customer_id(instance))
    return instance


def record_update(*, actor: Any, instance: M, data: dict[str, Any], version: int | None,
                  exclude: list[str] | None = None) -> M:
    """Apply `data` to the row, refusing if it changed since the caller read `version`."""
    locked = type(instance)._base_manager.select_for_update().get(pk=instance.pk)
    if version is not None and locked.version != version:  # type: ignore[attr-defined]
        raise ConflictError()
    before = _snap(locked)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=exclude)
    changes = diff(before, _snap(locked))
    if not changes:
        return locked
    locked.version += 1  # type: ignore[attr-defined]
    locked.save()
    audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=locked, changes=changes,
                 customer_id=_customer_id(locked))
    return locked


def record_soft_delete(*, actor: Any, instance: M, version: int | None = None) -> M:
    locked = type(instance)._base_manager.select_for_update().get(pk=instance.pk)
    if version is not None and locked.version != version:  # type: ignore[attr-defined]
        raise ConflictError()
    locked.deleted_at = timezone.now()  # type: ignore[attr-defined]
    locked.deleted_by = actor if getattr(actor, "pk", None) else None  # type: ignore[attr-defined]
    locked.version += 1  # type: ignore[attr-defined]
    locked.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    audit_record(actor=actor, action=AuditLog.Action.DELETE, instance=locked, customer_id=_customer_id(locked))
    return locked


def record_restore(*, actor: Any, instance: M) -> M:
    locked = type(instance)._base_manager.select_for_update().get(pk=instance.pk)
    locked.deleted_at = None  # type: ignore[attr-defined]
    locked.deleted_by = None  # type: ignore[attr-defined]
    locked.version += 1  # type: ignore[attr-defined]
    locked.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    audit_record(actor=actor, action=AuditLog.Action.RESTORE, instance=locked, customer_id=_customer_id(locked))
    return locked
