"""Who may see and change which customer: the one place these rules live.

Every model that hangs off a customer narrows itself with the same Q built here,
prefixed by the path to its customer, so lists, search, detail pages, the API,
exports and reports all agree.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Q
from django.utils import timezone

from guanxi.governance import permissions
from guanxi.governance.models import Scope
from guanxi.governance.selectors import user_department_ids

NOTHING = Q(pk__in=[])


def _p(prefix: str, name: str) -> str:
    return f"{prefix}{name}" if prefix else name


def _team_q(user: Any, prefix: str, *, write: bool) -> Q:
    """Customers on whose account team the user is (团队成员), until the membership expires."""
    member = apps.get_model("customers", "CustomerTeamMember")
    memberships = member.objects.filter(user_id=user.pk).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    if write:
        memberships = memberships.filter(access="write")
    return Q(**{_p(prefix, "id__in"): memberships.values("customer_id")})


def customer_read_q(user: Any, prefix: str = "") -> Q:
    """Customers the user may see: by scope, plus the public pool (no owner), plus account teams."""
    scope = permissions.scope_of(user)
    if scope is None or not permissions.can(user, permissions.VIEW):
        return NOTHING
    alive = Q(**{_p(prefix, "deleted_at__isnull"): True})
    if scope == Scope.ALL:
        return alive
    mine = Q(**{_p(prefix, "owner_id"): user.pk}) | Q(**{_p(prefix, "owner__isnull"): True})
    if scope == Scope.DEPARTMENT:
        mine |= Q(**{_p(prefix, "department_id__in"): user_department_ids(user)})
    return alive & (mine | _team_q(user, prefix, write=False))


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
    owner = Q(**{_p(prefix, "owner_id"): user.pk}) | _team_q(user, prefix, write=True)
    if scope == Scope.DEPARTMENT:
        return state & (
            owner
            | Q(**{_p(prefix, "owner__isnull"): True})
            | Q(**{_p(prefix, "department_id__in"): user_department_ids(user)})
        )
    return state & owner
