"""What the customer-value reports count over: the customers the user may see (Customer.objects.visible_to —
a sales manager sees their department, plus the public pool and the customers whose account team they are on),
narrowed to a department, and their orders.

Money as the metrics job counts it (services/history.py): net spend of an order = total − refunded; gross
profit = net − cost × net / total (with a zero total the whole cost); cancelled and deleted orders never count.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Case, DecimalField, ExpressionWrapper, F, QuerySet, When

from guanxi.core.errors import PermissionDeniedError
from guanxi.core.text import person_name
from guanxi.customers.models import Customer, Order
from guanxi.governance import permissions
from guanxi.governance.selectors import department_subtree_ids

from ..filters_reports import ReportPeriod, ValueReportFilter

MONEY = DecimalField(max_digits=18, decimal_places=4)
NET = ExpressionWrapper(F("total_amount") - F("refunded_amount"), output_field=MONEY)
PROFIT = Case(
    When(total_amount__gt=0, then=ExpressionWrapper(
        F("total_amount") - F("refunded_amount")
        - F("cost_amount") * (F("total_amount") - F("refunded_amount")) / F("total_amount"), output_field=MONEY)),
    default=ExpressionWrapper(F("total_amount") - F("refunded_amount") - F("cost_amount"), output_field=MONEY),
    output_field=MONEY)


def require_reports(user: Any) -> None:
    if not permissions.can(user, permissions.VIEW_REPORTS):
        raise PermissionDeniedError()


def scope_customers(*, user: Any, filters: ValueReportFilter) -> QuerySet[Customer]:
    """The customers a report counts: visible to the user, in the chosen department (and its sub-departments).
    PermissionDeniedError without the view-reports right."""
    require_reports(user)
    qs = Customer.objects.visible_to(user)
    department = filters.cleaned_data.get("department")
    if department is not None:
        qs = qs.filter(department_id__in=department_subtree_ids(department.pk))
    return qs


def scope_orders(*, user: Any, filters: ValueReportFilter, period: ReportPeriod | None = None) -> QuerySet[Order]:
    """The counted orders of those customers (not cancelled, not deleted), ordered in `period` when given."""
    require_reports(user)
    qs = Order.objects.visible_to(user).exclude(status=Order.Status.CANCELLED)
    department = filters.cleaned_data.get("department")
    if department is not None:
        qs = qs.filter(customer__department_id__in=department_subtree_ids(department.pk))
    if period is not None:
        low, high = period.bounds()
        qs = qs.filter(ordered_at__gte=low, ordered_at__lt=high)
    return qs


def money(value: Any) -> float:
    """A sum from the database as a float rounded to cents (None: 0)."""
    return round(float(value or 0), 2)


def share(part: float, whole: float) -> float | None:
    """Part of whole in percent, one decimal; None when the whole is not positive."""
    return round(100.0 * part / whole, 1) if whole > 0 else None


def owner_names(user_ids: set[int]) -> dict[int, str]:
    from django.contrib.auth import get_user_model

    return {u.pk: person_name(u) for u in get_user_model().objects.filter(pk__in=user_ids)}


def quarter_label(d: date) -> str:
    return f"{d.year} Q{(d.month - 1) // 3 + 1}"
