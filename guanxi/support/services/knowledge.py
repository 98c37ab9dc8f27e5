"""Writes of the knowledge base (统一口径): articles, their versions and the approval of each version.

Writers (CHANGE) create articles and propose edits; every text change is an ArticleVersion waiting for
approval, and the article keeps its approved text (what agents read and insert) until an approver
(APPROVE_ARTICLES) approves the version. An article never approved yet shows its latest draft text.
Only the newest proposal waits: a new edit supersedes older pending versions. Every write is audited.
The product is not versioned (ArticleVersion has no product field): a changed product applies at once.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from guanxi.customers.models import Product
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record, diff, snapshot

from ..knowledge_search import build_search_text
from ..models import Article, ArticleVersion

TEXT_FIELDS = ("title", "answer", "category", "tags")
INPUT_FIELDS = {*TEXT_FIELDS, "product", "change_note"}
Status = Article.Status
VStatus = ArticleVersion.Status
_TAG_SEPARATORS = re.compile(r"[,，、;；]+")


def _require(actor: Any, capability: str) -> None:
    if not permissions.can(actor, capability):
        raise PermissionDeniedError()


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _snap(instance: Any) -> dict[str, Any]:
    return {k: v for k, v in snapshot(instance).items() if k != "search_text"}


def _audit(actor: Any, instance: Any, before: dict[str, Any] | None = None) -> None:
    action = AuditLog.Action.CREATE if before is None else AuditLog.Action.UPDATE
    audit_record(actor=actor, action=action, instance=instance, changes=diff(before or {}, _snap(instance)))


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Strip the text, tidy the tags (comma-separated, no repeats), require a question and an answer."""
    unknown = sorted(set(data) - INPUT_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set here.")] for name in unknown})
    cleaned: dict[str, Any] = {name: str(data.get(name) or "").strip() for name in (*TEXT_FIELDS, "change_note")}
    tags = [t.strip() for t in _TAG_SEPARATORS.split(cleaned["tags"]) if t.strip()]
    cleaned["tags"] = ", ".join(dict.fromkeys(tags))
    product = data.get("product")
    if product is not None and not isinstance(product, Product):
        raise ValidationError({"product": [_("Choose a valid product.")]})
    cleaned["product"] = product
    errors = {}
    if not cleaned["title"]:
        errors["title"] = [_("Write the question this article answers.")]
    if not cleaned["answer"]:
        errors["answer"] = [_("Write the agreed answer.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _refresh_search_text(article: Article) -> None:
    article.search_text = build_search_text(
        title=article.title, answer=article.answer, category=article.category, tags=article.tags,
        product=article.product.name if article.product_id and article.product else "")


def _lock(article: Article) -> Article:
    locked = Article._base_manager.select_for_update(of=("self",)).select_related("product").filter(
        pk=article.pk, deleted_at__isnull=True).first()
    if locked is None:
        raise NotFoundError()
    return locked


def _save_article(actor: Any, article: Article, before: dict[str, Any]) -> Article:
    _refresh_search_text(article)
    article.full_clean()
    article.version += 1
    article.save()
    _audit(actor, article, before)
    return article


@transaction.atomic
def article_create(*, actor: Any, data: dict[str, Any], submit: bool = False) -> Article:
    """A new article (a draft, or waiting for approval with `submit`) and its version 1, pending.
    `data`: title, answer, category, tags, product (a Product or None), change_note."""
    _require(actor, permissions.CHANGE)
    cleaned = _clean(data)
    article = Article(**{name: cleaned[name] for name in TEXT_FIELDS}, product=cleaned["product"],
                      status=Status.PENDING if submit else Status.DRAFT, created_by=_user(actor))
    _refresh_search_text(article)
    version = ArticleVersion(article=article, number=1, status=VStatus.PENDING, edited_by=_user(actor),
                             change_note=cleaned["change_note"], **{name: cleaned[name] for name in TEXT_FIELDS})
    article.full_clean()
    version.full_clean(exclude=["article"])
    article.save()
    _audit(actor, article)
    version.article = article
    version.save()
    _audit(actor, version)
    return article


@transaction.atomic
def article_edit(*, actor: Any, article: Article, data: dict[str, Any], version: int | None = None,
                 submit: bool = True) -> ArticleVersion:
    """Propose new text: a new pending version; older pending versions become superseded. The approved
    text stays live until approval. An article never approved takes the new text at once and becomes a
    draft, or waits for approval with `submit`. ConflictError if the article changed since `version`."""
    _require(actor, permissions.CHANGE)
    locked = _lock(article)
    if version is not None and locked.version != version:
        raise ConflictError()
    cleaned = _clean(data)
    latest = locked.versions.order_by("-number").first()
    if latest is not None and cleaned["product"] == locked.product and all(
            cleaned[name] == getattr(latest, name) for name in TEXT_FIELDS):
        raise ValidationError({"answer": [_("Nothing changed: edit the question, answer, category or tags.")]})
    new = ArticleVersion(article=locked, number=(locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1,
                         status=VStatus.PENDING, edited_by=_user(actor), change_note=cleaned["change_note"],
                         **{name: cleaned[name] for name in TEXT_FIELDS})
    new.full_clean()
    for old in locked.versions.filter(status=VStatus.PENDING):
        before = _snap(old)
        old.status = VStatus.SUPERSEDED
        old.save(update_fields=["status"])
        _audit(actor, old, before)
    new.save()
    _audit(actor, new)
    before = _snap(locked)
    locked.product = cleaned["product"]
    if locked.current_version == 0:
        for name in TEXT_FIELDS:
            setattr(locked, name, cleaned[name])
        if locked.status in (Status.DRAFT, Status.PENDING):
            locked.status = Status.PENDING if submit else Status.DRAFT
    _save_article(actor, locked, before)
    return new


@transaction.atomic
def article_submit(*, actor: Any, article: Article) -> Article:
    """Send a draft to the approvers' queue."""
    _require(actor, permissions.CHANGE)
    locked = _lock(article)
    if locked.status != Status.DRAFT:
        raise ValidationError({"status": [_("Only a draft can be submitted for approval.")]})
    before = _snap(locked)
    locked.status = Status.PENDING
    return _save_article(actor, locked, before)


def _lock_pending(version: ArticleVersion) -> tuple[ArticleVersion, Article]:
    locked = ArticleVersion.objects.select_for_update().get(pk=version.pk)
    article = _lock(locked.article)
    if locked.status != VStatus.PENDING:
        raise ValidationError({"version": [
            _("Only a version waiting for approval can be reviewed; version %(number)s is “%(status)s”.")
            % {"number": locked.number, "status": locked.get_status_display()}]})
    if article.status == Status.DRAFT:
        raise ValidationError({"version": [_("This draft has not been submitted for approval yet.")]})
    return locked, article


@transaction.atomic
def version_approve(*, actor: Any, version: ArticleVersion, note: str = "", now: Any = None) -> Article:
    """Make a pending version the article's live text: copied onto the article, which becomes approved."""
    _require(actor, permissions.APPROVE_ARTICLES)
    locked, article = _lock_pending(version)
    now = now or timezone.now()
    before = _snap(locked)
    locked.status, locked.reviewed_by, locked.reviewed_at = VStatus.APPROVED, _user(actor), now
    locked.review_note = (note or "").strip()
    locked.full_clean()
    locked.save()
    _audit(actor, locked, before)
    before = _snap(article)
    for name in TEXT_FIELDS:
        setattr(article, name, getattr(locked, name))
    article.status, article.current_version = Status.APPROVED, locked.number
    article.approved_by, article.approved_at = _user(actor), now
    return _save_article(actor, article, before)


@transaction.atomic
def version_reject(*, actor: Any, version: ArticleVersion, note: str, now: Any = None) -> ArticleVersion:
    """Turn a pending version down, saying why. An article never approved goes back to draft."""
    _require(actor, permissions.APPROVE_ARTICLES)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say why the version is rejected, so the writer can fix it.")]})
    locked, article = _lock_pending(version)
    before = _snap(locked)
    locked.status, locked.reviewed_by, locked.reviewed_at = VStatus.REJECTED, _user(actor), now or timezone.now()
    locked.review_note = note
    locked.full_clean()
    locked.save()
    _audit(actor, locked, before)
    if article.current_version == 0 and article.status == Status.PENDING:
        before = _snap(article)
        article.status = Status.DRAFT
        _save_article(actor, article, before)
    return locked


@transaction.atomic
def article_archive(*, actor: Any, article: Article, version: int | None = None) -> Article:
    """Take an article out of use (agents no longer find it); it can be restored."""
    _require(actor, permissions.APPROVE_ARTICLES)
    locked = _lock(article)
    if version is not None and locked.version != version:
        raise ConflictError()
    if locked.status == Status.ARCHIVED:
        raise ValidationError({"status": [_("This article is already archived.")]})
    before = _snap(locked)
    locked.status = Status.ARCHIVED
    return _save_article(actor, locked, before)


@transaction.atomic
def article_restore(*, actor: Any, article: Article) -> Article:
    """Bring an archived article back: approved again if it ever was, else a draft."""
    _require(actor, permissions.APPROVE_ARTICLES)
    locked = _lock(article)
    if locked.status != Status.ARCHIVED:
        raise ValidationError({"status": [_("Only an archived article can be restored.")]})
    before = _snap(locked)
    locked.status = Status.APPROVED if locked.current_version else Status.DRAFT
    return _save_article(actor, locked, before)


@transaction.atomic
def article_used(article: Article, *, actor: Any = None) -> int:
    """Count one use of the article's answer (inserted into a reply); returns the new count."""
    if actor is not None:
        _require(actor, permissions.CHANGE)
    updated = Article.objects.filter(pk=article.pk, deleted_at__isnull=True, status=Status.APPROVED).update(
        use_count=F("use_count") + 1)
    if not updated:
        raise ValidationError({"article": [_("Only an approved article can be used in a reply.")]})
    count = Article.objects.values_list("use_count", flat=True).get(pk=article.pk)
    audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=article,
                 changes={"use_count": [count - 1, count]})
    article.use_count = count
    return count
