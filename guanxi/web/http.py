"""Shared helpers for the web views: errors from selectors/services to HTTP, htmx fragments.

One way to do it: decorate a view with `@web_view` and let it raise NotFoundError /
PermissionDeniedError (from `customer_get(...)` and friends); they become 404 / 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.governance import permissions


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def web_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required; NotFoundError -> 404, PermissionDeniedError -> 403."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFoundError as exc:
            raise Http404(exc.message) from None
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from None

    return login_required(wrapper)


def require(user: Any, capability: str) -> None:
    """Raise PermissionDeniedError unless the user's role has the capability."""
    if not permissions.can(user, capability):
        raise PermissionDeniedError()


def render_page(request: HttpRequest, template: str, context: dict[str, Any], *, fragment: str | None = None,
                status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    """One template per page: htmx requests get its `fragment` partial, others the whole page."""
    name = f"{template}#{fragment}" if fragment and is_htmx(request) else template
    response = render(request, name, context, status=status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def render_fragment(request: HttpRequest, template: str, fragment: str, context: dict[str, Any], *,
                    status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    """Always the fragment (endpoints that exist only for htmx)."""
    response = render(request, f"{template}#{fragment}", context, status=status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def post_version(request: HttpRequest) -> int | None:
    """The hidden `version` a form was rendered with (None when missing: no conflict check)."""
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


def alert_response(request: HttpRequest, message: str, *, level: str = "success", status: int = 200,
                   trigger: str = "", redirect_to: str = "") -> HttpResponse:
    """The outcome of a small htmx action (delete, conflict) as an alert in the page's #page-alerts.

    Without htmx: the message is flashed and the browser goes to `redirect_to`.
    """
    if not is_htmx(request):
        messages.add_message(request, messages.ERROR if level in {"danger", "warning"} else messages.SUCCESS, message)
        return redirect(redirect_to or request.headers.get("Referer") or "/")
    response = render(request, "web/_alert.html", {"message": message, "level": level}, status=status)
    response["HX-Retarget"] = "#page-alerts"
    response["HX-Reswap"] = "innerHTML"
    if trigger:
        response["HX-Trigger"] = trigger
    return response


def page_number(request: HttpRequest, *, last: int = 10_000) -> int:
    """The `page` query parameter, clamped to 1..last (bad values mean the first page)."""
    try:
        return max(1, min(int(request.GET.get("page", "1")), last))
    except ValueError:
        return 1


def slice_page(qs: Any, page: int, per_page: int) -> tuple[list[Any], bool]:
    """Rows of one page and whether there is a next one, without counting the whole table."""
    start = (page - 1) * per_page
    rows = list(qs[start: start + per_page + 1])
    return rows[:per_page], len(rows) > per_page


def query_without(request: HttpRequest, *names: str) -> str:
    """The current query string minus some parameters (pagination links that keep the filters)."""
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()
