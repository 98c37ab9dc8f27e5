"""Callback pages: "My callbacks" (due today / overdue / upcoming / finished; managers pick another agent),
completing a call inline (htmx), and the ticket page's card of callbacks and survey invitations."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.errors import ConflictError
from guanxi.governance import permissions
from guanxi.governance.selectors import active_users
from guanxi.web.http import page_number, query_without, render_fragment, render_page, require, slice_page, web_view

from ..filters_callbacks import WHEN_CHOICES, CallbackFilter
from ..forms_callbacks import CallbackCompleteForm
from ..models import Callback
from ..selectors import callbacks as sel
from ..selectors import surveys as survey_sel
from ..selectors.tickets import ticket_get
from ..services import callbacks as svc
from ..services.surveys import survey_link

LIST = "support/callbacks/list.html"
CARD = "support/ticket/callbacks_surveys_card.html"
PER_PAGE = 25
TABS = [value for value, _label in WHEN_CHOICES]


def _row(request: HttpRequest, callback: Callback, form: CallbackCompleteForm | None = None,
         can_complete: bool | None = None, **extra: Any) -> dict:
    if can_complete is None:
        can_complete = svc.may_complete(request.user, callback)
    return {"cb": callback, "today": timezone.localdate(), "can_complete": can_complete,
            "form": form or CallbackCompleteForm(initial={"version": callback.version, "status": "done"},
                                                 prefix_id=callback.pk), **extra}


@web_view
def callback_list_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.VIEW)
    params = {k: v for k, v in request.GET.items() if v != "" and k in ("when", "agent")}
    params.setdefault("when", "today")
    manager = sel.is_manager(request.user)
    if not manager:
        params.pop("agent", None)
    filters = CallbackFilter(params)
    page = page_number(request)
    rows: list[Callback] = []
    has_next = False
    agent_id: int | None = request.user.pk
    if filters.is_valid():
        agent_id = filters.agent_id(request.user)
        qs = sel.callback_list(user=request.user, filters=filters)
        if filters.cleaned_data.get("when") == "finished":
            qs = qs.order_by("-due_date", "-id")
        rows, has_next = slice_page(qs, page, PER_PAGE)
    completable = sel.completable_ids(user=request.user, callbacks=rows)
    context = {
        "filters": filters, "tab": params["when"], "tabs": WHEN_CHOICES, "agent": params.get("agent", ""),
        "counts": sel.callback_counts(user=request.user, agent_id=agent_id),
        "agents": list(active_users()) if manager else [], "is_manager": manager,
        "rows": [_row(request, cb, can_complete=cb.pk in completable) for cb in rows], "page": page, "has_next": has_next, "has_prev": page > 1,
        "query": query_without(request, "page"),
    }
    return render_page(request, LIST, context, fragment="results")


@require_POST
@web_view
def callback_complete_view(request: HttpRequest, pk: int) -> HttpResponse:
    callback = sel.callback_get(user=request.user, pk=pk)
    form = CallbackCompleteForm(request.POST, prefix_id=callback.pk)
    status = 200
    message = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            callback = svc.callback_complete(actor=request.user, callback=callback, status=data["status"],
                                             outcome=data["outcome"], satisfaction=data["satisfaction"] or None,
                                             version=data["version"])
            message = _("Saved. The call is on the customer's timeline.")
        except ValidationError as exc:
            form.add_service_errors(exc)
            status = 422
        except ConflictError as exc:
            message, status = exc.message, 409
        callback = sel.callback_get(user=request.user, pk=pk)
        if status == 409:
            form = CallbackCompleteForm(initial={"version": callback.version, "status": "done"}, prefix_id=pk)
    else:
        status = 422
    context = _row(request, callback, form if status == 422 else None, message=message, expanded=True,
                   level="success" if status == 200 else "warning")
    return render_fragment(request, LIST, "row", context, status=status)


@web_view
def ticket_card_view(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    """The ticket page's card (loaded lazily): its callbacks, survey invitations (the link to copy for
    link-only ones) and answers."""
    ticket = ticket_get(user=request.user, pk=ticket_pk)
    invitations = survey_sel.invitations_of_ticket(user=request.user, ticket=ticket)
    now = timezone.now()
    for inv in invitations:
        inv.link = survey_link(inv) if inv.responded_at is None and inv.expires_at > now else ""  # type: ignore[attr-defined]
    context = {"ticket": ticket, "callbacks": sel.callbacks_of_ticket(user=request.user, ticket=ticket),
               "invitations": invitations, "can_send": survey_sel.may_manage(request.user)}
    return render_fragment(request, CARD, "card", context)
