"""What each role may do. The single table of capabilities; selectors consult it."""

from __future__ import annotations

from typing import Any

from .models import Role, Scope

VIEW = "view"
CHANGE = "change"  # create/update customers, contacts, orders, follow-ups, tasks, leads, opportunities
DELETE = "delete"
RESTORE = "restore"
EXPORT = "export"  # download lists (customers, contacts, orders, leads); the daily row limit is RolePolicy's
IMPORT = "import"
AUDIT = "audit"
CONFIGURE = "configure"  # custom fields, departments, employees, pipelines, pool and lead rules
CLAIM = "claim"  # take a customer from the public pool (公海)
MANAGE_POOL = "manage_pool"  # assign from the pool; release, lock, unlock and staff others' customers (their scope)
OVERRIDE_LIMITS = "override_limits"  # assign beyond a pool's holding limit
SET_TARGETS = "set_targets"  # 业绩目标; the scope limits a department-scoped manager to their department subtree
MANAGE_CAMPAIGNS = "manage_campaigns"  # create and change campaigns
VIEW_REPORTS = "view_reports"  # manager reports (relationship ownership / key-person risk), within the scope
HANDOVER = "handover"  # 离职交接: transfer everything a person owns
REOPEN_WON = "reopen_won"  # move a won opportunity back to an open stage (with a reason)
MANAGE_SERVICE = "manage_service"  # SLA policies, holidays, routing rules, callback rules, surveys
APPROVE_RETURNS = "approve_returns"  # approve or reject returns, exchanges and refunds
OVERRIDE_CLOSE = "override_close"  # close a complaint with its follow-up step still open (with a reason)
APPROVE_ARTICLES = "approve_articles"  # approve knowledge-base articles and their edits

# Every capability; tests/test_permissions.py asserts each role's set explicitly, so a change is deliberate.
ALL_CAPABILITIES: frozenset[str] = frozenset({
    VIEW, CHANGE, DELETE, RESTORE, EXPORT, IMPORT, AUDIT, CONFIGURE, CLAIM, MANAGE_POOL, OVERRIDE_LIMITS,
    SET_TARGETS, MANAGE_CAMPAIGNS, VIEW_REPORTS, HANDOVER, REOPEN_WON, MANAGE_SERVICE, APPROVE_RETURNS,
    OVERRIDE_CLOSE, APPROVE_ARTICLES,
})

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset({VIEW, CHANGE, DELETE, RESTORE, EXPORT, IMPORT, AUDIT, CONFIGURE, CLAIM, MANAGE_POOL,
                           OVERRIDE_LIMITS, SET_TARGETS, MANAGE_CAMPAIGNS, VIEW_REPORTS, HANDOVER, REOPEN_WON,
                           MANAGE_SERVICE, APPROVE_RETURNS, OVERRIDE_CLOSE, APPROVE_ARTICLES}),
    Role.SALES_MANAGER: frozenset({VIEW, CHANGE, DELETE, RESTORE, EXPORT, IMPORT, CLAIM, MANAGE_POOL, SET_TARGETS,
                                   MANAGE_CAMPAIGNS, VIEW_REPORTS}),
    Role.SALES_REP: frozenset({VIEW, CHANGE, CLAIM}),
    Role.SERVICE_MANAGER: frozenset({VIEW, CHANGE, EXPORT, VIEW_REPORTS, MANAGE_SERVICE, APPROVE_RETURNS,
                                     OVERRIDE_CLOSE, APPROVE_ARTICLES}),
    Role.SERVICE_AGENT: frozenset({VIEW, CHANGE}),
    Role.MARKETING: frozenset({VIEW, EXPORT, MANAGE_CAMPAIGNS}),
    Role.ANALYST: frozenset({VIEW, EXPORT, VIEW_REPORTS}),
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


def capabilities_of(user: Any) -> frozenset[str]:
    """Everything the user may do (empty for the anonymous, departed or role-less)."""
    role = role_of(user)
    return ROLE_CAPABILITIES.get(role, frozenset()) if role is not None else frozenset()


def can(user: Any, capability: str) -> bool:
    return capability in capabilities_of(user)


def scope_of(user: Any) -> str | None:
    role = role_of(user)
    if role is None:
        return None
    if user.is_superuser:
        return Scope.ALL
    return user.employee.scope or ROLE_DEFAULT_SCOPE[role]
