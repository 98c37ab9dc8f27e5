"""What each role may do. The single table of capabilities; selectors consult it."""

from __future__ import annotations

from typing import Any

from .models import Role, Scope

VIEW = "view"
CHANGE = "change"  # create/update customers, contacts, orders, follow-ups, tasks
DELETE = "delete"
RESTORE = "restore"
EXPORT = "export"
IMPORT = "import"
AUDIT = "audit"
CONFIGURE = "configure"  # custom fields, departments, employees

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset({VIEW, CHANGE, DELETE, RESTORE, EXPORT, IMPORT, AUDIT, CONFIGURE}),
    Role.SALES_MANAGER: frozenset({VIEW, CHANGE, DELETE, RESTORE, EXPORT, IMPORT}),
    Role.SALES_REP: frozenset({VIEW, CHANGE}),
    Role.SERVICE_MANAGER: frozenset({VIEW, CHANGE, EXPORT}),
    Role.SERVICE_AGENT: frozenset({VIEW, CHANGE}),
    Role.MARKETING: frozenset({VIEW, EXPORT}),
    Role.ANALYST: frozenset({VIEW, EXPORT}),
}

ROLE_DEFAULT_SCOPE: dict[str, str] = {
    Role.ADMIN: Scope.ALL,
    Role.SALES_MANAGER: Scope.DEPARTMENT,
    Role.SALES_REP: Scope.OWN,
    Role.SERVICE_MANAGER: Scope.ALL,
    Role.SERVICE_AGENT: Scope.ALL,
    Role.MARKETING: Scope.ALL,
    Role.ANALYST: Scope.ALL,
}


def role_of(user: Any) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return Role.ADMIN
    employee = getattr(user, "employee", None)
    if employee is None or employee.status != "active":
        return None
    return employee.role


def can(user: Any, capability: str) -> bool:
    role = role_of(user)
    return role is not None and capability in ROLE_CAPABILITIES.get(role, frozenset())


def scope_of(user: Any) -> str | None:
    role = role_of(user)
    if role is None:
        return None
    if user.is_superuser:
        return Scope.ALL
    return user.employee.scope or ROLE_DEFAULT_SCOPE[role]
