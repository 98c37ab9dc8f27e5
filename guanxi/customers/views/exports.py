"""Export downloads: the customer list's filters (same query parameters as /customers/), CSV or Excel."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.governance import permissions

from ..filters import CustomerFilter
from ..services.exports import (
    EXPORT_ENTITIES,
    EXPORT_FORMATS,
    csv_stream,
    export_filename,
    export_prepare,
    sheet_title,
    xlsx_file,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_response(user: object, entity: str, fmt: str, params: dict) -> HttpResponseBase:
    """Shared by the web view and the API: filters checked, permission checked, audited, streamed."""
    filters = CustomerFilter(params)
    if not filters.is_valid():
        return HttpResponse(
            "\n".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in filters.errors.items()), status=400,
            content_type="text/plain; charset=utf-8")
    headers, rows, _count = export_prepare(user=user, entity=entity, filters=filters, fmt=fmt,
                                           params=filters.cleaned_data)
    name = export_filename(entity, fmt)
    if fmt == "csv":
        response = StreamingHttpResponse(csv_stream(headers, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return FileResponse(xlsx_file(headers, rows, sheet_title(entity)), as_attachment=True, filename=name,
                        content_type=XLSX)


@login_required
def export(request: HttpRequest, entity: str, fmt: str) -> HttpResponseBase:
    if entity not in EXPORT_ENTITIES or fmt not in EXPORT_FORMATS:
        raise Http404()
    if not permissions.can(request.user, permissions.EXPORT):
        raise PermissionDenied(_("You do not have permission to do this."))
    try:
        return export_response(request.user, entity, fmt, request.GET)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from None
