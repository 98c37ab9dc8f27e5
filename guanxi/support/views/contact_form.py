"""The public support form (no login): `/support/contact/`.

- A known customer's request (matched by e-mail or mobile) opens a ticket, channel "web form".
- An unknown sender is told politely that the request could not be matched, and given the support address.
- Robots: a hidden honeypot field; a filled one gets the normal thank-you page and nothing is filed.
- Rate limit per IP address (GUANXI_SUPPORT_FORM_RATE per GUANXI_SUPPORT_FORM_WINDOW seconds).
- CSRF stays on, as on the public lead form.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods

from guanxi.web.ratelimit import client_ip, over_limit

from ..forms_mail import SupportRequestForm
from ..services.mail import support_address
from ..services.webform import support_request_file

log = logging.getLogger(__name__)
TEMPLATE = "support/mail/contact_form.html"


def rate_limit() -> tuple[int, int]:
    """(submissions, per seconds) allowed from one IP address."""
    return (int(getattr(settings, "GUANXI_SUPPORT_FORM_RATE", 5)),
            int(getattr(settings, "GUANXI_SUPPORT_FORM_WINDOW", 60)))


def _page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, TEMPLATE, {"support_email": support_address(), **context}, status=status)


@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def contact_form_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, {"form": SupportRequestForm()})
    limit, window = rate_limit()
    if over_limit(request, "supportform", limit, window):
        return _page(request, {"too_many": True}, status=429)
    form = SupportRequestForm(request.POST)
    if form.is_robot:
        log.info("Support form: honeypot filled from %s; nothing filed.", client_ip(request))
        return _page(request, {"thanks": True})
    if not form.is_valid():
        return _page(request, {"form": form}, status=422)
    try:
        ticket = support_request_file(data=form.cleaned_data, client=client_ip(request))
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _page(request, {"form": form}, status=422)
    if ticket is None:
        return _page(request, {"unmatched": True})
    return _page(request, {"thanks": True, "ticket_number": ticket.number})
