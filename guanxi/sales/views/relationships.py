"""The relationship-ownership report (managers): who holds customers nobody else knows."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from guanxi.web.http import render_page, web_view

from ..selectors.relationships import REPORT_SORTS, WINDOW_DAYS, rep_report


@web_view
def relationships_view(request: HttpRequest) -> HttpResponse:
    sort = request.GET.get("sort", "-at_risk")
    sort = sort if sort in REPORT_SORTS else "-at_risk"
    rows = rep_report(user=request.user, sort=sort)
    totals: dict[str, float] = {"customers": sum(r.customers for r in rows), "at_risk": sum(r.at_risk for r in rows)}
    totals["share"] = totals["at_risk"] / totals["customers"] if totals["customers"] else 0
    return render_page(request, "sales/pool/relationships.html", {
        "rows": rows, "sort": sort, "totals": totals, "window": WINDOW_DAYS})
