"""API schemas of member tiers and the analysis settings (api_tiers.py)."""

# No `from __future__ import annotations`: ninja/pydantic read these annotations at run time.
from datetime import date
from decimal import Decimal
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from .models import AnalyticsPolicy, TierPolicy
from .tier_reasons import decode, reason_text


class In(Schema):
    model_config = ConfigDict(extra="forbid")


class TierOut(Schema):
    id: int
    name: str
    position: int = Field(description="Rank; 0 is the lowest tier")
    min_spend: Decimal = Field(description="Rolling net spend that reaches the tier")
    min_points: int | None = Field(description="Points that reach the tier too (null: spend only)")
    benefits: str
    is_active: bool


class TierPatch(In):
    name: str | None = None
    position: int | None = None
    min_spend: Decimal | None = None
    min_points: int | None = Field(None, description="null: the tier is reached by spend only")
    benefits: str | None = None
    is_active: bool | None = Field(None, description="false deactivates the tier (members move at the next run)")


class TierIn(TierPatch):
    name: str  # type: ignore[assignment]
    position: int  # type: ignore[assignment]
    min_spend: Decimal = Decimal("0")  # type: ignore[assignment]


class TierBrief(Schema):
    id: int
    name: str
    position: int


class TierPolicyOut(Schema):
    period: str = Field(description="month, quarter or year: tiers are recomputed when one begins")
    window_months: int = Field(description="Rolling spend over this many months")
    downgrade_protection: bool = Field(description="A customer who would drop keeps the tier for one period")
    last_run_on: date | None = Field(description="As-of day of the last re-tier run")


class TierPolicyPatch(In):
    period: TierPolicy.Period | None = None
    window_months: int | None = None
    downgrade_protection: bool | None = None


class RetierOut(Schema):
    task_id: str
    status: str = Field(description="READY, RUNNING, SUCCESSFUL or FAILED")
    result: dict[str, Any] | None = Field(
        description="When done: customers, up, down, kept, first, unchanged and as_of")


class TierChangeOut(Schema):
    id: int
    customer: int = Field(alias="customer_id")
    from_tier: TierBrief | None
    to_tier: TierBrief | None
    direction: str = Field(description="up, down, kept (by downgrade protection) or first")
    as_of: date
    reason: str = Field(description="Why, in plain words in the request's language")
    reason_data: dict[str, Any] | None = Field(
        None, description="The stored reason: k (spend, points, below, inactive), m (window months), s (spend), "
                          "t (spend threshold), p (points), tp (points threshold), u (protected until / ended)")

    @staticmethod
    def resolve_reason(obj: Any) -> str:
        return reason_text(obj)

    @staticmethod
    def resolve_reason_data(obj: Any) -> dict[str, Any] | None:
        return decode(obj.reason or "")


class CustomerTierOut(Schema):
    customer: int
    tier: TierBrief | None
    since: date | None
    rolling_spend: Decimal | None
    points: int
    protected_until: date | None
    history: list[TierChangeOut] = Field(description="The latest changes, newest first")


class MovementOut(Schema):
    from_tier: int | None = Field(alias="from_tier_id")
    from_name: str
    to_tier: int | None = Field(alias="to_tier_id")
    to_name: str
    direction: str
    count: int


class DistributionOut(Schema):
    tier: TierBrief | None = Field(description="null: customers without a tier")
    count: int


class AnalysisPolicyOut(Schema):
    monetary_window_months: int
    value_basis: str
    high_value_percentile: int
    high_loyalty_score: Decimal
    at_risk_p_alive: Decimal
    at_risk_interval_factor: Decimal
    churned_after_days: int
    clv_horizon_months: int
    monthly_discount_rate: Decimal
    task_lead_days: int


class AnalysisPolicyPatch(In):
    monetary_window_months: int | None = None
    value_basis: AnalyticsPolicy.ValueBasis | None = None
    high_value_percentile: int | None = None
    high_loyalty_score: Decimal | None = None
    at_risk_p_alive: Decimal | None = None
    at_risk_interval_factor: Decimal | None = None
    churned_after_days: int | None = None
    clv_horizon_months: int | None = None
    monthly_discount_rate: Decimal | None = None
    task_lead_days: int | None = None
