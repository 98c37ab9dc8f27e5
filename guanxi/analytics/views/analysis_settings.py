"""Settings → Analysis settings: the thresholds of the customer-value analysis (CONFIGURE)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from guanxi.governance import permissions
from guanxi.web.http import render_page, require, web_view

from ..forms_tiers import AnalyticsPolicyForm
from ..selectors.tiers import analysis_policy_get
from ..services.policy import analysis_policy_update


@web_view
def analysis_settings(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.CONFIGURE)
    policy = analysis_policy_get(user=request.user)
    form = AnalyticsPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            analysis_policy_update(actor=request.user, data=form.data_for_service())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Saved the analysis settings; the next analysis run uses them."))
            return redirect("analytics:analysis_settings")
    return render_page(request, "analytics/analysis_settings.html",
                       {"section": "analysis", "form": form, "policy": policy},
                       status=422 if form.is_bound else 200)
