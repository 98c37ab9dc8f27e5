"""Lead export downloads (/sales/leads/export.csv|xlsx) with the lead list's query parameters. Refused
exports (over the daily row limit) go back to the list with a message; no permission: 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.services.exports import EXPORT_FORMATS, export_http_response
from guanxi.governance import permissions

from ..filters import LeadFilter
from ..services.lead_export import lead_export_prepare


def _back(request: HttpRequest) -> str:
    """The lead list the export was started from (its filters kept), else the lead list."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
        return referer
    return reverse("sales:leads")


@login_required
def lead_export_view(request: HttpRequest, fmt: str) -> HttpResponseBase:
    if fmt not in EXPORT_FORMATS:
        raise Http404()
    if not permissions.can(request.user, permissions.EXPORT):
        raise PermissionDenied(_("You do not have permission to do this."))
    filters = LeadFilter({k: v for k, v in request.GET.items() if v != ""})
    if not filters.is_valid():
        return HttpResponse(
            "\n".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in filters.errors.items()), status=400,
            content_type="text/plain; charset=utf-8")
    try:
        export = lead_export_prepare(user=request.user, filters=filters, fmt=fmt, params=filters.cleaned_data)
    except PermissionDeniedError as exc:
        messages.error(request, exc.message)  # the daily row limit, and how many rows are left
        return redirect(_back(request))
    return export_http_response(export)
