"""The settings pages' view decorator: the shared web view rules plus a required capability."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from guanxi.web.http import page_number, query_without, render_page, require, slice_page, web_view

__all__ = ["page_number", "query_without", "render_page", "settings_view", "slice_page"]


def settings_view(capability: str | None = None) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Login required, then the capability (403 without it); NotFoundError → 404, PermissionDeniedError → 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if capability is not None:
                require(request.user, capability)
            return view(request, *args, **kwargs)

        return web_view(checked)

    return decorator
