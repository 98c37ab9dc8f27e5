"""Re-tier now (a background task, polled until its summary shows) and the customer page's tier card."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.governance import permissions
from guanxi.web.http import is_htmx, render_fragment, require, web_view

from ..selectors import tiers as sel
from ..services import tiers as svc
from ..tier_reasons import money

RUN = "analytics/tiers/_retier.html"


def run_state(result: Any) -> dict[str, Any]:
    """What the page shows of a task result: its id, whether it is still going, failed, and the summary."""
    status = str(result.status)
    return {"id": str(result.id), "running": not result.is_finished, "queued": status == "READY",
            "failed": status == "FAILED",
            "summary": result.return_value if status == "SUCCESSFUL" else None}


@require_POST
@web_view
def retier_start(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.CONFIGURE)
    try:
        result = svc.retier_start(actor=request.user)
    except ValidationError as exc:
        if not is_htmx(request):
            messages.error(request, " ".join(exc.messages))
            return redirect("analytics:tiers")
        return render_fragment(request, RUN, "run", {"error": " ".join(exc.messages)}, status=422)
    if not is_htmx(request):
        messages.success(request, _("Re-tiering started; the last run's summary below shows what it changed."))
        return redirect("analytics:tiers")
    return render_fragment(request, RUN, "run", {"run": run_state(result)})


@web_view
def retier_status(request: HttpRequest, result_id: str) -> HttpResponse:
    result = sel.retier_result(user=request.user, result_id=result_id)
    return render_fragment(request, RUN, "run", {"run": run_state(result)})


@web_view
def tier_card(request: HttpRequest, pk: int) -> HttpResponse:
    """The lazy-loaded tier card on the customer page (404 when the customer is not visible)."""
    info = sel.customer_tier(user=request.user, customer=pk)
    for change in info.changes:
        change.reason_text = sel.reason_text(change)  # type: ignore[attr-defined]
    spend = money(info.status.rolling_spend) if info.status else ""
    return render_fragment(request, "analytics/tiers/card.html", "card",
                           {"info": info, "customer": info.customer, "spend_text": spend})
