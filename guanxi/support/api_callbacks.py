"""REST endpoints of callbacks (回访): the list (yours by default; managers by agent or everyone's; status, due
range), one callback, recording the call's result, and the callback rules (MANAGE_SERVICE)."""

# No `from __future__ import annotations`: ninja reads these signatures through `@paginate`'s wrapper.
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from guanxi.api.params import filter_query_schema, query_error

from .filters_callbacks import CallbackFilter
from .models import CallbackRule
from .selectors import callbacks as sel
from .selectors.tickets import ticket_get
from .services import callbacks as svc

router = Router(tags=["callbacks"])


class ApiRequest(HttpRequest):
    auth: Any


class In(Schema):
    model_config = ConfigDict(extra="forbid")


CallbackListQuery = filter_query_schema(CallbackFilter, "CallbackListQuery")


class CallbackOut(Schema):
    id: int
    rule: int | None = Field(None, alias="rule_id")
    rule_name: str = ""
    script: str = ""
    customer: int = Field(alias="customer_id")
    customer_name: str = ""
    order: int | None = Field(None, alias="order_id")
    ticket: int | None = Field(None, alias="ticket_id")
    assignee: int = Field(alias="assignee_id")
    due_date: date
    status: str
    outcome: str
    satisfaction: int | None
    done_at: datetime | None
    done_by: int | None = Field(None, alias="done_by_id")
    version: int

    @staticmethod
    def resolve_rule_name(obj: Any) -> str:
        return obj.rule.name if obj.rule_id and obj.rule else ""

    @staticmethod
    def resolve_script(obj: Any) -> str:
        return obj.rule.script if obj.rule_id and obj.rule else ""

    @staticmethod
    def resolve_customer_name(obj: Any) -> str:
        return obj.customer.name


class CompleteIn(In):
    status: str = Field(description="done, unreachable or cancelled.")
    outcome: str = Field("", description="What the customer said; required when done.")
    satisfaction: int | None = Field(None, description="1-5, only when done.")
    version: int | None = Field(None, description="The version you read; 409 if the callback changed since.")


class RuleOut(Schema):
    id: int
    name: str
    trigger: str
    days: int
    ticket_type: str
    script: str
    is_active: bool


class RuleIn(In):
    name: str
    trigger: CallbackRule.Trigger
    days: int = Field(ge=0, le=365)
    ticket_type: str = Field("", description="Only for ticket_closed rules: inquiry, complaint, return, repair "
                                             "or suggestion; empty for any.")
    script: str = ""
    is_active: bool = True


class RulePatch(In):
    name: str | None = None
    trigger: CallbackRule.Trigger | None = None
    days: int | None = Field(None, ge=0, le=365)
    ticket_type: str | None = None
    script: str | None = None
    is_active: bool | None = None


@router.get("/callbacks", response=list[CallbackOut],
            summary="Callbacks: yours by default; managers pass agent=<user id> or agent=all")
@paginate
def callback_list(request: ApiRequest, filters: Query[CallbackListQuery]) -> Any:  # type: ignore[valid-type]
    form = CallbackFilter(filters.model_dump(exclude_none=True))  # type: ignore[attr-defined]
    if not form.is_valid():
        raise query_error({k: [str(m) for m in v] for k, v in form.errors.items()})
    return sel.callback_list(user=request.auth, filters=form)


@router.get("/callbacks/{int:callback_id}", response=CallbackOut)
def callback_detail(request: ApiRequest, callback_id: int) -> Any:
    return sel.callback_get(user=request.auth, pk=callback_id)


@router.post("/callbacks/{int:callback_id}/complete", response=CallbackOut,
             summary="Record the call: done (with outcome and satisfaction 1-5), unreachable or cancelled")
def callback_complete(request: ApiRequest, callback_id: int, payload: CompleteIn) -> Any:
    callback = sel.callback_get(user=request.auth, pk=callback_id)
    svc.callback_complete(actor=request.auth, callback=callback, status=payload.status, outcome=payload.outcome,
                          satisfaction=payload.satisfaction, version=payload.version)
    return sel.callback_get(user=request.auth, pk=callback_id)


@router.get("/callback-rules", response=list[RuleOut], summary="Callback rules (service managers)")
@paginate
def rule_list(request: ApiRequest) -> Any:
    return sel.rule_list(user=request.auth).order_by("id")


@router.post("/callback-rules", response={201: RuleOut}, summary="Add a callback rule")
def rule_create(request: ApiRequest, payload: RuleIn) -> Any:
    return Status(201, svc.callback_rule_save(actor=request.auth, rule=None, data=payload.model_dump()))


@router.get("/callback-rules/{int:rule_id}", response=RuleOut)
def rule_detail(request: ApiRequest, rule_id: int) -> Any:
    return sel.rule_get(user=request.auth, pk=rule_id)


@router.patch("/callback-rules/{int:rule_id}", response=RuleOut)
def rule_update(request: ApiRequest, rule_id: int, payload: RulePatch) -> Any:
    rule = sel.rule_get(user=request.auth, pk=rule_id)
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return svc.callback_rule_save(actor=request.auth, rule=rule, data=data)


@router.delete("/callback-rules/{int:rule_id}", response={204: None})
def rule_delete(request: ApiRequest, rule_id: int) -> Any:
    svc.callback_rule_delete(actor=request.auth, rule=sel.rule_get(user=request.auth, pk=rule_id))
    return Status(204, None)


@router.get("/tickets/{int:ticket_id}/callbacks", response=list[CallbackOut], summary="The ticket's callbacks")
def ticket_callbacks(request: ApiRequest, ticket_id: int) -> Any:
    ticket = ticket_get(user=request.auth, pk=ticket_id)
    return sel.callbacks_of_ticket(user=request.auth, ticket=ticket)
