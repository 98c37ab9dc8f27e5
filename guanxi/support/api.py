"""REST endpoints of tickets: list (filters of TicketFilter, cursor pages), get, create, patch (409 on a stale
version), reply or note, status. Errors map as everywhere in the API (guanxi/api/errors.py)."""

# No `from __future__ import annotations`: ninja reads these signatures through `@paginate`'s wrapper.
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from guanxi.api.params import filter_query_schema, rows_by_id
from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Contact, Order, Product
from guanxi.customers.selectors.customers import customer_get
from guanxi.governance import permissions
from guanxi.governance.models import Department
from guanxi.governance.selectors import active_users

from .filters import TicketFilter
from .models import Ticket
from .selectors import tickets as sel
from .services import tickets as svc

router = Router(tags=["tickets"])


class ApiRequest(HttpRequest):
    auth: Any


class In(Schema):
    model_config = ConfigDict(extra="forbid")



TicketListQuery = filter_query_schema(TicketFilter, "TicketListQuery")


class MessageOut(Schema):
    id: int
    kind: str
    body: str
    author: int | None = Field(None, alias="author_id")
    created_at: datetime


class TicketOut(Schema):
    id: int
    number: str
    type: str
    priority: str
    channel: str
    status: str
    subject: str
    customer: int = Field(alias="customer_id")
    contact: int | None = Field(None, alias="contact_id")
    order: int | None = Field(None, alias="order_id")
    product: int | None = Field(None, alias="product_id")
    assignee: int | None = Field(None, alias="assignee_id")
    team: int | None = Field(None, alias="team_id")
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    # The SLA clock (services/sla.py); due times are in business hours of the policy.
    sla_policy: int | None = Field(None, alias="sla_policy_id")
    sla_state: str = Field("", description="on_track, at_risk, breached, paused, met; empty: no SLA")
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    sla_paused_at: datetime | None = None
    first_response_breached: bool = False
    resolution_breached: bool = False
    escalated_at: datetime | None = None


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]

    @staticmethod
    def resolve_messages(obj: Ticket) -> list[Any]:
        return list(sel.ticket_messages(obj))


class TicketPatch(In):
    version: int | None = Field(None, description="The version you read; 409 if the ticket changed since.")
    subject: str | None = None
    type: Ticket.Type | None = None
    priority: Ticket.Priority | None = None
    channel: Ticket.Channel | None = None
    contact: int | None = None
    order: int | None = None
    product: int | None = None
    team: int | None = None


class TicketIn(In):
    customer: int
    subject: str
    type: Ticket.Type = Ticket.Type.INQUIRY
    priority: Ticket.Priority = Ticket.Priority.NORMAL
    channel: Ticket.Channel = Ticket.Channel.PHONE
    contact: int | None = None
    order: int | None = None
    product: int | None = None
    team: int | None = None
    assignee: int | None = None


class ReplyIn(In):
    body: str
    internal: bool = Field(False, description="An internal note, not shown to the customer.")


class StatusIn(In):
    status: str = Field(description="open, waiting, resolved, closed or reopened.")
    version: int | None = None


def _resolve(data: dict[str, Any]) -> dict[str, Any]:
    """Ids to rows for the foreign keys; unknown ids are field errors."""
    return rows_by_id(data, {"contact": Contact.objects.all(), "order": Order.objects.all(),
                             "product": Product.objects.all(), "team": Department.objects.all(),
                             "assignee": active_users()})


@router.get("/tickets", response=list[TicketOut], summary="Tickets you may see (search, status, type, priority, assignee)")
@paginate
def ticket_list(request: ApiRequest, filters: Query[TicketListQuery]) -> Any:  # type: ignore[valid-type]
    form = TicketFilter(filters.model_dump(exclude_none=True))  # type: ignore[attr-defined]
    if not form.is_valid():
        raise NinjaValidationError([{"loc": ("query", k), "msg": str(m), "type": "value_error"}
                                    for k, v in form.errors.items() for m in v])
    return sel.ticket_list(user=request.auth, filters=form)


@router.post("/tickets", response={201: TicketDetailOut}, summary="Open a ticket")
def ticket_create(request: ApiRequest, payload: TicketIn) -> Any:
    actor = request.auth
    if not permissions.can(actor, permissions.CHANGE):
        raise PermissionDeniedError()
    data = payload.model_dump()
    customer = customer_get(user=actor, pk=data.pop("customer"), for_change=True)
    ticket = svc.ticket_create(actor=actor, customer=customer, data=_resolve(data))
    return Status(201, sel.ticket_get(user=actor, pk=ticket.pk))


@router.get("/tickets/{int:ticket_id}", response=TicketDetailOut)
def ticket_detail(request: ApiRequest, ticket_id: int) -> Any:
    return sel.ticket_get(user=request.auth, pk=ticket_id)


@router.patch("/tickets/{int:ticket_id}", response=TicketDetailOut, summary="Change a ticket. 409 on a stale version")
def ticket_update(request: ApiRequest, ticket_id: int, payload: TicketPatch) -> Any:
    actor = request.auth
    ticket = sel.ticket_get(user=actor, pk=ticket_id, for_change=True)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    svc.ticket_update(actor=actor, ticket=ticket, data=_resolve(data), version=version)
    return sel.ticket_get(user=actor, pk=ticket_id)


@router.post("/tickets/{int:ticket_id}/messages", response={201: MessageOut}, summary="Reply, or add an internal note")
def ticket_reply(request: ApiRequest, ticket_id: int, payload: ReplyIn) -> Any:
    ticket = sel.ticket_get(user=request.auth, pk=ticket_id, for_change=True)
    return Status(201, svc.ticket_reply(actor=request.auth, ticket=ticket, body=payload.body,
                                        internal=payload.internal))


@router.post("/tickets/{int:ticket_id}/status", response=TicketDetailOut, summary="Resolve, close, reopen …")
def ticket_status(request: ApiRequest, ticket_id: int, payload: StatusIn) -> Any:
    ticket = sel.ticket_get(user=request.auth, pk=ticket_id, for_change=True)
    svc.ticket_set_status(actor=request.auth, ticket=ticket, status=payload.status, version=payload.version)
    return sel.ticket_get(user=request.auth, pk=ticket_id)
