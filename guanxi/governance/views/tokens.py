"""Personal API tokens (everyone, for themselves): list, create (key shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ..forms import ApiTokenForm
from ..selectors_people import api_token_get, api_token_list
from ..services import api_token_create, api_token_revoke
from ._base import render_page, settings_view


@never_cache
@settings_view()
def token_list(request: HttpRequest) -> HttpResponse:
    """GET lists the tokens; POST creates one and shows its key in this one response, never again."""
    form = ApiTokenForm(request.POST or None)
    new_key = new_token = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            new_token, new_key = api_token_create(actor=request.user, name=form.cleaned_data["name"],
                                                  expires_at=form.expires_at())
            form = ApiTokenForm()
        else:
            status = 422
    now = timezone.now()
    tokens = list(api_token_list(user=request.user))
    for token in tokens:
        token.is_expired = token.expires_at is not None and token.expires_at <= now  # type: ignore[attr-defined]
    return render_page(request, "governance/tokens.html", {
        "section": "tokens", "form": form, "tokens": tokens,
        "new_key": new_key, "new_token": new_token,
    }, fragment="tokens", status=status)


@require_POST
@settings_view()
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = api_token_get(user=request.user, pk=pk)
    if token.revoked_at is None:
        api_token_revoke(actor=request.user, token=token)
        messages.success(request, _("Revoked the token “%(name)s”. Programs using it can no longer connect.")
                         % {"name": token.name})
    return redirect("governance:tokens")
