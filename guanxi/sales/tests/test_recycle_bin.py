"""Leads and opportunities in the recycle bin (/settings/recycle-bin/): listed per role, restored through their
own services (audited), purged after the window — wired through settings.GUANXI_RECYCLABLE, so the customers
and governance apps import nothing of the sales app."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.customers.selectors.customers import recycle_bin, recycle_models
from guanxi.customers.services.customers import customer_delete
from guanxi.customers.services.recycle import recycle_bin_purge
from guanxi.governance.models import AuditLog
from guanxi.sales.models import Lead, LeadActivity, Opportunity, StageChange
from guanxi.sales.services.leads import lead_activity_create, lead_create, lead_delete, lead_restore
from guanxi.sales.services.opportunities import opportunity_create, opportunity_delete, opportunity_restore


def bin_url(entity: str) -> str:
    return reverse("governance:recycle_bin", args=[entity])


def restore_url(entity: str, pk: int) -> str:
    return reverse("governance:recycle_restore", args=[entity, pk])


@pytest.fixture
def leads(org):
    class L:
        pass

    lead = L()
    lead.east = lead_create(actor=org.rep, data={"name": "王五", "company": "东方灯具", "mobile": "13700137000"})
    lead.west = lead_create(actor=org.rep_west, data={"name": "赵六", "mobile": "13600136000"})
    lead_delete(actor=org.manager, lead=lead.east)
    lead_delete(actor=org.admin, lead=lead.west)
    return lead


@pytest.fixture
def opp(org, customers):
    opportunity = opportunity_create(actor=org.rep, customer=customers.own,
                                     data={"name": "年度采购", "amount": "30000"})
    return opportunity_delete(actor=org.manager, opportunity=opportunity)


def test_registry_resolves_the_sales_models():
    models = recycle_models()
    assert models["lead"] is Lead and models["opportunity"] is Opportunity
    assert list(models)[:5] == ["customer", "contact", "order", "interaction", "task"]


def test_tabs_list_leads_and_opportunities(client, org):
    client.force_login(org.admin)
    body = client.get(bin_url("customer")).content.decode()
    assert bin_url("lead") in body and bin_url("opportunity") in body
    assert "Leads" in body and "Opportunities" in body


def test_lead_tab_follows_the_scope(client, org, leads):
    client.force_login(org.manager)
    response = client.get(bin_url("lead"))
    assert [r.pk for r in response.context["rows"]] == [leads.east.pk]  # not West's
    assert response.context["rows"][0].deleted_by == org.manager
    assert "王五 (东方灯具)" in response.content.decode()
    client.force_login(org.admin)
    assert {r.pk for r in client.get(bin_url("lead")).context["rows"]} == {leads.east.pk, leads.west.pk}


def test_restore_a_lead_through_its_service_audited(client, org, leads):
    client.force_login(org.manager)
    response = client.post(restore_url("lead", leads.east.pk), follow=True)
    assert "Restored" in response.content.decode()
    assert Lead.objects.get(pk=leads.east.pk).deleted_at is None
    assert AuditLog.objects.filter(entity="lead", object_id=str(leads.east.pk), action="restore",
                                   actor=org.manager).exists()
    # Another department's lead: not in the manager's bin.
    assert client.post(restore_url("lead", leads.west.pk)).status_code == 404
    assert Lead._base_manager.get(pk=leads.west.pk).deleted_at is not None


def test_roles_without_restore_cannot_open_the_bin(client, org, leads, opp):
    for user in (org.rep, org.agent, org.marketing):
        client.force_login(user)
        assert client.get(bin_url("lead")).status_code == 403
        assert client.post(restore_url("lead", leads.east.pk)).status_code == 403
        assert client.post(restore_url("opportunity", opp.pk)).status_code == 403


def test_lead_restore_service_rules(org, leads):
    with pytest.raises(PermissionDeniedError):
        lead_restore(actor=org.rep, lead=leads.east)  # reps have no RESTORE
    with pytest.raises(NotFoundError):
        lead_restore(actor=org.manager, lead=leads.west)  # outside the manager's scope
    restored = lead_restore(actor=org.manager, lead=leads.east)
    assert restored.deleted_at is None and restored.deleted_by is None
    with pytest.raises(NotFoundError):
        lead_restore(actor=org.manager, lead=restored)  # not in the bin any more


def test_opportunity_tab_and_restore(client, org, customers, opp):
    client.force_login(org.manager)
    response = client.get(bin_url("opportunity"))
    rows = response.context["rows"]
    assert [r.pk for r in rows] == [opp.pk] and rows[0].parent_customer == customers.own
    assert "年度采购" in response.content.decode()
    client.post(restore_url("opportunity", opp.pk))
    assert Opportunity.objects.get(pk=opp.pk).deleted_at is None
    log = AuditLog.objects.get(entity="opportunity", object_id=str(opp.pk), action="restore")
    assert log.actor == org.manager and log.customer_id == customers.own.pk  # on the customer's timeline


def test_opportunity_of_another_department_is_not_restorable(org, customers):
    other = opportunity_create(actor=org.rep_west, customer=customers.other_dept, data={"name": "西部项目"})
    opportunity_delete(actor=org.admin, opportunity=other)
    assert list(recycle_bin(user=org.manager, entity="opportunity")) == []
    with pytest.raises(NotFoundError):
        opportunity_restore(actor=org.manager, opportunity=other)
    with pytest.raises(PermissionDeniedError):
        opportunity_restore(actor=org.rep_west, opportunity=other)
    assert opportunity_restore(actor=org.admin, opportunity=other).deleted_at is None


def test_opportunity_of_a_deleted_customer_waits_for_the_customer(client, org, customers, opp):
    customer_delete(actor=org.manager, customer=customers.own)
    client.force_login(org.manager)
    assert client.get(bin_url("opportunity")).context["rows"] == []
    assert client.post(restore_url("opportunity", opp.pk)).status_code == 404
    client.post(restore_url("customer", customers.own.pk))
    client.post(restore_url("opportunity", opp.pk))
    assert Opportunity.objects.get(pk=opp.pk).deleted_at is None


def test_past_the_window_not_listed_and_purged_with_audit(client, org, customers, leads, opp):
    live = lead_create(actor=org.rep, data={"name": "留下的线索"})
    lead_activity_create(actor=org.rep, lead=live, data={"summary": "电话"})
    old = timezone.now() - timedelta(days=31)
    Lead._base_manager.filter(pk=leads.east.pk).update(deleted_at=old)
    Opportunity._base_manager.filter(pk=opp.pk).update(deleted_at=old)
    client.force_login(org.admin)
    assert [r.pk for r in client.get(bin_url("lead")).context["rows"]] == [leads.west.pk]
    assert client.get(bin_url("opportunity")).context["rows"] == []
    assert client.post(restore_url("lead", leads.east.pk)).status_code == 404

    purged = recycle_bin_purge()
    assert purged["lead"] == 1 and purged["opportunity"] == 1
    assert not Lead._base_manager.filter(pk=leads.east.pk).exists()
    assert Lead._base_manager.filter(pk=leads.west.pk).exists()  # still inside the window
    assert not Opportunity._base_manager.filter(pk=opp.pk).exists()
    assert not StageChange.objects.filter(opportunity_id=opp.pk).exists()
    assert LeadActivity.objects.count() == 1  # the live lead's follow-up stays
    assert AuditLog.objects.filter(entity="lead", object_id=str(leads.east.pk), action="purge").exists()
    log = AuditLog.objects.get(entity="opportunity", object_id=str(opp.pk), action="purge")
    assert log.customer_id == customers.own.pk
    assert recycle_bin_purge()["lead"] == 0  # safe to run again


def test_purging_a_customer_with_a_deleted_opportunity(org, customers, opp):
    customer_delete(actor=org.manager, customer=customers.own)
    old = timezone.now() - timedelta(days=31)
    type(customers.own)._base_manager.filter(pk=customers.own.pk).update(deleted_at=old)
    Opportunity._base_manager.filter(pk=opp.pk).update(deleted_at=old)
    purged = recycle_bin_purge()
    assert purged["opportunity"] == 1 and purged["customer"] == 1


@override_settings(GUANXI_RECYCLABLE={"lead": "sales.Lead"})
def test_an_entry_without_a_restore_service_is_restored_as_it_is(client, org, leads):
    client.force_login(org.manager)
    body = client.get(bin_url("lead")).content.decode()
    assert bin_url("opportunity") not in body
    client.post(restore_url("lead", leads.east.pk))
    assert Lead.objects.get(pk=leads.east.pk).deleted_at is None
    assert AuditLog.objects.filter(entity="lead", object_id=str(leads.east.pk), action="restore").exists()
    assert client.get(bin_url("opportunity")).status_code == 404


def test_bin_query_count(client, org, customers, django_assert_max_num_queries):
    for i in range(12):
        opportunity = opportunity_create(actor=org.rep, customer=customers.own, data={"name": f"商机 {i}"})
        opportunity_delete(actor=org.manager, opportunity=opportunity)
        lead_delete(actor=org.manager, lead=lead_create(actor=org.rep, data={"name": f"线索 {i}"}))
    client.force_login(org.manager)
    for entity in ("lead", "opportunity"):
        with django_assert_max_num_queries(12):
            response = client.get(bin_url(entity))
        assert len(response.context["rows"]) == 12
