"""Recycle bin (roles with RESTORE): deleted records still inside the restore window, and Restore."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.core.errors import NotFoundError
from guanxi.customers.selectors.customers import recyclable_extensions, recycle_bin

from .. import permissions
from ..services_recycle import has_customer, recycle_restore
from ._base import page_number, query_without, render_page, settings_view, slice_page

PER_PAGE = 50

TABS = [
    ("customer", gettext_lazy("Customers"), "bi-building"),
    ("contact", gettext_lazy("Contacts"), "bi-person-lines-fill"),
    ("order", gettext_lazy("Orders"), "bi-receipt"),
    ("interaction", gettext_lazy("Follow-ups"), "bi-chat-left-text"),
    ("task", gettext_lazy("Tasks"), "bi-check2-square"),
]


def tabs() -> list[tuple[str, Any, str]]:
    """The customers' own tabs, then one per model of another app in settings.GUANXI_RECYCLABLE."""
    extra = [(entity, capfirst(r.model._meta.verbose_name_plural), r.icon)
             for entity, r in recyclable_extensions().items()]
    return TABS + extra


@settings_view(permissions.RESTORE)
def recycle_list(request: HttpRequest, entity: str = "customer") -> HttpResponse:
    all_tabs = tabs()
    if entity not in {key for key, _label, _icon in all_tabs}:
        raise NotFoundError()
    qs = recycle_bin(user=request.user, entity=entity)
    with_customer = entity != "customer" and has_customer(qs.model)
    if with_customer:
        qs = qs.select_related("customer")
    page = page_number(request)
    rows, has_next = slice_page(qs, page, PER_PAGE)
    now = timezone.now()
    window = timedelta(days=settings.GUANXI_RECYCLE_DAYS)
    for row in rows:
        purge_at = row.deleted_at + window
        row.purge_at = purge_at
        row.days_left = max(0, math.ceil((purge_at - now).total_seconds() / 86400))
        parent = getattr(row, "customer", None) if with_customer else None
        row.parent_customer = parent
        row.parent_deleted = parent is not None and parent.deleted_at is not None
    return render_page(request, "governance/recycle_bin.html", {
        "section": "recycle", "tabs": all_tabs, "with_customer": with_customer, "entity": entity, "rows": rows, "page": page, "has_next": has_next,
        "has_previous": page > 1, "filter_query": query_without(request, "page"),
        "recycle_days": settings.GUANXI_RECYCLE_DAYS,
    }, fragment="results")


@require_POST
@settings_view(permissions.RESTORE)
def recycle_restore_view(request: HttpRequest, entity: str, pk: int) -> HttpResponse:
    if entity not in {key for key, _label, _icon in tabs()}:
        raise NotFoundError()
    try:
        record = recycle_restore(actor=request.user, entity=entity, pk=pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Restored “%(record)s”.") % {"record": record})
    return redirect(reverse("governance:recycle_bin", args=[entity]))
