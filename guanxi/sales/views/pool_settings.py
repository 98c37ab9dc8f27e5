"""Settings → public pools (admins): the pools, their rules and level-specific day counts."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.governance import permissions
from guanxi.web.http import render_page, require, web_view

from ..forms_pool import PoolForm
from ..selectors.pool import pool_get, pool_index, pool_list
from ..services.pool import pool_delete, pool_save


@web_view
def pool_settings_list(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.CONFIGURE)
    index = pool_index()
    pools = list(pool_list(user=request.user))
    for pool in pools:
        ids, _with_none = index.departments_of(next(p for p in index.pools if p.pk == pool.pk))
        pool.covered = len(ids)  # type: ignore[attr-defined]
    return render_page(request, "sales/pool/settings_list.html", {"section": "pools", "pools": pools})


def _form_page(request: HttpRequest, pool: object | None) -> HttpResponse:
    form = PoolForm(request.POST or None, pool=pool)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        try:
            saved = pool_save(actor=request.user, pool=pool, data=form.pool_data(),  # type: ignore[arg-type]
                              level_rules=form.level_rules())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Saved the pool “%(name)s”.") % {"name": saved.name})
            return redirect("sales:pool_settings")
    return render_page(request, "sales/pool/settings_form.html", {"section": "pools", "form": form, "pool": pool},
                       status=422 if form.is_bound else 200)


@web_view
def pool_settings_create(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.CONFIGURE)
    return _form_page(request, None)


@web_view
def pool_settings_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, pool_get(user=request.user, pk=pk))


@require_POST
@web_view
def pool_settings_delete(request: HttpRequest, pk: int) -> HttpResponse:
    pool = pool_get(user=request.user, pk=pk)
    try:
        pool_delete(actor=request.user, pool=pool)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Removed the pool “%(name)s”.") % {"name": pool.name})
    return redirect("sales:pool_settings")
