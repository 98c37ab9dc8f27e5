"""Customer search: index-backed (SQLite FTS5 trigram / PostgreSQL pg_trgm), same results as plain LIKE."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q

from guanxi.core.text import digits_only
from guanxi.customers.demo import load_demo
from guanxi.customers.filters import customer_search_q
from guanxi.customers.models import Contact, Customer
from guanxi.customers.search import FTS_TABLE, ensure_sqlite_search_index
from guanxi.customers.selectors.customers import capped_count
from guanxi.customers.services.customers import _apply_search_keys
from guanxi.customers.services.maintenance import database_optimize

SQLITE = connection.vendor == "sqlite"
CREDIT_CODE = "91350100M000100Y43"


def old_customer_search_q(text: str) -> Q:
    """The search before the indexes (commit 3d61853): plain substring predicates, the reference."""
    text = text.strip()
    if not text:
        return Q()
    digits = digits_only(text)
    if digits and len(digits) >= 4 and len(digits) >= len(text.replace(" ", "").replace("-", "").lstrip("+")):
        phones = Contact.objects.filter(mobile_last4=digits[-4:], deleted_at__isnull=True)
        if len(digits) > 4:
            phones = phones.filter(mobile__endswith=digits[-11:])
        return Q(pk__in=phones.values("customer_id")) | Q(name__contains=text)
    q = Q(name__icontains=text) | Q(short_name__icontains=text)
    key = text.lower().replace(" ", "")
    if key.isascii() and key.isalnum():
        q |= Q(search_pinyin__contains=key) | Q(search_initials__contains=key)
    if len(text) == 18:
        q |= Q(credit_code=text.upper())
    return q


def make(name: str, short_name: str = "", **extra) -> Customer:
    customer = Customer(name=name, short_name=short_name, **extra)
    _apply_search_keys(customer)
    customer.save()
    return customer


def contact(customer: Customer, mobile: str) -> Contact:
    return Contact.objects.create(customer=customer, name="联系人", mobile=mobile, mobile_last4=mobile[-4:])


@pytest.fixture
def data(db):
    c = {
        "xingchen": make("北京星辰科技有限公司", "星辰"),
        "xingchen_sh": make("上海星辰贸易有限公司"),
        "acme": make("Acme Trading Co., Ltd", "ACME"),
        "fullwidth": make("ａｃｍｅ全角商行"),
        "umlaut": make("Äpfel GmbH"),
        "digits": make("3721网络科技"),
        "short": make("张三"),
        "one": make("王"),
        "quote": make('He said "hi" 有限公司'),
        "percent": make("100%满意服务_中心"),
        "code": make("福州信用科技", credit_code=CREDIT_CODE),
        "mixed": make("深圳ABC电子", "abc电子"),
    }
    contact(c["acme"], "+8613800138000")
    contact(c["short"], "+8613912348000")
    contact(c["digits"], "+8618612345678")
    return c


TERMS = [
    # Chinese substrings of 1, 2, 3+ characters, short names
    "星", "王", "星辰", "张三", "科技", "辰科", "星辰科", "北京星辰科技", "辰贸易", "有限公司", "全角商行", "司",
    # mixed case ASCII names, full width, non-ASCII case
    "acme", "ACME", "AcMe", "cme", "Trading co", "ａｃｍｅ", "ｃｍｅ", "ＡＣＭＥ", "äpfel", "ÄPFEL", "pfel", "GmbH",
    "abc", "ABC电子", "c电", "ab",
    # pinyin full / partial / middle, initials
    "xingchen", "XingChen", "xing chen", "xingc", "ngchenke", "chen", "beijingxingchenkejiyouxiangongsi",
    "bjxc", "xc", "jxckj", "bjxckjyxgs", "zhangsan", "zs", "wang", "w",
    # phone: last 4, full mobile with and without +86 / spaces / dashes, name digits
    "8000", "13800138000", "+86 138 0013 8000", "+8613800138000", "138-0013-8000", "0013 8000", "12345678",
    "5678", "3721", "372", "0000", "13800138001",
    # credit code, quotes and LIKE wildcards
    CREDIT_CODE, CREDIT_CODE.lower(), '"hi"', 'd "h', '"', "100%", "%", "_", "务_中", "i\" 有",
    # nothing
    "不存在的公司", "zzzz",
]


def ids(q: Q) -> set[int]:
    return set(Customer.objects.filter(q).values_list("pk", flat=True))


@pytest.mark.parametrize("term", TERMS)
def test_same_results_as_plain_substring_search(data, term):
    assert ids(customer_search_q(term)) == ids(old_customer_search_q(term))


def test_expected_matches(data):
    assert ids(customer_search_q("星辰科")) == {data["xingchen"].pk}
    assert ids(customer_search_q("星辰")) == {data["xingchen"].pk, data["xingchen_sh"].pk}
    assert ids(customer_search_q("aCmE")) >= {data["acme"].pk}
    assert ids(customer_search_q("jxckj")) == {data["xingchen"].pk}
    assert ids(customer_search_q("+86 138 0013 8000")) == {data["acme"].pk}
    assert ids(customer_search_q("8000")) == {data["acme"].pk, data["short"].pk}
    assert ids(customer_search_q(CREDIT_CODE.lower())) == {data["code"].pk}
    assert ids(customer_search_q('"hi"')) == {data["quote"].pk}


def test_capped_count_uses_the_same_predicate(data):
    qs = Customer.objects.filter(customer_search_q("有限公司"))
    assert capped_count(qs, cap=2) == (2, True)
    assert capped_count(qs, cap=10) == (3, False)
    sql = str(qs.order_by()[:11].query)
    assert FTS_TABLE in sql if SQLITE else "UPPER" in sql


def test_updates_and_deletes_are_reflected(data):
    customer = data["xingchen"]
    customer.name, customer.short_name = "杭州月光软件有限公司", ""
    _apply_search_keys(customer)
    customer.save()
    assert ids(customer_search_q("星辰科")) == set()
    assert ids(customer_search_q("月光软")) == {customer.pk}
    assert ids(customer_search_q("月光")) == {customer.pk}
    assert ids(customer_search_q("hzyg")) == {customer.pk}
    # A set-based UPDATE (no save()) and a short name.
    Customer.objects.filter(pk=customer.pk).update(short_name="Moonlight")
    assert ids(customer_search_q("moonl")) == {customer.pk}
    # A hard delete (and the cascade) leaves nothing behind.
    pk = customer.pk
    customer.delete()
    assert ids(customer_search_q("月光软")) == set()
    if SQLITE:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {FTS_TABLE} WHERE rowid = %s", [pk])  # noqa: S608
            assert cursor.fetchone()[0] == 0
            cursor.execute(f"SELECT count(*) FROM {FTS_TABLE}")  # noqa: S608
            assert cursor.fetchone()[0] == Customer.objects.count()


def test_bulk_writer_rows_are_searchable(db):
    """The demo / bench writer inserts with raw executemany / COPY: the triggers (SQLite) see it."""
    load_demo(customers=60, seed=3)
    for customer in Customer.objects.exclude(short_name="")[:5]:
        assert customer.pk in ids(customer_search_q(customer.name[1:4]))
        assert customer.pk in ids(customer_search_q(customer.search_pinyin[2:8]))
    if SQLITE:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {FTS_TABLE}")  # noqa: S608
            assert cursor.fetchone()[0] == Customer.objects.count()


@pytest.mark.skipif(not SQLITE, reason="SQLite FTS5 triggers")
def test_triggers_restored_after_a_table_rebuild(data):
    """Django rebuilds SQLite tables for many schema changes, dropping their triggers: post_migrate repairs."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {FTS_TABLE}_ai")
    late = make("迟到的客户公司")
    assert ids(customer_search_q("迟到的")) == set()
    assert ensure_sqlite_search_index(connection) is True
    assert ids(customer_search_q("迟到的")) == {late.pk}
    assert ensure_sqlite_search_index(connection) is False
    second = make("迟到的客户二号")
    assert ids(customer_search_q("迟到的客户")) == {second.pk, late.pk}


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if SQLITE:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: show that the index *can* serve it
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_index_serves_a_name_search(data):
    # The capped count's form (no ORDER BY); on a dozen rows PostgreSQL would rather walk the pkey.
    name_plan = _plan(Customer.objects.filter(customer_search_q("星辰科")).order_by()[:10001])
    pinyin_plan = _plan(Customer.objects.filter(customer_search_q("xingc")).order_by()[:10001])
    if SQLITE:
        # EXPLAIN QUERY PLAN names the virtual table ("SCAN customers_customer_fts VIRTUAL TABLE INDEX …")
        # and looks customers up by rowid instead of scanning the table.
        assert f"{FTS_TABLE} VIRTUAL TABLE" in name_plan
        assert "INTEGER PRIMARY KEY" in name_plan
        assert f"{FTS_TABLE} VIRTUAL TABLE" in pinyin_plan
        pair_plan = _plan(Customer.objects.filter(customer_search_q("星辰")))
        assert f"{FTS_TABLE} VIRTUAL TABLE" in pair_plan
    else:
        assert "customer_name_trgm" in name_plan
        assert "customer_short_name_trgm" in name_plan
        assert "customer_pinyin_trgm" in pinyin_plan
        assert "customer_initials_trgm" in pinyin_plan


def test_database_optimize(db):
    first = database_optimize()
    assert first["vendor"] == connection.vendor
    assert first["analyzed"] is True
    if SQLITE:
        assert database_optimize()["analyzed"] is False  # statistics present and fresh


@pytest.mark.skipif(not SQLITE, reason="the common-term probe is SQLite's (PostgreSQL's planner decides)")
def test_common_terms_scan_rare_terms_use_the_index(data, monkeypatch):
    from guanxi.customers import search

    monkeypatch.setattr(search, "PROBE_MIN_TABLE", 0)
    common, rare = customer_search_q("有限公司"), customer_search_q("星辰科")  # 3 and 1 of 12 customers
    assert FTS_TABLE not in str(Customer.objects.filter(common).query)
    assert FTS_TABLE in str(Customer.objects.filter(rare).query)
    assert ids(common) == ids(old_customer_search_q("有限公司"))
    assert ids(rare) == ids(old_customer_search_q("星辰科"))
