"""The SLA card on the ticket page (loaded lazily) with the reassign form."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.errors import ConflictError
from guanxi.governance import permissions
from guanxi.web.http import is_htmx, post_version, render_page, web_view

from ..forms_sla import ReassignForm
from ..models import Ticket
from ..selectors import sla as sla_sel
from ..selectors import tickets as ticket_sel
from ..services import tickets as svc

CARD = "support/sla/ticket_card.html"


def _card(request: HttpRequest, ticket: Ticket, form: ReassignForm | None = None, status: int = 200) -> HttpResponse:
    can_change = permissions.can(request.user, permissions.CHANGE) and ticket_sel.can_change_ticket(
        request.user, ticket)
    context = {
        "ticket": ticket, "dues": sla_sel.ticket_sla(ticket), "can_change": can_change,
        "form": (form or ReassignForm(ticket=ticket)) if can_change else None,
    }
    return render_page(request, CARD, context, status=status)


@web_view
def sla_card_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = ticket_sel.ticket_get(user=request.user, pk=pk)
    return _card(request, ticket)


@require_POST
@web_view
def ticket_reassign_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = ticket_sel.ticket_get(user=request.user, pk=pk, for_change=True)
    form = ReassignForm(request.POST, ticket=ticket)
    if form.is_valid():
        try:
            svc.ticket_assign(actor=request.user, ticket=ticket, assignee=form.cleaned_data["assignee"],
                              team=form.cleaned_data["team"], version=post_version(request))
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError:
            form.add_error(None, _("Someone else changed this ticket; here is the current version."))
            return _card(request, ticket_sel.ticket_get(user=request.user, pk=pk), form, status=409)
        else:
            messages.success(request, _("Ticket reassigned."))
            # Back to the ticket (the whole page shows the new team and assignee) — or to the list when the
            # ticket has left the user's queue.
            still_visible = Ticket.objects.visible_to(request.user).filter(pk=pk).exists()
            url = reverse("support:detail", args=[pk]) if still_visible else reverse("support:list")
            if is_htmx(request):
                return HttpResponse(headers={"HX-Redirect": url})
            return redirect(url)
    return _card(request, ticket, form, status=422)
