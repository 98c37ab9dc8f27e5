"""Account team (团队成员) on the customer page: add or change a member, remove one."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.text import person_name
from guanxi.customers.selectors.customers import customer_get
from guanxi.web.http import render_fragment, web_view

from ..forms_pool import TeamMemberForm
from ..services.team import team_member_remove, team_member_set
from .pool import CARD, _card_context


@require_POST
@web_view
def team_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=pk)
    form = TeamMemberForm(request.POST, customer=customer)
    if form.is_valid():
        try:
            member = team_member_set(actor=request.user, customer=customer,
                                     user=get_user_model().objects.get(pk=form.cleaned_data["user"]),
                                     access=form.cleaned_data["access"], until=form.cleaned_data.get("until"))
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            customer = customer_get(user=request.user, pk=pk)
            return render_fragment(request, CARD, "card", _card_context(
                request, customer, flash=_("%(name)s is on the account team.") % {"name": person_name(member.user)}))
    return render_fragment(request, CARD, "card", _card_context(request, customer, team_form=form, team_open=True),
                           status=422)


@require_POST
@web_view
def team_remove_view(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=pk)
    team_member_remove(actor=request.user, customer=customer, user=user_id)
    return render_fragment(request, CARD, "card", _card_context(request, customer,
                                                                flash=_("Removed from the account team.")))
