"""Pipelines and stages as data: the rules an administrator's edits must respect."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from guanxi.core.errors import PermissionDeniedError
from guanxi.governance.models import AuditLog
from guanxi.sales.models import Pipeline, Stage
from guanxi.sales.selectors.opportunities import default_pipeline, stages_of
from guanxi.sales.services.opportunities import opportunity_create
from guanxi.sales.services.pipelines import (
    pipeline_create,
    pipeline_delete,
    pipeline_update,
    stage_create,
    stage_delete,
    stage_reorder,
    stage_update,
)


def test_create_pipeline_with_starter_stages(org):
    p = pipeline_create(actor=org.admin, data={"name": "华东流程", "department": org.east})
    kinds = [s.kind for s in stages_of(p)]
    assert {"open", "won", "lost"} <= set(kinds)
    assert AuditLog.objects.filter(entity="pipeline", object_id=str(p.pk), action="create").exists()


def test_create_pipeline_needs_open_won_lost(org):
    with pytest.raises(ValidationError) as err:
        pipeline_create(actor=org.admin, data={"name": "x"}, stages=[{"name": "a", "kind": "open"},
                                                                     {"name": "b", "kind": "won"}])
    assert "kind" in err.value.message_dict
    assert not Pipeline.objects.filter(name="x").exists()


def test_one_pipeline_per_department_and_one_default(org):
    pipeline_create(actor=org.admin, data={"name": "a", "department": org.east})
    with pytest.raises(ValidationError) as err:
        pipeline_create(actor=org.admin, data={"name": "b", "department": org.east})
    assert "department" in err.value.message_dict
    old = default_pipeline()
    new = pipeline_create(actor=org.admin, data={"name": "new default", "is_default": True})
    assert default_pipeline() == new
    old.refresh_from_db()
    assert not old.is_default
    with pytest.raises(ValidationError):
        pipeline_update(actor=org.admin, pipeline=new, data={"is_default": False})
    with pytest.raises(ValidationError):
        pipeline_delete(actor=org.admin, pipeline=new)


@pytest.mark.parametrize("role", ["manager", "rep", "service_manager", "analyst"])
def test_only_admins_configure(org, role):
    user = getattr(org, role)
    p = default_pipeline()
    with pytest.raises(PermissionDeniedError):
        pipeline_create(actor=user, data={"name": "x"})
    with pytest.raises(PermissionDeniedError):
        stage_create(actor=user, pipeline=p, data={"name": "x"})
    with pytest.raises(PermissionDeniedError):
        stage_update(actor=user, stage=stages_of(p)[0], data={"name": "y"})
    with pytest.raises(PermissionDeniedError):
        stage_reorder(actor=user, pipeline=p, stage_ids=[s.pk for s in stages_of(p)])


def test_stage_with_opportunities_cannot_be_deleted_or_change_kind(org, customers):
    p = default_pipeline()
    first = stages_of(p)[0]
    opportunity_create(actor=org.rep, customer=customers.own, data={"name": "x"})
    with pytest.raises(ValidationError):
        stage_delete(actor=org.admin, stage=first)
    with pytest.raises(ValidationError) as err:
        stage_update(actor=org.admin, stage=first, data={"kind": "lost"})
    assert "kind" in err.value.message_dict
    s = stage_update(actor=org.admin, stage=first, data={"name": "初步接洽", "probability": 15})
    assert s.name == "初步接洽" and s.probability == 15
    assert Stage.objects.filter(pk=first.pk).exists()


def test_last_won_or_lost_stage_is_kept(org):
    p = pipeline_create(actor=org.admin, data={"name": "x"})
    won = Stage.objects.get(pipeline=p, kind="won")
    with pytest.raises(ValidationError):
        stage_delete(actor=org.admin, stage=won)
    with pytest.raises(ValidationError):
        stage_update(actor=org.admin, stage=won, data={"kind": "open"})
    extra = stage_create(actor=org.admin, pipeline=p, data={"name": "再谈", "probability": 60})
    assert extra.position == max(s.position for s in stages_of(p))
    stage_delete(actor=org.admin, stage=extra)
    assert not Stage.objects.filter(pk=extra.pk).exists()


def test_probability_bounds(org):
    with pytest.raises(ValidationError) as err:
        stage_create(actor=org.admin, pipeline=default_pipeline(), data={"name": "x", "probability": 101})
    assert "probability" in err.value.message_dict


def test_reorder(org):
    p = default_pipeline()
    ids = [s.pk for s in stages_of(p)]
    stage_reorder(actor=org.admin, pipeline=p, stage_ids=list(reversed(ids)))
    assert [s.pk for s in stages_of(p)] == list(reversed(ids))
    with pytest.raises(ValidationError):
        stage_reorder(actor=org.admin, pipeline=p, stage_ids=ids[:-1])


def test_pipeline_with_opportunities_cannot_be_deleted(org, customers):
    p = pipeline_create(actor=org.admin, data={"name": "East", "department": org.east})
    opportunity_create(actor=org.rep, customer=customers.own, data={"name": "x"})
    with pytest.raises(ValidationError):
        pipeline_delete(actor=org.admin, pipeline=p)
    empty = pipeline_create(actor=org.admin, data={"name": "West", "department": org.west})
    pipeline_delete(actor=org.admin, pipeline=empty)
    assert not Pipeline.objects.filter(pk=empty.pk).exists()


def test_demo_rows(org, customers):
    from guanxi.sales.demo import load_sales_demo
    from guanxi.sales.models import Opportunity, StageChange, Target

    counts = load_sales_demo(users={"rep": org.rep, "rep_sh": org.rep_sh}, count=40,
                             customers=[customers.own.pk, customers.same_dept.pk])
    assert counts["opportunity"] == 40 == Opportunity.objects.count()
    assert StageChange.objects.count() == counts["stage_change"] >= 40
    assert Target.objects.count() == counts["target"] > 0
    assert [s.name for s in stages_of(default_pipeline())][:2] == ["初步接洽", "需求确认"]
    closed = Opportunity.objects.exclude(stage__kind="open")
    assert all(o.closed_at for o in closed)
    assert all(o.lost_reason for o in closed.filter(stage__kind="lost"))
