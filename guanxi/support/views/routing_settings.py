"""Settings → routing rules (capability MANAGE_SERVICE): the ordered list, add, edit, move, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.governance import permissions
from guanxi.web.http import render_page, require, web_view

from ..forms_sla import RoutingRuleForm
from ..models import RoutingRule
from ..selectors import sla as sel
from ..services import routing_rules as svc


@web_view
def routing_rule_list_view(request: HttpRequest) -> HttpResponse:
    rules = list(sel.routing_rule_list(user=request.user))
    return render_page(request, "support/sla/routing_list.html", {"section": "routing", "rules": rules})


def _form_page(request: HttpRequest, rule: RoutingRule | None) -> HttpResponse:
    if request.method == "POST":
        form = RoutingRuleForm(request.POST)
        if form.is_valid():
            try:
                saved = svc.routing_rule_save(actor=request.user, rule=rule, data=dict(form.cleaned_data))
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Saved the routing rule “%(name)s”.") % {"name": saved.name})
                return redirect("support:routing_rules")
    else:
        form = RoutingRuleForm.for_rule(rule) if rule else RoutingRuleForm()
    return render_page(request, "support/sla/routing_form.html", {"section": "routing", "form": form, "rule": rule},
                       status=422 if form.is_bound else 200)


@web_view
def routing_rule_create_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.MANAGE_SERVICE)
    return _form_page(request, None)


@web_view
def routing_rule_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, sel.routing_rule_get(user=request.user, pk=pk))


@require_POST
@web_view
def routing_rule_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    rule = sel.routing_rule_get(user=request.user, pk=pk)
    svc.routing_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("Removed the routing rule “%(name)s”.") % {"name": rule.name})
    return redirect("support:routing_rules")


@require_POST
@web_view
def routing_rule_move_view(request: HttpRequest, pk: int) -> HttpResponse:
    rule = sel.routing_rule_get(user=request.user, pk=pk)
    try:
        svc.routing_rule_move(actor=request.user, rule=rule, direction=request.POST.get("direction", ""))
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    return redirect("support:routing_rules")
