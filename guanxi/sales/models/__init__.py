from .leads import AssignmentRule, Campaign, DuplicateRule, Lead, LeadActivity, OwnerChange
from .pipeline import Opportunity, OpportunityLine, Pipeline, Stage, StageChange, Target
from .pool import Handover, Pool, PoolLevelRule

__all__ = [
    "AssignmentRule",
    "Campaign",
    "DuplicateRule",
    "Handover",
    "Lead",
    "LeadActivity",
    "Opportunity",
    "OpportunityLine",
    "OwnerChange",
    "Pipeline",
    "Pool",
    "PoolLevelRule",
    "Stage",
    "StageChange",
    "Target",
]
