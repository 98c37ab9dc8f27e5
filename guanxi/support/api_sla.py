"""REST endpoints of the SLA area: SLA policies, the holiday calendar, routing rules (capability
MANAGE_SERVICE) and reassigning a ticket. Thin: parse -> selector/service -> schema; errors per api/errors.py."""

# No `from __future__ import annotations`: ninja reads these signatures through `@paginate`'s wrapper.
import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from guanxi.api.params import filter_query_schema, query_error, rows_by_id
from guanxi.customers.models import Product
from guanxi.governance.models import Department
from guanxi.governance.selectors import active_users

from .filters import HolidayFilter
from .models import Ticket
from .selectors import sla as sel
from .selectors import tickets as ticket_sel
from .services import routing, routing_rules, sla_config
from .services import tickets as ticket_svc

router = Router(tags=["SLA and routing"])


class ApiRequest(HttpRequest):
    auth: Any


class In(Schema):
    model_config = ConfigDict(extra="forbid")


def _not_null(data: dict[str, Any], names: tuple[str, ...]) -> None:
    errors = {name: [_("This field may not be null.")] for name in names if name in data and data[name] is None}
    if errors:
        raise ValidationError(errors)


# ---------------------------------------------------------------- SLA policies


class SlaPolicyOut(Schema):
    id: int
    name: str
    priority: str
    customer_level: str = Field(description="A, B, C, D; empty: any level")
    first_response_minutes: int = Field(description="Business minutes")
    resolution_minutes: int = Field(description="Business minutes")
    warning_minutes: int = Field(description="Business minutes before a breach at which the assignee is warned")
    business_start: datetime.time
    business_end: datetime.time
    weekdays: list[int] = Field(description="ISO weekdays, 1 = Monday")
    is_active: bool

    @staticmethod
    def resolve_weekdays(obj: Any) -> list[int]:
        return [int(p) for p in obj.weekdays.split(",") if p.strip().isdigit()]


class SlaPolicyPatch(In):
    name: str | None = None
    priority: Ticket.Priority | None = None
    customer_level: str | None = None
    first_response_minutes: int | None = None
    resolution_minutes: int | None = None
    warning_minutes: int | None = None
    business_start: datetime.time | None = None
    business_end: datetime.time | None = None
    weekdays: list[int] | None = Field(None, description="ISO weekdays, 1 = Monday … 7 = Sunday")
    is_active: bool | None = Field(None, description="false deactivates the policy (tickets keep their due times)")


class SlaPolicyIn(SlaPolicyPatch):
    name: str  # type: ignore[assignment]
    priority: Ticket.Priority  # type: ignore[assignment]
    first_response_minutes: int  # type: ignore[assignment]
    resolution_minutes: int  # type: ignore[assignment]


def _policy_data(payload: SlaPolicyPatch) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    _not_null(data, tuple(data))
    if data.get("customer_level") is not None:
        data["customer_level"] = data["customer_level"].strip().upper()
    return data


@router.get("/support/sla-policies", response=list[SlaPolicyOut], summary="SLA policies")
@paginate
def sla_policy_list_api(request: ApiRequest) -> Any:
    return sel.sla_policy_list(user=request.auth)


@router.post("/support/sla-policies", response={201: SlaPolicyOut}, summary="Add an SLA policy")
def sla_policy_create_api(request: ApiRequest, payload: SlaPolicyIn) -> Any:
    policy = sla_config.sla_policy_save(actor=request.auth, policy=None, data=_policy_data(payload))
    return Status(201, policy)


@router.get("/support/sla-policies/{int:policy_id}", response=SlaPolicyOut)
def sla_policy_detail_api(request: ApiRequest, policy_id: int) -> Any:
    return sel.sla_policy_get(user=request.auth, pk=policy_id)


@router.patch("/support/sla-policies/{int:policy_id}", response=SlaPolicyOut,
              summary="Change an SLA policy (is_active=false deactivates it)")
