"""API shapes for the signed-in user, personal API tokens and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from guanxi.core.text import person_name


class MeOut(Schema):
    id: int
    username: str
    name: str
    email: str
    role: str | None
    role_label: str
    scope: str | None
    department: int | None
    department_name: str
    capabilities: list[str]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    key: str = Field(..., description="The token itself. It is shown only this once; store it safely.")


class TokenIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=100)
    expires_at: datetime | None = None


class AuditOut(Schema):
    id: int
    created_at: datetime
    actor: int | None = Field(None, alias="actor_id")
    actor_name: str = ""
    action: str
    entity: str
    object_id: str
    object_repr: str
    customer: int | None = Field(None, alias="customer_id")
    changes: dict[str, Any]

    @staticmethod
    def resolve_actor_name(obj: Any) -> str:
        return person_name(obj.actor) if obj.actor_id else ""
