"""Who may see and change which customer: the one place these rules live.

Every model that hangs off a customer narrows itself with the same Q built here,
prefixed by the path to its customer, so lists, search, detail pages, the API,
exports and reports all agree.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from guanxi.governance import permissions
from guanxi.governance.models import Scope
from guanxi.governance.selectors import user_department_ids

NOTHING = Q(pk__in=[])


def _p(prefix: str, name: str) -> str:
    return f"{prefix}{name}" if prefix else name


def customer_read_q(user: Any, prefix: str = "") -> Q:
    """Customers the user may see: by scope, plus the public pool (no owner)."""
    scope = permissions.scope_of(user)
    if scope is None or not permissions.can(user, permissions.VIEW):
        return NOTHING
    alive = Q(**{_p(prefix, "deleted_at__isnull"): True})
    if scope == Scope.ALL:
        return alive
    mine = Q(**{_p(prefix, "owner_id"): user.pk}) | Q(**{_p(prefix, "owner__isnull"): True})
    if scope == Scope.DEPARTMENT:
        mine |= Q(**{_p(prefix, "department_id__in"): user_department_ids(user)})
    return alive & mine


def customer_write_q(user: Any, prefix: str = "", *, deleted: bool = False) -> Q:
    """Customers the user may change. Reps change only their own; the pool needs a manager.

    With deleted=True: deleted customers the user may restore from the recycle bin.
    """
    scope = permissions.scope_of(user)
    capability = permissions.RESTORE if deleted else permissions.CHANGE
    if scope is None or not permissions.can(user, capability):
        return NOTHING
    state = Q(**{_p(prefix, "deleted_at__isnull"): not deleted})
    if scope == Scope.ALL:
        return state
    owner = Q(**{_p(prefix, "owner_id"): user.pk})
    if scope == Scope.DEPARTMENT:
        return state & (
            owner
            | Q(**{_p(prefix, "owner__isnull"): True})
            | Q(**{_p(prefix, "department_id__in"): user_department_ids(user)})
        )
    return state & owner
