"""REST endpoints of the knowledge base: search and list, one article with its versions, create, edit (a new
version), submit, approve or reject a version, archive, restore, count a use, the approval queue, and the
suggestions for a ticket. Errors map as everywhere in the API (guanxi/api/errors.py)."""

# No `from __future__ import annotations`: ninja reads these signatures through `@paginate`'s wrapper.
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.conf import settings as ninja_settings
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from guanxi.api.params import filter_query_schema, query_error, rows_by_id
from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Product
from guanxi.governance import permissions

from .forms_knowledge import KnowledgeFilter
from .knowledge_diff import version_diff
from .models import Article
from .selectors import knowledge as sel
from .selectors import tickets as ticket_sel
from .services import knowledge as svc

router = Router(tags=["knowledge"])
KnowledgeListQuery = filter_query_schema(KnowledgeFilter, "KnowledgeListQuery")
MAX_SEARCH = 100


class ApiRequest(HttpRequest):
    auth: Any


class In(Schema):
    model_config = ConfigDict(extra="forbid")


class ArticleOut(Schema):
    id: int
    title: str
    answer: str
    category: str
    tags: str
    product: int | None = Field(None, alias="product_id")
    status: str
    current_version: int
    approved_by: int | None = Field(None, alias="approved_by_id")
    approved_at: datetime | None
    created_by: int | None = Field(None, alias="created_by_id")
    use_count: int
    created_at: datetime
    updated_at: datetime
    version: int


class ArticleHitOut(ArticleOut):
    score: int | None = Field(None, description="Search rank: per term 5 in the title, 3 in tags or category, 1 "
                                                "elsewhere (+4 for the ticket's product in suggestions).")
    snippet_html: str = Field("", description="Part of the answer around the first match, HTML-escaped, the "
                                              "terms in <mark>.")


class ArticlePageOut(Schema):
    items: list[ArticleHitOut]
    next_cursor: str | None = None


class VersionOut(Schema):
    id: int
    article: int = Field(alias="article_id")
    number: int
    title: str
    answer: str
    category: str
    tags: str
    change_note: str
    status: str
    edited_by: int | None = Field(None, alias="edited_by_id")
    created_at: datetime
    reviewed_by: int | None = Field(None, alias="reviewed_by_id")
    reviewed_at: datetime | None
    review_note: str


class ArticleDetailOut(ArticleOut):
    versions: list[VersionOut] = Field(default_factory=list, alias="version_list")


class DiffSegment(Schema):
    op: str = Field(description="equal, delete or insert")
    text: str


class FieldDiff(Schema):
    name: str
    changed: bool
    segments: list[DiffSegment]


class VersionDiffOut(VersionOut):
    compared_with: int | None = Field(None, description="The version number compared against (null: none).")
    diff: list[FieldDiff]


class ArticleIn(In):
    title: str
    answer: str
    category: str = ""
    tags: str = Field("", description="Separated by commas.")
    product: int | None = None
    change_note: str = ""
    submit: bool = Field(False, description="Send to the approvers at once (else a draft).")


class ArticleEditIn(ArticleIn):
    submit: bool = Field(True, description="For an article never approved: false keeps it a draft.")
    version: int | None = Field(None, description="The article version you read; 409 if it changed since.")


class ReviewIn(In):
    note: str = Field("", description="Required to reject.")


class ArchiveIn(In):
    version: int | None = None


class UseOut(Schema):
    use_count: int


def _data(payload: In) -> dict[str, Any]:
    return rows_by_id(payload.model_dump(exclude={"submit", "version"}), {"product": Product.objects.all()})


def _detail(request: ApiRequest, pk: int) -> Article:
    article = sel.article_get(user=request.auth, pk=pk)
    article.version_list = list(sel.article_versions(user=request.auth, article=article))  # type: ignore[attr-defined]
    return article


def _filters(request: ApiRequest, filters: Any) -> KnowledgeFilter:
    allowed = {"limit", "cursor", *type(filters).model_fields}
    unknown = sorted(set(request.GET) - allowed)
    if unknown:
        raise query_error({name: [_("Unknown query parameter.")] for name in unknown})
    form = KnowledgeFilter(filters.model_dump(exclude_none=True))
    if not form.is_valid():
        raise query_error({name: [str(m) for m in messages] for name, messages in form.errors.items()})
    return form


@router.get("/knowledge/articles", response=ArticlePageOut,
            summary="Search (with q: the best `limit` matches, ranked) or list (cursor pages) the articles")
def article_list(request: ApiRequest, filters: Query[KnowledgeListQuery],  # type: ignore[valid-type]
                 limit: int = Query(20, ge=1, le=200), cursor: str | None = None) -> Any:
    form = _filters(request, filters)
    criteria = form.criteria(request.auth)
    q = form.cleaned_data.get("q") or ""
    if q.strip():
        if cursor:
            raise query_error({"cursor": [_("Search results come in one page; raise limit instead.")]})
        return {"items": sel.article_search(user=request.auth, q=q, limit=min(limit, MAX_SEARCH), **criteria)}
    paginator = import_string(ninja_settings.PAGINATION_CLASS)()
    page = paginator.Input(limit=limit, cursor=cursor)
    return paginator.paginate_queryset(sel.article_list(user=request.auth, **criteria), page, request, filters=filters)


