"""The sales forecast for a month or quarter, the funnel and time in stage — over what the user may see.

Two estimates of what will close in the period, among open opportunities expected to close in it:
(a) each stage's win probability × amount;
(b) each stage's historical conversion to won × amount. For a stage S the rate is, among the
    opportunities that reached S (or a later stage) within the lookback and are now closed, the
    share that was won. Opportunities still open are left out of the rate (they are undecided).
    A stage with no closed history falls back to its probability.
Plus what was already won in the period (won opportunities whose `closed_at` falls in it).
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Opportunity, Pipeline, Stage, StageChange
from .opportunities import default_pipeline, stages_of

PERIOD_RE = re.compile(r"^(?P<year>\d{4})-(?:(?P<month>\d{2})|[Qq](?P<quarter>[1-4]))$")
ZERO = Decimal("0")


@dataclass(frozen=True)
class Period:
    kind: str  # "month" | "quarter"
    start: date
    end: date  # exclusive

    @property
    def key(self) -> str:
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def aware_bounds(self) -> tuple[datetime, datetime]:
        return (timezone.make_aware(datetime.combine(self.start, time.min)),
                timezone.make_aware(datetime.combine(self.end, time.min)))


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def period_of(kind: str, day: date) -> Period:
    if kind == "quarter":
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Period("quarter", start, _add_months(start, 3))
    start = date(day.year, day.month, 1)
    return Period("month", start, _add_months(start, 1))


def parse_period(value: str | None, *, field_name: str = "period") -> Period:
    """'2025-05' (a month) or '2025-Q2' (a quarter); empty means this month."""
    if not value:
        return period_of("month", timezone.localdate())
    match = PERIOD_RE.match(value.strip())
    if match is None or (match["month"] and not 1 <= int(match["month"]) <= 12):
        raise ValidationError({field_name: [_("Use a month like 2025-05 or a quarter like 2025-Q2.")]})
    year = int(match["year"])
    if match["quarter"]:
        return period_of("quarter", date(year, (int(match["quarter"]) - 1) * 3 + 1, 1))
    return period_of("month", date(year, int(match["month"]), 1))


def period_choices(today: date | None = None, *, back: int = 12, ahead: int = 6) -> list[tuple[str, str]]:
    """Months and quarters around today, for the period select."""
    today = today or timezone.localdate()
    this_month = date(today.year, today.month, 1)
    months = [period_of("month", _add_months(this_month, i)) for i in range(-back, ahead + 1)]
    quarter = period_of("quarter", today).start
    quarters = [period_of("quarter", _add_months(quarter, 3 * i)) for i in range(-4, 3)]
    return [(p.key, p.key) for p in quarters] + [(p.key, p.key) for p in months]


@dataclass
class StageForecast:
    stage: Stage
    count: int = 0
    amount: Decimal = ZERO
    probability: Decimal = ZERO  # the stage's win probability, 0..1
    conversion: Decimal | None = None  # historical conversion to won, 0..1 (None: no history)
    history: int = 0  # closed opportunities the conversion rate is based on
    by_probability: Decimal = ZERO
    by_history: Decimal = ZERO


@dataclass
class FunnelStep:
    stage: Stage
    reached: int
    conversion_from_previous: float | None  # percent


@dataclass
class Forecast:
    period: Period
    pipeline: Pipeline | None
    lookback_months: int
    stages: list[StageForecast] = field(default_factory=list)
    open_count: int = 0
    open_amount: Decimal = ZERO
    expected_deals_probability: Decimal = ZERO
    expected_revenue_probability: Decimal = ZERO
    expected_deals_history: Decimal = ZERO
    expected_revenue_history: Decimal = ZERO
    won_count: int = 0
    won_amount: Decimal = ZERO
    funnel: list[FunnelStep] = field(default_factory=list)
    time_in_stage: list[tuple[Stage, float | None, int]] = field(default_factory=list)  # median days, n

    @property
    def total_probability(self) -> Decimal:
        return self.won_amount + self.expected_revenue_probability

    @property
    def total_history(self) -> Decimal:
        return self.won_amount + self.expected_revenue_history


def _q2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def _reached(visible: QuerySet[Opportunity], stages: list[Stage], since: datetime) -> dict[int, set[int]]:
    """For each open or won stage: the opportunities that reached it or a later one (by position) since `since`."""
    order = [s for s in stages if s.kind in (Stage.Kind.OPEN, Stage.Kind.WON)]
    rank = {s.pk: i for i, s in enumerate(order)}
    best: dict[int, int] = {}
    pairs = (StageChange.objects.filter(at__gte=since, to_stage_id__in=list(rank), opportunity__in=visible.values("pk"))
             .values_list("opportunity_id", "to_stage_id").distinct())
    for opp_id, stage_id in pairs:
        r = rank[stage_id]
        if r > best.get(opp_id, -1):
            best[opp_id] = r
    reached: dict[int, set[int]] = {s.pk: set() for s in order}
    for opp_id, r in best.items():
        for s in order[: r + 1]:
            reached[s.pk].add(opp_id)
    return reached


def _time_in_stage(visible: QuerySet[Opportunity], stages: list[Stage], since: datetime
                   ) -> list[tuple[Stage, float | None, int]]:
    """Median days spent in each stage, over completed stays that started within the lookback."""
    if not stages:
        return []
    rows = (StageChange.objects.filter(at__gte=since, opportunity__in=visible.values("pk"))
            .filter(opportunity__pipeline_id=stages[0].pipeline_id)
            .values_list("opportunity_id", "to_stage_id", "at").order_by("opportunity_id", "at", "id"))
    durations: dict[int, list[float]] = defaultdict(list)
    previous: tuple[int, int, datetime] | None = None
    for opp_id, stage_id, at in rows:
        if previous is not None and previous[0] == opp_id:
            durations[previous[1]].append((at - previous[2]).total_seconds() / 86400)
        previous = (opp_id, stage_id, at)
    result = []
    for stage in stages:
        if stage.kind != Stage.Kind.OPEN:
            continue
        values = durations.get(stage.pk, [])
        result.append((stage, round(statistics.median(values), 1) if values else None, len(values)))
    return result


def forecast(*, user: Any, period: Period, pipeline: Pipeline | None = None, lookback_months: int = 12) -> Forecast:
    """The forecast over the opportunities `user` may see; numbers for `pipeline` (or all pipelines),
    the funnel and time in stage for `pipeline` (or the default pipeline)."""
    lookback_months = max(1, min(int(lookback_months), 60))
    visible = Opportunity.objects.visible_to(user)
    scoped = visible.filter(pipeline=pipeline) if pipeline is not None else visible
    since = timezone.now() - timedelta(days=round(lookback_months * 365.25 / 12))
    result = Forecast(period=period, pipeline=pipeline, lookback_months=lookback_months)

    # Conversion to won per stage, from the history of every pipeline (stage ids are unique).
    all_stages = list(Stage.objects.select_related("pipeline").order_by("pipeline_id", "position", "id"))
    by_pipeline: dict[int, list[Stage]] = defaultdict(list)
    for s in all_stages:
        by_pipeline[s.pipeline_id].append(s)
    outcome = dict(scoped.exclude(stage__kind=Stage.Kind.OPEN).values_list("pk", "stage__kind"))
    conversion: dict[int, tuple[Decimal | None, int]] = {}
    reached_by_pipeline: dict[int, dict[int, set[int]]] = {}
    for pid, stages in by_pipeline.items():
        if pipeline is not None and pid != pipeline.pk:
            continue
        reached = _reached(scoped, stages, since)
        reached_by_pipeline[pid] = reached
        for sid, opps in reached.items():
            closed = [o for o in opps if o in outcome]
            won = sum(1 for o in closed if outcome[o] == Stage.Kind.WON)
            conversion[sid] = (Decimal(won) / Decimal(len(closed)) if closed else None, len(closed))

    start, end = period.start, period.last_day
    rows = (scoped.filter(stage__kind=Stage.Kind.OPEN, expected_close_date__gte=start, expected_close_date__lte=end)
            .values("stage_id").annotate(n=Count("id"), total=Coalesce(Sum("amount"), Value(ZERO),
                                                                       output_field=DecimalField())))
    stage_by_id = {s.pk: s for s in all_stages}
    for row in sorted(rows, key=lambda r: (stage_by_id[r["stage_id"]].pipeline_id,
                                           stage_by_id[r["stage_id"]].position)):
        stage = stage_by_id[row["stage_id"]]
        probability = Decimal(stage.probability) / 100
        rate, history = conversion.get(stage.pk, (None, 0))
        used = rate if rate is not None else probability
        sf = StageForecast(stage=stage, count=row["n"], amount=row["total"], probability=probability,
                           conversion=rate, history=history, by_probability=_q2(row["total"] * probability),
                           by_history=_q2(row["total"] * used))
        result.stages.append(sf)
        result.open_count += sf.count
        result.open_amount += sf.amount
        result.expected_deals_probability += probability * sf.count
        result.expected_deals_history += used * sf.count
        result.expected_revenue_probability += sf.by_probability
        result.expected_revenue_history += sf.by_history
    result.expected_deals_probability = result.expected_deals_probability.quantize(Decimal("0.1"))
    result.expected_deals_history = result.expected_deals_history.quantize(Decimal("0.1"))

    low, high = period.aware_bounds()
    won_row = scoped.filter(stage__kind=Stage.Kind.WON, closed_at__gte=low, closed_at__lt=high).aggregate(
        n=Count("id"), total=Coalesce(Sum("amount"), Value(ZERO), output_field=DecimalField()))
    result.won_count, result.won_amount = won_row["n"], won_row["total"]

    funnel_pipeline = pipeline or default_pipeline()
    if funnel_pipeline is not None:
        stages = stages_of(funnel_pipeline)
        reached = reached_by_pipeline.get(funnel_pipeline.pk) or _reached(scoped, stages, since)
        previous: int | None = None
        for stage in stages:
            if stage.pk not in reached:
                continue
            n = len(reached[stage.pk])
            pct = round(100 * n / previous, 1) if previous else None
            result.funnel.append(FunnelStep(stage, n, pct))
            previous = n
        result.time_in_stage = _time_in_stage(scoped, stages, since)
    return result


def funnel_chart_options(fc: Forecast) -> dict[str, Any]:
    """ECharts options for the funnel (rendered with json_script; names are escaped there)."""
    data = [{"name": step.stage.name, "value": step.reached,
             "conversion": step.conversion_from_previous} for step in fc.funnel]
    return {
        "tooltip": {"trigger": "item"},
        "series": [{
            "type": "funnel", "sort": "none", "left": "10%", "width": "80%", "minSize": "8%", "gap": 2,
            "label": {"show": True, "position": "inside"},
            "data": data,
        }],
    }
