"""Settings → Member tiers: the tiers, the re-tier settings, "Re-tier now" and the movements.

Admins (CONFIGURE) edit; report readers (VIEW_REPORTS) see the tiers and the movements.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.governance import permissions
from guanxi.web.http import page_number, query_without, render_page, require, slice_page, web_view

from ..filters_tiers import TierMovementFilter
from ..forms_tiers import TierForm, TierPolicyForm
from ..models import TierChange
from ..selectors import tiers as sel
from ..services import tiers as svc
from ..tier_reasons import money

PAGE = "analytics/tiers/settings.html"
PER_PAGE = 25


def _movements(request: HttpRequest) -> dict[str, Any]:
    today = timezone.localdate()
    params = request.GET.copy()
    if "from" not in params and "to" not in params:
        params["from"] = (today - timedelta(days=365)).isoformat()
    form = TierMovementFilter(params)
    if not form.is_valid():
        return {"movement_filter": form, "direction_choices": TierChange.Direction.choices, "movements": [],
                "changes": [], "page": 1}
    data = form.cleaned_data
    period = {"date_from": data.get("from"), "date_to": data.get("to"), "direction": data.get("direction") or None}
    page = page_number(request)
    rows, has_next = slice_page(sel.tier_change_list(user=request.user, **period), page, PER_PAGE)
    for row in rows:
        row.reason_text = sel.reason_text(row)  # type: ignore[attr-defined]
    return {"movement_filter": form, "direction_choices": TierChange.Direction.choices,
            "movements": sel.tier_movements(user=request.user, **period),
            "changes": rows, "page": page, "has_next": has_next, "has_previous": page > 1,
            "filter_query": query_without(request, "page")}


def _page(request: HttpRequest, *, policy_form: TierPolicyForm | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    if not sel.can_view_tier_settings(user):
        require(user, permissions.CONFIGURE)
    can_edit = permissions.can(user, permissions.CONFIGURE)
    reports = permissions.can(user, permissions.VIEW_REPORTS)
    policy = sel.tier_policy_get(user=user)
    context: dict[str, Any] = {"section": "tiers", "tiers": list(sel.tier_list(user=user)), "policy": policy,
                               "can_edit": can_edit, "reports": reports, "last_run": sel.last_run_summary()}
    for tier in context["tiers"]:
        tier.min_spend_text = money(tier.min_spend)  # type: ignore[attr-defined]
    if reports:
        members = {row["tier"].pk: row["count"] for row in sel.tier_distribution(user=user) if row["tier"]}
        for tier in context["tiers"]:
            tier.member_count = members.get(tier.pk, 0)  # type: ignore[attr-defined]
        context.update(_movements(request))
    if can_edit:
        context["policy_form"] = policy_form or TierPolicyForm(instance=policy)
    return render_page(request, PAGE, context, fragment="movements", status=status)


@web_view
def tier_settings(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@web_view
def tier_policy_save(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.CONFIGURE)
    form = TierPolicyForm(request.POST)
    if form.is_valid():
        try:
            svc.tier_policy_update(actor=request.user, data=form.data_for_service())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Saved the tier settings."))
            return redirect("analytics:tiers")
    return _page(request, policy_form=form, status=422)


def _form_page(request: HttpRequest, tier: Any) -> HttpResponse:
    require(request.user, permissions.CONFIGURE)
    form = TierForm(request.POST or None, instance=tier)
    if request.method == "POST" and form.is_valid():
        try:
            saved = svc.tier_save(actor=request.user, tier=tier, data=form.data_for_service())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Saved the tier “%(name)s”.") % {"name": saved.name})
            return redirect("analytics:tiers")
    return render_page(request, "analytics/tiers/form.html", {"section": "tiers", "form": form, "tier": tier},
                       status=422 if form.is_bound else 200)


@web_view
def tier_create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@web_view
def tier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, permissions.CONFIGURE)
    return _form_page(request, sel.tier_get(user=request.user, pk=pk))


@require_POST
@web_view
def tier_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, permissions.CONFIGURE)
    tier = sel.tier_get(user=request.user, pk=pk)
    try:
        svc.tier_save(actor=request.user, tier=tier, data={"is_active": False})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Deactivated the tier “%(name)s”; its members move at the next re-tier run.")
                         % {"name": tier.name})
    return redirect("analytics:tiers")


@require_POST
@web_view
def tier_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, permissions.CONFIGURE)
    tier = sel.tier_get(user=request.user, pk=pk)
    try:
        svc.tier_delete(actor=request.user, tier=tier)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("analytics:tier_edit", pk=pk)
    messages.success(request, _("Removed the tier “%(name)s”.") % {"name": tier.name})
    return redirect("analytics:tiers")
