"""Writes about people and departments: hire, change, depart; create, rename and move departments.

Each function is one transaction and writes its audit row inside it. The caller has checked
the CONFIGURE capability (the web views and the API both do); these functions check the data.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import ConflictError

from .models import ApiToken, AuditLog, Department, Employee, Role, Scope
from .services import audit_record, diff, snapshot

USER_FIELDS = ("first_name", "last_name", "email")
EMPLOYEE_FIELDS = ("role", "department", "scope", "manager", "phone")


def _user_snapshot(user: Any) -> dict[str, Any]:
    return {f"user.{name}": getattr(user, name) for name in (*USER_FIELDS, "is_active")}


def _check_manager(employee: Employee | None, manager: Employee | None) -> None:
    """A manager must be active, and nobody may end up managing themselves (directly or not)."""
    if manager is None:
        return
    if manager.status != Employee.Status.ACTIVE:
        raise ValidationError({"manager": [_("The manager has left the company; choose someone else.")]})
    if employee is None or employee.pk is None:
        return
    managers = dict(Employee.objects.values_list("id", "manager_id"))  # the stored chain, not cached objects
    seen: set[int] = set()
    current: int | None = manager.pk
    while current is not None and current not in seen:
        if current == employee.pk:
            raise ValidationError({"manager": [_("An employee cannot report to themselves, even indirectly.")]})
        seen.add(current)
        current = managers.get(current)


def _check_choice(field: str, value: str, choices: Any, *, blank: bool = False) -> None:
    if blank and not value:
        return
    if value not in choices.values:
        raise ValidationError({field: [_("Choose a valid option.")]})


@transaction.atomic
def employee_hire(*, actor: Any, username: str, password: str, name: str = "", email: str = "",
                  role: str = Role.SALES_REP, department: Department | None = None, manager: Employee | None = None,
                  scope: str = "", phone: str = "") -> Employee:
    """Create a login and its employee profile in one go (one audit row with every field)."""
    user_model = get_user_model()
    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    if not username:
        errors["username"] = [_("Enter a username.")]
    elif user_model.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("This username is already taken.")]
    for check in (lambda: _check_choice("role", role, Role), lambda: _check_choice("scope", scope, Scope, blank=True),
                  lambda: _check_manager(None, manager)):
        try:
            check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    candidate = user_model(username=username, first_name=name, email=email)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    user = user_model(username=username, first_name=name.strip(), email=email.strip())
    user.set_password(password)
    user.full_clean(exclude=["password", "last_login", "date_joined"])
    user.save()
    employee = Employee(user=user, role=role, department=department, manager=manager, scope=scope, phone=phone)
    employee.full_clean()
    employee.save()
    changes = diff({}, {**snapshot(employee), **_user_snapshot(user), "user.username": user.username})
    audit_record(actor=actor, action=AuditLog.Action.CREATE, instance=employee, changes=changes)
    return employee


@transaction.atomic
def employee_update(*, actor: Any, employee: Employee, data: dict[str, Any]) -> Employee:
    """Change role, department, scope, manager, phone and the login's name and e-mail."""
    locked = Employee.objects.select_for_update().select_related("user").get(pk=employee.pk)
    if locked.status != Employee.Status.ACTIVE:
        raise ConflictError(_("This employee has left the company; their profile can no longer be changed."))
    before = {**snapshot(locked), **_user_snapshot(locked.user)}
    unknown = set(data) - set(USER_FIELDS) - set(EMPLOYEE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    if "role" in data:
        _check_choice("role", data["role"], Role)
    if "scope" in data:
        _check_choice("scope", data["scope"] or "", Scope, blank=True)
    if "manager" in data:
        _check_manager(locked, data["manager"])
    for name in EMPLOYEE_FIELDS:
        if name in data:
            setattr(locked, name, data[name] if name != "scope" else (data[name] or ""))
    for name in USER_FIELDS:
        if name in data:
            setattr(locked.user, name, (data[name] or "").strip())
    locked.full_clean()
    locked.user.full_clean(exclude=["password", "last_login", "date_joined", "username"])
    changes = diff(before, {**snapshot(locked), **_user_snapshot(locked.user)})
    if not changes:
        return locked
    locked.save()
    locked.user.save(update_fields=list(USER_FIELDS))
    audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=locked, changes=changes)
    return locked


@transaction.atomic
def employee_depart(*, actor: Any, employee: Employee) -> Employee:
    """Mark someone as having left: they cannot log in, open sessions end, their API tokens stop working.

    Their customers keep them as owner until handed over (a separate step).
    """
    locked = Employee.objects.select_for_update().select_related("user").get(pk=employee.pk)
    if locked.status == Employee.Status.DEPARTED:
        raise ConflictError(_("This employee has already been marked as departed."))
    if getattr(actor, "pk", None) is not None and actor.pk == locked.user_id:
        raise ValidationError({"employee": [_("You cannot mark yourself as departed.")]})
    now = timezone.now()
    before = {**snapshot(locked), **_user_snapshot(locked.user)}
    locked.status = Employee.Status.DEPARTED
    locked.departed_at = now
    locked.save(update_fields=["status", "departed_at"])
    locked.user.is_active = False
    locked.user.save(update_fields=["is_active"])
    tokens = list(ApiToken.objects.select_for_update().filter(user_id=locked.user_id, revoked_at__isnull=True))
    for token in tokens:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=AuditLog.Action.DELETE, instance=token,
                     changes={"revoked_at": [None, now.isoformat()]})
    # People who report to them now report to nobody rather than to someone who is gone.
    Employee.objects.filter(manager_id=locked.pk).update(manager=None)
    changes = diff(before, {**snapshot(locked), **_user_snapshot(locked.user)})
    changes["api_tokens_revoked"] = [0, len(tokens)]
    audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=locked, changes=changes)
    return locked


def _check_department_parent(department: Department | None, parent: Department | None) -> None:
    if parent is None or department is None or department.pk is None:
        return
    parents = dict(Department.objects.values_list("id", "parent_id"))
    current: int | None = parent.pk
    seen: set[int] = set()
    while current is not None and current not in seen:
        if current == department.pk:
            raise ValidationError(
                {"parent": [_("A department cannot be moved under itself or one of its sub-departments.")]}
            )
        seen.add(current)
        current = parents.get(current)


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Enter a name.")]})
    return name


@transaction.atomic
def department_create(*, actor: Any, name: str, parent: Department | None = None) -> Department:
    department = Department(name=_clean_name(name), parent=parent)
    department.full_clean()
    department.save()
    audit_record(actor=actor, action=AuditLog.Action.CREATE, instance=department,
                 changes=diff({}, snapshot(department)))
    return department


@transaction.atomic
def department_update(*, actor: Any, department: Department, name: str,
                      parent: Department | None) -> Department:
    """Rename and/or move a department; refuses a move that would make a cycle."""
    locked = Department.objects.select_for_update().get(pk=department.pk)
    before = snapshot(locked)
    name = _clean_name(name)
    _check_department_parent(locked, parent)
    locked.name = name
    locked.parent = parent
    locked.full_clean()
    changes = diff(before, snapshot(locked))
    if not changes:
        return locked
    locked.save()
    audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=locked, changes=changes)
    return locked