def sla_policy_update_api(request: ApiRequest, policy_id: int, payload: SlaPolicyPatch) -> Any:
    policy = sel.sla_policy_get(user=request.auth, pk=policy_id)
    return sla_config.sla_policy_save(actor=request.auth, policy=policy, data=_policy_data(payload))


@router.delete("/support/sla-policies/{int:policy_id}", response={204: None},
               summary="Delete an SLA policy no ticket uses (otherwise 422: deactivate it)")
def sla_policy_delete_api(request: ApiRequest, policy_id: int) -> Any:
    sla_config.sla_policy_delete(actor=request.auth, policy=sel.sla_policy_get(user=request.auth, pk=policy_id))
    return Status(204, None)


# ---------------------------------------------------------------- holidays


class HolidayOut(Schema):
    id: int
    date: datetime.date
    is_workday: bool = Field(description="true: a make-up working day (调休); false: a holiday")
    name: str


class HolidayPatch(In):
    date: datetime.date | None = None
    is_workday: bool | None = None
    name: str | None = None


class HolidayIn(HolidayPatch):
    date: datetime.date  # type: ignore[assignment]


class HolidayImportIn(In):
    text: str = Field(description="One line per day or range: “2026-10-01..2026-10-07 国庆节”, "
                                  "“2026-09-20 workday 国庆节调休”. Errors are keyed lines.<n>.")


class HolidayImportOut(Schema):
    created: int
    updated: int
    unchanged: int


HolidayListQuery = filter_query_schema(HolidayFilter, "HolidayListQuery")


@router.get("/support/holidays", response=list[HolidayOut], summary="Holidays and make-up working days")
@paginate
def holiday_list_api(request: ApiRequest, filters: Query[HolidayListQuery]) -> Any:  # type: ignore[valid-type]
    form = HolidayFilter(filters.model_dump(exclude_none=True))  # type: ignore[attr-defined]
    if not form.is_valid():
        raise query_error({k: [str(m) for m in v] for k, v in form.errors.items()})
    return sel.holiday_list(user=request.auth, year=form.cleaned_data.get("year"))


@router.post("/support/holidays", response={201: HolidayOut}, summary="Add a holiday or make-up working day")
def holiday_create_api(request: ApiRequest, payload: HolidayIn) -> Any:
    data = payload.model_dump(exclude_unset=True)
    _not_null(data, tuple(data))
    return Status(201, sla_config.holiday_save(actor=request.auth, holiday=None, data=data))


@router.post("/support/holidays/import", response=HolidayImportOut,
             summary="Add or update many days from pasted lines (all or nothing)")
def holiday_import_api(request: ApiRequest, payload: HolidayImportIn) -> Any:
    return sla_config.holidays_import(actor=request.auth, text=payload.text)


@router.patch("/support/holidays/{int:holiday_id}", response=HolidayOut)
def holiday_update_api(request: ApiRequest, holiday_id: int, payload: HolidayPatch) -> Any:
    holiday = sel.holiday_get(user=request.auth, pk=holiday_id)
    data = payload.model_dump(exclude_unset=True)
    _not_null(data, tuple(data))
    return sla_config.holiday_save(actor=request.auth, holiday=holiday, data=data)


@router.delete("/support/holidays/{int:holiday_id}", response={204: None})
def holiday_delete_api(request: ApiRequest, holiday_id: int) -> Any:
    sla_config.holiday_delete(actor=request.auth, holiday=sel.holiday_get(user=request.auth, pk=holiday_id))
    return Status(204, None)


# ---------------------------------------------------------------- routing rules


class RoutingRuleOut(Schema):
    id: int
    position: int
    name: str
    ticket_type: str
    product: int | None = Field(None, alias="product_id")
    province: str
    customer_level: str
    team: int = Field(alias="team_id")
    round_robin: bool
    is_active: bool


