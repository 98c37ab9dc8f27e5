"""Reads of the complaint flow: a ticket's six steps and its compensations (rows of tickets the user may see)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from ..models import Compensation, ComplaintStep, Ticket


def complaint_steps(*, user: Any, ticket: Ticket) -> QuerySet[ComplaintStep]:
    return ComplaintStep.objects.filter(ticket__in=Ticket.objects.visible_to(user), ticket=ticket).select_related(
        "done_by", "task").order_by("position")


def compensations_of(*, user: Any, ticket: Ticket) -> QuerySet[Compensation]:
    return Compensation.objects.filter(ticket__in=Ticket.objects.visible_to(user), ticket=ticket).select_related(
        "created_by").order_by("created_at", "id")


def compensation_totals(rows: list[Compensation]) -> dict[str, Decimal]:
    """Face value and cost of compensations already read (no query)."""
    return {"amount": sum((c.amount for c in rows), Decimal("0")), "cost": sum((c.cost for c in rows), Decimal("0"))}


def compensation_cost(*, user: Any, ticket: Ticket) -> Decimal:
    total = compensations_of(user=user, ticket=ticket).aggregate(total=Sum("cost"))["total"]
    return total or Decimal("0")
