"""The forecast page: a month or quarter, two estimates, the funnel chart and time in stage."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from guanxi.web.http import render_page, web_view

from ..selectors import forecast as fsel
from ..selectors import opportunities as sel


@web_view
def forecast_view(request: HttpRequest) -> HttpResponse:
    errors: list[str] = []
    try:
        period = fsel.parse_period(request.GET.get("period"))
    except ValidationError as exc:
        errors = [str(m) for m in exc.messages]
        period = fsel.parse_period(None)
    pipelines = list(sel.pipeline_list())
    chosen = request.GET.get("pipeline", "")
    pipeline = next((p for p in pipelines if str(p.pk) == chosen), None)
    lookback = request.GET.get("lookback", "12")
    lookback_months = int(lookback) if lookback.isdigit() and 1 <= int(lookback) <= 60 else 12
    fc = fsel.forecast(user=request.user, period=period, pipeline=pipeline, lookback_months=lookback_months)
    choices = fsel.period_choices()
    if period.key not in {k for k, _ in choices}:
        choices.insert(0, (period.key, period.key))
    context = {
        "fc": fc, "period": period, "periods": choices, "pipelines": pipelines, "pipeline": pipeline,
        "lookback": lookback_months, "errors": errors, "chart": fsel.funnel_chart_options(fc),
    }
    return render_page(request, "sales/pipeline/forecast.html", context, fragment="results")
