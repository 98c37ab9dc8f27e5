"""REST endpoints of the pipeline area: pipelines and stages, opportunities (CRUD + move), forecast,
targets and performance. Thin: parse -> selector/service -> schema. Errors map as everywhere in the
API: 404 not visible, 403 not allowed, 409 stale version, 422 field errors (guanxi/api/errors.py).
"""

# No `from __future__ import annotations`: ninja reads these signatures through `@paginate`'s wrapper.
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from guanxi.api.params import filter_query_schema, query_error
from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.core.text import person_name
from guanxi.customers.models import Product
from guanxi.customers.selectors.customers import customer_get
from guanxi.governance import permissions
from guanxi.governance.models import Department
from guanxi.governance.selectors import active_users

from .filters_pipeline import OpportunityFilter
from .models import Opportunity, Pipeline, Stage, Target
from .selectors import forecast as fsel
from .selectors import opportunities as sel
from .selectors import performance as psel
from .services import opportunities as svc
from .services import pipelines as pipeline_svc
from .services import targets as target_svc

router = Router(tags=["opportunities"])


class ApiRequest(HttpRequest):
    auth: Any


class In(Schema):
    model_config = ConfigDict(extra="forbid")



OpportunityListQuery = filter_query_schema(OpportunityFilter, "OpportunityListQuery")


def _require(user: Any, capability: str) -> None:
    if not permissions.can(user, capability):
        raise PermissionDeniedError()


def _user(field: str, user_id: int | None) -> Any:
    if user_id is None:
        return None
    user = active_users().filter(pk=user_id).first()
    if user is None:
        raise ValidationError({field: [_("There is no active user with this id.")]})
    return user


def _department(field: str, pk: int | None) -> Department | None:
    if pk is None:
        return None
    department = Department.objects.filter(pk=pk).first()
    if department is None:
        raise ValidationError({field: [_("There is no department with this id.")]})
    return department


# ---------------------------------------------------------------- pipelines and stages


class StageOut(Schema):
    id: int
    name: str
    position: int
    probability: int
    kind: str


class PipelineOut(Schema):
    id: int
    name: str
    department: int | None = Field(None, alias="department_id")
    is_default: bool
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(obj: Pipeline) -> list[Stage]:
        return sorted(obj.stages.all(), key=lambda s: (s.position, s.pk))


class StageIn(In):
    name: str
    probability: int = Field(10, ge=0, le=100)
    kind: Stage.Kind = Stage.Kind.OPEN


class StagePatch(In):
    name: str | None = None
    probability: int | None = Field(None, ge=0, le=100)
    kind: Stage.Kind | None = None


class PipelineIn(In):
    name: str
    department: int | None = None
    is_default: bool = False
    stages: list[StageIn] | None = Field(None, description="Empty: a starter set of open, won and lost stages.")


class PipelinePatch(In):
    name: str | None = None
    department: int | None = None
    is_default: bool | None = None


class StageOrderIn(In):
    stages: list[int] = Field(description="Every stage id of the pipeline, in the new order.")


@router.get("/pipelines", response=list[PipelineOut], summary="Pipelines with their stages")
def pipeline_list(request: ApiRequest) -> Any:
    _require(request.auth, permissions.VIEW)
    return list(sel.pipeline_list())


@router.post("/pipelines", response={201: PipelineOut}, summary="Create a pipeline (administrators)")
def pipeline_create(request: ApiRequest, payload: PipelineIn) -> Any:
    data = payload.model_dump(exclude_unset=True)
    stages = data.pop("stages", None)
    if "department" in data:
        data["department"] = _department("department", data["department"])
    pipeline = pipeline_svc.pipeline_create(actor=request.auth, data=data, stages=stages)
    return Status(201, sel.pipeline_list().get(pk=pipeline.pk))


@router.get("/pipelines/{int:pipeline_id}", response=PipelineOut)
def pipeline_detail(request: ApiRequest, pipeline_id: int) -> Any:
    _require(request.auth, permissions.VIEW)
    try:
        return sel.pipeline_list().get(pk=pipeline_id)
    except Pipeline.DoesNotExist:
        raise NotFoundError() from None


@router.patch("/pipelines/{int:pipeline_id}", response=PipelineOut)
def pipeline_update(request: ApiRequest, pipeline_id: int, payload: PipelinePatch) -> Any:
    _require(request.auth, permissions.CONFIGURE)
    data = payload.model_dump(exclude_unset=True)
    if "department" in data:
        data["department"] = _department("department", data["department"])
    if data.get("name") is None:
        data.pop("name", None)
    if data.get("is_default") is None:
        data.pop("is_default", None)
    pipeline_svc.pipeline_update(actor=request.auth, pipeline=sel.pipeline_get(pk=pipeline_id), data=data)
    return sel.pipeline_list().get(pk=pipeline_id)


