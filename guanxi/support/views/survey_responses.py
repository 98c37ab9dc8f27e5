"""Survey responses (managers): the list with filters (survey, kind, score range, unhappy only, dates) and its
Excel download through the project's export path (EXPORT capability, daily row limit, audit row,
formula-neutralised cells: guanxi/customers/services/exports.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.services.exports import export_http_response
from guanxi.governance import permissions
from guanxi.web.http import page_number, query_without, render_page, slice_page, web_view

from ..filters_surveys import SurveyResponseFilter
from ..models import SurveyResponse
from ..selectors import surveys as sel
from ..services.survey_export import response_export_prepare

PER_PAGE = 25


def _filters(request: HttpRequest) -> SurveyResponseFilter:
    return SurveyResponseFilter({k: v for k, v in request.GET.items() if v != "" and k != "page"})


@web_view
def response_list_view(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    page = page_number(request)
    rows: list[SurveyResponse] = []
    has_next = False
    qs = sel.response_list(user=request.user)
    if filters.is_valid():
        rows, has_next = slice_page(filters.apply(qs), page, PER_PAGE)
    context = {
        "section": "survey_responses", "filters": filters, "rows": rows, "page": page, "has_next": has_next,
        "has_prev": page > 1, "query": query_without(request, "page"), "surveys": sel.survey_choices(),
        "can_export": permissions.can(request.user, permissions.EXPORT),
    }
    return render_page(request, "support/surveys/responses.html", context, fragment="results")


@login_required
def response_export_view(request: HttpRequest) -> HttpResponseBase:
    if not (permissions.can(request.user, permissions.EXPORT) and sel.may_read_responses(request.user)):
        raise PermissionDenied(_("You do not have permission to do this."))
    filters = _filters(request)
    back = reverse("support:survey_responses") + ("?" + query_without(request) if request.GET else "")
    if not filters.is_valid():
        return redirect(back)
    try:
        export = response_export_prepare(user=request.user, filters=filters, params=filters.cleaned_data)
    except PermissionDeniedError as exc:
        messages.error(request, exc.message)  # the daily row limit, and how many rows are left
        return redirect(back)
    return export_http_response(export)
