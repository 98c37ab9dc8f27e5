"""Writes about people, tokens and the audit trail."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from .models import ApiToken, AuditLog, Department, Employee, Role

TOKEN_PREFIX = "gx_"  # noqa: S105 - a public prefix, not a secret


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of a record, ready for JSON and diffing."""
    names = fields or [
        f.attname for f in instance._meta.concrete_fields if f.name not in {"updated_at", "created_at", "version"}
    ]
    return {name: _jsonable(getattr(instance, name)) for name in names}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field-level changes as {field: [before, after]}."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def audit_record(*, actor: Any, action: str, instance: models.Model, changes: dict[str, Any] | None = None,
                 customer_id: int | None = None) -> AuditLog:
    """Append one audit row. Call it inside the service's transaction."""
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        entity=instance._meta.model_name or "",
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        customer_id=customer_id,
        changes=changes or {},
    )


@transaction.atomic
def employee_create(*, actor: Any, username: str, password: str, role: str = Role.SALES_REP,
                    department: Department | None = None, first_name: str = "", last_name: str = "",
                    email: str = "", manager: Employee | None = None, is_superuser: bool = False) -> Employee:
    user_model = get_user_model()
    user = user_model.objects.create_user(
        username=username, password=password, first_name=first_name, last_name=last_name, email=email,
        is_staff=is_superuser, is_superuser=is_superuser,
    )
    employee = Employee.objects.create(user=user, role=role, department=department, manager=manager)
    audit_record(actor=actor, action=AuditLog.Action.CREATE, instance=employee,
                 changes=diff({}, snapshot(employee)))
    return employee


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: Any, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a personal token for `actor`; returns the token and the key (shown once)."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=actor, name=name, prefix=key[:10], key_hash=_hash(key), expires_at=expires_at)
    audit_record(actor=actor, action=AuditLog.Action.CREATE, instance=token, changes={"name": [None, name]})
    return token, key


def api_token_authenticate(key: str) -> Any | None:
    """The user a valid, unrevoked, unexpired token belongs to, if they may still work here."""
    if not key or not key.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user", "user__employee").filter(key_hash=_hash(key)).first()
    now = timezone.now()
    if token is None or token.revoked_at or (token.expires_at and token.expires_at <= now):
        return None
    user = token.user
    employee = getattr(user, "employee", None)
    if not user.is_active or (employee is not None and employee.status != Employee.Status.ACTIVE):
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user


@transaction.atomic
def api_token_revoke(*, actor: Any, token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action=AuditLog.Action.DELETE, instance=token)