@router.post("/knowledge/articles", response={201: ArticleDetailOut}, summary="Write an article (version 1)")
def article_create(request: ApiRequest, payload: ArticleIn) -> Any:
    article = svc.article_create(actor=request.auth, data=_data(payload), submit=payload.submit)
    return Status(201, _detail(request, article.pk))


@router.get("/knowledge/articles/{int:article_id}", response=ArticleDetailOut, summary="One article with its versions")
def article_detail(request: ApiRequest, article_id: int) -> Any:
    return _detail(request, article_id)


@router.post("/knowledge/articles/{int:article_id}/versions", response={201: ArticleDetailOut},
             summary="Propose new text: a pending version (the approved text stays live). 409 on a stale version")
def article_edit(request: ApiRequest, article_id: int, payload: ArticleEditIn) -> Any:
    article = sel.article_get(user=request.auth, pk=article_id, for_change=True)
    svc.article_edit(actor=request.auth, article=article, data=_data(payload), version=payload.version,
                     submit=payload.submit)
    return Status(201, _detail(request, article_id))


@router.post("/knowledge/articles/{int:article_id}/submit", response=ArticleDetailOut,
             summary="Send a draft for approval")
def article_submit(request: ApiRequest, article_id: int) -> Any:
    article = sel.article_get(user=request.auth, pk=article_id, for_change=True)
    svc.article_submit(actor=request.auth, article=article)
    return _detail(request, article_id)


@router.post("/knowledge/articles/{int:article_id}/archive", response=ArticleDetailOut, summary="Archive an article")
def article_archive(request: ApiRequest, article_id: int, payload: ArchiveIn) -> Any:
    article = sel.article_get(user=request.auth, pk=article_id, for_change=True)
    svc.article_archive(actor=request.auth, article=article, version=payload.version)
    return _detail(request, article_id)


@router.post("/knowledge/articles/{int:article_id}/restore", response=ArticleDetailOut,
             summary="Restore an archived article")
def article_restore(request: ApiRequest, article_id: int) -> Any:
    article = sel.article_get(user=request.auth, pk=article_id, for_change=True)
    svc.article_restore(actor=request.auth, article=article)
    return _detail(request, article_id)


@router.post("/knowledge/articles/{int:article_id}/use", response=UseOut,
             summary="Count one use of the answer (inserted into a reply)")
def article_use(request: ApiRequest, article_id: int) -> Any:
    article = sel.article_get(user=request.auth, pk=article_id, for_change=True)
    return {"use_count": svc.article_used(article, actor=request.auth)}


@router.get("/knowledge/versions/{int:version_id}", response=VersionDiffOut,
            summary="One version and its changes against the version before it (or `against`)")
def version_detail(request: ApiRequest, version_id: int, against: int | None = None) -> Any:
    version = sel.version_get(user=request.auth, pk=version_id)
    older = None
    if against is not None:
        older = sel.article_versions(user=request.auth, article=version.article).filter(number=against).first()
        if older is None:
            raise NinjaValidationError([{"loc": ("query", "against"), "msg": _("There is no such version."),
                                         "type": "value_error"}])
    older = older or sel.article_versions(user=request.auth, article=version.article).filter(
        number__lt=version.number).first()
    version.compared_with = older.number if older else None  # type: ignore[attr-defined]
    version.diff = [{"name": row["name"], "changed": row["changed"],  # type: ignore[attr-defined]
                     "segments": [{"op": op, "text": text} for op, text in row["segments"]]}
                    for row in version_diff(older, version)]
    return version


@router.post("/knowledge/versions/{int:version_id}/approve", response=ArticleDetailOut,
             summary="Approve a pending version: it becomes the article's agreed answer")
def version_approve(request: ApiRequest, version_id: int, payload: ReviewIn) -> Any:
    version = sel.version_get(user=request.auth, pk=version_id)
    svc.version_approve(actor=request.auth, version=version, note=payload.note)
    return _detail(request, version.article_id)


@router.post("/knowledge/versions/{int:version_id}/reject", response=VersionOut,
             summary="Reject a pending version (with a note)")
def version_reject(request: ApiRequest, version_id: int, payload: ReviewIn) -> Any:
    version = sel.version_get(user=request.auth, pk=version_id)
    return svc.version_reject(actor=request.auth, version=version, note=payload.note)


@router.get("/knowledge/queue", response=list[VersionOut], summary="Versions waiting for your approval")
@paginate
def approval_queue(request: ApiRequest) -> Any:
    if not permissions.can(request.auth, permissions.APPROVE_ARTICLES):
        raise PermissionDeniedError()
    return sel.pending_versions(user=request.auth)


@router.get("/knowledge/categories", response=list[str], summary="Categories in use, most used first")
def category_list(request: ApiRequest) -> Any:
    return sel.categories(user=request.auth)


@router.get("/tickets/{int:ticket_id}/suggested-articles", response=list[ArticleHitOut],
            summary="Approved articles that answer the ticket, best first")
def suggested_articles(request: ApiRequest, ticket_id: int, limit: int = Query(5, ge=1, le=20)) -> Any:
    ticket = ticket_sel.ticket_get(user=request.auth, pk=ticket_id)
    return sel.article_suggest(user=request.auth, ticket=ticket, limit=limit)
