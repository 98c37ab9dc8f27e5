"""Reads of returns, exchanges and refunds. Every read starts from `ReturnRequest.objects.visible_to` (whoever may
see the customer sees its return requests); the order figures are read from orders already fetched through the
customers selectors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.customers.models import Order, OrderLine

from ..filters_returns import ReturnFilter
from ..models import ReturnLine, ReturnRequest, Ticket

Status = ReturnRequest.Status


def return_list(*, user: Any, filters: ReturnFilter | None = None) -> QuerySet[ReturnRequest]:
    qs: QuerySet[ReturnRequest] = ReturnRequest.objects.visible_to(user).select_related(
        "customer", "order", "ticket", "requested_by")
    if filters is not None:
        qs = filters.apply(qs)
    return qs


def return_get(*, user: Any, pk: Any, for_change: bool = False) -> ReturnRequest:
    """Not visible -> NotFoundError; visible but read-only -> PermissionDeniedError."""
    try:
        request = ReturnRequest.objects.visible_to(user).select_related(
            "customer", "order", "ticket", "requested_by", "decided_by").get(pk=pk)
    except (ReturnRequest.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    if for_change and not ReturnRequest.objects.editable_by(user).filter(pk=request.pk).exists():
        raise PermissionDeniedError()
    return request


def return_lines(request: ReturnRequest) -> list[ReturnLine]:
    return list(request.lines.select_related("order_line__product").order_by("id"))


def returns_of_ticket(*, user: Any, ticket: Ticket) -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.visible_to(user).filter(ticket=ticket).select_related("order")


def returns_of_order(*, user: Any, order: Order) -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.visible_to(user).filter(order=order)


def returned_quantities(line_ids: list[int], *, exclude_pk: int | None = None) -> dict[int, Decimal]:
    """What earlier requests that were not rejected already take from each order line."""
    qs = ReturnLine.objects.filter(order_line_id__in=line_ids).exclude(request__status=Status.REJECTED)
    if exclude_pk is not None:
        qs = qs.exclude(request_id=exclude_pk)
    return {row["order_line_id"]: row["total"] for row in
            qs.values("order_line_id").annotate(total=Sum("quantity")).order_by()}


def pending_refunds(order: Order, *, exclude_pk: int | None = None) -> Decimal:
    """Refunds approved on the order but not paid out yet."""
    qs = ReturnRequest.objects.filter(order=order, status=Status.APPROVED)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.aggregate(total=Sum("refund_amount"))["total"] or Decimal("0")


def refundable_amount(order: Order, *, exclude_pk: int | None = None) -> Decimal:
    """What may still be refunded: the order's amount less what was refunded and what is approved to be."""
    left = order.total_amount - order.refunded_amount - pending_refunds(order, exclude_pk=exclude_pk)
    return max(left, Decimal("0"))


def order_lines_for_return(order: Order) -> list[OrderLine]:
    """The order's lines, each with `returned` (already taken by other requests) and `returnable` set."""
    lines = list(OrderLine.objects.filter(order=order).select_related("product").order_by("id"))
    taken = returned_quantities([line.pk for line in lines])
    for line in lines:
        line.returned = taken.get(line.pk, Decimal("0"))  # type: ignore[attr-defined]
        line.returnable = max(line.quantity - line.returned, Decimal("0"))  # type: ignore[attr-defined]
    return lines
