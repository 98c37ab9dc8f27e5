"""REST endpoints: who am I, my API tokens, and the audit trail (admins only)."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import paginate
from ninja.responses import Status

from guanxi.core.text import person_name

from . import permissions
from .models import AuditLog, Role
from .schemas import AuditOut, MeOut, TokenCreatedOut, TokenIn, TokenOut
from .selectors import audit_list
from .selectors_people import api_token_get, api_token_list
from .services import api_token_create, api_token_revoke

router = Router(tags=["account"])


class ApiRequest(HttpRequest):
    """What the endpoints receive: `auth` is the authenticated user (see guanxi/api/auth.py)."""

    auth: Any


@router.get("/me", response=MeOut, summary="The signed-in user, their role, scope and capabilities")
def me(request: ApiRequest) -> Any:
    user = request.auth
    role = permissions.role_of(user)
    employee = getattr(user, "employee", None)
    department = employee.department if employee is not None else None
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": person_name(user),
        "email": user.email,
        "role": role,
        "role_label": str(Role(role).label) if role else "",
        "scope": permissions.scope_of(user),
        "department": department.pk if department else None,
        "department_name": department.name if department else "",
        "capabilities": sorted(c for c in permissions.ROLE_CAPABILITIES.get(role or "", frozenset())),
    }


@router.get("/tokens", response=list[TokenOut], summary="Your personal API tokens")
@paginate
def token_list(request: ApiRequest) -> Any:
    return api_token_list(user=request.auth)


@router.post("/tokens", response={201: TokenCreatedOut},
             summary="Create a personal API token (the key is returned once)")
def token_create(request: ApiRequest, payload: TokenIn) -> Any:
    token, key = api_token_create(actor=request.auth, name=payload.name,
                                  expires_at=payload.expires_at)
    body = TokenOut.model_validate(token).model_dump()
    return Status(201, {**body, "key": key})


@router.delete("/tokens/{int:token_id}", response={204: None}, summary="Revoke one of your API tokens")
def token_revoke(request: ApiRequest, token_id: int) -> Any:
    token = api_token_get(user=request.auth, pk=token_id)
    if token.revoked_at is None:
        api_token_revoke(actor=request.auth, token=token)
    return Status(204, None)


@router.get("/audit", response=list[AuditOut], tags=["audit"],
            summary="The audit trail (administrators only), newest first")
@paginate
def audit(request: ApiRequest, entity: str = "", action: str = "", actor: int | None = None,
          object_id: str = "", customer: int | None = None) -> Any:
    if action and action not in AuditLog.Action.values:
        raise NinjaValidationError([{
            "loc": ("query", "action"), "type": "value_error",
            "msg": _("Use one of: %(choices)s.") % {"choices": ", ".join(AuditLog.Action.values)},
        }])
    return audit_list(user=request.auth, entity=entity, action=action, actor_id=actor,
                      object_id=object_id, customer_id=customer)
