"""The ticket page's attachments card (loaded with htmx), the upload and the download, and Settings → Received
e-mail (service managers)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guanxi.governance import permissions
from guanxi.web.http import (
    is_htmx,
    page_number,
    query_without,
    render_fragment,
    render_page,
    require,
    slice_page,
    web_view,
)

from ..forms_mail import AttachmentForm, InboundEmailFilter
from ..models import Ticket
from ..selectors import mail as sel
from ..selectors.tickets import can_change_ticket, ticket_get
from ..services.attachments import attachment_add, max_bytes

CARD = "support/mail/attachments_card.html"
RECEIVED = "support/mail/received_list.html"
PER_PAGE = 50


def _card(request: HttpRequest, ticket: Ticket, form: AttachmentForm | None = None, status: int = 200,
          added: bool = False) -> HttpResponse:
    can_change = permissions.can(request.user, permissions.CHANGE) and can_change_ticket(request.user, ticket)
    context = {"ticket": ticket, "attachments": list(sel.attachment_list(user=request.user, ticket=ticket)),
               "can_change": can_change, "form": form or AttachmentForm(), "added": added, "max_size": max_bytes()}
    return render_fragment(request, CARD, "card", context, status=status)


@require_http_methods(["GET", "POST"])
@web_view
def attachments_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the card (list, and the upload form for those who may change the ticket). POST: upload a file."""
    if request.method == "GET":
        return _card(request, ticket_get(user=request.user, pk=pk))
    require(request.user, permissions.CHANGE)
    ticket = ticket_get(user=request.user, pk=pk, for_change=True)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment_add(actor=request.user, ticket=ticket, upload=form.cleaned_data["file"])
        except ValidationError as exc:
            form.add_service_errors(exc)
    if not is_htmx(request):  # a plain form post (no JavaScript): back to the ticket page with the outcome
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        if not form.errors:
            messages.success(request, _("File attached."))
        return redirect("support:detail", pk=ticket.pk)
    if form.errors:
        return _card(request, ticket, form, status=422)
    return _card(request, ticket, added=True)


def file_response(attachment: Any) -> FileResponse:
    """The file as a download (never shown inline), with its checked content type and no sniffing."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404() from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET"])
@web_view
def attachment_download_view(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    # A streaming response; web_view passes it through untouched.
    return file_response(sel.attachment_get(user=request.user, ticket_pk=pk, pk=attachment_id))  # type: ignore[return-value]


@web_view
def received_list_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.MANAGE_SERVICE)
    filters = InboundEmailFilter(request.GET)
    outcome = filters.cleaned_data.get("outcome", "") if filters.is_valid() else ""
    page = page_number(request)
    rows, has_next = slice_page(sel.inbound_email_list(user=request.user, outcome=outcome), page, PER_PAGE)
    linkable = sel.visible_ticket_ids(request.user, {r.ticket_id for r in rows if r.ticket_id})
    context = {"section": "mail_received", "filters": filters, "rows": rows, "linkable": linkable,
               "page": page, "has_next": has_next, "has_prev": page > 1, "query": query_without(request, "page")}
    return render_page(request, RECEIVED, context, fragment="results")
