"""Reads of the metrics: one customer's (through customer visibility), the runs, and the plain-words explanation."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from guanxi.analytics.models import ChurnState, CustomerMetrics, MetricsRun, PredictionMethod
from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.customers.selectors.customers import customer_get
from guanxi.governance import permissions


def metrics_for_customer(*, user: Any, customer: Customer | int) -> CustomerMetrics | None:
    """The customer's metrics, or None before the first run. NotFoundError when the user may not see the customer."""
    pk = customer.pk if isinstance(customer, Customer) else customer
    visible = customer_get(user=user, pk=pk)
    return CustomerMetrics.objects.filter(customer=visible).first()


def _require_reports(user: Any) -> None:
    if not permissions.can(user, permissions.VIEW_REPORTS):
        raise PermissionDeniedError()


def run_list(*, user: Any) -> QuerySet[MetricsRun]:
    _require_reports(user)
    return MetricsRun.objects.order_by("-id")


def run_get(*, user: Any, pk: int) -> MetricsRun:
    _require_reports(user)
    run = MetricsRun.objects.filter(pk=pk).first()
    if run is None:
        raise NotFoundError()
    return run


def last_run(*, finished: bool = False) -> MetricsRun | None:
    """The newest run (any status), or the newest that finished (done) with `finished=True`."""
    qs = MetricsRun.objects.order_by("-id")
    if finished:
        qs = qs.filter(status=MetricsRun.Status.DONE)
    return qs.first()


def _when(d: date) -> str:
    return formats.date_format(d, "SHORT_DATE_FORMAT")


def explain(metrics: CustomerMetrics) -> str:
    """A short explanation in plain words, in the active language, e.g. "usually buys every 41 days; last bought
    63 days ago; 72% likely still active"."""
    if not metrics.orders_count:
        return _("No purchase yet.")
    parts = []
    interval = metrics.typical_interval_days
    if interval is not None:
        days = round(interval)
        parts.append(ngettext("usually buys every %(days)d day", "usually buys every %(days)d days", days)
                     % {"days": days})
    else:
        parts.append(_("has bought once"))
    if metrics.recency_days is not None:
        parts.append(ngettext("last bought %(days)d day ago", "last bought %(days)d days ago", metrics.recency_days)
                     % {"days": metrics.recency_days})
    if metrics.p_alive is not None:
        parts.append(_("%(percent)d%% likely still active") % {"percent": round(100 * metrics.p_alive)})
    if metrics.churn_state == ChurnState.CHURNED:
        parts.append(_("counted as lost"))
    elif metrics.next_purchase_date is not None:
        parts.append(_("next purchase expected around %(date)s") % {"date": _when(metrics.next_purchase_date)})
    if metrics.run_out_date is not None:
        parts.append(_("runs out around %(date)s") % {"date": _when(metrics.run_out_date)})
    text = pgettext("list separator", "; ").join(parts)
    if metrics.method == PredictionMethod.RULES:
        text += pgettext("list separator", "; ") + _("estimated by simple rules (the model could not be fitted)")
    return text
