"""Opportunity services: create, edit, the stage-move rules, delete; each role's permissions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.customers.models import Product
from guanxi.customers.services.orders import product_save
from guanxi.governance.models import AuditLog
from guanxi.sales.models import Opportunity, Pipeline, Stage, StageChange
from guanxi.sales.selectors.opportunities import (
    default_pipeline,
    opportunities_of,
    opportunity_get,
    pipeline_for_customer,
    stage_history,
)
from guanxi.sales.services.opportunities import (
    opportunity_create,
    opportunity_delete,
    opportunity_move,
    opportunity_update,
)


def stage(kind: str, pipeline: Pipeline | None = None, index: int = 0) -> Stage:
    pipeline = pipeline or default_pipeline()
    return list(Stage.objects.filter(pipeline=pipeline, kind=kind).order_by("position"))[index]


@pytest.fixture
def opp(org, customers):
    return opportunity_create(actor=org.rep, customer=customers.own, data={"name": "采购办公设备", "amount": "50000"})


def test_create_defaults_pipeline_stage_owner_and_logs(org, customers, opp):
    assert opp.pipeline == default_pipeline()
    assert opp.stage == stage("open")
    assert opp.owner == org.rep  # the customer's owner
    assert opp.created_by == org.rep
    assert opp.amount == Decimal("50000")
    change = StageChange.objects.get(opportunity=opp)
    assert change.from_stage is None and change.to_stage == opp.stage and change.actor == org.rep
    log = AuditLog.objects.get(entity="opportunity", object_id=str(opp.pk), action="create")
    assert log.customer_id == customers.own.pk


def test_create_pool_customer_owner_defaults_to_actor(org, customers):
    o = opportunity_create(actor=org.manager, customer=customers.pool, data={"name": "公海商机"})
    assert o.owner == org.manager


def test_create_amount_from_lines(org, customers):
    p1 = product_save(actor=org.admin, product=Product(), data={"sku": "P1", "name": "打印机", "price": Decimal("1000")})
    p2 = product_save(actor=org.admin, product=Product(), data={"sku": "P2", "name": "纸", "price": Decimal("20")})
    o = opportunity_create(actor=org.rep, customer=customers.own, data={"name": "x", "amount": "1"},
                           lines=[{"product": p1, "quantity": Decimal("2")},
                                  {"product": p2, "quantity": Decimal("10"), "unit_price": Decimal("18.5")}])
    assert o.amount == Decimal("2185.00")
    assert o.lines.count() == 2


def test_create_bad_input_changes_nothing(org, customers):
    p = product_save(actor=org.admin, product=Product(), data={"sku": "P1", "name": "打印机", "price": Decimal("1")})
    with pytest.raises(ValidationError) as err:
        opportunity_create(actor=org.rep, customer=customers.own, data={"name": "x"},
                           lines=[{"product": p, "quantity": Decimal("-1")}])
    assert "lines.0.quantity" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        opportunity_create(actor=org.rep, customer=customers.own, data={"name": "", "amount": "-5"})
    assert {"name", "amount"} <= set(err.value.message_dict)
    with pytest.raises(ValidationError) as err:
        opportunity_create(actor=org.rep, customer=customers.own, data={"name": "x", "stage": stage("won")})
    assert "stage" in err.value.message_dict
    assert not Opportunity.objects.exists() and not StageChange.objects.exists()


@pytest.mark.parametrize("role", ["rep", "rep_west", "marketing", "analyst"])
def test_create_refused_on_customers_one_may_not_change(org, customers, role):
    with pytest.raises(PermissionDeniedError):
        opportunity_create(actor=getattr(org, role), customer=customers.same_dept, data={"name": "x"})


def test_manager_creates_for_department_customer_and_may_not_assign_outside(org, customers):
    o = opportunity_create(actor=org.manager, customer=customers.same_dept, data={"name": "x"})
    assert o.owner == org.rep_sh
    with pytest.raises(ValidationError) as err:
        opportunity_create(actor=org.manager, customer=customers.own, data={"name": "y", "owner": org.rep_west})
    assert "owner" in err.value.message_dict


def test_pipeline_follows_department_tree(org, customers):
    east = Pipeline.objects.create(name="East pipeline", department=org.east)
    for i, kind in enumerate(["open", "won", "lost"]):
        Stage.objects.create(pipeline=east, name=kind, position=i, kind=kind)
    assert pipeline_for_customer(customers.own) == east  # East
    assert pipeline_for_customer(customers.same_dept) == east  # Shanghai, under East
    assert pipeline_for_customer(customers.other_dept) == default_pipeline()  # West
    o = opportunity_create(actor=org.rep_sh, customer=customers.same_dept, data={"name": "x"})
    assert o.pipeline == east and o.stage.name == "open"


def test_update_details_and_version(org, customers, opp):
    o = opportunity_update(actor=org.rep, opportunity=opp, data={"name": "新名称", "competitors": "A公司"}, version=1)
    assert o.version == 2 and o.name == "新名称"
    log = AuditLog.objects.filter(entity="opportunity", action="update").latest("id")
    assert log.changes["name"] == ["采购办公设备", "新名称"] and log.customer_id == customers.own.pk
    with pytest.raises(ConflictError):
        opportunity_update(actor=org.rep, opportunity=opp, data={"name": "again"}, version=1)
    with pytest.raises(ValidationError):
        opportunity_update(actor=org.rep, opportunity=opp, data={"stage": stage("won")}, version=2)


def test_update_refused_for_other_rep(org, customers, opp):
    with pytest.raises(PermissionDeniedError):
        opportunity_update(actor=org.rep_west, opportunity=opp, data={"name": "x"}, version=None)


# ---- moves ------------------------------------------------------------------------------------


def test_move_open_to_open_logs_stage_change_and_audit(org, customers, opp):
    target = stage("open", index=1)
    o = opportunity_move(actor=org.rep, opportunity=opp, stage=target, version=1)
    assert o.stage == target and o.version == 2 and o.closed_at is None
    change = StageChange.objects.filter(opportunity=opp).latest("id")
    assert change.from_stage == stage("open") and change.to_stage == target and change.actor == org.rep
    log = AuditLog.objects.filter(entity="opportunity", action="update").latest("id")
    assert log.customer_id == customers.own.pk
    assert log.changes["stage"] == [stage("open").name, target.name]


def test_move_to_lost_requires_reason(org, customers, opp):
    with pytest.raises(ValidationError) as err:
        opportunity_move(actor=org.rep, opportunity=opp, stage=stage("lost"), reason="  ", version=1)
    assert "reason" in err.value.message_dict
    opp.refresh_from_db()
    assert opp.stage == stage("open") and StageChange.objects.filter(opportunity=opp).count() == 1
    o = opportunity_move(actor=org.rep, opportunity=opp, stage=stage("lost"), reason="价格太高", version=1)
    assert o.closed_at is not None and o.lost_reason == "价格太高"
    assert StageChange.objects.filter(opportunity=opp).latest("id").reason == "价格太高"


def test_move_to_invalid_requires_reason(org, customers, opp):
    with pytest.raises(ValidationError):
        opportunity_move(actor=org.rep, opportunity=opp, stage=stage("invalid"), version=1)


def test_won_note_optional_and_sets_closed_at_without_touching_customer(org, customers, opp):
    lifecycle = customers.own.lifecycle
    o = opportunity_move(actor=org.rep, opportunity=opp, stage=stage("won"), version=1)
    assert o.closed_at is not None and o.stage.kind == "won"
    customers.own.refresh_from_db()
    assert customers.own.lifecycle == lifecycle
    assert not customers.own.orders.exists()


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_won_back_to_open_refused(org, customers, opp, role):
    opportunity_move(actor=org.rep, opportunity=opp, stage=stage("won"), version=1)
    with pytest.raises(ValidationError) as err:
        opportunity_move(actor=getattr(org, role), opportunity=opp, stage=stage("open"), reason="oops", version=2)
    assert "stage" in err.value.message_dict
    with pytest.raises(ValidationError):
        opportunity_move(actor=getattr(org, role), opportunity=opp, stage=stage("lost"), reason="x", version=2)
    opp.refresh_from_db()
    assert opp.stage.kind == "won" and opp.version == 2


def test_admin_reopens_won_only_with_reason(org, customers, opp):
    opportunity_move(actor=org.rep, opportunity=opp, stage=stage("won"), version=1)
    with pytest.raises(ValidationError) as err:
        opportunity_move(actor=org.admin, opportunity=opp, stage=stage("open"), version=2)
    assert "reason" in err.value.message_dict
    o = opportunity_move(actor=org.admin, opportunity=opp, stage=stage("open"), reason="合同未签", version=2)
    assert o.stage.kind == "open" and o.closed_at is None


def test_lost_can_be_reopened(org, customers, opp):
    opportunity_move(actor=org.rep, opportunity=opp, stage=stage("lost"), reason="预算取消", version=1)
    o = opportunity_move(actor=org.rep, opportunity=opp, stage=stage("open", index=2), version=2)
    assert o.stage.kind == "open" and o.closed_at is None and o.lost_reason == ""
    assert [s.stage.kind for s in stage_history(o)] == ["open", "lost", "open"]


def test_move_stale_version_conflict(org, customers, opp):
    opportunity_move(actor=org.rep, opportunity=opp, stage=stage("open", index=1), version=1)
    with pytest.raises(ConflictError):
        opportunity_move(actor=org.rep, opportunity=opp, stage=stage("open", index=2), version=1)


def test_move_to_other_pipeline_stage_refused(org, customers, opp):
    other = Pipeline.objects.create(name="Other")
    s = Stage.objects.create(pipeline=other, name="x", kind="open")
    with pytest.raises(ValidationError) as err:
        opportunity_move(actor=org.rep, opportunity=opp, stage=s, version=1)
    assert "stage" in err.value.message_dict


@pytest.mark.parametrize("role", ["rep_west", "rep_sh", "analyst", "marketing"])
def test_move_refused_for_who_may_not_change(org, customers, opp, role):
    with pytest.raises(PermissionDeniedError):
        opportunity_move(actor=getattr(org, role), opportunity=opp, stage=stage("open", index=1), version=1)


def test_visibility_follows_customer(org, customers, opp):
    assert opportunity_get(user=org.manager, pk=opp.pk) == opp
    assert opportunity_get(user=org.analyst, pk=opp.pk) == opp
    from guanxi.core.errors import NotFoundError

    with pytest.raises(NotFoundError):
        opportunity_get(user=org.rep_west, pk=opp.pk)
    with pytest.raises(PermissionDeniedError):
        opportunity_get(user=org.analyst, pk=opp.pk, for_change=True)


def test_customer_card_open_first(org, customers, opp):
    closed = opportunity_create(actor=org.rep, customer=customers.own, data={"name": "old"})
    opportunity_move(actor=org.rep, opportunity=closed, stage=stage("won"), version=1)
    newer = opportunity_create(actor=org.rep, customer=customers.own, data={"name": "new"})
    names = [o.name for o in opportunities_of(user=org.rep, customer=customers.own)]
    assert names[-1] == "old" and set(names[:2]) == {opp.name, newer.name}


def test_delete_needs_delete_capability(org, customers, opp):
    with pytest.raises(PermissionDeniedError):
        opportunity_delete(actor=org.rep, opportunity=opp)
    opportunity_delete(actor=org.manager, opportunity=opp, version=1)
    assert not Opportunity.objects.visible_to(org.manager).filter(pk=opp.pk).exists()
