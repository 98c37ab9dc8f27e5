"""The demo data generator: valid rows, the derived fields the services fill, idempotent."""

from __future__ import annotations

import re
from io import StringIO

import phonenumbers
import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Max
from stdnum.cn import uscc

from guanxi.core.text import pinyin_keys
from guanxi.customers.demo import DEMO_PASSWORD, load_demo
from guanxi.customers.demo.generator import credit_code, organization_code
from guanxi.customers.models import Contact, Customer, Interaction, Order, OrderLine, Task
from guanxi.customers.selectors.tasks import task_counts
from guanxi.governance.models import AuditLog, Department

E164_CN = re.compile(r"^\+861[3-9]\d{9}$")


@pytest.fixture
def demo(db):
    return load_demo(customers=300, seed=7)


def test_counts_and_logins(demo):
    assert not demo.skipped
    assert Customer.objects.count() == 300
    assert Contact.objects.count() >= 300
    assert Order.objects.count() > 300 and OrderLine.objects.count() >= Order.objects.count()
    assert Interaction.objects.exists() and Task.objects.exists()
    assert {d.name for d in Department.objects.filter(parent__name="销售部")} == {"华东区", "华南区"}
    for username, password, _role in demo.logins:
        assert authenticate(username=username, password=password) is not None, username
    assert AuditLog.objects.filter(entity="demo_dataset").count() == 1


def test_rows_pass_full_clean(demo):
    for model in (Customer, Contact, Order, Interaction, Task):
        for row in model._base_manager.order_by("?")[:40]:
            row.full_clean()


def test_credit_codes_and_mobiles_valid(demo):
    codes = list(Customer.objects.exclude(credit_code="").values_list("credit_code", flat=True))
    assert codes and all(uscc.is_valid(c) for c in codes)
    assert not Customer.objects.filter(kind="individual").exclude(credit_code="").exists()
    assert not Customer.objects.filter(kind="individual", birthday__isnull=True).exists()
    for mobile, last4 in Contact.objects.values_list("mobile", "mobile_last4"):
        assert E164_CN.match(mobile), mobile
        assert phonenumbers.is_valid_number(phonenumbers.parse(mobile))
        assert last4 == mobile[-4:]


def test_derived_fields_match_the_services(demo):
    for c in Customer.objects.select_related("owner__employee")[:100]:
        full, initials = pinyin_keys(c.name)
        assert c.search_pinyin.split("|")[0] == full and c.search_initials.split("|")[0] == initials
        if c.owner_id:
            assert c.department_id == c.owner.employee.department_id
        else:
            assert c.department_id is None
        last = c.interactions.aggregate(m=Max("occurred_at"))["m"]
        assert c.last_interaction_at == last
        if c.lifecycle == "churned":
            assert c.churn_reason


def test_realistic_shape(demo):
    assert Customer.objects.filter(owner__isnull=True).exists()  # public pool
    assert Customer.objects.filter(name__endswith="有限责任公司").exists()  # near-duplicates
    assert Contact.objects.filter(phone__contains=" ").exists()  # mobiles typed with spaces
    statuses = set(Order.objects.values_list("status", flat=True))
    assert {"paid", "refunded"} <= statuses
    assert Order.objects.filter(status="paid").count() > Order.objects.count() * 0.8
    assert len(set(Interaction.objects.values_list("channel", flat=True))) >= 5
    counts = task_counts(user=Customer.objects.exclude(owner=None).first().owner)
    assert counts["overdue"] > 0 and counts["today"] > 0


def test_idempotent(demo):
    before = (Customer.objects.count(), Order.objects.count())
    again = load_demo(customers=300)
    assert again.skipped and "already" in again.message
    assert (Customer.objects.count(), Order.objects.count()) == before


def test_refuses_database_with_real_customers(customers):
    result = load_demo(customers=10)
    assert result.skipped
    assert Customer.objects.count() == 4


def test_command_prints_logins(db):
    out = StringIO()
    call_command("load_demo", customers=20, stdout=out)
    text = out.getvalue()
    assert "admin" in text and DEMO_PASSWORD in text and "Sales rep" in text
    out = StringIO()
    call_command("load_demo", customers=20, stdout=out)
    assert "already loaded" in out.getvalue()


def test_check_digits():
    import random

    rng = random.Random(3)
    for _ in range(500):
        assert uscc.is_valid(credit_code(rng, "310000"))
        code = organization_code(rng)
        assert len(code) == 9
