from .metrics import (
    BacktestRun,
    ChurnState,
    CustomerMetrics,
    MetricsRun,
    PredictionMethod,
    Quadrant,
    RfmSegment,
    UsageRate,
    ValueGroup,
)
from .policy import AnalyticsPolicy
from .tiers import CustomerTier, Tier, TierChange, TierPolicy

__all__ = [
    "AnalyticsPolicy",
    "BacktestRun",
    "ChurnState",
    "CustomerMetrics",
    "CustomerTier",
    "MetricsRun",
    "PredictionMethod",
    "Quadrant",
    "RfmSegment",
    "Tier",
    "TierChange",
    "TierPolicy",
    "UsageRate",
    "ValueGroup",
]
