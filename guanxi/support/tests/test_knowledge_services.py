"""Knowledge-base writes: versions and approval, who may do what, bad input, audit rows."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.governance.models import AuditLog
from guanxi.support.models import Article, ArticleVersion
from guanxi.support.selectors import knowledge as sel
from guanxi.support.services import knowledge as svc

from .knowledge_fixtures import approved

pytestmark = pytest.mark.django_db
VS = ArticleVersion.Status


def test_create_draft_and_submit(org):
    article = svc.article_create(actor=org.agent, data={"title": " 如何开发票？ ", "answer": "在订单详情页申请。",
                                                          "tags": "发票，invoice、发票", "change_note": "first"})
    assert article.status == Article.Status.DRAFT and article.current_version == 0
    assert article.title == "如何开发票？" and article.tags == "发票, invoice"
    version = article.versions.get()
    assert (version.number, version.status, version.edited_by, version.change_note) == (1, VS.PENDING, org.agent, "first")
    assert "rupiao" not in article.search_text and "ruhekaifapiao" in article.search_text
    assert not sel.pending_versions(user=org.service_manager).exists()  # a draft is not in the queue yet
    with pytest.raises(ValidationError) as err:
        svc.version_approve(actor=org.service_manager, version=version)
    assert "submitted" in str(err.value.message_dict["version"])
    svc.article_submit(actor=org.agent, article=article)
    assert Article.objects.get(pk=article.pk).status == Article.Status.PENDING
    assert list(sel.pending_versions(user=org.service_manager)) == [version]
    with pytest.raises(ValidationError):
        svc.article_submit(actor=org.agent, article=article)
    assert AuditLog.objects.filter(entity="article", object_id=str(article.pk)).count() == 2
    assert AuditLog.objects.filter(entity="articleversion", object_id=str(version.pk)).count() == 1


def test_approve_copies_version_and_edit_keeps_approved_text_live(org):
    article = svc.article_create(actor=org.agent, data={"title": "退货运费谁付", "answer": "质量问题我们付。",
                                                          "category": "售后"}, submit=True)
    article = svc.version_approve(actor=org.service_manager, version=article.versions.get(), note="ok")
    assert article.status == Article.Status.APPROVED and article.current_version == 1
    assert article.approved_by == org.service_manager and article.approved_at is not None
    assert article.versions.get().reviewed_by == org.service_manager
    v2 = svc.article_edit(actor=org.agent, article=article, data={"title": "退货运费谁付", "answer": "质量问题由我们承担运费。",
                                                                  "category": "售后", "change_note": "wording"},
                          version=article.version)
    article.refresh_from_db()
    assert v2.number == 2 and v2.status == VS.PENDING
    assert article.answer == "质量问题我们付。" and article.status == Article.Status.APPROVED  # still the approved text
    assert "承担" not in article.search_text
    # A second edit supersedes the first pending one.
    v3 = svc.article_edit(actor=org.agent, article=article, data={"title": "退货运费谁付", "answer": "质量问题由商家承担运费。",
                                                                  "category": "售后"})
    v2.refresh_from_db()
    assert v2.status == VS.SUPERSEDED and v3.number == 3
    with pytest.raises(ValidationError) as err:
        svc.version_approve(actor=org.service_manager, version=v2)
    assert "version" in err.value.message_dict and "2" in err.value.message_dict["version"][0]
    article = svc.version_approve(actor=org.service_manager, version=v3)
    assert article.answer == "质量问题由商家承担运费。" and article.current_version == 3 and "商家" in article.search_text
    assert [v.status for v in article.versions.order_by("number")] == [VS.APPROVED, VS.SUPERSEDED, VS.APPROVED]


def test_stale_version_conflict_and_nothing_changed(org):
    article = approved(org, title="Opening hours", answer="9 to 6.")
    with pytest.raises(ConflictError):
        svc.article_edit(actor=org.agent, article=article, data={"title": "Opening hours", "answer": "9 to 5."}, version=1)
    with pytest.raises(ValidationError) as err:
        svc.article_edit(actor=org.agent, article=article, data={"title": "Opening hours", "answer": "9 to 6."})
    assert "answer" in err.value.message_dict
    assert article.versions.count() == 1


def test_reject_needs_a_note_and_returns_new_article_to_draft(org):
    article = svc.article_create(actor=org.rep, data={"title": "Q", "answer": "A"}, submit=True)
    version = article.versions.get()
    with pytest.raises(ValidationError) as err:
        svc.version_reject(actor=org.service_manager, version=version, note=" ")
    assert "note" in err.value.message_dict
    svc.version_reject(actor=org.service_manager, version=version, note="Too short")
    version.refresh_from_db()
    article.refresh_from_db()
    assert version.status == VS.REJECTED and version.review_note == "Too short"
    assert article.status == Article.Status.DRAFT
    with pytest.raises(ValidationError):
        svc.version_reject(actor=org.service_manager, version=version, note="again")


def test_reject_edit_of_approved_article_keeps_it_approved(org):
    article = approved(org, title="Q1", answer="A1")
    v2 = svc.article_edit(actor=org.agent, article=article, data={"title": "Q1", "answer": "A2"})
    svc.version_reject(actor=org.admin, version=v2, note="no")
    article.refresh_from_db()
    assert article.status == Article.Status.APPROVED and article.answer == "A1"


@pytest.mark.parametrize("role", ["agent", "rep", "marketing", "analyst"])
def test_only_approvers_approve(org, role):
    article = svc.article_create(actor=org.agent, data={"title": "Q", "answer": "A"}, submit=True)
    with pytest.raises(PermissionDeniedError):
        svc.version_approve(actor=getattr(org, role), version=article.versions.get())
    with pytest.raises(PermissionDeniedError):
        svc.article_archive(actor=getattr(org, role), article=article)
    assert Article.objects.get(pk=article.pk).status == Article.Status.PENDING


@pytest.mark.parametrize("role", ["marketing", "analyst"])
def test_readers_cannot_write(org, role):
    with pytest.raises(PermissionDeniedError):
        svc.article_create(actor=getattr(org, role), data={"title": "Q", "answer": "A"})
    article = approved(org, title="Q", answer="A")
    with pytest.raises(PermissionDeniedError):
        svc.article_edit(actor=getattr(org, role), article=article, data={"title": "Q", "answer": "B"})
    with pytest.raises(PermissionDeniedError):
        svc.article_used(article, actor=getattr(org, role))


def test_bad_input_changes_nothing(org):
    with pytest.raises(ValidationError) as err:
        svc.article_create(actor=org.agent, data={"title": "  ", "answer": ""})
    assert set(err.value.message_dict) == {"title", "answer"}
    with pytest.raises(ValidationError) as err:
        svc.article_create(actor=org.agent, data={"title": "x" * 201, "answer": "A"})
    assert "title" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        svc.article_create(actor=org.agent, data={"title": "Q", "answer": "A", "status": "approved"})
    assert "status" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        svc.article_create(actor=org.agent, data={"title": "Q", "answer": "A", "change_note": "n" * 501})
    assert "change_note" in err.value.message_dict
    assert not Article.objects.exists() and not ArticleVersion.objects.exists()
    assert not AuditLog.objects.filter(entity__in=["article", "articleversion"]).exists()


def test_archive_restore_and_use_count(org):
    article = approved(org, title="Q", answer="A")
    assert svc.article_used(article, actor=org.agent) == 1
    assert svc.article_used(article) == 2
    assert Article.objects.get(pk=article.pk).use_count == 2
    assert AuditLog.objects.filter(entity="article", object_id=str(article.pk), changes__use_count=[1, 2]).exists()
    svc.article_archive(actor=org.service_manager, article=article)
    assert Article.objects.get(pk=article.pk).status == Article.Status.ARCHIVED
    with pytest.raises(ValidationError):
        svc.article_used(article, actor=org.agent)  # archived answers are not inserted
    with pytest.raises(ValidationError):
        svc.article_archive(actor=org.service_manager, article=article)
    svc.article_restore(actor=org.service_manager, article=article)
    assert Article.objects.get(pk=article.pk).status == Article.Status.APPROVED
    draft = svc.article_create(actor=org.agent, data={"title": "D", "answer": "d"})
    svc.article_archive(actor=org.admin, article=draft)
    assert svc.article_restore(actor=org.admin, article=draft).status == Article.Status.DRAFT
