"""The customer page's value card (quadrant, RFM, value group and its treatment, P(alive), CLV, next purchase,
churn state and the plain-words explanation), loaded lazily. Anyone who may see the customer sees it (404
otherwise): the owner is the one who should act on it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from guanxi.analytics.models import PredictionMethod
from guanxi.governance import permissions
from guanxi.web.http import render_fragment, web_view

from ..selectors import metrics as sel
from ..services.scoring import VALUE_GROUP_TREATMENT


@web_view
def metrics_card(request: HttpRequest, pk: int) -> HttpResponse:
    metrics = sel.metrics_for_customer(user=request.user, customer=pk)
    context = {
        "customer_id": pk, "metrics": metrics,
        "explanation": sel.explain(metrics) if metrics else "",
        "treatment": VALUE_GROUP_TREATMENT.get(metrics.value_group, "") if metrics else "",
        "by_model": metrics is not None and metrics.method == PredictionMethod.MODEL,
        "by_rules": metrics is not None and metrics.method == PredictionMethod.RULES,
        "can_run": permissions.can(request.user, permissions.VIEW_REPORTS),
    }
    return render_fragment(request, "analytics/metrics/card.html", "card", context)