@router.delete("/pipelines/{int:pipeline_id}", response={204: None})
def pipeline_delete(request: ApiRequest, pipeline_id: int) -> Any:
    _require(request.auth, permissions.CONFIGURE)
    pipeline_svc.pipeline_delete(actor=request.auth, pipeline=sel.pipeline_get(pk=pipeline_id))
    return Status(204, None)


@router.post("/pipelines/{int:pipeline_id}/stages", response={201: StageOut}, summary="Add a stage at the end")
def stage_create(request: ApiRequest, pipeline_id: int, payload: StageIn) -> Any:
    _require(request.auth, permissions.CONFIGURE)
    stage = pipeline_svc.stage_create(actor=request.auth, pipeline=sel.pipeline_get(pk=pipeline_id),
                                      data=payload.model_dump())
    return Status(201, stage)


@router.put("/pipelines/{int:pipeline_id}/stages/order", response=list[StageOut], summary="Reorder the stages")
def stage_reorder(request: ApiRequest, pipeline_id: int, payload: StageOrderIn) -> Any:
    _require(request.auth, permissions.CONFIGURE)
    return pipeline_svc.stage_reorder(actor=request.auth, pipeline=sel.pipeline_get(pk=pipeline_id),
                                      stage_ids=payload.stages)


@router.patch("/stages/{int:stage_id}", response=StageOut)
def stage_update(request: ApiRequest, stage_id: int, payload: StagePatch) -> Any:
    _require(request.auth, permissions.CONFIGURE)
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return pipeline_svc.stage_update(actor=request.auth, stage=sel.stage_get(pk=stage_id), data=data)


@router.delete("/stages/{int:stage_id}", response={204: None},
               summary="Delete a stage (refused while opportunities use it)")
def stage_delete(request: ApiRequest, stage_id: int) -> Any:
    _require(request.auth, permissions.CONFIGURE)
    pipeline_svc.stage_delete(actor=request.auth, stage=sel.stage_get(pk=stage_id))
    return Status(204, None)


# ---------------------------------------------------------------- opportunities


class OpportunityLineIn(In):
    product: int
    quantity: Decimal = Decimal("1")
    unit_price: Decimal | None = Field(None, description="Empty: the product's price.")


class OpportunityLineOut(Schema):
    product: int = Field(alias="product_id")
    product_name: str
    quantity: Decimal
    unit_price: Decimal

    @staticmethod
    def resolve_product_name(obj: Any) -> str:
        return obj.product.name


class OpportunityOut(Schema):
    id: int
    name: str
    customer: int = Field(alias="customer_id")
    customer_name: str
    pipeline: int = Field(alias="pipeline_id")
    stage: int = Field(alias="stage_id")
    stage_name: str
    stage_kind: str
    amount: Decimal
    expected_close_date: date | None
    owner: int | None = Field(None, alias="owner_id")
    competitors: str
    lost_reason: str = Field(description="The reason it was lost or invalid, or the note on a win.")
    closed_at: datetime | None
    stage_changed_at: datetime | None
    notes: str
    created_at: datetime
    updated_at: datetime
    version: int

    @staticmethod
    def resolve_customer_name(obj: Opportunity) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_stage_name(obj: Opportunity) -> str:
        return obj.stage.name

    @staticmethod
    def resolve_stage_kind(obj: Opportunity) -> str:
        return obj.stage.kind


class OpportunityDetailOut(OpportunityOut):
    lines: list[OpportunityLineOut]

    @staticmethod
    def resolve_lines(obj: Opportunity) -> list[Any]:
        return sel.opportunity_lines(obj)


class OpportunityIn(In):
    customer: int
    name: str
    amount: Decimal = Decimal("0")
    expected_close_date: date | None = None
    owner: int | None = Field(None, description="User id; empty: the customer's owner.")
    competitors: str = ""
    notes: str = ""
    pipeline: int | None = Field(None, description="Empty: the customer's department's pipeline, else the default.")
    stage: int | None = Field(None, description="An open stage of the pipeline; empty: its first open stage.")
    lines: list[OpportunityLineIn] = Field([], description="With lines, the amount is their total.")


class OpportunityPatch(In):
    version: int
    name: str | None = None
    amount: Decimal | None = None
    expected_close_date: date | None = None
    owner: int | None = None
    competitors: str | None = None
    notes: str | None = None
    lines: list[OpportunityLineIn] | None = Field(None, description="Replaces the products (the amount follows).")


