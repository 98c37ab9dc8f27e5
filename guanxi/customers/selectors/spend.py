"""What a customer has spent: orders, gross amount, refunds and the net figure (cancelled orders left out).

Refunds come from returns and refunds (the support app writes `Order.refunded_amount` through the order
service), so the net figure follows them. One aggregate query; nothing is stored."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Sum, Value
from django.db.models.functions import Coalesce

from ..models import Customer, Order

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2))


def customer_spend(customer: Customer, *, user: Any = None) -> dict[str, Any]:
    """{"orders": n, "gross": total amount, "refunded": refunds, "net": gross - refunded}. With `user`, only
    the orders that user may see count (the customer was read through `customer_get`, so that is all of them)."""
    qs = Order.objects.visible_to(user) if user is not None else Order.objects.filter(deleted_at__isnull=True)
    row = qs.filter(customer=customer).exclude(status=Order.Status.CANCELLED).aggregate(
        orders=Count("id"), gross=Coalesce(Sum("total_amount"), ZERO), refunded=Coalesce(Sum("refunded_amount"), ZERO))
    cent = Decimal("0.01")
    gross, refunded = Decimal(row["gross"]).quantize(cent), Decimal(row["refunded"]).quantize(cent)
    return {"orders": row["orders"], "gross": gross, "refunded": refunded, "net": gross - refunded}