class RoutingRulePatch(In):
    position: int | None = Field(None, ge=0)
    name: str | None = None
    ticket_type: Ticket.Type | None = None
    product: int | None = None
    province: str | None = None
    customer_level: str | None = None
    team: int | None = None
    round_robin: bool | None = None
    is_active: bool | None = None


class RoutingRuleIn(RoutingRulePatch):
    name: str  # type: ignore[assignment]
    team: int  # type: ignore[assignment]


class MoveIn(In):
    direction: str = Field(description="up or down", json_schema_extra={"enum": ["up", "down"]})


def _rule_data(payload: RoutingRulePatch) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    _not_null(data, ("position", "name", "team", "round_robin", "is_active"))
    for name in ("ticket_type", "province", "customer_level"):
        if name in data and data[name] is None:
            data[name] = ""
    return rows_by_id(data, {"team": Department.objects.all(), "product": Product.objects.all()})


@router.get("/support/routing-rules", response=list[RoutingRuleOut], summary="Routing rules, in the order tried")
@paginate
def routing_rule_list_api(request: ApiRequest) -> Any:
    return sel.routing_rule_list(user=request.auth)


@router.post("/support/routing-rules", response={201: RoutingRuleOut}, summary="Add a routing rule")
def routing_rule_create_api(request: ApiRequest, payload: RoutingRuleIn) -> Any:
    return Status(201, routing_rules.routing_rule_save(actor=request.auth, rule=None, data=_rule_data(payload)))


@router.get("/support/routing-rules/{int:rule_id}", response=RoutingRuleOut)
def routing_rule_detail_api(request: ApiRequest, rule_id: int) -> Any:
    return sel.routing_rule_get(user=request.auth, pk=rule_id)


@router.patch("/support/routing-rules/{int:rule_id}", response=RoutingRuleOut)
def routing_rule_update_api(request: ApiRequest, rule_id: int, payload: RoutingRulePatch) -> Any:
    rule = sel.routing_rule_get(user=request.auth, pk=rule_id)
    return routing_rules.routing_rule_save(actor=request.auth, rule=rule, data=_rule_data(payload))


@router.post("/support/routing-rules/{int:rule_id}/move", response=RoutingRuleOut,
             summary="Move a rule up or down one place")
def routing_rule_move_api(request: ApiRequest, rule_id: int, payload: MoveIn) -> Any:
    rule = sel.routing_rule_get(user=request.auth, pk=rule_id)
    return routing_rules.routing_rule_move(actor=request.auth, rule=rule, direction=payload.direction)


@router.delete("/support/routing-rules/{int:rule_id}", response={204: None})
def routing_rule_delete_api(request: ApiRequest, rule_id: int) -> Any:
    routing_rules.routing_rule_delete(actor=request.auth, rule=sel.routing_rule_get(user=request.auth, pk=rule_id))
    return Status(204, None)


# ---------------------------------------------------------------- reassigning a ticket


class AssignIn(In):
    assignee: int | None = Field(description="User id; null: nobody")
    team: int | None = Field(None, description="Department id; null: no team; leave out to keep the team")
    version: int | None = Field(None, description="The version you read; 409 if the ticket changed since.")


class AssignOut(Schema):
    id: int
    team: int | None = Field(None, alias="team_id")
    assignee: int | None = Field(None, alias="assignee_id")
    version: int


@router.post("/tickets/{int:ticket_id}/assign", response=AssignOut, tags=["tickets"],
             summary="Reassign a ticket (team and/or assignee); logged in the audit trail")
def ticket_assign_api(request: ApiRequest, ticket_id: int, payload: AssignIn) -> Any:
    ticket = ticket_sel.ticket_get(user=request.auth, pk=ticket_id, for_change=True)
    data = payload.model_dump(exclude_unset=True)
    rows_by_id(data, {"assignee": active_users(), "team": Department.objects.all()})
    assignee = data.get("assignee")
    team = data.get("team", routing.KEEP)
    return ticket_svc.ticket_assign(actor=request.auth, ticket=ticket, assignee=assignee, team=team,
                                    version=data.get("version"))
