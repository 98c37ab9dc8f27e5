"""Settings pages for the lead rules: duplicate check (block / warn / allow per field) and assignment rules.
Admins only (CONFIGURE)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.governance import permissions
from guanxi.web.http import render_page, require, web_view

from ..forms_leads import AssignmentRuleForm, DuplicateRuleForm
from ..selectors import leads as sel
from ..services import leads as svc


@web_view
def duplicate_rules_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.CONFIGURE)
    rules = sel.duplicate_rule_list(user=request.user)
    form = DuplicateRuleForm(request.POST or None, rules=rules)
    if request.method == "POST" and form.is_valid():
        for rule in rules:
            svc.duplicate_rule_set(actor=request.user, field=rule.field, action=form.cleaned_data[rule.field])
        messages.success(request, _("Duplicate check rules saved."))
        return redirect("sales:duplicate_rules")
    return render_page(request, "sales/leads/duplicate_rules.html", {"form": form, "section": "lead_duplicates"},
                       status=422 if request.method == "POST" else 200)


@web_view
def assignment_rules_view(request: HttpRequest) -> HttpResponse:
    rules = list(sel.assignment_rule_list(user=request.user))
    return render_page(request, "sales/leads/assignment_rules.html", {"rules": rules, "section": "lead_assignment"})


@web_view
def assignment_rule_form_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rule = sel.assignment_rule_get(user=request.user, pk=pk) if pk else None
    require(request.user, permissions.CONFIGURE)
    form = AssignmentRuleForm(request.POST or None, instance=rule)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data, members = form.service_data()
            try:
                svc.assignment_rule_save(actor=request.user, rule=rule, data=data, members=members)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Assignment rule saved."))
                return redirect("sales:assignment_rules")
        status = 422
    return render_page(request, "sales/leads/assignment_rule_form.html",
                       {"form": form, "rule": rule, "section": "lead_assignment"}, status=status)


@require_POST
@web_view
def assignment_rule_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    rule = sel.assignment_rule_get(user=request.user, pk=pk)
    svc.assignment_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("Assignment rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect(reverse("sales:assignment_rules"))
