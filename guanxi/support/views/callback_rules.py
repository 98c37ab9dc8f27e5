"""Settings → callback rules (MANAGE_SERVICE): list, add, change, remove."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.governance import permissions
from guanxi.web.http import render_page, require, web_view

from ..forms_callbacks import CallbackRuleForm
from ..models import CallbackRule, Ticket
from ..selectors import callbacks as sel
from ..services import callbacks as svc

SECTION = "callback_rules"


@web_view
def rule_list_view(request: HttpRequest) -> HttpResponse:
    rules = list(sel.rule_list(user=request.user))
    types = dict(Ticket.Type.choices)
    for rule in rules:
        rule.ticket_type_label = types.get(rule.ticket_type, rule.ticket_type)  # type: ignore[attr-defined]
    return render_page(request, "support/callbacks/rules.html",
                       {"section": SECTION, "rules": rules, "catch_up_days": svc.catch_up_days()})


def _form_page(request: HttpRequest, rule: CallbackRule | None) -> HttpResponse:
    form = CallbackRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            saved = svc.callback_rule_save(actor=request.user, rule=rule, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Saved the callback rule “%(name)s”.") % {"name": saved.name})
            return redirect("support:callback_rules")
    return render_page(request, "support/callbacks/rule_form.html", {"section": SECTION, "form": form, "rule": rule},
                       status=422 if form.is_bound else 200)


@web_view
def rule_create_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.MANAGE_SERVICE)
    return _form_page(request, None)


@web_view
def rule_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, sel.rule_get(user=request.user, pk=pk))


@require_POST
@web_view
def rule_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    rule = sel.rule_get(user=request.user, pk=pk)
    svc.callback_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("Removed the callback rule “%(name)s”.") % {"name": rule.name})
    return redirect("support:callback_rules")
