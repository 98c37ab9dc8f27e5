"""Reads about people and departments, and the audit trail (admins only)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from guanxi.core.errors import PermissionDeniedError

from . import permissions
from .models import AuditLog, Department, Employee


def department_subtree_ids(department_id: int | None) -> list[int]:
    """The department and all its descendants (the tree is small: read it whole)."""
    if department_id is None:
        return []
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Department.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    result, stack = [], [department_id]
    while stack:
        current = stack.pop()
        result.append(current)
        stack.extend(children.get(current, []))
    return result


def user_department_ids(user: Any) -> list[int]:
    employee = getattr(user, "employee", None)
    return department_subtree_ids(employee.department_id if employee else None)


def active_users() -> QuerySet:
    return get_user_model().objects.filter(is_active=True, employee__status=Employee.Status.ACTIVE).order_by(
        "first_name", "username"
    )


def audit_list(*, user: Any, entity: str = "", action: str = "", actor_id: int | None = None,
               object_id: str = "", customer_id: int | None = None) -> QuerySet[AuditLog]:
    """The audit trail, filterable; only for roles with the audit capability."""
    if not permissions.can(user, permissions.AUDIT):
        raise PermissionDeniedError()
    qs = AuditLog.objects.select_related("actor")
    if entity:
        qs = qs.filter(entity=entity)
    if action:
        qs = qs.filter(action=action)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    return qs


def assignable_owner_ids(user: Any) -> set[int] | None:
    """Whom `user` may make a customer's owner: None means anyone."""
    scope = permissions.scope_of(user)
    if scope == "all":
        return None
    if scope == "department":
        return set(
            Employee.objects.filter(department_id__in=user_department_ids(user)).values_list("user_id", flat=True)
        ) | {user.pk}
    return {user.pk}
