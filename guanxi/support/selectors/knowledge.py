"""Reads of the knowledge base: lists, search, suggestions for a ticket, articles and their versions.

Everything starts from `Article.objects.visible_to(user)`: readers (VIEW) see approved articles, writers
(CHANGE) also drafts, pending and archived ones.

Search (`article_search`): the query splits into terms (knowledge_search.query_terms); articles containing
all terms come first, then (if fewer than `limit`) those containing any; ranked by where the terms are
(title > tags > answer), then use_count. The queries are in knowledge_rank.py.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.customers.models import Product
from guanxi.governance import permissions

from ..knowledge_search import query_terms
from ..models import Article, ArticleVersion, Ticket, TicketMessage
from .knowledge_rank import ranked

APPROVED = Article.Status.APPROVED
SUGGEST_TERMS = 8


def article_list(*, user: Any, category: str | None = None, product: Any = None,
                 status: str | None = APPROVED) -> QuerySet[Article]:
    """Articles the user sees (of `status`; None: any), newest change first."""
    qs: QuerySet[Article] = Article.objects.visible_to(user).select_related("product").defer("search_text")
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    if product:
        qs = qs.filter(product=product)
    return qs.order_by("-updated_at", "-id")


def article_search(*, user: Any, q: str, category: str | None = None, product: Any = None,
                   status: str | None = APPROVED, limit: int = 20) -> list[Article]:
    """The best `limit` articles for the query `q`, each with `score`, `title_html` and `snippet_html`
    (escaped, terms in <mark>). `status=None`: every status the user sees. An empty query finds nothing.

    Cheap enough to call per keystroke: one or two queries, a few ms at 10,000 articles.
    """
    terms = query_terms(q)
    if not terms or limit <= 0:
        return []
    base = article_list(user=user, category=category, product=product, status=status)
    return ranked(base, terms, limit=limit)


def ticket_text(ticket: Ticket, *, messages: int = 2) -> str:
    """The ticket's subject and its latest customer messages: what suggestions are found by."""
    bodies = (TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.CUSTOMER)
              .order_by("-created_at", "-id").values_list("body", flat=True)[:messages])
    return "\n".join([ticket.subject, *[b[:2000] for b in bodies]])


def article_suggest(*, user: Any, ticket: Ticket, limit: int = 5) -> list[Article]:
    """Approved articles for the ticket's subject and latest customer message(s); its product's first."""
    subject_terms = query_terms(ticket.subject)
    terms = list(dict.fromkeys(subject_terms + query_terms(ticket_text(ticket))))[:SUGGEST_TERMS]
    if not terms:
        return []
    base = article_list(user=user, status=APPROVED)
    return ranked(base, terms, limit=limit, product_id=ticket.product_id)


def article_get(*, user: Any, pk: Any, for_change: bool = False) -> Article:
    """Not visible -> NotFoundError; visible but the user may not write articles -> PermissionDeniedError."""
    try:
        article = Article.objects.visible_to(user).select_related(
            "product", "approved_by", "created_by").get(pk=pk)
    except (Article.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    if for_change and not permissions.can(user, permissions.CHANGE):
        raise PermissionDeniedError()
    return article


def article_versions(*, user: Any, article: Article) -> QuerySet[ArticleVersion]:
    """The article's versions, newest first; readers only see the approved ones."""
    qs = article.versions.select_related("edited_by", "reviewed_by").order_by("-number")
    if not permissions.can(user, permissions.CHANGE):
        qs = qs.filter(status=ArticleVersion.Status.APPROVED)
    return qs


def version_get(*, user: Any, pk: Any) -> ArticleVersion:
    try:
        version = ArticleVersion.objects.select_related("article", "edited_by", "reviewed_by").get(
            pk=pk, article__in=Article.objects.visible_to(user))
    except (ArticleVersion.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    if version.status != ArticleVersion.Status.APPROVED and not permissions.can(user, permissions.CHANGE):
        raise NotFoundError()
    return version


def previous_version(version: ArticleVersion) -> ArticleVersion | None:
    return (ArticleVersion.objects.filter(article_id=version.article_id, number__lt=version.number)
            .order_by("-number").first())


def pending_versions(*, user: Any) -> QuerySet[ArticleVersion]:
    """The approval queue: pending versions of submitted articles (not drafts), oldest first."""
    if not permissions.can(user, permissions.APPROVE_ARTICLES):
        return ArticleVersion.objects.none()
    return (ArticleVersion.objects.filter(status=ArticleVersion.Status.PENDING,
                                          article__in=Article.objects.visible_to(user))
            .exclude(article__status=Article.Status.DRAFT)
            .select_related("article", "edited_by").order_by("created_at", "id"))


def article_products(*, user: Any) -> list[Product]:
    """Products that have articles (for the list's filter)."""
    return list(Product.objects.filter(pk__in=Article.objects.visible_to(user).values("product_id"))
                .order_by("name")[:300])


def categories(*, user: Any) -> list[str]:
    """Categories in use, most used first (for filters and the form's suggestions)."""
    rows = (Article.objects.visible_to(user).exclude(category="").values("category")
            .annotate(n=Count("id")).order_by("-n", "category")[:200])
    return [row["category"] for row in rows]
