"""Audit trail (admins): who changed what, field by field; filters update the table through htmx."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from .. import permissions
from ..forms import AuditFilterForm
from ..selectors_people import audit_page
from ._base import query_without, render_page, settings_view

PER_PAGE = 50


@settings_view(permissions.AUDIT)
def audit_trail(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    try:
        before_id = int(request.GET.get("before", "")) or None
    except ValueError:
        before_id = None
    page = audit_page(
        user=request.user, entity=filters.get("entity") or "", action=filters.get("action") or "",
        actor_id=filters.get("actor"), object_id=(filters.get("object_id") or "").strip(),
        date_from=filters.get("date_from"), date_to=filters.get("date_to"), before_id=before_id, per_page=PER_PAGE,
    )
    return render_page(request, "governance/audit_trail.html", {
        "form": form, "page": page, "filter_query": query_without(request, "before"), "section": "audit",
    }, fragment="results")
