from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from guanxi.governance import permissions


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "role": permissions.role_of(user) if user is not None else None,
        "can_configure": bool(user) and permissions.can(user, permissions.CONFIGURE),
        "can_restore": bool(user) and permissions.can(user, permissions.RESTORE),
        "can_audit": bool(user) and permissions.can(user, permissions.AUDIT),
        "can_import": bool(user) and permissions.can(user, permissions.IMPORT),
        # The user's capabilities (governance.permissions), for menus: {% if "view_reports" in capabilities %}.
        "capabilities": permissions.capabilities_of(user) if user is not None else frozenset(),
    }
