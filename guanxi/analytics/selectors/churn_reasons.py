"""Why customers leave: the reasons the churn report gathers for each churned or at-risk customer.

Each source gives dated events; an event counts for a customer when it falls in the customer's reason window
(from a year before their last purchase to the churn date; for at-risk customers to today). A customer may
have several reasons and counts once under each; one without any is counted under "No reason recorded".

- lost opportunities (stage of kind "lost"): their "reason won or lost" text;
- complaint tickets: "Complaint";
- returns and refunds (not rejected): "Return: " and the return reason;
- unhappy survey answers (NPS 0–6, CSAT 1–2): "Unhappy survey answer";
- the customer's own "churn reason" field, as written (undated: always counts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.customers.models import Customer
from guanxi.sales.models import Opportunity, Stage
from guanxi.support.models import ReturnRequest, SurveyResponse, Ticket

LOST_DEAL, COMPLAINT, RETURN, SURVEY, RECORDED, NONE = "lost_deal", "complaint", "return", "survey", "recorded", "none"
Window = tuple[date, date]


def source_labels() -> dict[str, str]:
    return {LOST_DEAL: _("Lost opportunity"), COMPLAINT: _("Complaint"), RETURN: _("Return or refund"),
            SURVEY: _("Unhappy survey answer"), RECORDED: _("Churn reason on the customer"),
            NONE: _("No reason recorded")}


def _day(value: datetime | date | None) -> date | None:
    if value is None:
        return None
    return timezone.localdate(value) if isinstance(value, datetime) else value


def _events(candidates: QuerySet[Customer]) -> Iterable[tuple[int, date | None, str, str]]:
    """(customer id, day, source, text) of every reason event of the candidate customers."""
    lost = (Opportunity.objects.filter(customer__in=candidates, deleted_at__isnull=True, stage__kind=Stage.Kind.LOST)
            .exclude(lost_reason="").annotate(day=Coalesce("closed_at", "updated_at"))
            .values_list("customer_id", "day", "lost_reason"))
    for customer_id, day, text in lost:
        yield customer_id, _day(day), LOST_DEAL, " ".join(text.split())
    complaints = Ticket.objects.filter(customer__in=candidates, deleted_at__isnull=True,
                                       type=Ticket.Type.COMPLAINT).values_list("customer_id", "created_at")
    for customer_id, day in complaints:
        yield customer_id, _day(day), COMPLAINT, _("Complaint")
    reasons = dict(ReturnRequest.Reason.choices)
    returns = (ReturnRequest.objects.filter(customer__in=candidates).exclude(status=ReturnRequest.Status.REJECTED)
               .values_list("customer_id", "created_at", "reason"))
    for customer_id, day, reason in returns:
        yield customer_id, _day(day), RETURN, _("Return: %(reason)s") % {"reason": reasons.get(reason, reason)}
    unhappy = Q(is_detractor=True) | Q(kind="nps", score__lte=6) | Q(kind="csat", score__lte=2)
    surveys = SurveyResponse.objects.filter(unhappy, customer__in=candidates).values_list("customer_id", "created_at")
    for customer_id, day in surveys:
        yield customer_id, _day(day), SURVEY, _("Unhappy survey answer")


def gather_reasons(candidates: QuerySet[Customer], windows: dict[int, Window],
                   recorded: dict[int, str]) -> dict[int, dict[str, tuple[str, str]]]:
    """Per customer of `windows`: {reason key: (source, label)}. `recorded` holds the customers' own churn
    reason texts."""
    found: dict[int, dict[str, tuple[str, str]]] = defaultdict(dict)
    for customer_id, day, source, text in _events(candidates):
        window = windows.get(customer_id)
        if window is None or not text or (day is not None and not window[0] <= day <= window[1]):
            continue
        found[customer_id][f"{source}:{text.casefold()}"] = (source, text)
    for customer_id, text in recorded.items():
        text = " ".join(text.split())
        if customer_id in windows and text:
            found[customer_id][f"{RECORDED}:{text.casefold()}"] = (RECORDED, text)
    for customer_id in windows:
        if not found.get(customer_id):
            found[customer_id][NONE] = (NONE, source_labels()[NONE])
    return found


def reason_summary(reasons: dict[str, tuple[str, str]]) -> str:
    return "; ".join(sorted({label for _source, label in reasons.values()}))


def describe(source: str, label: str) -> dict[str, Any]:
    return {"source": source, "source_label": source_labels()[source], "label": label}
