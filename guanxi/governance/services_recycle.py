"""Restoring from the recycle bin: one entry point over the restore services of the customers app and of
the apps listed in settings.GUANXI_RECYCLABLE (leads, opportunities…), found by their dotted path.

The window and the permission are checked by `recycle_get` (customers selectors); the restore
itself, and its audit row, by each app's service.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from guanxi.customers.selectors.customers import recyclable_extensions, recycle_get
from guanxi.customers.services import activity, customers, orders
from guanxi.customers.services.records import record_restore


def _task_restore(*, actor: Any, task: Any) -> Any:
    restore = getattr(activity, "task_restore", None)
    if restore is not None:
        return restore(actor=actor, task=task)
    with transaction.atomic():
        return record_restore(actor=actor, instance=task)


def has_customer(record: Any) -> bool:
    """Whether the record hangs off a customer (a `customer` foreign key)."""
    try:
        return bool(record._meta.get_field("customer").many_to_one)
    except FieldDoesNotExist:
        return False


def recycle_restore(*, actor: Any, entity: str, pk: Any) -> Any:
    """Bring a deleted record back; NotFoundError if it is not in the actor's bin (or past the window)."""
    with transaction.atomic():
        record: Any = recycle_get(user=actor, entity=entity, pk=pk)
        parent = getattr(record, "customer", None) if entity != "customer" and has_customer(record) else None
        if parent is not None and parent.deleted_at is not None:
            raise ValidationError(
                _("“%(customer)s” is in the recycle bin too: restore the customer first.") % {"customer": parent}
            )
        extension = recyclable_extensions().get(entity)
        if extension is not None:
            if not extension.restore:
                return record_restore(actor=actor, instance=record)
            restore = import_string(extension.restore)
            return restore(actor=actor, **{record._meta.model_name or entity: record})
        if entity == "customer":
            return customers.customer_restore(actor=actor, customer=record)
        if entity == "contact":
            return customers.contact_restore(actor=actor, contact=record)
        if entity == "order":
            return orders.order_restore(actor=actor, order=record)
        if entity == "interaction":
            return activity.interaction_restore(actor=actor, interaction=record)
        return _task_restore(actor=actor, task=record)
