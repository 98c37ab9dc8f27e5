"""The API recycle bin uses the web bin's registry (settings.GUANXI_RECYCLABLE): leads and opportunities are
listed and restored through their own services, with the same permission, window and "customer first" rules."""

from __future__ import annotations

from guanxi.customers.services.customers import customer_delete
from guanxi.governance.models import AuditLog
from guanxi.sales.models import Lead, Opportunity
from guanxi.sales.services.leads import lead_create, lead_delete
from guanxi.sales.services.opportunities import opportunity_create, opportunity_delete


def test_leads_are_listed_and_restored(org, api):
    east = lead_create(actor=org.rep, data={"name": "王五", "company": "东方灯具", "mobile": "13700137000"})
    west = lead_create(actor=org.rep_west, data={"name": "赵六", "mobile": "13600136000"})
    lead_delete(actor=org.manager, lead=east)
    lead_delete(actor=org.admin, lead=west)
    assert {i["id"] for i in api(org.admin).walk("/recycle-bin/lead")} == {east.pk, west.pk}
    listed = api(org.manager).walk("/recycle-bin/lead")
    assert [(i["entity"], i["id"]) for i in listed] == [("lead", east.pk)]  # East's manager: East's lead only
    assert api(org.rep).get("/recycle-bin/lead").status_code == 403
    assert api(org.manager).post(f"/recycle-bin/lead/{west.pk}/restore").status_code == 404
    r = api(org.manager).post(f"/recycle-bin/lead/{east.pk}/restore")
    assert r.status_code == 200, r.content
    assert r.json()["entity"] == "lead" and r.json()["deleted_at"] is None
    assert Lead.objects.get(pk=east.pk).deleted_at is None
    assert AuditLog.objects.filter(entity="lead", object_id=str(east.pk), action=AuditLog.Action.RESTORE).exists()
    assert api(org.manager).walk("/recycle-bin/lead") == []


def test_opportunities_are_restored_after_their_customer(org, customers, api):
    opp = opportunity_create(actor=org.rep, customer=customers.own, data={"name": "年度采购", "amount": "30000"})
    opportunity_delete(actor=org.manager, opportunity=opp)
    manager = api(org.manager)
    listed = manager.walk("/recycle-bin/opportunity")
    assert [(i["entity"], i["id"], i["customer"]) for i in listed] == [("opportunity", opp.pk, customers.own.pk)]
    customer_delete(actor=org.manager, customer=customers.own)
    # While the customer is in the bin, its opportunity is not restorable (hidden, like its contacts).
    assert manager.post(f"/recycle-bin/opportunity/{opp.pk}/restore").status_code in (404, 422)
    assert manager.post(f"/recycle-bin/customer/{customers.own.pk}/restore").status_code == 200
    r = manager.post(f"/recycle-bin/opportunity/{opp.pk}/restore")
    assert r.status_code == 200, r.content
    assert Opportunity.objects.get(pk=opp.pk).deleted_at is None


def test_unknown_entity_is_404(org, api):
    assert api(org.admin).get("/recycle-bin/planet").status_code == 404
    assert api(org.admin).post("/recycle-bin/planet/1/restore").status_code == 404
