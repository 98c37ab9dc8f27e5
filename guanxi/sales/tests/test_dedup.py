"""Duplicate check (查重): normalisation, what is searched, masking by visibility, block/warn/allow rules."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from guanxi.core.text import company_key, mask_name
from guanxi.customers.models import Customer
from guanxi.customers.services.customers import contact_create, customer_create, customer_update
from guanxi.sales.models import DuplicateRule, Lead
from guanxi.sales.services.dedup import DuplicatesFound, check_duplicates, find_duplicates
from guanxi.sales.services.leads import lead_create

CODE = "91110000600037341L"  # a valid unified social credit code


@pytest.mark.parametrize(("raw", "key"), [
    ("杭州张三贸易有限公司", "杭州张三贸易"),
    ("杭州 张三贸易有限责任公司", "杭州张三贸易"),
    ("杭州张三贸易股份有限公司", "杭州张三贸易"),
    ("杭州张三贸易集团有限公司", "杭州张三贸易"),
    ("杭州张三贸易公司", "杭州张三贸易"),
    ("杭州张三贸易有限公司（上海分公司）", "杭州张三贸易"),
    ("杭州张三贸易有限公司(上海分公司)", "杭州张三贸易"),
    ("杭州张三贸易有限公司上海分公司", "杭州张三贸易"),
    ("ＡＢＣ Trading Co., Ltd.", "abctrading"),
    ("abc trading co.,ltd", "abctrading"),
    ("ABC Trading Inc.", "abctrading"),
    ("", ""),
])
def test_company_key(raw, key):
    assert company_key(raw) == key


def test_mask_name():
    assert mask_name("杭州张三贸易有限公司") == "杭州**贸易"
    assert mask_name("张三") == "张*"


def test_customer_name_key_filled_on_create_and_update(org):
    c = customer_create(actor=org.rep, data={"name": "杭州张三贸易有限公司"})
    assert c.name_key == "杭州张三贸易"
    c = customer_update(actor=org.rep, customer=c, data={"name": "宁波李四科技有限公司"}, version=c.version)
    assert Customer.objects.get(pk=c.pk).name_key == "宁波李四科技"


@pytest.fixture
def world(org):
    """A customer of rep_west (other department) with a contact; a lead of rep_west."""
    customer = customer_create(actor=org.rep_west, data={"name": "杭州张三贸易有限公司", "credit_code": CODE})
    contact_create(actor=org.rep_west, customer=customer,
                   data={"name": "张三", "mobile": "13800138000", "email": "Zhang@Example.com"})
    lead = lead_create(actor=org.rep_west, data={"name": "李四", "company": "成都王五餐饮有限公司",
                                                 "mobile": "13900139000"})
    return customer, lead


def test_find_matches_customers_contacts_and_leads(org, world):
    customer, lead = world
    matches = find_duplicates(actor=org.admin, mobile="138 0013 8000", email="zhang@example.COM",
                              company="杭州张三贸易有限责任公司（上海分公司）", credit_code=CODE.lower())
    assert len(matches) == 1
    m = matches[0]
    assert (m.entity, m.id, m.visible) == ("customer", customer.pk, True)
    assert set(m.fields) == {"mobile", "email", "company", "credit_code"}
    assert m.owner_name == "rep_west"
    lead_match = find_duplicates(actor=org.admin, company="成都王五餐饮")
    assert [(x.entity, x.id) for x in lead_match] == [("lead", lead.pk)]


def test_matches_the_actor_may_not_see_are_masked(org, world):
    matches = find_duplicates(actor=org.rep, mobile="13800138000")
    assert len(matches) == 1
    m = matches[0]
    assert not m.visible
    assert m.name == "杭州**贸易"
    assert m.mobile == "138****8000"
    assert m.owner_name == "rep_west"  # the owner is shown so the rep knows whom to ask


def test_exclude_and_invalid_mobile(org, world):
    _customer, lead = world
    assert find_duplicates(actor=org.admin, mobile="13900139000", exclude=("lead", lead.pk)) == []
    assert find_duplicates(actor=org.admin, mobile="not a number") == []
    assert find_duplicates(actor=org.admin) == []


def test_individuals_do_not_match_on_company_name(org):
    customer_create(actor=org.rep, data={"name": "张三", "kind": "individual"})
    assert find_duplicates(actor=org.admin, company="张三") == []


def test_block_rule_names_owner(org, world):
    # Default rules: mobile and credit code block, email and company warn.
    with pytest.raises(ValidationError) as exc:
        lead_create(actor=org.rep, data={"name": "王", "mobile": "13800138000"})
    assert "mobile" in exc.value.message_dict
    assert "rep_west" in exc.value.message_dict["mobile"][0]
    assert Lead.objects.filter(name="王").count() == 0


def test_warn_rule_needs_confirmation(org, world):
    with pytest.raises(DuplicatesFound) as exc:
        lead_create(actor=org.rep, data={"name": "王", "company": "杭州张三贸易公司"})
    assert exc.value.matches[0].fields == ["company"]
    assert not Lead.objects.filter(name="王").exists()
    lead = lead_create(actor=org.rep, data={"name": "王", "company": "杭州张三贸易公司"}, confirm_duplicates=True)
    assert lead.pk


def test_allow_rule_is_silent(org, world):
    DuplicateRule.objects.filter(field="mobile").update(action="allow")
    assert check_duplicates(actor=org.rep, values={"mobile": "13800138000"}) == []
    lead_create(actor=org.rep, data={"name": "王", "mobile": "13800138000"})


def test_deleted_records_do_not_match(org, world):
    customer, _lead = world
    Customer.objects.filter(pk=customer.pk).update(deleted_at="2024-01-01T00:00:00Z")
    assert find_duplicates(actor=org.admin, credit_code=CODE) == []


def test_query_count_is_small(org, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        find_duplicates(actor=org.rep, mobile="13800138000", email="a@b.cn", company="杭州张三贸易",
                        credit_code=CODE)
