"""离职交接 (admins): choose the person, preview what they own, hand it over; the history of batches."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from guanxi.governance import permissions
from guanxi.governance.selectors import active_users
from guanxi.web.http import page_number, render_page, require, slice_page, web_view

from ..forms_pool import HandoverForm
from ..selectors.pool import handover_get, handover_list, handover_people, handover_preview
from ..services.handover import handover_execute

TEMPLATE = "sales/pool/handover.html"


def _from_user(raw: str) -> object | None:
    if not raw.isdigit():
        return None
    return get_user_model().objects.filter(pk=int(raw), employee__isnull=False).first()


@web_view
def handover_view(request: HttpRequest) -> HttpResponse:
    """GET ?from_user=: the preview (htmx swaps it in when a person is chosen); POST: hand over."""
    require(request.user, permissions.HANDOVER)
    posted = request.method == "POST"
    raw = (request.POST if posted else request.GET).get("from_user", "")
    source = _from_user(raw)
    form = HandoverForm(request.POST if posted else None, initial={"from_user": raw},
                        people=handover_people(user=request.user),
                        receivers=active_users().filter(employee__isnull=False)[:500])
    preview = handover_preview(user=request.user, from_user=source) if source is not None else None
    if posted and form.is_valid() and source is not None:
        users = get_user_model().objects.in_bulk(form.cleaned_data["receivers"])
        try:
            handover = handover_execute(
                actor=request.user, from_user=source,
                receivers=[users[pk] for pk in form.cleaned_data["receivers"] if pk in users],
                mode=form.cleaned_data["mode"], assignments=form.assignments(request.POST),
                reason=form.cleaned_data.get("reason", ""), keep_read_until=form.cleaned_data.get("keep_read_until"),
                departed=form.cleaned_data.get("departed", False))
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Handed over: %(n)s customers.") % {"n": handover.summary["customers"]["total"]})
            return redirect("sales:handover_detail", pk=handover.pk)
    chosen = set(request.POST.getlist("receivers")) if posted else set()
    assigned = {k[7:]: v for k, v in request.POST.items() if k.startswith("assign_")} if posted else {}
    receivers_field: Any = form.fields["receivers"]
    return render_page(request, TEMPLATE, {
        "section": "handover", "form": form, "source": source, "preview": preview,
        "receiver_choices": receivers_field.choices, "chosen": chosen, "assigned": assigned,
    }, fragment="preview", status=422 if posted else 200)


@web_view
def handover_history(request: HttpRequest) -> HttpResponse:
    page = page_number(request)
    rows, has_next = slice_page(handover_list(user=request.user), page, 25)
    return render_page(request, "sales/pool/handover_history.html", {
        "section": "handover", "rows": rows, "page": page, "has_next": has_next, "has_previous": page > 1})


@web_view
def handover_detail(request: HttpRequest, pk: int) -> HttpResponse:
    handover = handover_get(user=request.user, pk=pk)
    changes = handover.changes.select_related("to_user").order_by("entity", "id")[:1000]
    return render_page(request, "sales/pool/handover_detail.html", {
        "section": "handover", "handover": handover, "changes": changes})
