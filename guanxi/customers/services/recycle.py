"""The recycle bin: restore within GUANXI_RECYCLE_DAYS, purge after."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record

from ..models import Contact, Customer, Interaction, Order, Task
from ..selectors.customers import recyclable_extensions, recycle_cutoff

RECYCLABLE: list[type[Any]] = [Interaction, Task, Order, Contact, Customer]  # children first


def purge_order() -> list[type[Any]]:
    """Other apps' recyclable models first (settings.GUANXI_RECYCLABLE: they may hang off a customer),
    then this app's, children first."""
    return [r.model for r in recyclable_extensions().values()] + RECYCLABLE


def recycle_bin_purge(*, actor: Any = None, batch_size: int = 500) -> dict[str, int]:
    """Delete for good what was deleted more than GUANXI_RECYCLE_DAYS ago, each row audited (PURGE).
    Returns {model_name: rows purged}. Safe to run again."""
    cutoff = recycle_cutoff()
    purged: dict[str, int] = {}
    for model in purge_order():
        count = 0
        while True:
            with transaction.atomic():
                batch = list(
                    model._base_manager.select_for_update().filter(deleted_at__lt=cutoff).order_by("pk")[:batch_size]
                )
                if not batch:
                    break
                for row in batch:
                    audit_record(actor=actor, action=AuditLog.Action.PURGE, instance=row,
                                 customer_id=row.pk if model is Customer else getattr(row, "customer_id", None))
                model._base_manager.filter(pk__in=[r.pk for r in batch]).delete()
                count += len(batch)
        purged[model._meta.model_name or ""] = count
    return purged
