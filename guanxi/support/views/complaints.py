"""The complaint card on the ticket page (loaded lazily): six steps, the follow-up task, compensations, and
"Close anyway" for managers. Every action answers with the refreshed card (htmx) or redirects to the ticket."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.errors import ConflictError
from guanxi.governance import permissions
from guanxi.web.http import is_htmx, post_version, render_fragment, web_view

from ..forms_complaints import CloseAnywayForm, CompensationForm, StepForm
from ..models import Ticket
from ..selectors import complaints as csel
from ..selectors import tickets as tsel
from ..services import complaints as svc
from ..services import tickets as tickets_svc

CARD = "support/complaints/card.html"


def _card_context(request: HttpRequest, ticket: Ticket, **extra: Any) -> dict[str, Any]:
    user = request.user
    steps = list(csel.complaint_steps(user=user, ticket=ticket))
    follow_up = next((s for s in steps if s.step == svc.Step.FOLLOW_UP), None)
    compensations = list(csel.compensations_of(user=user, ticket=ticket))
    can_change = permissions.can(user, permissions.CHANGE) and tsel.can_change_ticket(user, ticket)
    follow_up_open = not svc.follow_up_done(follow_up)
    return {
        "ticket": ticket, "steps": steps, "follow_up": follow_up, "follow_up_open": follow_up_open,
        "compensations": compensations, "totals": csel.compensation_totals(compensations),
        "can_change": can_change and ticket.status != Ticket.Status.CLOSED,
        "can_close_anyway": (can_change and follow_up_open and ticket.status == Ticket.Status.RESOLVED
                             and permissions.can(user, permissions.OVERRIDE_CLOSE)),
        "compensation_form": extra.pop("compensation_form", None) or CompensationForm(),
        "close_form": extra.pop("close_form", None) or CloseAnywayForm(),
        **extra,
    }


def _card(request: HttpRequest, ticket: Ticket, status: int = 200, **extra: Any) -> HttpResponse:
    ticket = tsel.ticket_get(user=request.user, pk=ticket.pk)
    return render_fragment(request, CARD, "card", _card_context(request, ticket, **extra), status=status)


def _error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for messages_ in exc.message_dict.values() for m in messages_)


@web_view
def complaint_card_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = tsel.ticket_get(user=request.user, pk=pk)
    if ticket.type != Ticket.Type.COMPLAINT:
        return HttpResponse("")
    return render_fragment(request, CARD, "card", _card_context(request, ticket))


@require_POST
@web_view
def complaint_step_view(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Tick or untick a step (and set its note)."""
    ticket = tsel.ticket_get(user=request.user, pk=pk, for_change=True)
    form = StepForm(request.POST)
    error = ""
    if form.is_valid():
        note = form.cleaned_data["note"] if "note" in request.POST else None
        try:
            svc.step_mark(actor=request.user, ticket=ticket, step=step, done=form.cleaned_data["done"], note=note)
        except ValidationError as exc:
            error = _error_text(exc)
    else:
        error = _error_text(ValidationError(form.errors))
    if not is_htmx(request):
        if error:
            messages.error(request, error)
        return redirect("support:detail", pk=pk)
    return _card(request, ticket, status=422 if error else 200, error=error)


@require_POST
@web_view
def complaint_compensation_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = tsel.ticket_get(user=request.user, pk=pk, for_change=True)
    form = CompensationForm(request.POST)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            svc.compensation_add(actor=request.user, ticket=ticket, kind=data["kind"], amount=data["amount"],
                                 cost=data["cost"], description=data["description"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)  # type: ignore[arg-type]
        else:
            form, status = CompensationForm(), 200
    if not is_htmx(request):
        if status != 200:
            messages.error(request, _error_text(ValidationError(form.errors)))
        return redirect("support:detail", pk=pk)
    return _card(request, ticket, status=status, compensation_form=form, open_compensation=status != 200)


@require_POST
@web_view
def complaint_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a resolved complaint with its follow-up open: a manager (OVERRIDE_CLOSE) with a reason."""
    ticket = tsel.ticket_get(user=request.user, pk=pk, for_change=True)
    form = CloseAnywayForm(request.POST)
    if form.is_valid():
        try:
            tickets_svc.ticket_set_status(actor=request.user, ticket=ticket, status=Ticket.Status.CLOSED,
                                          version=post_version(request),
                                          override_reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        except ConflictError:
            messages.error(request, _("Someone else changed this ticket; here is the current version."))
        else:
            messages.success(request, _("The complaint was closed with the follow-up open; the reason is recorded."))
    else:
        messages.error(request, _error_text(ValidationError(form.errors)))
    return redirect("support:detail", pk=pk)