class MoveIn(In):
    stage: int
    reason: str = Field("", description="Required for lost and invalid stages and to reopen a won opportunity; "
                                        "an optional note for won.")
    version: int | None = Field(None, description="The `version` you read; a stale one is refused with 409.")


class StageChangeOut(Schema):
    stage: int
    stage_name: str
    entered_at: datetime
    left_at: datetime | None
    days: float
    actor: int | None
    reason: str


def _lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    products = {p.pk: p for p in Product.objects.filter(pk__in=[line["product"] for line in lines])}
    out, errors = [], {}
    for i, line in enumerate(lines):
        product = products.get(line["product"])
        if product is None:
            errors[f"lines.{i}.product"] = [_("There is no product with this id.")]
            continue
        out.append({**line, "product": product})
    if errors:
        raise ValidationError(errors)
    return out


def _detail(user: Any, pk: int) -> Opportunity:
    return sel.opportunity_get(user=user, pk=pk)


@router.get("/opportunities", response=list[OpportunityOut],
            summary="Opportunities you may see (search, pipeline, stage, owner, status, close dates, amounts)")
@paginate
def opportunity_list(request: ApiRequest, filters: Query[OpportunityListQuery]) -> Any:  # type: ignore[valid-type]
    form = OpportunityFilter(filters.model_dump(exclude_none=True))  # type: ignore[attr-defined]
    if not form.is_valid():
        raise query_error({k: [str(m) for m in v] for k, v in form.errors.items()})
    return sel.opportunity_list(user=request.auth, filters=form)


@router.post("/opportunities", response={201: OpportunityDetailOut}, summary="Create an opportunity")
def opportunity_create(request: ApiRequest, payload: OpportunityIn) -> Any:
    actor = request.auth
    _require(actor, permissions.CHANGE)
    data = payload.model_dump(exclude_unset=True)
    try:
        customer = customer_get(user=actor, pk=data.pop("customer"), for_change=True)
    except NotFoundError:
        raise ValidationError({"customer": [_("There is no customer with this id that you may change.")]}) from None
    except PermissionDeniedError:
        raise ValidationError({"customer": [_("You may not change this customer.")]}) from None
    lines = _lines(data.pop("lines", []))
    if "owner" in data:
        data["owner"] = _user("owner", data["owner"])
    if data.get("pipeline") is not None:
        data["pipeline"] = Pipeline.objects.filter(pk=data["pipeline"]).first()
        if data["pipeline"] is None:
            raise ValidationError({"pipeline": [_("There is no pipeline with this id.")]})
    if data.get("stage") is not None:
        data["stage"] = Stage.objects.filter(pk=data["stage"]).first()
        if data["stage"] is None:
            raise ValidationError({"stage": [_("Choose a stage of the opportunity's pipeline.")]})
        data.setdefault("pipeline", data["stage"].pipeline)
        if data.get("pipeline") is None:
            data["pipeline"] = data["stage"].pipeline
    opportunity = svc.opportunity_create(actor=actor, customer=customer, data=data, lines=lines)
    return Status(201, _detail(actor, opportunity.pk))


@router.get("/opportunities/{int:opportunity_id}", response=OpportunityDetailOut)
def opportunity_detail(request: ApiRequest, opportunity_id: int) -> Any:
    return _detail(request.auth, opportunity_id)


@router.patch("/opportunities/{int:opportunity_id}", response=OpportunityDetailOut,
              summary="Change an opportunity (not its stage: use move). 409 on a stale version")
def opportunity_update(request: ApiRequest, opportunity_id: int, payload: OpportunityPatch) -> Any:
    actor = request.auth
    opportunity = sel.opportunity_get(user=actor, pk=opportunity_id, for_change=True)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    lines = _lines(data.pop("lines")) if data.get("lines") is not None else None
    data.pop("lines", None)
    for text in ("competitors", "notes"):
        if text in data and data[text] is None:
            data[text] = ""
    for not_null in ("name", "amount"):
        if not_null in data and data[not_null] is None:
            data.pop(not_null)
    if "owner" in data:
        data["owner"] = _user("owner", data["owner"])
    svc.opportunity_update(actor=actor, opportunity=opportunity, data=data, version=version, lines=lines)
    return _detail(actor, opportunity_id)


@router.post("/opportunities/{int:opportunity_id}/move", response=OpportunityDetailOut,
             summary="Move to a stage: 422 without a reason for lost/invalid, 422 for won → other (admins "
                     "reopen with a reason), 409 on a stale version")
