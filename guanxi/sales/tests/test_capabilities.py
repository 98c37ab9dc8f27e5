"""Sales rights come from the one capability table (governance.permissions), the scope from the selectors:
claim and manage the pool, set targets, manage campaigns, see the relationship report, hand over."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from guanxi.core.errors import PermissionDeniedError
from guanxi.sales.models import Campaign, Target
from guanxi.sales.selectors.performance import target_write_scope
from guanxi.sales.selectors.pool import handover_list
from guanxi.sales.selectors.relationships import rep_report
from guanxi.sales.services.leads import campaign_create, campaign_update
from guanxi.sales.services.pool import pool_assign, pool_claim
from guanxi.sales.services.targets import target_create


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ["admin", "manager", "marketing"])
def test_campaigns_are_managed_by_admins_sales_managers_and_marketing(org, role):
    user = getattr(org, role)
    campaign = campaign_create(actor=user, data={"name": f"展会 {role}"})
    campaign_update(actor=user, campaign=campaign, data={"name": "车展"})
    assert Campaign.objects.get(pk=campaign.pk).name == "车展"
    assert client_for(user).get(reverse("sales:campaign_create")).status_code == 200


@pytest.mark.parametrize("role", ["rep", "agent", "service_manager", "analyst"])
def test_others_may_not_manage_campaigns(org, role):
    # Service staff could change campaigns before (CHANGE + a wide scope); now MANAGE_CAMPAIGNS decides.
    user = getattr(org, role)
    with pytest.raises(PermissionDeniedError):
        campaign_create(actor=user, data={"name": "X"})
    campaign = campaign_create(actor=org.admin, data={"name": "Y"})
    with pytest.raises(PermissionDeniedError):
        campaign_update(actor=user, campaign=campaign, data={"name": "Z"})
    assert client_for(user).get(reverse("sales:campaign_edit", args=[campaign.pk])).status_code == 403


@pytest.mark.parametrize("role", ["admin", "manager", "service_manager", "analyst"])
def test_reports_are_for_roles_with_view_reports(org, customers, role):
    assert isinstance(rep_report(user=getattr(org, role)), list)
    assert client_for(getattr(org, role)).get(reverse("sales:relationships")).status_code == 200


@pytest.mark.parametrize("role", ["rep", "agent", "marketing"])
def test_reports_are_refused_to_others(org, customers, role):
    with pytest.raises(PermissionDeniedError):
        rep_report(user=getattr(org, role))


def test_targets_scope_follows_the_capability_and_the_scope(org):
    assert target_write_scope(org.admin).all
    east = target_write_scope(org.manager)
    assert east is not None and not east.all and org.shanghai.pk in east.department_ids
    assert org.west.pk not in east.department_ids
    # A sales manager who sees everything (scope "all") sets targets everywhere.
    org.manager.employee.scope = "all"
    org.manager.employee.save()
    assert target_write_scope(org.manager).all  # type: ignore[union-attr]
    target_create(actor=org.manager, data={"period": Target.Period.MONTH, "period_start": date(2025, 5, 1),
                                           "metric": Target.Metric.REVENUE, "department": org.west,
                                           "value": Decimal("1")})
    # A sales manager limited to their own records sets none.
    org.manager.employee.scope = "own"
    org.manager.employee.save()
    assert target_write_scope(org.manager) is None
    for role in ("rep", "service_manager", "analyst", "marketing", "agent"):
        assert target_write_scope(getattr(org, role)) is None


@pytest.mark.parametrize("role", ["agent", "service_manager", "marketing", "analyst"])
def test_claiming_needs_claim(org, customers, role):
    with pytest.raises(PermissionDeniedError):
        pool_claim(actor=getattr(org, role), customer=customers.pool)


def test_rep_claims_and_only_pool_managers_assign(org, customers):
    with pytest.raises(PermissionDeniedError):
        pool_assign(actor=org.rep, customer=customers.pool, to_user=org.rep_sh)
    assert pool_assign(actor=org.manager, customer=customers.pool, to_user=org.rep_sh).owner == org.rep_sh


def test_handover_is_for_admins(org):
    assert handover_list(user=org.admin).count() == 0
    for role in ("manager", "service_manager", "rep"):
        with pytest.raises(PermissionDeniedError):
            handover_list(user=getattr(org, role))
        assert client_for(getattr(org, role)).get(reverse("sales:handover")).status_code == 403


def test_menus_follow_the_capabilities(org):
    page = client_for(org.service_manager).get(reverse("sales:pool")).content.decode()
    assert reverse("sales:relationships") in page and reverse("sales:handover") not in page
    page = client_for(org.rep).get(reverse("sales:pool")).content.decode()
    assert reverse("sales:relationships") not in page
    page = client_for(org.admin).get(reverse("sales:pool")).content.decode()
    assert reverse("sales:relationships") in page and reverse("sales:handover") in page
