"""Reads for the settings pages: people, the department tree, API tokens and audit-trail pages."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.core.text import person_name

from . import permissions
from .models import ApiToken, AuditLog, Department, Employee
from .selectors import audit_list


def _require(user: Any, capability: str) -> None:
    if not permissions.can(user, capability):
        raise PermissionDeniedError()


# ---------------------------------------------------------------- people


def employee_list(*, user: Any, q: str = "", status: str = "", role: str = "",
                  department_id: int | None = None) -> QuerySet[Employee]:
    _require(user, permissions.CONFIGURE)
    qs = Employee.objects.select_related("user", "department", "manager__user")
    if q:
        qs = qs.filter(
            Q(user__username__icontains=q) | Q(user__first_name__icontains=q) | Q(user__last_name__icontains=q)
            | Q(user__email__icontains=q)
        )
    if status:
        qs = qs.filter(status=status)
    if role:
        qs = qs.filter(role=role)
    if department_id:
        qs = qs.filter(department_id=department_id)
    return qs.order_by("status", "user__first_name", "user__username")


def employee_get(*, user: Any, pk: Any) -> Employee:
    _require(user, permissions.CONFIGURE)
    try:
        return Employee.objects.select_related("user", "department", "manager__user").get(pk=pk)
    except (Employee.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


def owned_customer_counts(user_ids: list[int]) -> dict[int, int]:
    """How many live (not deleted) customers each user still owns — one query for the whole page."""
    if not user_ids:
        return {}
    rows = (
        get_user_model().objects.filter(pk__in=user_ids)
        .annotate(n=Count("owned_customers", filter=Q(owned_customers__deleted_at__isnull=True)))
        .values_list("pk", "n")
    )
    return dict(rows)


def manager_choices() -> QuerySet[Employee]:
    return Employee.objects.filter(status=Employee.Status.ACTIVE).select_related("user").order_by(
        "user__first_name", "user__username"
    )


# ---------------------------------------------------------------- departments


@dataclass
class DepartmentNode:
    department: Department
    depth: int
    employees: int
    path: str


def department_tree() -> list[DepartmentNode]:
    """Every department in tree order (parents before children), with its depth and head count."""
    departments = list(
        Department.objects.annotate(
            n=Count("employees", filter=Q(employees__status=Employee.Status.ACTIVE))
        ).order_by("name")
    )
    children: dict[int | None, list[Department]] = {}
    for d in departments:
        children.setdefault(d.parent_id, []).append(d)
    result: list[DepartmentNode] = []
    seen: set[int] = set()

    def walk(parent_id: int | None, depth: int, prefix: str) -> None:
        for d in children.get(parent_id, []):
            if d.pk in seen:
                continue
            seen.add(d.pk)
            path = f"{prefix} / {d.name}" if prefix else d.name
            result.append(DepartmentNode(d, depth, d.n, path))  # type: ignore[attr-defined]
            walk(d.pk, depth + 1, path)

    walk(None, 0, "")
    return result


def department_get(*, user: Any, pk: Any) -> Department:
    _require(user, permissions.CONFIGURE)
    try:
        return Department.objects.get(pk=pk)
    except (Department.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


# ---------------------------------------------------------------- API tokens


def api_token_list(*, user: Any) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first."""
    return ApiToken.objects.filter(user_id=user.pk).order_by("revoked_at", "-created_at")


def api_token_get(*, user: Any, pk: Any) -> ApiToken:
    try:
        return ApiToken.objects.get(user_id=user.pk, pk=pk)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


# ---------------------------------------------------------------- audit trail


def audited_entities() -> list[tuple[str, str]]:
    """(model_name, verbose name) of every Guanxi model, the values `AuditLog.entity` can take."""
    result = []
    for model in apps.get_models():
        if model.__module__.startswith("guanxi.") and model is not AuditLog:
            result.append((model._meta.model_name or "", str(model._meta.verbose_name)))
    return sorted(result, key=lambda pair: pair[1].lower())