def opportunity_move(request: ApiRequest, opportunity_id: int, payload: MoveIn) -> Any:
    actor = request.auth
    opportunity = sel.opportunity_get(user=actor, pk=opportunity_id, for_change=True)
    stage = Stage.objects.filter(pk=payload.stage).first()
    if stage is None:
        raise ValidationError({"stage": [_("Choose a stage of the opportunity's pipeline.")]})
    svc.opportunity_move(actor=actor, opportunity=opportunity, stage=stage, reason=payload.reason,
                         version=payload.version)
    return _detail(actor, opportunity_id)


@router.get("/opportunities/{int:opportunity_id}/history", response=list[StageChangeOut],
            summary="The stages the opportunity went through, with the days spent in each")
def opportunity_history(request: ApiRequest, opportunity_id: int) -> Any:
    opportunity = _detail(request.auth, opportunity_id)
    return [{"stage": h.stage.pk, "stage_name": h.stage.name, "entered_at": h.entered_at, "left_at": h.left_at,
             "days": h.days, "actor": getattr(h.actor, "pk", None), "reason": h.reason}
            for h in sel.stage_history(opportunity)]


@router.delete("/opportunities/{int:opportunity_id}", response={204: None},
               summary="Move an opportunity to the recycle bin (managers and administrators)")
def opportunity_delete(request: ApiRequest, opportunity_id: int, version: int | None = None) -> Any:
    actor = request.auth
    opportunity = sel.opportunity_get(user=actor, pk=opportunity_id, for_change=True)
    svc.opportunity_delete(actor=actor, opportunity=opportunity, version=version)
    return Status(204, None)


@router.get("/customers/{int:customer_id}/opportunities", response=list[OpportunityOut],
            summary="A customer's opportunities, open ones first")
def customer_opportunities(request: ApiRequest, customer_id: int) -> Any:
    customer = customer_get(user=request.auth, pk=customer_id)
    return sel.opportunities_of(user=request.auth, customer=customer)


# ---------------------------------------------------------------- forecast


class ForecastStageOut(Schema):
    stage: int
    stage_name: str
    pipeline: int
    count: int
    amount: Decimal
    probability: Decimal
    conversion: Decimal | None = Field(description="Historical conversion to won (0..1); null: no closed history.")
    history: int
    by_probability: Decimal
    by_history: Decimal


class FunnelStepOut(Schema):
    stage: int
    stage_name: str
    reached: int
    conversion_from_previous: float | None


class TimeInStageOut(Schema):
    stage: int
    stage_name: str
    median_days: float | None
    stays: int


class ForecastOut(Schema):
    period: str
    start: date
    end: date
    pipeline: int | None
    lookback_months: int
    open_count: int
    open_amount: Decimal
    expected_deals_probability: Decimal
    expected_revenue_probability: Decimal
    expected_deals_history: Decimal
    expected_revenue_history: Decimal
    won_count: int
    won_amount: Decimal
    stages: list[ForecastStageOut]
    funnel: list[FunnelStepOut]
    time_in_stage: list[TimeInStageOut]


@router.get("/forecast", response=ForecastOut, tags=["forecast"],
            summary="Forecast for a month (2025-05) or quarter (2025-Q2) over the opportunities you may see")
def forecast(request: ApiRequest, period: str | None = None, pipeline: int | None = None,
             lookback: int = 12) -> Any:
    try:
        p = fsel.parse_period(period)
    except ValidationError as exc:
        raise query_error(exc.message_dict) from None
    if not 1 <= lookback <= 60:
        raise query_error({"lookback": [_("Use a number of months from 1 to 60.")]})
    pipe = None
    if pipeline is not None:
        pipe = Pipeline.objects.filter(pk=pipeline).first()
        if pipe is None:
            raise query_error({"pipeline": [_("There is no pipeline with this id.")]})
    fc = fsel.forecast(user=request.auth, period=p, pipeline=pipe, lookback_months=lookback)
    return {
        "period": p.key, "start": p.start, "end": p.last_day, "pipeline": pipeline,
        "lookback_months": fc.lookback_months, "open_count": fc.open_count, "open_amount": fc.open_amount,
        "expected_deals_probability": fc.expected_deals_probability,
        "expected_revenue_probability": fc.expected_revenue_probability,
        "expected_deals_history": fc.expected_deals_history,
        "expected_revenue_history": fc.expected_revenue_history,
        "won_count": fc.won_count, "won_amount": fc.won_amount,
        "stages": [{"stage": s.stage.pk, "stage_name": s.stage.name, "pipeline": s.stage.pipeline_id,
                    "count": s.count, "amount": s.amount, "probability": s.probability,
                    "conversion": s.conversion, "history": s.history, "by_probability": s.by_probability,
                    "by_history": s.by_history} for s in fc.stages],
        "funnel": [{"stage": f.stage.pk, "stage_name": f.stage.name, "reached": f.reached,
                    "conversion_from_previous": f.conversion_from_previous} for f in fc.funnel],
        "time_in_stage": [{"stage": s.pk, "stage_name": s.name, "median_days": days, "stays": n}
                          for s, days, n in fc.time_in_stage],
    }


