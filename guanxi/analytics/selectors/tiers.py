"""Reads of member tiers: the tier list, a customer's tier and history, distribution and movements.

Per-customer rows are narrowed by customer visibility (customers/models/visibility.py, the rule behind
`Customer.objects.visible_to`): a customer's tier through `customer_get` (404 when not visible), counts
and movements over the customers the user may see. Counts and movements need VIEW_REPORTS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, QuerySet
from django_tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch

from guanxi.analytics.models import AnalyticsPolicy, CustomerTier, Tier, TierChange, TierPolicy
from guanxi.analytics.tier_reasons import decode, reason_text
from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.customers.models.visibility import customer_read_q
from guanxi.customers.selectors.customers import customer_get
from guanxi.governance import permissions

__all__ = ["decode", "reason_text"]


def _require(user: Any, capability: str) -> None:
    if not permissions.can(user, capability):
        raise PermissionDeniedError()


def can_view_tier_settings(user: Any) -> bool:
    """The member-tiers page: admins edit it, report readers see it."""
    return permissions.can(user, permissions.CONFIGURE) or permissions.can(user, permissions.VIEW_REPORTS)


# ---------------------------------------------------------------- definitions and settings


def tier_list(*, user: Any, active_only: bool = False) -> QuerySet[Tier]:
    """Tiers by rank, lowest first (anyone who may see customers may see the tier definitions)."""
    _require(user, permissions.VIEW)
    qs = Tier.objects.order_by("position")
    return qs.filter(is_active=True) if active_only else qs


def tier_get(*, user: Any, pk: Any) -> Tier:
    _require(user, permissions.VIEW)
    tier = Tier.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    if tier is None:
        raise NotFoundError()
    return tier


def tier_policy_get(*, user: Any) -> TierPolicy:
    _require(user, permissions.VIEW)
    return TierPolicy.current()


def analysis_policy_get(*, user: Any) -> AnalyticsPolicy:
    if not (permissions.can(user, permissions.CONFIGURE) or permissions.can(user, permissions.VIEW_REPORTS)):
        raise PermissionDeniedError()
    return AnalyticsPolicy.current()


# ---------------------------------------------------------------- one customer


@dataclass
class CustomerTierInfo:
    customer: Customer
    status: CustomerTier | None
    changes: list[TierChange] = field(default_factory=list)


def _changes(qs: QuerySet[TierChange]) -> QuerySet[TierChange]:
    return qs.select_related("from_tier", "to_tier").order_by("-as_of", "-id")


def tier_history(*, user: Any, customer: Customer | int) -> QuerySet[TierChange]:
    """A customer's tier changes, newest first. NotFoundError when the customer is not visible."""
    visible = customer if isinstance(customer, Customer) else customer_get(user=user, pk=customer)
    return _changes(TierChange.objects.filter(customer=visible))


def customer_tier(*, user: Any, customer: Customer | int, history: int = 5) -> CustomerTierInfo:
    """The customer's tier, since when, rolling spend, protection and the last `history` changes."""
    visible = customer_get(user=user, pk=customer.pk if isinstance(customer, Customer) else customer)
    status = CustomerTier.objects.select_related("tier").filter(customer=visible).first()
    return CustomerTierInfo(visible, status, list(tier_history(user=user, customer=visible)[:history]))


# ---------------------------------------------------------------- counts and movements


def _visible_tiers(user: Any) -> QuerySet[CustomerTier]:
    return CustomerTier.objects.filter(customer_read_q(user, "customer__"))


def _visible_changes(user: Any) -> QuerySet[TierChange]:
    return TierChange.objects.filter(customer_read_q(user, "customer__"))


def tier_distribution(*, user: Any, customers: QuerySet[Customer] | None = None) -> list[dict[str, Any]]:
    """Customers per tier (every tier by rank, zero counts included, then "no tier" when any), over the
    customers the user may see — or over `customers` (e.g. a department's), narrowed the same way."""
    _require(user, permissions.VIEW_REPORTS)
    qs = _visible_tiers(user)
    if customers is not None:
        qs = qs.filter(customer__in=customers.values("pk"))
    counts: dict[int | None, int] = dict(
        qs.order_by().values("tier_id").annotate(n=Count("pk")).values_list("tier_id", "n"))
    rows = [{"tier": t, "count": counts.pop(t.pk, 0)} for t in Tier.objects.order_by("position")]
    rows.reverse()  # highest first, like a league table
    if counts.get(None):
        rows.append({"tier": None, "count": counts[None]})
    return rows


def tier_change_list(*, user: Any, date_from: date | None = None, date_to: date | None = None,
                     direction: str | None = None) -> QuerySet[TierChange]:
    """Tier changes with as_of in [date_from, date_to] (both optional), newest first."""
    _require(user, permissions.VIEW_REPORTS)
    qs = _visible_changes(user)
    if date_from:
        qs = qs.filter(as_of__gte=date_from)
    if date_to:
        qs = qs.filter(as_of__lte=date_to)
    if direction:
        qs = qs.filter(direction=direction)
    return _changes(qs).select_related("customer")


def tier_movements(*, user: Any, date_from: date | None = None, date_to: date | None = None,
                   direction: str | None = None) -> list[dict[str, Any]]:
    """Counts per (from tier, to tier, direction) over the period, biggest first."""
    qs = tier_change_list(user=user, date_from=date_from, date_to=date_to, direction=direction)
    rows: list[dict[str, Any]] = [
        dict(row) for row in qs.order_by().values("from_tier_id", "to_tier_id", "direction").annotate(count=Count("pk"))]
    names = dict(Tier.objects.values_list("pk", "name"))
    for row in rows:
        row["from_name"] = names.get(row["from_tier_id"], "")
        row["to_name"] = names.get(row["to_tier_id"], "")
    rows.sort(key=lambda r: (-r["count"], r["direction"], r["from_name"], r["to_name"]))
    return rows


def last_run_summary() -> dict[str, Any] | None:
    """The last re-tier day and what it changed (from the recorded changes), None before the first run."""
    policy = TierPolicy.current()
    if policy.last_run_on is None:
        return None
    counts = dict(TierChange.objects.filter(as_of=policy.last_run_on).order_by().values("direction")
                  .annotate(n=Count("pk")).values_list("direction", "n"))
    return {"as_of": policy.last_run_on, **{d: counts.get(d, 0) for d in TierChange.Direction.values}}


# ---------------------------------------------------------------- on-demand runs


def retier_result(*, user: Any, result_id: str) -> Any:
    """The background re-tier run's task result (status, and the summary once done)."""
    _require(user, permissions.CONFIGURE)
    from guanxi.analytics.tasks_tiers import retier_task

    try:
        return retier_task.get_result(result_id)
    except (TaskResultDoesNotExist, TaskResultMismatch, NotImplementedError, ValueError):
        raise NotFoundError() from None
