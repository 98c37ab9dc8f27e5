"""业绩: what each salesperson, department and the company achieved in a month or quarter, against targets.

Actuals, over the orders and follow-ups the user may see:
- revenue: paid orders' total_amount, by order date (refunded and cancelled orders do not count);
- new customers won: customers whose first paid order ever falls in the period, credited to that
  order's salesperson;
- gross profit: paid orders' total_amount − cost_amount; an order without a cost (0) uses its lines'
  quantity × the product's cost;
- follow-ups: follow-ups (Interaction) logged in the period, credited to their staff member.
A department's actual is the sum over the people in it and its sub-departments; the company's is
everything the user sees.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from guanxi.core.errors import NotFoundError
from guanxi.core.text import person_name
from guanxi.customers.models import Interaction, Order, OrderLine
from guanxi.governance import permissions
from guanxi.governance.models import Department, Employee, Scope
from guanxi.governance.selectors import assignable_owner_ids, department_subtree_ids, user_department_ids

from ..models import Target
from .forecast import Period

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=16, decimal_places=2)
METRICS = [m for m, _label in Target.Metric.choices]


# ---------------------------------------------------------------- who may set and see targets


@dataclass(frozen=True)
class TargetScope:
    """What a user may touch: everything (all=True), or these departments and these people."""

    all: bool
    department_ids: frozenset[int] = frozenset()
    user_ids: frozenset[int] = frozenset()

    def allows(self, target: Target) -> bool:
        if self.all:
            return True
        if target.user_id is not None:
            return target.user_id in self.user_ids
        if target.department_id is not None:
            return target.department_id in self.department_ids
        return False  # company targets: administrators (or everyone-scope readers) only


def target_write_scope(user: Any) -> TargetScope | None:
    """Who may set targets is the capability SET_TARGETS (administrators, sales managers); where is their
    scope: everything for an all-scope user, their department subtree and its people for a department-scoped
    manager. Others, and own-scope users: None (no targets to set)."""
    if not permissions.can(user, permissions.SET_TARGETS):
        return None
    scope = permissions.scope_of(user)
    if scope == Scope.ALL:
        return TargetScope(all=True)
    if scope == Scope.DEPARTMENT:
        return TargetScope(all=False, department_ids=frozenset(user_department_ids(user)),
                           user_ids=frozenset(assignable_owner_ids(user) or ()))
    return None


def target_read_scope(user: Any) -> TargetScope:
    scope = permissions.scope_of(user)
    if scope is None or not permissions.can(user, permissions.VIEW):
        return TargetScope(all=False)
    if scope == Scope.ALL:
        return TargetScope(all=True)
    return TargetScope(all=False, department_ids=frozenset(user_department_ids(user)) if scope == Scope.DEPARTMENT
                       else frozenset(), user_ids=frozenset(assignable_owner_ids(user) or {user.pk}))


def _scope_q(scope: TargetScope) -> Q:
    if scope.all:
        return Q()
    return Q(user_id__in=scope.user_ids) | Q(user__isnull=True, department_id__in=scope.department_ids)


def target_list(*, user: Any, period: Period | None = None) -> QuerySet[Target]:
    qs = Target.objects.filter(_scope_q(target_read_scope(user))).select_related("department", "user")
    if period is not None:
        qs = qs.filter(period=period.kind, period_start=period.start)
    return qs.order_by("-period_start", "metric", "department__name", "user__username")


def target_get(*, user: Any, pk: Any) -> Target:
    try:
        return target_list(user=user).get(pk=pk)
    except (Target.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


# ---------------------------------------------------------------- actuals


@dataclass
class Actuals:
    """Per person (user id; None = no salesperson) per metric, and the people's departments."""

    by_user: dict[int | None, dict[str, Decimal]] = field(default_factory=lambda: defaultdict(dict))
    department_of: dict[int, int | None] = field(default_factory=dict)

    def person(self, user_id: int, metric: str) -> Decimal:
        return self.by_user.get(user_id, {}).get(metric, ZERO)

    def department(self, department_id: int, metric: str) -> Decimal:
        subtree = set(department_subtree_ids(department_id))
        return sum((m.get(metric, ZERO) for uid, m in self.by_user.items()
                    if uid is not None and self.department_of.get(uid) in subtree), ZERO)

    def company(self, metric: str) -> Decimal:
        return sum((m.get(metric, ZERO) for m in self.by_user.values()), ZERO)

    def for_target(self, target: Target) -> Decimal:
        if target.user_id is not None:
            return self.person(target.user_id, target.metric)
        if target.department_id is not None:
            return self.department(target.department_id, target.metric)
        return self.company(target.metric)


