"""Lead conversion: customer + contact + optional opportunity in one transaction, history and attribution kept."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from guanxi.customers.models import Contact, Customer, Interaction
from guanxi.customers.services.customers import customer_create
from guanxi.sales.models import Lead, Opportunity, OwnerChange, StageChange
from guanxi.sales.services.conversion import lead_convert
from guanxi.sales.services.leads import campaign_create, lead_activity_create, lead_create, lead_set_status


@pytest.fixture
def lead(org):
    campaign = campaign_create(actor=org.admin, data={"name": "2024 车展"})
    lead = lead_create(actor=org.rep, data={"name": "张三", "company": "杭州张三贸易有限公司", "title": "经理",
                                            "mobile": "13800138000", "email": "zs@example.com",
                                            "province": "浙江", "campaign": campaign, "source": "event"})
    lead_activity_create(actor=org.rep, lead=lead, data={
        "summary": "Met at the show", "occurred_at": datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC)})
    lead.refresh_from_db()
    return lead


def test_convert_creates_customer_contact_opportunity(org, lead):
    lead = lead_convert(actor=org.rep, lead=lead, create_opportunity=True, opportunity_name="First order",
                        amount=Decimal("5000"))
    customer = lead.converted_customer
    assert lead.status == "converted" and lead.converted_at
    assert (customer.name, customer.kind, customer.owner, customer.source) == (
        "杭州张三贸易有限公司", "company", org.rep, "2024 车展")
    assert customer.name_key == "杭州张三贸易"
    contact = Contact.objects.get(customer=customer)
    assert (contact.name, contact.mobile, contact.is_primary) == ("张三", "+8613800138000", True)
    opportunity = Opportunity.objects.get(pk=lead.converted_opportunity_id)
    assert (opportunity.amount, opportunity.campaign, opportunity.lead_id, opportunity.stage.position) == (
        Decimal("5000"), lead.campaign, lead.pk, 0)
    assert StageChange.objects.filter(opportunity=opportunity, from_stage__isnull=True).count() == 1
    interaction = Interaction.objects.get(customer=customer)
    assert interaction.summary == "Met at the show" and interaction.contact == contact
    assert Customer.objects.get(pk=customer.pk).last_interaction_at == interaction.occurred_at
    assert OwnerChange.objects.filter(entity="lead", object_id=lead.pk, kind="convert").exists()


def test_converting_twice_changes_nothing(org, lead):
    lead_convert(actor=org.rep, lead=lead)
    counts = (Customer.objects.count(), Contact.objects.count(), Interaction.objects.count())
    with pytest.raises(ValidationError) as exc:
        lead_convert(actor=org.rep, lead=lead, create_opportunity=True)
    assert "twice" in str(exc.value)
    assert counts == (Customer.objects.count(), Contact.objects.count(), Interaction.objects.count())
    assert not Opportunity.objects.exists()


def test_convert_into_existing_customer(org, lead):
    existing = customer_create(actor=org.rep, data={"name": "杭州张三贸易（集团）"})
    lead = lead_convert(actor=org.rep, lead=lead, customer=existing)
    assert lead.converted_customer == existing
    assert Customer.objects.count() == 1
    assert Contact.objects.filter(customer=existing, mobile="+8613800138000").exists()


def test_individual_customer(org):
    lead = lead_create(actor=org.rep, data={"name": "王五", "mobile": "13700137000"})
    lead = lead_convert(actor=org.rep, lead=lead, kind="individual")
    assert lead.converted_customer.kind == "individual" and lead.converted_customer.name == "王五"


def test_failure_rolls_back_everything(org, lead):
    with pytest.raises(ValidationError):
        lead_convert(actor=org.rep, lead=lead, create_opportunity=True, amount=Decimal("-1"))
    assert not Customer.objects.exists() and not Contact.objects.exists()
    assert Lead.objects.get(pk=lead.pk).status != "converted"


def test_disqualified_lead_cannot_be_converted(org, lead):
    lead = lead_set_status(actor=org.rep, lead=lead, status="disqualified", reason="No budget")
    with pytest.raises(ValidationError):
        lead_convert(actor=org.rep, lead=lead)
    assert not Customer.objects.exists()
