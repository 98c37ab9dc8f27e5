"""The knowledge-base card on the ticket page: suggested answers for the ticket (lazy-loaded), a search box
for other articles, and the endpoint that counts an answer inserted into the reply."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from guanxi.governance import permissions
from guanxi.web.http import render_fragment, require, web_view

from ..selectors import knowledge as sel
from ..selectors import tickets as ticket_sel
from ..services import knowledge as svc

TEMPLATE = "support/knowledge/_suggest.html"
SEARCH_LIMIT = 8


@web_view
def knowledge_suggest_view(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    """The whole card (suggestions), or with `?q=` only the search results list."""
    require(request.user, permissions.CHANGE)
    ticket = ticket_sel.ticket_get(user=request.user, pk=ticket_pk, for_change=True)
    q = request.GET.get("q", "")[:200]
    if "q" in request.GET:
        rows = (sel.article_search(user=request.user, q=q, limit=SEARCH_LIMIT) if q.strip()
                else sel.article_suggest(user=request.user, ticket=ticket))
        return render_fragment(request, TEMPLATE, "results", {"ticket": ticket, "rows": rows, "q": q})
    rows = sel.article_suggest(user=request.user, ticket=ticket)
    return render_fragment(request, TEMPLATE, "card", {"ticket": ticket, "rows": rows, "q": ""})


@require_POST
@web_view
def knowledge_use_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Count one use of the article's answer (the Insert button); 204, or 422 with the reason."""
    require(request.user, permissions.CHANGE)
    article = sel.article_get(user=request.user, pk=pk)
    try:
        svc.article_used(article, actor=request.user)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=422, content_type="text/plain; charset=utf-8")
    return HttpResponse(status=204)
