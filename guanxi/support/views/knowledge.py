"""Knowledge-base pages: search and list, the article with its versions and their diff, the create/edit form,
the approval queue, and the small POST actions (submit, approve, reject, archive, restore). Thin: the
selectors read, the services write."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.errors import ConflictError
from guanxi.governance import permissions
from guanxi.web.http import page_number, post_version, query_without, render_page, require, slice_page, web_view

from ..forms_knowledge import ArticleForm, KnowledgeFilter, ReviewForm
from ..knowledge_diff import version_diff
from ..models import Article, ArticleVersion
from ..selectors import knowledge as sel
from ..services import knowledge as svc

PER_PAGE = 25
SEARCH_LIMIT = 50
T = "support/knowledge/"


def _flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    for error in exc.messages:
        messages.error(request, error)


@web_view
def knowledge_list_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.VIEW)
    params = request.GET.copy()
    for key in [k for k, v in params.items() if v == ""]:
        params.pop(key)
    filters = KnowledgeFilter(params)
    page = page_number(request)
    rows: list[Article] = []
    has_next, searching = False, False
    if filters.is_valid():
        criteria = filters.criteria(request.user)
        q = filters.cleaned_data.get("q") or ""
        searching = bool(q.strip())
        if searching:
            rows = sel.article_search(user=request.user, q=q, limit=SEARCH_LIMIT, **criteria)
        else:
            rows, has_next = slice_page(sel.article_list(user=request.user, **criteria), page, PER_PAGE)
    can_write = permissions.can(request.user, permissions.CHANGE)
    context = {
        "filters": filters, "rows": rows, "searching": searching, "search_limit": SEARCH_LIMIT,
        "page": page, "has_next": has_next and not searching, "has_prev": page > 1 and not searching,
        "query": query_without(request, "page"), "categories": sel.categories(user=request.user),
        "products": sel.article_products(user=request.user),
        "can_write": can_write, "can_approve": permissions.can(request.user, permissions.APPROVE_ARTICLES),
        "queue_size": sel.pending_versions(user=request.user).count(),
    }
    return render_page(request, T + "list.html", context, fragment="results")


def _detail_context(request: HttpRequest, article: Article) -> dict[str, Any]:
    versions = list(sel.article_versions(user=request.user, article=article))
    pending = next((v for v in versions if v.status == ArticleVersion.Status.PENDING), None)
    live = next((v for v in versions if v.number == article.current_version), None)
    return {
        "article": article, "versions": versions, "pending": pending,
        "pending_diff": version_diff(live, pending) if pending else [],
        "review_form": ReviewForm(),
        "can_write": permissions.can(request.user, permissions.CHANGE),
        "can_approve": permissions.can(request.user, permissions.APPROVE_ARTICLES),
    }


@web_view
def knowledge_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    article = sel.article_get(user=request.user, pk=pk)
    return render_page(request, T + "detail.html", _detail_context(request, article))


def _form_page(request: HttpRequest, form: ArticleForm, article: Article | None, *, status: int = 200,
               conflict: bool = False) -> HttpResponse:
    context = {"form": form, "article": article, "categories": sel.categories(user=request.user),
               "conflict": conflict}
    return render_page(request, T + "form.html", context, status=status)


@web_view
def knowledge_create_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.CHANGE)
    if request.method != "POST":
        return _form_page(request, ArticleForm(), None)
    form = ArticleForm(request.POST)
    if form.is_valid():
        submit = request.POST.get("action") == "submit"
        try:
            article = svc.article_create(actor=request.user, data=form.service_data(), submit=submit)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Article submitted for approval.") if submit else _("Draft saved."))
            return redirect("support:knowledge_detail", pk=article.pk)
    return _form_page(request, form, None, status=422)


@web_view
def knowledge_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    article = sel.article_get(user=request.user, pk=pk, for_change=True)
    if request.method != "POST":
        pending = sel.article_versions(user=request.user, article=article).filter(
            status=ArticleVersion.Status.PENDING).first()
        return _form_page(request, ArticleForm(article=article, source=pending), article)
    form = ArticleForm(request.POST, article=article)
    if form.is_valid():
        submit = request.POST.get("action") != "draft"
        try:
            svc.article_edit(actor=request.user, article=article, data=form.service_data(),
                             version=form.cleaned_data.get("version"), submit=submit)
        except ConflictError as exc:
            form.add_error(None, exc.message)
            return _form_page(request, form, article, status=409, conflict=True)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Your change waits for approval.") if submit else _("Draft saved."))
            return redirect("support:knowledge_detail", pk=article.pk)
    return _form_page(request, form, article, status=422)


@web_view
def knowledge_version_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One version and what it changed against the version before (or `?against=<number>`)."""
    version = sel.version_get(user=request.user, pk=pk)
    versions = list(sel.article_versions(user=request.user, article=version.article))
    against = request.GET.get("against", "")
    older = next((v for v in versions if against.isdigit() and v.number == int(against)), None)
    if older is None:
        older = next((v for v in versions if v.number < version.number), None)
    context = {"version": version, "article": version.article, "older": older, "versions": versions,
               "diff": version_diff(older, version), "review_form": ReviewForm(),
               "can_approve": permissions.can(request.user, permissions.APPROVE_ARTICLES)}
    return render_page(request, T + "version.html", context)


@web_view
def knowledge_queue_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.APPROVE_ARTICLES)
    rows = list(sel.pending_versions(user=request.user)[:200])
    return render_page(request, T + "queue.html", {"rows": rows, "review_form": ReviewForm()})


def _back(request: HttpRequest, article_pk: int) -> HttpResponse:
    target = request.POST.get("next", "")
    if target == "queue":
        return redirect("support:knowledge_queue")
    return redirect("support:knowledge_detail", pk=article_pk)


@require_POST
@web_view
def knowledge_review_view(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    version = sel.version_get(user=request.user, pk=pk)
    require(request.user, permissions.APPROVE_ARTICLES)
    form = ReviewForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if decision == "approve":
            svc.version_approve(actor=request.user, version=version, note=note)
            messages.success(request, _("Version %(number)s approved; it is now the agreed answer.")
                             % {"number": version.number})
        else:
            svc.version_reject(actor=request.user, version=version, note=note)
            messages.success(request, _("Version %(number)s rejected.") % {"number": version.number})
    except ValidationError as exc:
        _flash_errors(request, exc)
    return _back(request, version.article_id)


@require_POST
@web_view
def knowledge_action_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """submit, archive or restore."""
    article = sel.article_get(user=request.user, pk=pk, for_change=True)
    done = {"submit": _("Article submitted for approval."), "archive": _("Article archived."),
            "restore": _("Article restored.")}
    try:
        if action == "submit":
            svc.article_submit(actor=request.user, article=article)
        elif action == "archive":
            svc.article_archive(actor=request.user, article=article, version=post_version(request))
        else:
            svc.article_restore(actor=request.user, article=article)
        messages.success(request, done[action])
    except ValidationError as exc:
        _flash_errors(request, exc)
    except ConflictError as exc:
        messages.error(request, exc.message)
    return _back(request, article.pk)