def _line_cost() -> Subquery:
    cost = ExpressionWrapper(F("quantity") * Coalesce(F("product__cost"), Value(ZERO)), output_field=MONEY)
    return Subquery(OrderLine.objects.filter(order=OuterRef("pk")).values("order")
                    .annotate(c=Sum(cost)).values("c")[:1], output_field=MONEY)


def actuals(*, user: Any, period: Period) -> Actuals:
    """Four grouped queries over what the user sees, whatever the number of orders."""
    low, high = period.aware_bounds()
    result = Actuals()
    paid = Order.objects.visible_to(user).filter(status=Order.Status.PAID, ordered_at__gte=low, ordered_at__lt=high)
    cost = Case(When(cost_amount=0, then=Coalesce(_line_cost(), Value(ZERO), output_field=MONEY)),
                default=F("cost_amount"), output_field=MONEY)
    for row in (paid.annotate(profit=ExpressionWrapper(F("total_amount") - cost, output_field=MONEY))
                .values("salesperson_id").order_by()
                .annotate(revenue=Coalesce(Sum("total_amount"), Value(ZERO), output_field=MONEY),
                          gross_profit=Coalesce(Sum("profit"), Value(ZERO), output_field=MONEY))):
        result.by_user[row["salesperson_id"]].update(revenue=row["revenue"], gross_profit=row["gross_profit"])
    earlier = Order.objects.filter(customer_id=OuterRef("customer_id"), status=Order.Status.PAID,
                                   deleted_at__isnull=True, ordered_at__lt=OuterRef("ordered_at"))
    for row in (paid.filter(~Exists(earlier)).values("salesperson_id").order_by()
                .annotate(n=Count("customer_id", distinct=True))):
        result.by_user[row["salesperson_id"]]["new_customers"] = Decimal(row["n"])
    for row in (Interaction.objects.visible_to(user).filter(occurred_at__gte=low, occurred_at__lt=high)
                .values("staff_id").order_by().annotate(n=Count("id"))):
        result.by_user[row["staff_id"]]["follow_ups"] = Decimal(row["n"])
    result.department_of = dict(Employee.objects.values_list("user_id", "department_id"))
    return result


# ---------------------------------------------------------------- the performance page


@dataclass
class TargetProgress:
    target: Target
    actual: Decimal

    @property
    def percent(self) -> float | None:
        if not self.target.value:
            return None
        return round(float(self.actual / self.target.value * 100), 1)

    @property
    def bar(self) -> float:
        return min(100.0, self.percent or 0.0)

    @property
    def scope_label(self) -> str:
        if self.target.user_id is not None:
            return person_name(self.target.user)
        if self.target.department_id is not None:
            return str(self.target.department)
        return ""


@dataclass
class RankRow:
    user: Any
    new_customers: Decimal
    gross_profit: Decimal
    revenue: Decimal
    follow_ups: Decimal


@dataclass
class Performance:
    period: Period
    progress: list[TargetProgress]
    ranking: list[RankRow]
    totals: dict[str, Decimal]


def performance(*, user: Any, period: Period) -> Performance:
    """Targets the user may see with their actuals, and a ranking of the people by customers won, then profit."""
    data = actuals(user=user, period=period)
    progress = [TargetProgress(t, data.for_target(t)) for t in target_list(user=user, period=period)]
    people = get_user_model().objects.filter(pk__in=[uid for uid in data.by_user if uid is not None])
    ranking = [RankRow(p, data.person(p.pk, "new_customers"), data.person(p.pk, "gross_profit"),
                       data.person(p.pk, "revenue"), data.person(p.pk, "follow_ups")) for p in people]
    ranking.sort(key=lambda r: (-r.new_customers, -r.gross_profit, -r.revenue, str(r.user.get_username())))
    return Performance(period, progress, ranking, {m: data.company(m) for m in METRICS})


def departments_for_targets(user: Any) -> QuerySet[Department]:
    scope = target_write_scope(user)
    qs = Department.objects.order_by("name")
    if scope is None:
        return qs.none()
    return qs if scope.all else qs.filter(pk__in=scope.department_ids)


def people_for_targets(user: Any) -> QuerySet[Any]:
    scope = target_write_scope(user)
    qs = get_user_model().objects.filter(is_active=True, employee__status=Employee.Status.ACTIVE).order_by(
        "first_name", "username")
    if scope is None:
        return qs.none()
    return qs if scope.all else qs.filter(pk__in=scope.user_ids)
