"""Shared fixtures: a small company with two sales departments and one person per role."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from guanxi.customers.models import Customer
from guanxi.customers.services.customers import customer_create
from guanxi.governance.models import Department, Role
from guanxi.governance.services import employee_create

DEFAULT_DATA_MIGRATIONS = ["guanxi.sales.migrations.0002_default_rules", "guanxi.governance.migrations.0003_default_role_policies"]


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request in Chinese leaves its language active in the thread."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def seed_migration_defaults() -> None:
    """Put back the rows the data migrations seed (default pipeline, rules, pools, role policies).

    Transactional tests flush the database after each test, so the next transactional test starts
    without them; each seed function is idempotent."""
    for module in DEFAULT_DATA_MIGRATIONS:
        importlib.import_module(module).seed(apps, None)


@pytest.fixture
def org(db):
    """Departments: Sales > East (> Shanghai), Sales > West; Service."""
    sales = Department.objects.create(name="Sales")
    east = Department.objects.create(name="East", parent=sales)
    shanghai = Department.objects.create(name="Shanghai", parent=east)
    west = Department.objects.create(name="West", parent=sales)
    service = Department.objects.create(name="Service")

    def person(username: str, role: str, dept: Department | None) -> object:
        return employee_create(actor=None, username=username, password="pw-Guanxi-2024", role=role,
                               department=dept, first_name=username).user

    class Org:
        pass

    o = Org()
    o.sales, o.east, o.shanghai, o.west, o.service = sales, east, shanghai, west, service
    o.admin = person("admin", Role.ADMIN, sales)
    o.manager = person("manager", Role.SALES_MANAGER, east)
    o.rep = person("rep", Role.SALES_REP, east)
    o.rep_sh = person("rep_sh", Role.SALES_REP, shanghai)
    o.rep_west = person("rep_west", Role.SALES_REP, west)
    o.service_manager = person("svc_manager", Role.SERVICE_MANAGER, service)
    o.agent = person("agent", Role.SERVICE_AGENT, service)
    o.marketing = person("marketing", Role.MARKETING, None)
    o.analyst = person("analyst", Role.ANALYST, None)
    return o


@pytest.fixture
def customers(org):
    """One customer owned by each rep, and one in the public pool."""

    class C:
        pass

    c = C()
    c.own = customer_create(actor=org.rep, data={"name": "张三贸易有限公司"})
    c.same_dept = customer_create(actor=org.rep_sh, data={"name": "上海李四科技"})
    c.other_dept = customer_create(actor=org.rep_west, data={"name": "成都王五餐饮"})
    c.pool = customer_create(actor=org.admin, data={"name": "公海客户"}, owner=None)
    assert Customer.objects.count() == 4
    return c
