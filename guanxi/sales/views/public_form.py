"""The public web form (no login) that a company embeds on its website: `/sales/forms/lead/?campaign=<id>`.

- CSRF stays on: the page sets the token cookie, so the form works on its own page and in an iframe on a
  site of the same registrable domain (www.example.com embedding crm.example.com). See docs for the snippet.
- Robots: a hidden honeypot field; a filled one gets the normal thank-you page and no lead.
- Rate limit per IP address through Django's cache (shared between app servers when REDIS_URL is set).
- A new lead has source "web form", the campaign from the link, and an owner from the assignment rules.
  The duplicate check runs: a warning lets the lead through (the team sees the match on the lead page);
  a blocking match adds the message as a follow-up to the existing lead or customer instead, and the
  visitor is told nothing about existing records.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods

from guanxi.customers.models import Customer
from guanxi.web.ratelimit import client_ip as _client_ip
from guanxi.web.ratelimit import over_limit

from ..forms_leads import PublicLeadForm
from ..models import Campaign, Lead
from ..services import dedup
from ..services import leads as svc

log = logging.getLogger(__name__)
TEMPLATE = "sales/leads/public_form.html"


def rate_limit() -> tuple[int, int]:
    """(submissions, per seconds) allowed from one IP address."""
    return (int(getattr(settings, "GUANXI_LEAD_FORM_RATE", 5)), int(getattr(settings, "GUANXI_LEAD_FORM_WINDOW", 60)))


def _over_limit(request: HttpRequest) -> bool:
    limit, window = rate_limit()
    return over_limit(request, "leadform", limit, window)


def _campaign(request: HttpRequest) -> tuple[Campaign | None, bool]:
    """The campaign named in the link; (None, False) when the link names one that does not exist or ended."""
    raw = request.GET.get("campaign", "")
    if not raw:
        return None, True
    campaign = Campaign.objects.filter(pk=int(raw), is_active=True).first() if raw.isdigit() else None
    return campaign, campaign is not None


def _page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, TEMPLATE, context, status=status)


def _record_on_existing(match: dedup.Match, data: dict[str, Any]) -> None:
    content = "\n".join(f"{k}: {v}" for k, v in data.items() if v and k in ("name", "company", "mobile", "email",
                                                                              "province", "notes"))
    summary = _("Sent the web form again")
    if match.entity == "lead":
        svc.web_form_repeat(lead=Lead.objects.filter(pk=match.id).first(), summary=summary, content=content)
    else:
        svc.web_form_repeat(customer=Customer.objects.filter(pk=match.id).first(), summary=summary, content=content)


@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def public_lead_form_view(request: HttpRequest) -> HttpResponse:
    campaign, link_ok = _campaign(request)
    if not link_ok:
        return _page(request, {"invalid_link": True}, status=404)
    context: dict[str, Any] = {"campaign": campaign, "form": PublicLeadForm()}
    if request.method != "POST":
        return _page(request, context)
    if _over_limit(request):
        return _page(request, {"too_many": True}, status=429)
    form = PublicLeadForm(request.POST)
    if form.is_robot:
        log.info("Public lead form: honeypot filled from %s; nothing saved.", _client_ip(request))
        return _page(request, {"thanks": True, "campaign": campaign})
    if not form.is_valid():
        return _page(request, {"campaign": campaign, "form": form}, status=422)
    data = {k: v for k, v in form.cleaned_data.items() if k != "website"}
    lead_data = {**data, "source": Lead.Source.WEB_FORM, "campaign": campaign}
    try:
        svc.lead_create(actor=None, data=lead_data, owner=svc.AUTO, confirm_duplicates=True)
    except dedup.DuplicateBlocked as exc:
        # Keep the message on the existing record; tell the visitor nothing about it.
        _record_on_existing(exc.matches[0], data)
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _page(request, {"campaign": campaign, "form": form}, status=422)
    return _page(request, {"thanks": True, "campaign": campaign})
