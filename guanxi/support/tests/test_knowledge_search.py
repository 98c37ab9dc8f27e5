"""Knowledge-base search: Chinese, English and pinyin, ranking, visibility, the index on each database."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

from guanxi.support.knowledge_search import INDEX, build_search_text, highlight, query_terms
from guanxi.support.models import Article
from guanxi.support.selectors import knowledge as sel
from guanxi.support.selectors.knowledge_rank import match
from guanxi.support.services import knowledge as svc

from .knowledge_fixtures import approved, build

pytestmark = pytest.mark.django_db
SQLITE = connection.vendor == "sqlite"


@pytest.fixture
def kb(org):
    return build(org)


def titles(user, q, **kwargs):
    return [a.title for a in sel.article_search(user=user, q=q, **kwargs)]


def test_query_terms():
    assert query_terms("如何申请退款？") == ["何申", "申请", "请退", "退款"]  # 如何 is a function word
    assert query_terms("退款") == ["退款"]
    assert query_terms("Refund  SHIPPING, fee!") == ["refund", "shipping", "fee"]
    assert query_terms("How do I get a refund") == ["get", "refund"]
    assert query_terms("ＲＥＦＵＮＤ iPhone15退货") == ["refund", "iphone15", "退货"]
    assert query_terms("的") == ["的"]  # nothing but a function word: kept
    assert query_terms("   ") == []


def test_chinese_two_character_word(org, kb):
    found = titles(org.analyst, "退款")
    assert found[0] == kb.refund.title  # in the title
    assert set(found) == {kb.refund.title, kb.kettle_refund.title}  # the other has it in the answer


def test_chinese_phrase_and_long_term(org, kb):
    assert titles(org.agent, "申请退款")[0] == kb.refund.title
    assert titles(org.agent, "七天无理由") == [kb.kettle_refund.title]
    assert titles(org.agent, "忘记了密码")[0] == kb.password.title  # no exact phrase: any term, best first
    assert titles(org.agent, "漏") == [kb.kettle_refund.title]  # a single character scans


def test_english_case_insensitive_multiple_words(org, kb):
    assert titles(org.marketing, "SHIPPING Fee") == [kb.shipping.title]
    assert titles(org.marketing, "refund")[:2] == [kb.refund.title, kb.shipping.title]  # tag before answer
    assert titles(org.marketing, "Return faulty") == [kb.shipping.title]


def test_pinyin(org, kb):
    assert titles(org.agent, "tuikuan") == [kb.refund.title]
    assert titles(org.agent, "wangjimima") == [kb.password.title]
    assert titles(org.agent, "wjmm") == [kb.password.title]


def test_all_terms_first_then_any(org, kb):
    # Each title holds one term (a tie: the newer first), the third has one in its answer.
    assert titles(org.agent, "退款 密码") == [kb.password.title, kb.refund.title, kb.kettle_refund.title]
    both = approved(org, title="退款后密码失效", answer="重设密码即可。")
    assert titles(org.agent, "退款 密码")[0] == both.title


def test_title_match_ranks_first_then_use_count(org):
    body = approved(org, title="Order questions", answer="About 发票: ask us.")
    for _ in range(5):
        svc.article_used(body)
    head = approved(org, title="发票 for companies", answer="Yes.")
    tag = approved(org, title="Company paperwork", answer="Ask.", tags="发票")
    assert titles(org.agent, "发票") == [head.title, tag.title, body.title]
    twin = approved(org, title="发票 for people", answer="Yes.")
    svc.article_used(twin)
    assert titles(org.agent, "发票")[:2] == [twin.title, head.title]


def test_filters_and_limit(org, kb):
    assert titles(org.agent, "退款", category="售后") == [kb.refund.title, kb.kettle_refund.title]
    assert titles(org.agent, "退款", product=kb.kettle) == [kb.kettle_refund.title]
    assert len(sel.article_search(user=org.agent, q="退款", limit=1)) == 1
    assert sel.article_search(user=org.agent, q="  ，。") == []


def test_drafts_and_pending_only_for_writers(org, kb):
    draft = svc.article_create(actor=org.agent, data={"title": "草稿退款规则", "answer": "未定"})
    pending = svc.article_create(actor=org.agent, data={"title": "待批退款规则", "answer": "未定"}, submit=True)
    for reader in (org.analyst, org.marketing):
        assert draft.title not in titles(reader, "退款", status=None)
        assert pending.title not in titles(reader, "退款", status="pending")
        assert not sel.article_list(user=reader, status=None).filter(pk__in=[draft.pk, pending.pk]).exists()
    assert draft.title not in titles(org.agent, "退款")  # approved only by default
    assert {draft.title, pending.title} <= set(titles(org.agent, "退款", status=None))
    assert titles(org.agent, "退款", status="draft") == [draft.title]
    # An approved article's pending edit is not searched until approved; then it is.
    svc.article_edit(actor=org.agent, article=kb.password, data={"title": "忘记密码怎么办", "answer": "拨打人工客服重设。",
                                                                 "category": "账号"})
    assert titles(org.agent, "人工客服") == []
    svc.version_approve(actor=org.service_manager, version=kb.password.versions.get(number=2))
    assert titles(org.agent, "人工客服") == [kb.password.title]


def test_snippet_is_escaped_and_highlighted(org):
    approved(org, title="<b>退款</b>", answer="前言" * 60 + "<script>alert(1)</script> 退款 done")
    hit = sel.article_search(user=org.agent, q="退款")[0]
    assert "<script>" not in hit.snippet_html and "&lt;script&gt;" in hit.snippet_html
    assert "<mark>退款</mark>" in hit.snippet_html and hit.snippet_html.startswith("…")
    assert hit.title_html == "&lt;b&gt;<mark>退款</mark>&lt;/b&gt;"
    assert highlight("a&b", []) == "a&amp;b"


def test_search_text_layout():
    text = build_search_text(title="如何 退款", answer="Body\nmore", category="售后", tags="Refund", product="Kettle")
    assert text.split("\n")[:4] == ["如何 退款 ruhetuikuan rhtk", "refund | 售后", "kettle", "body"]


def test_index_narrows_on_each_database(org, kb):
    sql = str(Article.objects.filter(match(["退款", "shipping"], every=True)).query)
    if SQLITE:
        assert INDEX.fts in sql and "LIKE" not in sql
        assert "LIKE" in str(Article.objects.filter(match(["退款", "漏"], every=True)).query)
    else:
        assert "support_article_bigrams" in sql and "LIKE" in sql
        # Any-term with a single character is a scan: the pairs function must not be evaluated row by row.
        assert "support_article_bigrams" not in str(Article.objects.filter(match(["退款", "漏"], every=False)).query)
    assert titles(org.agent, "退款 shipping") == [kb.shipping.title, kb.refund.title, kb.kettle_refund.title]


def test_database_structures_exist(db):
    with connection.cursor() as cursor:
        if SQLITE:
            cursor.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'support_article' AND type = 'trigger'")
            assert {row[0] for row in cursor.fetchall()} >= set(INDEX.triggers())
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'support_article'")
            assert {"support_article_search_trgm", "support_article_bigram_gin"} <= {r[0] for r in cursor.fetchall()}
    migration = importlib.import_module("guanxi.support.migrations.0003_article_search")
    assert migration.INDEX == INDEX  # the frozen copy in the migration matches what the search reads


@pytest.mark.skipif(not SQLITE, reason="SQLite FTS5 triggers")
def test_sqlite_index_follows_writes_and_is_repaired(org, kb):
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {INDEX.fts}_au")
    assert INDEX.ensure(connection) is True
    assert INDEX.ensure(connection) is False
    assert titles(org.agent, "忘记密码") == [kb.password.title]  # refilled
    Article.objects.filter(pk=kb.password.pk).update(search_text="完全不同\n\n\n")  # raw writers are followed too
    assert titles(org.agent, "忘记密码") == []


@pytest.mark.skipif(SQLITE, reason="PostgreSQL planner settings")
def test_postgres_settings_restored_after_search(org, kb):
    assert titles(org.agent, "退款")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan'), current_setting('jit')")
        assert cursor.fetchone()[0] == "on"


def test_query_count(org, kb, django_assert_max_num_queries):
    sel.article_search(user=org.agent, q="x")  # the user's role is cached after the first call
    with django_assert_max_num_queries(3 if SQLITE else 7):
        sel.article_search(user=org.agent, q="退款 密码")
