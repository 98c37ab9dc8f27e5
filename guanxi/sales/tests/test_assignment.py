"""Assignment rules (round-robin, region, industry, holding limit) and manual assign/reassign."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from guanxi.customers.services.customers import customer_create
from guanxi.governance.models import AuditLog, Role
from guanxi.governance.services import employee_create
from guanxi.sales.models import AssignmentRule, Lead, OwnerChange, Pool
from guanxi.sales.services.assignment import lead_assign, lead_bulk_assign
from guanxi.sales.services.leads import AUTO, lead_create


@pytest.fixture
def team(org):
    second = employee_create(actor=None, username="rep2", password="pw-Guanxi-2024", role=Role.SALES_REP,
                             department=org.east).user
    return second


def _auto(org, **data):
    return lead_create(actor=None, data={"name": "Lead", **data}, owner=AUTO)


def test_round_robin_over_team_reps(org, team):
    # East's reps: rep, rep_sh (Shanghai is under East), rep2 — managers are not in the rotation.
    AssignmentRule.objects.create(name="East", department=org.east)
    owners = [_auto(org).owner for _ in range(4)]
    assert owners == [org.rep, org.rep_sh, team, org.rep]
    change = OwnerChange.objects.filter(entity="lead", kind="assign").first()
    assert "East" in change.reason
    assert AuditLog.objects.filter(entity="lead", action="assign").count() == 4


def test_members_and_region_and_industry(org, team):
    west = AssignmentRule.objects.create(name="Sichuan", department=org.west, method="region",
                                         match_values="四川, 重庆", position=0)
    food = AssignmentRule.objects.create(name="Food", department=org.east, method="industry",
                                         match_values="餐饮，食品", position=1)
    food.members.set([team])
    AssignmentRule.objects.create(name="Rest", department=org.east, position=2).members.set([org.rep_sh])
    assert _auto(org, province="四川省").owner == org.rep_west
    assert _auto(org, province="重庆市").owner == org.rep_west
    assert _auto(org, industry="餐饮").owner == team
    assert _auto(org, province="浙江").owner == org.rep_sh
    west.is_active = False
    west.save()
    assert _auto(org, province="四川").owner == org.rep_sh


def test_holding_limit_skips_full_reps(org, team):
    Pool.objects.filter(department__isnull=True).update(holding_limit=1)
    customer_create(actor=org.rep, data={"name": "已有客户"})
    rule = AssignmentRule.objects.create(name="East", department=org.east)
    rule.members.set([org.rep, team])
    assert [_auto(org).owner for _ in range(2)] == [team, team]


def test_no_rule_leaves_lead_unassigned(org):
    assert _auto(org).owner is None


def test_manual_assign_and_reassign(org):
    lead = lead_create(actor=org.manager, data={"name": "张三"}, owner=None)
    lead = lead_assign(actor=org.manager, lead=lead, owner=org.rep)
    assert lead.owner == org.rep and lead.department == org.east
    with pytest.raises(ValidationError) as exc:
        lead_assign(actor=org.manager, lead=lead, owner=org.rep_sh)
    assert "reason" in exc.value.message_dict
    lead = lead_assign(actor=org.manager, lead=lead, owner=org.rep_sh, reason="Lives in Shanghai")
    kinds = list(OwnerChange.objects.filter(entity="lead", object_id=lead.pk).order_by("id")
                 .values_list("kind", "reason"))
    assert kinds == [("assign", ""), ("reassign", "Lives in Shanghai")]
    with pytest.raises(ValidationError):  # West is outside the manager's department
        lead_assign(actor=org.manager, lead=lead, owner=org.rep_west, reason="x")
    with pytest.raises(ValidationError):
        lead_assign(actor=org.manager, lead=lead, owner=org.rep_sh, reason="again")


def test_bulk_assign_is_all_or_nothing(org):
    a = lead_create(actor=org.manager, data={"name": "A"}, owner=None)
    b = lead_create(actor=org.manager, data={"name": "B"}, owner=org.rep)
    with pytest.raises(ValidationError):
        lead_bulk_assign(actor=org.manager, leads=[a, b], owner=org.rep_sh)  # b needs a reason
    assert Lead.objects.get(pk=a.pk).owner is None
    assert lead_bulk_assign(actor=org.manager, leads=[a, b], owner=org.rep_sh, reason="Team change") == 2
    assert set(Lead.objects.values_list("owner", flat=True)) == {org.rep_sh.pk}
