"""Return pages: the list with filters and the approval queue, a new request (from an order or a ticket), the
request with approve / reject / complete, and the lazily loaded card on the ticket page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.errors import ConflictError
from guanxi.customers.selectors.customers import can_change, capped_count, order_get
from guanxi.governance import permissions
from guanxi.web.http import (
    page_number,
    post_version,
    query_without,
    render_fragment,
    render_page,
    require,
    slice_page,
    web_view,
)

from ..filters_returns import ReturnFilter
from ..forms_returns import DecideForm, ReturnForm
from ..models import ReturnRequest, Ticket
from ..selectors import returns as sel
from ..selectors import tickets as tsel
from ..services import returns as svc

LIST = "support/returns/list.html"
DETAIL = "support/returns/detail.html"
FORM = "support/returns/form.html"
CARD = "support/returns/ticket_card.html"
PER_PAGE = 25
QUEUE_SIZE = 20
Status = ReturnRequest.Status


@web_view
def return_list_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.VIEW)
    params = request.GET.copy()
    for key in [k for k, v in params.items() if v == ""]:
        params.pop(key)
    filters = ReturnFilter(params)
    page = page_number(request)
    rows: list[ReturnRequest] = []
    total, more, has_next = 0, False, False
    if filters.is_valid():
        qs = sel.return_list(user=request.user, filters=filters)
        total, more = capped_count(qs)
        rows, has_next = slice_page(qs, page, PER_PAGE)
    approver = permissions.can(request.user, permissions.APPROVE_RETURNS)
    queue = list(sel.return_list(user=request.user).filter(status__in=[Status.REQUESTED, Status.APPROVED])
                 .order_by("created_at", "id")[:QUEUE_SIZE]) if approver and page == 1 else []
    context = {
        "filters": filters, "rows": rows, "total": total, "more": more, "page": page, "has_next": has_next,
        "has_prev": page > 1, "query": query_without(request, "page"), "queue": queue, "approver": approver,
    }
    return render_page(request, LIST, context, fragment="results")


def _ticket_param(request: HttpRequest) -> Ticket | None:
    value = request.POST.get("ticket") or request.GET.get("ticket") or ""
    if not value.isdigit():
        return None
    return tsel.ticket_get(user=request.user, pk=int(value), for_change=True)


@web_view
def return_create_view(request: HttpRequest, order_pk: int) -> HttpResponse:
    """Request a return, exchange or refund on an order; ?ticket= links it to a ticket."""
    require(request.user, permissions.CHANGE)
    order = order_get(user=request.user, pk=order_pk, for_change=True)
    ticket = _ticket_param(request)
    order_lines = sel.order_lines_for_return(order)
    form = ReturnForm(request.POST or None, order_lines=order_lines)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = svc.return_create(
                actor=request.user, order=order, kind=data["kind"], reason=data["reason"],
                reason_note=data["reason_note"], lines=form.lines(),
                refund_amount=data["refund_amount"] if data["refund_amount"] is not None else Decimal("0"),
                ticket=ticket)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("Return request %(number)s sent for approval.") % {"number": created.number})
            return redirect("support:return_detail", pk=created.pk)
    context = {"form": form, "order": order, "ticket": ticket, "refundable": sel.refundable_amount(order),
               "line_rows": form.line_rows()}
    return render_page(request, FORM, context, status=422 if request.method == "POST" else 200)


def _detail_context(request: HttpRequest, ret: ReturnRequest, **extra: Any) -> dict[str, Any]:
    approver = permissions.can(request.user, permissions.APPROVE_RETURNS)
    return {"ret": ret, "lines": sel.return_lines(ret), "approver": approver,
            "decide_form": extra.pop("decide_form", None) or DecideForm(), **extra}


@web_view
def return_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    ret = sel.return_get(user=request.user, pk=pk)
    return render_page(request, DETAIL, _detail_context(request, ret))


def _back(request: HttpRequest, pk: int) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("support:return_detail", pk=pk)


def _report(request: HttpRequest, exc: ValidationError) -> None:
    for errors in exc.message_dict.values():
        for error in errors:
            messages.error(request, error)


@require_POST
@web_view
def return_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve (decision=approve) or reject (decision=reject, with a note)."""
    ret = sel.return_get(user=request.user, pk=pk, for_change=True)
    require(request.user, permissions.APPROVE_RETURNS)
    form = DecideForm(request.POST)
    decision = request.POST.get("decision", "")
    if decision not in ("approve", "reject") or not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return _back(request, pk)
    try:
        svc.return_decide(actor=request.user, request=ret, approve=decision == "approve",
                          note=form.cleaned_data["note"], version=post_version(request))
    except ValidationError as exc:
        _report(request, exc)
    except ConflictError:
        messages.error(request, _("Someone else changed this request; here is the current version."))
    else:
        messages.success(request, _("Request %(number)s approved.") % {"number": ret.number} if decision == "approve"
                         else _("Request %(number)s rejected.") % {"number": ret.number})
    return _back(request, pk)


@require_POST
@web_view
def return_complete_view(request: HttpRequest, pk: int) -> HttpResponse:
    ret = sel.return_get(user=request.user, pk=pk, for_change=True)
    require(request.user, permissions.APPROVE_RETURNS)
    try:
        svc.return_complete(actor=request.user, request=ret, version=post_version(request))
    except ValidationError as exc:
        _report(request, exc)
    except ConflictError:
        messages.error(request, _("Someone else changed this request; here is the current version."))
    else:
        messages.success(request, _("Request %(number)s completed; the order shows the refund.")
                         % {"number": ret.number})
    return _back(request, pk)


@web_view
def return_ticket_card_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticket page's card: the ticket's return requests and, when it names an order, a button for a new one."""
    ticket = tsel.ticket_get(user=request.user, pk=pk)
    rows = list(sel.returns_of_ticket(user=request.user, ticket=ticket))
    can_request = (ticket.order is not None and permissions.can(request.user, permissions.CHANGE)
                   and tsel.can_change_ticket(request.user, ticket) and can_change(request.user, ticket.order))
    if not rows and not can_request and ticket.type != Ticket.Type.RETURN:
        return HttpResponse("")
    return render_fragment(request, CARD, "card", {"ticket": ticket, "rows": rows, "can_request": can_request})