# ---------------------------------------------------------------- targets and performance


class TargetOut(Schema):
    id: int
    period: str
    period_start: date
    metric: str
    department: int | None = Field(None, alias="department_id")
    user: int | None = Field(None, alias="user_id")
    value: Decimal


class TargetIn(In):
    period: Target.Period = Target.Period.MONTH
    period_start: date = Field(description="Any day of the month or quarter; stored as its first day.")
    metric: Target.Metric
    department: int | None = None
    user: int | None = None
    value: Decimal


class TargetPatch(In):
    period: Target.Period | None = None
    period_start: date | None = None
    metric: Target.Metric | None = None
    department: int | None = None
    user: int | None = None
    value: Decimal | None = None


def _target_data(data: dict[str, Any]) -> dict[str, Any]:
    if "department" in data:
        data["department"] = _department("department", data["department"])
    if "user" in data:
        data["user"] = _user("user", data["user"])
    return data


@router.get("/targets", response=list[TargetOut], tags=["targets"], summary="Targets you may see")
@paginate
def target_list(request: ApiRequest, period: str | None = None) -> Any:
    p = None
    if period:
        try:
            p = fsel.parse_period(period)
        except ValidationError as exc:
            raise query_error(exc.message_dict) from None
    return psel.target_list(user=request.auth, period=p).order_by("-period_start", "metric", "-id")


@router.post("/targets", response={201: TargetOut}, tags=["targets"],
             summary="Set a target (administrators; managers for their department subtree)")
def target_create(request: ApiRequest, payload: TargetIn) -> Any:
    return Status(201, target_svc.target_create(actor=request.auth, data=_target_data(payload.model_dump())))


@router.get("/targets/{int:target_id}", response=TargetOut, tags=["targets"])
def target_detail(request: ApiRequest, target_id: int) -> Any:
    return psel.target_get(user=request.auth, pk=target_id)


@router.patch("/targets/{int:target_id}", response=TargetOut, tags=["targets"])
def target_update(request: ApiRequest, target_id: int, payload: TargetPatch) -> Any:
    target = psel.target_get(user=request.auth, pk=target_id)
    data = payload.model_dump(exclude_unset=True)
    for not_null in ("period", "period_start", "metric", "value"):
        if not_null in data and data[not_null] is None:
            data.pop(not_null)
    return target_svc.target_update(actor=request.auth, target=target, data=_target_data(data))


@router.delete("/targets/{int:target_id}", response={204: None}, tags=["targets"])
def target_delete(request: ApiRequest, target_id: int) -> Any:
    target_svc.target_delete(actor=request.auth, target=psel.target_get(user=request.auth, pk=target_id))
    return Status(204, None)


class ProgressOut(Schema):
    target: TargetOut
    actual: Decimal
    percent: float | None


class RankOut(Schema):
    user: int
    name: str
    new_customers: Decimal
    gross_profit: Decimal
    revenue: Decimal
    follow_ups: Decimal


class PerformanceOut(Schema):
    period: str
    totals: dict[str, Decimal]
    targets: list[ProgressOut]
    ranking: list[RankOut] = Field(description="By customers won, then gross profit (not sales volume alone).")


@router.get("/performance", response=PerformanceOut, tags=["targets"],
            summary="Actuals against targets for a month or quarter, and the ranking of people")
def performance(request: ApiRequest, period: str | None = None) -> Any:
    try:
        p = fsel.parse_period(period)
    except ValidationError as exc:
        raise query_error(exc.message_dict) from None
    perf = psel.performance(user=request.auth, period=p)
    return {
        "period": p.key, "totals": perf.totals,
        "targets": [{"target": r.target, "actual": r.actual, "percent": r.percent} for r in perf.progress],
        "ranking": [{"user": r.user.pk, "name": person_name(r.user),
                     "new_customers": r.new_customers, "gross_profit": r.gross_profit, "revenue": r.revenue,
                     "follow_ups": r.follow_ups} for r in perf.ranking],
    }

