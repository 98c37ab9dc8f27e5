"""Demo data for the pipeline: Chinese stage names, ~300 opportunities with a year of stage history,
and targets for this month and quarter. Called by the customers demo loader through the
GUANXI_DEMO_EXTENSIONS setting (the customers app does not import sales)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from guanxi.customers.models import Customer
from guanxi.governance.models import Employee, Role

from .models import Opportunity, Pipeline, Stage, StageChange, Target
from .selectors.forecast import period_of
from .selectors.opportunities import default_pipeline

# position -> (name, probability), by the default pipeline's order (migration 0002).
CHINESE_STAGES = ["初步接洽", "需求确认", "方案报价", "谈判审批", "赢单", "输单", "无效"]
TOPICS = ["办公设备采购", "年度耗材框架协议", "软件系统升级", "会议室改造", "员工培训项目", "礼品定制", "维保续约",
          "新办公室家具", "云服务扩容", "打印外包服务"]
COMPETITORS = ["", "", "得力", "齐心", "晨光", "京东企业购", "本地经销商"]
LOST_REASONS = ["价格高于竞品", "客户预算取消", "选择了竞争对手", "需求推迟到明年", "决策人变更"]
INVALID_REASONS = ["重复商机", "联系人无采购权限", "测试数据"]


def _chinese_stage_names(pipeline: Pipeline) -> list[Stage]:
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))
    if pipeline.name == "Standard sales":
        pipeline.name = "标准销售流程"
        pipeline.save(update_fields=["name"])
    for stage, name in zip(stages, CHINESE_STAGES, strict=False):
        stage.name = name
    Stage.objects.bulk_update(stages, ["name"])
    return stages


@transaction.atomic
def load_sales_demo(*, users: Mapping[str, Any], customers: Iterable[int], seed: int = 20240101,
                    count: int = 300) -> dict[str, int]:
    """Create the pipeline demo rows; returns counts by kind for the demo summary."""
    rng = random.Random(seed)
    pipeline = default_pipeline()
    if pipeline is None:
        return {}
    stages = _chinese_stage_names(pipeline)
    open_stages = [s for s in stages if s.kind == Stage.Kind.OPEN]
    final: dict[str, Stage] = {}
    for s in stages:
        if s.kind != Stage.Kind.OPEN:
            final.setdefault(str(s.kind), s)
    rows = list(Customer.objects.filter(pk__in=list(customers), owner__isnull=False)
                .values_list("pk", "owner_id")[:2000])
    if not rows or not open_stages:
        return {}
    now = timezone.now()
    plans = []
    for i in range(count):
        customer_id, owner_id = rng.choice(rows)
        created = now - timedelta(days=rng.uniform(5, 365), hours=rng.uniform(0, 10))
        outcome = rng.choices(["open", "won", "lost", "invalid"], weights=[40, 25, 30, 5])[0]
        depth = rng.randint(1, len(open_stages))
        path, at = [], created
        for stage in open_stages[:depth]:
            path.append((stage, at))
            at = at + timedelta(days=rng.uniform(2, 35))
        if outcome != "open" and outcome in final and at < now:
            path.append((final[outcome], at))
        elif outcome != "open":
            outcome = "open"
        amount = Decimal(rng.randrange(50, 5000) * 100)
        close = (now + timedelta(days=rng.randint(-10, 120))).date() if outcome == "open" else path[-1][1].date()
        last_stage, last_at = path[-1]
        reason = ""
        if outcome == "lost":
            reason = rng.choice(LOST_REASONS)
        elif outcome == "invalid":
            reason = rng.choice(INVALID_REASONS)
        plans.append((Opportunity(
            customer_id=customer_id, pipeline=pipeline, stage=last_stage, owner_id=owner_id, created_by_id=owner_id,
            name=f"{rng.choice(TOPICS)} #{i + 1}", amount=amount, expected_close_date=close,
            competitors=rng.choice(COMPETITORS), lost_reason=reason, stage_changed_at=last_at,
            closed_at=last_at if outcome != "open" else None,
        ), path, created, reason))
    created_opps = Opportunity.objects.bulk_create([p[0] for p in plans])
    # created_at is auto_now_add: set the historical dates afterwards.
    for opp, (_o, _path, created, _r) in zip(created_opps, plans, strict=True):
        opp.created_at = created
    Opportunity.objects.bulk_update(created_opps, ["created_at"], batch_size=500)
    changes = []
    for opp, (_o, path, _created, reason) in zip(created_opps, plans, strict=True):
        previous = None
        for n, (stage, at) in enumerate(path):
            last = n == len(path) - 1
            changes.append(StageChange(opportunity=opp, from_stage=previous, to_stage=stage, at=at,
                                       actor_id=opp.owner_id, reason=reason if last and stage.kind != "open" else ""))
            previous = stage
    StageChange.objects.bulk_create(changes, batch_size=1000)
    targets = _targets(users, rng)
    return {"opportunity": len(created_opps), "stage_change": len(changes), "target": targets}


def _targets(users: Mapping[str, Any], rng: random.Random) -> int:
    today = timezone.localdate()
    month, quarter = period_of("month", today), period_of("quarter", today)
    rows = [
        Target(period="month", period_start=month.start, metric="revenue", value=Decimal("800000")),
        Target(period="quarter", period_start=quarter.start, metric="revenue", value=Decimal("2400000")),
        Target(period="month", period_start=month.start, metric="gross_profit", value=Decimal("280000")),
        Target(period="month", period_start=month.start, metric="new_customers", value=Decimal("40")),
    ]
    reps = Employee.objects.filter(user__in=[u.pk for u in users.values()], role=Role.SALES_REP).select_related("user")
    departments = set()
    for employee in reps:
        departments.add(employee.department_id)
        rows += [
            Target(period="month", period_start=month.start, metric=metric, user=employee.user,
                   value=Decimal(value))
            for metric, value in (("revenue", rng.choice([80000, 100000, 120000])), ("new_customers", 5),
                                  ("gross_profit", 30000), ("follow_ups", 60))
        ]
    for department_id in departments - {None}:
        rows.append(Target(period="month", period_start=month.start, metric="revenue", department_id=department_id,
                           value=Decimal("300000")))
    Target.objects.bulk_create(rows)
    return len(rows)
