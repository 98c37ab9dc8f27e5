"""Export downloads, CSV or Excel, with the filters of the list they come from: customers and their contacts
with the customer list's (same query parameters as /customers/), orders with the order list's
(/customers/orders/). Refused exports (over the daily row limit) go back to the list with a message."""

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
from guanxi.governance import permissions

from ..services.exports import EXPORT_ENTITIES, EXPORT_FORMATS, export_filters, export_http_response, export_prepare


def export_response(user: object, entity: str, fmt: str, params: dict) -> HttpResponseBase:
    """Filters checked (400 naming the field), permission and daily limit checked, audited, streamed."""
    filters = export_filters(entity, params)
    if not filters.is_valid():
        return HttpResponse(
            "\n".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in filters.errors.items()), status=400,
            content_type="text/plain; charset=utf-8")
    export = export_prepare(user=user, entity=entity, filters=filters, fmt=fmt, params=filters.cleaned_data)
    return export_http_response(export)


def _back(request: HttpRequest, entity: str) -> str:
    """The list the export was started from (its filters kept), else that entity's list."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
        return referer
    return reverse("customers:order_list" if entity == "order" else "customers:list")


@login_required
def export(request: HttpRequest, entity: str, fmt: str) -> HttpResponseBase:
    if entity not in EXPORT_ENTITIES or fmt not in EXPORT_FORMATS:
        raise Http404()
    if not permissions.can(request.user, permissions.EXPORT):
        raise PermissionDenied(_("You do not have permission to do this."))
    try:
        return export_response(request.user, entity, fmt, request.GET)
    except PermissionDeniedError as exc:
        # The daily row limit: say how many rows are left, on the list the user came from.
        messages.error(request, exc.message)
        return redirect(_back(request, entity))
