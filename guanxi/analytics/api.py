"""REST endpoints of the metrics job: one customer's metrics (customer visibility applies: 404 when the customer
is not visible), and the analysis runs (start: 202; progress; list), which need the reports right (403)."""

# No `from __future__ import annotations`: ninja reads these signatures through `@paginate`'s wrapper.
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from guanxi.core.errors import NotFoundError

from .models import CustomerMetrics, MetricsRun
from .selectors import metrics as sel
from .services import runs as svc
from .services.scoring import VALUE_GROUP_TREATMENT

router = Router(tags=["analytics"])


class ApiRequest(HttpRequest):
    auth: Any


class MetricsOut(Schema):
    customer: int = Field(alias="customer_id")
    as_of: date
    computed_at: datetime
    first_order_at: datetime | None
    last_order_at: datetime | None
    orders_count: int = Field(description="Purchase days (orders on one day are one purchase).")
    lifetime_spend: Decimal
    recency_days: int | None
    frequency: int
    monetary: Decimal
    profit: Decimal
    r_score: int | None
    f_score: int | None
    m_score: int | None
    rfm_segment: str
    value_percentile: float | None
    loyalty_score: float | None
    quadrant: str
    current_value: Decimal
    potential_value: Decimal
    word_of_mouth: float
    value_group: str
    treatment: str = Field("", description="What to do with customers of this value group.")
    tenure_days: int
    active_relationships: int
    category_share: float
    method: str = Field(description="bgnbd (the model), rules (the model could not be fitted) or none.")
    p_alive: float | None
    expected_30: float | None
    expected_90: float | None
    expected_365: float | None
    expected_order_value: Decimal | None
    clv: Decimal | None
    typical_interval_days: float | None
    next_purchase_date: date | None
    run_out_date: date | None
    churn_state: str
    explanation: str = ""

    @staticmethod
    def resolve_treatment(obj: CustomerMetrics) -> str:
        return str(VALUE_GROUP_TREATMENT.get(obj.value_group, ""))

    @staticmethod
    def resolve_explanation(obj: CustomerMetrics) -> str:
        return sel.explain(obj)


class RunOut(Schema):
    id: int
    as_of: date
    status: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: int
    total: int
    message: str
    summary: dict[str, Any]
    created_by: int | None = Field(None, alias="created_by_id")


class RunIn(Schema):
    model_config = ConfigDict(extra="forbid")
    as_of: date | None = Field(None, description="Compute as of this day (default: today); only data before "
                                                 "its end is used.")


@router.get("/customers/{int:customer_id}/metrics", response=MetricsOut,
            summary="A customer's value, loyalty, churn and purchase prediction (404 before the first run)")
def customer_metrics(request: ApiRequest, customer_id: int) -> Any:
    metrics = sel.metrics_for_customer(user=request.auth, customer=customer_id)
    if metrics is None:
        raise NotFoundError(_("No metrics for this customer yet; they appear after the next analysis run."))
    return metrics


@router.post("/analytics/runs", response={202: RunOut}, summary="Start an analysis run in the background")
def run_start(request: ApiRequest, payload: RunIn) -> Any:
    run = svc.run_start(actor=request.auth, as_of=payload.as_of)
    return Status(202, sel.run_get(user=request.auth, pk=run.pk))


@router.get("/analytics/runs", response=list[RunOut], summary="Analysis runs, newest first")
@paginate
def run_list(request: ApiRequest) -> Any:
    return sel.run_list(user=request.auth)


@router.get("/analytics/runs/{int:run_id}", response=RunOut, summary="One run and its progress")
def run_detail(request: ApiRequest, run_id: int) -> MetricsRun:
    return sel.run_get(user=request.auth, pk=run_id)
