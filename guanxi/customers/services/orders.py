"""Writes on orders and products."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Customer, Order, OrderLine, Product
from .custom_fields import clean_custom_values
from .records import record_create, record_restore, record_soft_delete, record_update


def _build_lines(order: Order, lines: list[dict[str, Any]]) -> list[OrderLine]:
    built, errors = [], {}
    for i, line in enumerate(lines):
        ol = OrderLine(order=order, **line)
        if ol.product is not None and not ol.description:
            ol.description = ol.product.name
        if ol.product is not None and "unit_price" not in line:
            ol.unit_price = ol.product.price
        ol.amount = (Decimal(ol.quantity) * Decimal(ol.unit_price)).quantize(Decimal("0.01"))
        try:
            ol.full_clean(exclude=["order"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"lines.{i}.{field}"] = messages
        built.append(ol)
    if errors:
        raise ValidationError(errors)
    return built


def _check_delivery(ordered_at: Any, delivered_at: Any) -> None:
    if delivered_at is not None and ordered_at is not None and delivered_at < ordered_at:
        raise ValidationError({"delivered_at": [_("The delivery cannot be before the order date.")]})


def _activate_prospect(customer: Customer, order: Order) -> None:
    if order.status == Order.Status.PAID and customer.lifecycle == Customer.Lifecycle.PROSPECT:
        Customer.objects.filter(pk=customer.pk).update(lifecycle=Customer.Lifecycle.ACTIVE)


@transaction.atomic
def order_create(*, actor: Any, customer: Customer, data: dict[str, Any],
                 lines: list[dict[str, Any]] | None = None) -> Order:
    """Create an order; with lines, the amount is their sum."""
    data = dict(data)
    data["custom"] = clean_custom_values("order", data.get("custom"))
    order = Order(customer=customer, **data)
    _check_delivery(order.ordered_at, order.delivered_at)
    if order.salesperson_id is None and customer.owner_id is not None:
        order.salesperson_id = customer.owner_id
    built = _build_lines(order, lines or [])
    if built:
        order.total_amount = sum((ol.amount for ol in built), Decimal("0"))
    if order.external_id == "":
        order.external_id = None
    record_create(actor=actor, instance=order)
    for ol in built:
        ol.order = order
    OrderLine.objects.bulk_create(built)
    _activate_prospect(customer, order)
    return order


@transaction.atomic
def order_update(*, actor: Any, order: Order, data: dict[str, Any], version: int | None) -> Order:
    data = dict(data)
    if "custom" in data:
        data["custom"] = clean_custom_values("order", data["custom"])
    if "delivered_at" in data or "ordered_at" in data:
        _check_delivery(data.get("ordered_at", order.ordered_at), data.get("delivered_at", order.delivered_at))
    updated = record_update(actor=actor, instance=order, data=data, version=version)
    _activate_prospect(updated.customer, updated)
    return updated


@transaction.atomic
def order_delete(*, actor: Any, order: Order, version: int | None = None) -> Order:
    return record_soft_delete(actor=actor, instance=order, version=version)


@transaction.atomic
def order_restore(*, actor: Any, order: Order) -> Order:
    return record_restore(actor=actor, instance=order)


@transaction.atomic
def product_save(*, actor: Any, product: Product, data: dict[str, Any] | None = None) -> Product:
    if product.pk is None:
        for k, v in (data or {}).items():
            setattr(product, k, v)
        return record_create(actor=actor, instance=product)
    return record_update(actor=actor, instance=product, data=data or {}, version=None)

