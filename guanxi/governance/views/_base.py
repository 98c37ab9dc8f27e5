"""Helpers shared by the settings pages (governance may not import guanxi.web: see import-linter)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from guanxi.core.errors import NotFoundError, PermissionDeniedError

from .. import permissions


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def settings_view(capability: str | None = None) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Login required, then the capability (403 without it); NotFoundError → 404, PermissionDeniedError → 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if capability is not None and not permissions.can(request.user, capability):
                raise PermissionDenied(str(PermissionDeniedError.default_message))
            try:
                return view(request, *args, **kwargs)
            except NotFoundError as exc:
                raise Http404(exc.message) from None
            except PermissionDeniedError as exc:
                raise PermissionDenied(exc.message) from None

        return login_required(wrapper)

    return decorator


def render_page(request: HttpRequest, template: str, context: dict[str, Any], *, fragment: str | None = None,
                status: int = 200) -> HttpResponse:
    """One template per page: htmx requests get its `fragment` partial, others the whole page."""
    name = f"{template}#{fragment}" if fragment and is_htmx(request) else template
    return render(request, name, context, status=status)


def query_without(request: HttpRequest, *names: str) -> str:
    """The current query string minus some parameters (for pagination links that keep the filters)."""
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def slice_page(qs: Any, page: int, per_page: int) -> tuple[list[Any], bool]:
    """Rows of one page and whether there is a next one, without counting the whole table."""
    start = (page - 1) * per_page
    rows = list(qs[start: start + per_page + 1])
    return rows[:per_page], len(rows) > per_page
