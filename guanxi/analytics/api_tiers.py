"""REST endpoints of member tiers and the analysis settings. Tiers and settings change with CONFIGURE; tier
movements and distribution need VIEW_REPORTS; a customer's tier follows customer visibility (404).
Thin: parse -> selector/service -> schema; errors per api/errors.py."""

# No `from __future__ import annotations`: ninja reads these signatures through `@paginate`'s wrapper.
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from guanxi.api.params import filter_query_schema, query_error

from .filters_tiers import TierMovementFilter
from .schemas_tiers import (
    AnalysisPolicyOut,
    AnalysisPolicyPatch,
    CustomerTierOut,
    DistributionOut,
    MovementOut,
    RetierOut,
    TierChangeOut,
    TierIn,
    TierOut,
    TierPatch,
    TierPolicyOut,
    TierPolicyPatch,
)
from .selectors import tiers as sel
from .services import policy as policy_svc
from .services import tiers as svc

router = Router(tags=["member tiers"])
NULLABLE = {"min_points"}


class ApiRequest(HttpRequest):
    auth: Any


def _data(payload: Any) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    errors = {name: [_("This field may not be null.")] for name, value in data.items()
              if value is None and name not in NULLABLE}
    if errors:
        raise ValidationError(errors)
    return data


# ---------------------------------------------------------------- tiers


@router.get("/analytics/tiers", response=list[TierOut], summary="Member tiers, lowest rank first")
@paginate
def tier_list_api(request: ApiRequest) -> Any:
    return sel.tier_list(user=request.auth)


@router.post("/analytics/tiers", response={201: TierOut}, summary="Add a tier")
def tier_create_api(request: ApiRequest, payload: TierIn) -> Any:
    return Status(201, svc.tier_save(actor=request.auth, tier=None, data=_data(payload)))


@router.get("/analytics/tiers/{int:tier_id}", response=TierOut)
def tier_detail_api(request: ApiRequest, tier_id: int) -> Any:
    return sel.tier_get(user=request.auth, pk=tier_id)


@router.patch("/analytics/tiers/{int:tier_id}", response=TierOut,
              summary="Change a tier (is_active=false deactivates it)")
def tier_update_api(request: ApiRequest, tier_id: int, payload: TierPatch) -> Any:
    svc.require_configure(request.auth)
    tier = sel.tier_get(user=request.auth, pk=tier_id)
    return svc.tier_save(actor=request.auth, tier=tier, data=_data(payload))


@router.delete("/analytics/tiers/{int:tier_id}", response={204: None},
               summary="Remove a tier nobody has held (422 otherwise: deactivate it instead)")
def tier_delete_api(request: ApiRequest, tier_id: int) -> Any:
    svc.require_configure(request.auth)
    svc.tier_delete(actor=request.auth, tier=sel.tier_get(user=request.auth, pk=tier_id))
    return Status(204, None)


@router.get("/analytics/tier-policy", response=TierPolicyOut, summary="How and when tiers are recomputed")
def tier_policy_api(request: ApiRequest) -> Any:
    return sel.tier_policy_get(user=request.auth)


@router.patch("/analytics/tier-policy", response=TierPolicyOut, summary="Change the re-tier settings")
def tier_policy_update_api(request: ApiRequest, payload: TierPolicyPatch) -> Any:
    return svc.tier_policy_update(actor=request.auth, data=_data(payload))


# ---------------------------------------------------------------- runs


def _run(result: Any) -> dict[str, Any]:
    status = str(result.status)
    return {"task_id": str(result.id), "status": status,
            "result": result.return_value if status == "SUCCESSFUL" else None}


@router.post("/analytics/tiers/retier", response={202: RetierOut},
             summary="Re-tier every customer as of today, in the background")
def retier_api(request: ApiRequest) -> Any:
    return Status(202, _run(svc.retier_start(actor=request.auth)))


@router.get("/analytics/tiers/retier/{task_id}", response=RetierOut, summary="A re-tier run's status and summary")
def retier_status_api(request: ApiRequest, task_id: str) -> Any:
    return _run(sel.retier_result(user=request.auth, result_id=task_id))


# ---------------------------------------------------------------- customers, movements, distribution


@router.get("/customers/{int:customer_id}/tier", response=CustomerTierOut,
            summary="A customer's tier, rolling spend, protection and latest changes")
def customer_tier_api(request: ApiRequest, customer_id: int, history: int = 20) -> Any:
    if not 0 <= history <= 200:
        raise query_error({"history": [_("Enter a number from 0 to 200.")]})
    info = sel.customer_tier(user=request.auth, customer=customer_id, history=history)
    status = info.status
    return {"customer": info.customer.pk, "tier": status.tier if status else None,
            "since": status.since if status else None, "rolling_spend": status.rolling_spend if status else None,
            "points": status.points if status else 0, "protected_until": status.protected_until if status else None,
            "history": info.changes}


MovementQuery = filter_query_schema(TierMovementFilter, "TierMovementQuery")


def _period(filters: Any) -> dict[str, Any]:
    form = TierMovementFilter(filters.model_dump(exclude_none=True))
    if not form.is_valid():
        raise query_error({k: [str(m) for m in v] for k, v in form.errors.items()})
    data = form.cleaned_data
    return {"date_from": data.get("from"), "date_to": data.get("to"), "direction": data.get("direction") or None}


@router.get("/analytics/tier-movements", response=list[MovementOut],
            summary="How many customers moved between which tiers over a period (as-of days from..to)")
def tier_movements_api(request: ApiRequest, filters: Query[MovementQuery]) -> Any:  # type: ignore[valid-type]
    return sel.tier_movements(user=request.auth, **_period(filters))


@router.get("/analytics/tier-changes", response=list[TierChangeOut], summary="Tier changes, newest first")
@paginate
def tier_changes_api(request: ApiRequest, filters: Query[MovementQuery]) -> Any:  # type: ignore[valid-type]
    return sel.tier_change_list(user=request.auth, **_period(filters))


@router.get("/analytics/tier-distribution", response=list[DistributionOut],
            summary="Customers per tier, highest tier first")
def tier_distribution_api(request: ApiRequest) -> Any:
    return sel.tier_distribution(user=request.auth)


# ---------------------------------------------------------------- analysis settings


@router.get("/analytics/policy", response=AnalysisPolicyOut, summary="The analysis thresholds")
def analysis_policy_api(request: ApiRequest) -> Any:
    return sel.analysis_policy_get(user=request.auth)


@router.patch("/analytics/policy", response=AnalysisPolicyOut, summary="Change the analysis thresholds")
def analysis_policy_update_api(request: ApiRequest, payload: AnalysisPolicyPatch) -> Any:
    return policy_svc.analysis_policy_update(actor=request.auth, data=_data(payload))
