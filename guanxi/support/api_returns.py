"""REST endpoints of returns, exchanges and refunds: list (filters of ReturnFilter, cursor pages), create, get,
decide (approve / reject) and complete, the last two with the version read (409 when stale)."""

# No `from __future__ import annotations`: ninja reads these signatures through `@paginate`'s wrapper.
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from guanxi.api.params import filter_query_schema, query_error
from guanxi.customers.selectors.customers import customer_get, order_get
from guanxi.customers.selectors.spend import customer_spend

from .filters_returns import ReturnFilter
from .models import ReturnRequest
from .selectors import returns as sel
from .selectors import tickets as tsel
from .services import returns as svc

router = Router(tags=["returns"])


class ApiRequest(HttpRequest):
    auth: Any


class In(Schema):
    model_config = ConfigDict(extra="forbid")


ReturnListQuery = filter_query_schema(ReturnFilter, "ReturnListQuery")


class ReturnLineOut(Schema):
    order_line: int = Field(alias="order_line_id")
    quantity: Decimal
    amount: Decimal


class ReturnOut(Schema):
    id: int
    number: str
    customer: int = Field(alias="customer_id")
    order: int = Field(alias="order_id")
    ticket: int | None = Field(None, alias="ticket_id")
    kind: str
    reason: str
    reason_note: str
    status: str
    refund_amount: Decimal
    requested_by: int | None = Field(None, alias="requested_by_id")
    decided_by: int | None = Field(None, alias="decided_by_id")
    decided_at: datetime | None
    decision_note: str
    completed_at: datetime | None
    created_at: datetime
    version: int


class ReturnDetailOut(ReturnOut):
    lines: list[ReturnLineOut]
    order_status: str = Field(description="The order's status now (paid, partial, refunded, cancelled).")
    order_refunded_amount: Decimal = Field(description="What has been refunded on the order so far.")

    @staticmethod
    def resolve_lines(obj: ReturnRequest) -> list[Any]:
        return sel.return_lines(obj)

    @staticmethod
    def resolve_order_status(obj: ReturnRequest) -> str:
        return str(obj.order.status)

    @staticmethod
    def resolve_order_refunded_amount(obj: ReturnRequest) -> Decimal:
        return obj.order.refunded_amount


class SpendOut(Schema):
    orders: int
    gross: Decimal
    refunded: Decimal
    net: Decimal


class LineIn(In):
    order_line: int
    quantity: Decimal


class ReturnIn(In):
    order: int
    kind: ReturnRequest.Kind
    reason: ReturnRequest.Reason
    reason_note: str = ""
    lines: list[LineIn] = Field(default_factory=list, description="Empty for a refund without goods coming back.")
    refund_amount: Decimal = Decimal("0")
    ticket: int | None = None


class DecideIn(In):
    approve: bool
    note: str = Field("", description="Required to reject.")
    version: int | None = Field(None, description="The version you read; 409 if the request changed since.")


class VersionIn(In):
    version: int | None = Field(None, description="The version you read; 409 if the request changed since.")


@router.get("/returns", response=list[ReturnOut], summary="Returns and refunds you may see (search, status, kind, reason)")
@paginate
def return_list(request: ApiRequest, filters: Query[ReturnListQuery]) -> Any:  # type: ignore[valid-type]
    form = ReturnFilter(filters.model_dump(exclude_none=True))  # type: ignore[attr-defined]
    if not form.is_valid():
        raise query_error({k: [str(m) for m in v] for k, v in form.errors.items()})
    return sel.return_list(user=request.auth, filters=form)


@router.post("/returns", response={201: ReturnDetailOut}, summary="Request a return, exchange or refund on an order")
def return_create(request: ApiRequest, payload: ReturnIn) -> Any:
    actor = request.auth
    order = order_get(user=actor, pk=payload.order, for_change=True)
    ticket = tsel.ticket_get(user=actor, pk=payload.ticket, for_change=True) if payload.ticket is not None else None
    by_id = {line.pk: line for line in sel.order_lines_for_return(order)}
    # An id not on the order stays None: the service reports it under lines.<n>.order_line.
    lines: list[tuple[Any, Any]] = [(by_id.get(line.order_line), line.quantity) for line in payload.lines]
    created = svc.return_create(actor=actor, order=order, kind=payload.kind, reason=payload.reason,
                                reason_note=payload.reason_note, lines=lines, refund_amount=payload.refund_amount,
                                ticket=ticket)
    return Status(201, sel.return_get(user=actor, pk=created.pk))


@router.get("/returns/{int:return_id}", response=ReturnDetailOut)
def return_detail(request: ApiRequest, return_id: int) -> Any:
    return sel.return_get(user=request.auth, pk=return_id)


@router.post("/returns/{int:return_id}/decide", response=ReturnDetailOut,
             summary="Approve or reject (APPROVE_RETURNS). 409 on a stale version")
def return_decide(request: ApiRequest, return_id: int, payload: DecideIn) -> Any:
    ret = sel.return_get(user=request.auth, pk=return_id, for_change=True)
    svc.return_decide(actor=request.auth, request=ret, approve=payload.approve, note=payload.note,
                      version=payload.version)
    return sel.return_get(user=request.auth, pk=return_id)


@router.post("/returns/{int:return_id}/complete", response=ReturnDetailOut,
             summary="Complete an approved request: the refund is added to the order (APPROVE_RETURNS). 409 on a stale version")
def return_complete(request: ApiRequest, return_id: int, payload: VersionIn) -> Any:
    ret = sel.return_get(user=request.auth, pk=return_id, for_change=True)
    svc.return_complete(actor=request.auth, request=ret, version=payload.version)
    return sel.return_get(user=request.auth, pk=return_id)


@router.get("/customers/{int:customer_id}/spend", response=SpendOut, tags=["customers"],
            summary="What the customer spent: orders (cancelled left out), amount, refunds, net of refunds")
def spend(request: ApiRequest, customer_id: int) -> Any:
    customer = customer_get(user=request.auth, pk=customer_id)
    return customer_spend(customer, user=request.auth)