def _field_info(entity: str) -> dict[str, tuple[str, dict[str, str], Any]]:
    """{field name or attname: (label, {stored value: display value}, related model)} for an audited model."""
    for model in apps.get_models():
        if model._meta.model_name == entity and model.__module__.startswith("guanxi."):
            info: dict[str, tuple[str, dict[str, str], Any]] = {}
            for field in model._meta.concrete_fields:
                choices = {str(k): str(v) for k, v in (field.flatchoices or [])}
                label = str(field.verbose_name)
                related = field.related_model if field.is_relation else None
                info[field.name] = info[field.attname] = (label[:1].upper() + label[1:], choices, related)
            return info
    return {}


def _resolve_people_and_departments(entries: list[AuditLog]) -> None:
    """Show users and departments by name instead of id (one query per kind for the whole page)."""
    user_model = get_user_model()
    wanted: dict[Any, set[int]] = {user_model: set(), Department: set()}
    for entry in entries:
        for change in entry.change_list:  # type: ignore[attr-defined]
            if change.related in wanted:
                wanted[change.related].update(v for v in (change.before, change.after) if isinstance(v, int))
    names: dict[Any, dict[int, str]] = {
        user_model: {u.pk: person_name(u)
                     for u in user_model.objects.filter(pk__in=wanted[user_model])} if wanted[user_model] else {},
        Department: dict(Department.objects.filter(pk__in=wanted[Department]).values_list("id", "name"))
        if wanted[Department] else {},
    }
    for entry in entries:
        for change in entry.change_list:  # type: ignore[attr-defined]
            if change.related in names:
                change.before = names[change.related].get(change.before, change.before)
                change.after = names[change.related].get(change.after, change.after)


def _show(value: Any, choices: dict[str, str]) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if value is not None and str(value) in choices:
        return choices[str(value)]
    return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


@dataclass
class AuditChange:
    field: str
    label: str
    before: Any
    after: Any
    related: Any = None


@dataclass
class AuditPage:
    entries: list[AuditLog]
    next_cursor: int | None
    has_previous: bool


def audit_page(*, user: Any, entity: str = "", action: str = "", actor_id: int | None = None,
               object_id: str = "", customer_id: int | None = None, date_from: datetime.date | None = None,
               date_to: datetime.date | None = None, before_id: int | None = None,
               per_page: int = 50) -> AuditPage:
    """One page of the audit trail, newest first, by keyset on the id: no COUNT, no deep OFFSET."""
    qs = audit_list(user=user, entity=entity, action=action, actor_id=actor_id, object_id=object_id,
                    customer_id=customer_id)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(created_at__gte=datetime.datetime.combine(date_from, datetime.time.min, tzinfo=tz))
    if date_to:
        end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        qs = qs.filter(created_at__lt=end)
    if before_id:
        qs = qs.filter(pk__lt=before_id)
    rows = list(qs.order_by("-id")[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    infos: dict[str, dict[str, tuple[str, dict[str, str], Any]]] = {}
    entity_labels = dict(audited_entities())
    for entry in rows:
        label = entity_labels.get(entry.entity, entry.entity)
        entry.entity_label = label[:1].upper() + label[1:]  # type: ignore[attr-defined]
        info = infos.setdefault(entry.entity, _field_info(entry.entity))
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        change_list = []
        for name, value in changes.items():
            before, after = value if isinstance(value, list | tuple) and len(value) == 2 else (None, value)
            if entry.action == AuditLog.Action.CREATE and (name == "id" or _empty(after)):
                continue  # a new record: list what was filled in, not every empty field
            fallback = name.removeprefix("user.").replace("_", " ")
            field_label, choices, related = info.get(name, (fallback[:1].upper() + fallback[1:], {}, None))
            change_list.append(AuditChange(name, field_label, _show(before, choices), _show(after, choices), related))
        entry.change_list = change_list  # type: ignore[attr-defined]
        entry.is_create = entry.action == AuditLog.Action.CREATE  # type: ignore[attr-defined]
    _resolve_people_and_departments(rows)
    return AuditPage(rows, rows[-1].pk if more and rows else None, bool(before_id))


def audit_actor_choices() -> QuerySet:
    """Everyone who may appear as "who" in the audit trail: every login, departed ones included."""
    return get_user_model().objects.order_by("first_name", "username").only("id", "username", "first_name",
                                                                            "last_name")
