"""Role policies (admins): masking of phone numbers and emails (号码脱敏) and daily export limits per role."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .. import permissions
from ..services_policies import role_policies_update, role_policy_list
from ._base import render_page, settings_view


def _parse(post: Any, roles: list[str]) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
    data: dict[str, dict[str, Any]] = {}
    errors: dict[str, list[str]] = {}
    for role in roles:
        raw = (post.get(f"{role}-export_daily_rows") or "").strip().replace(",", "")
        rows: int | None = None
        if raw:
            if not raw.isdigit():
                errors[f"{role}.export_daily_rows"] = [_("Enter 0 or more rows, or leave it empty for no limit.")]
                continue
            rows = int(raw)
        data[role] = {"mask_unowned": post.get(f"{role}-mask_unowned") == "on", "export_daily_rows": rows}
    return data, errors


@settings_view(permissions.CONFIGURE)
def role_policies(request: HttpRequest) -> HttpResponse:
    policies = role_policy_list(user=request.user)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data, errors = _parse(request.POST, [p.role for p in policies])
        if not errors:
            try:
                role_policies_update(actor=request.user, data=data)
            except ValidationError as exc:
                errors = exc.message_dict
            else:
                messages.success(request, _("Role policies saved."))
                return redirect("governance:role_policies")
        # Show what was typed, with the errors next to it.
        for policy in policies:
            policy.mask_unowned = request.POST.get(f"{policy.role}-mask_unowned") == "on"
            policy.posted_rows = request.POST.get(f"{policy.role}-export_daily_rows", "")  # type: ignore[attr-defined]
    rows = [{
        "policy": p,
        "can_export": permissions.EXPORT in permissions.ROLE_CAPABILITIES.get(p.role, frozenset()),
        "rows_value": getattr(p, "posted_rows", "" if p.export_daily_rows is None else p.export_daily_rows),
        "errors": errors.get(f"{p.role}.export_daily_rows", []) + errors.get(f"{p.role}.mask_unowned", []),
    } for p in policies]
    return render_page(request, "governance/role_policies.html", {"section": "role_policies", "rows": rows},
                       status=422 if errors else 200)
