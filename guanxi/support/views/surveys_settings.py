"""Settings → surveys (MANAGE_SERVICE): the list, create and edit (with the questions editor), activate or
deactivate, remove an unsent survey, and send a survey to a customer."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.customers.filters import customer_search_q
from guanxi.customers.models import Customer
from guanxi.governance import permissions
from guanxi.web.http import render_page, require, web_view

from ..forms_surveys import SurveyForm, SurveySendForm
from ..models import Survey
from ..selectors import surveys as sel
from ..services import survey_config as config
from ..services import surveys as svc

SECTION = "surveys"


@web_view
def survey_list_view(request: HttpRequest) -> HttpResponse:
    surveys = list(sel.survey_list(user=request.user))
    return render_page(request, "support/surveys/settings_list.html", {"section": SECTION, "surveys": surveys})


def _form_page(request: HttpRequest, survey: Survey | None) -> HttpResponse:
    form = SurveyForm(request.POST or None, instance=survey)
    if request.method == "POST" and form.is_valid():
        try:
            saved = config.survey_save(actor=request.user, survey=survey, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc, {"questions": "questions_json"})
        else:
            messages.success(request, _("Saved the survey “%(name)s”.") % {"name": saved.name})
            return redirect("support:surveys")
    return render_page(request, "support/surveys/settings_form.html",
                       {"section": SECTION, "form": form, "survey": survey}, status=422 if form.is_bound else 200)


@web_view
def survey_create_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.MANAGE_SERVICE)
    return _form_page(request, None)


@web_view
def survey_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, sel.survey_get(user=request.user, pk=pk))


@require_POST
@web_view
def survey_toggle_view(request: HttpRequest, pk: int) -> HttpResponse:
    survey = sel.survey_get(user=request.user, pk=pk)
    saved = config.survey_set_active(actor=request.user, survey=survey, active=not survey.is_active)
    text = _("The survey “%(name)s” is active.") if saved.is_active else _("The survey “%(name)s” is switched off.")
    messages.success(request, text % {"name": saved.name})
    return redirect("support:surveys")


@require_POST
@web_view
def survey_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    survey = sel.survey_get(user=request.user, pk=pk)
    try:
        config.survey_delete(actor=request.user, survey=survey)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Removed the survey “%(name)s”.") % {"name": survey.name})
    return redirect("support:surveys")


@web_view
def survey_send_view(request: HttpRequest, pk: int) -> HttpResponse:
    survey = sel.survey_get(user=request.user, pk=pk)
    form = SurveySendForm(request.POST or None, user=request.user,
                          initial={"customer": request.GET.get("customer", "")})
    invitation = None
    if request.method == "POST" and form.is_valid():
        try:
            invitation = svc.survey_send(actor=request.user, survey=survey, customer=form.cleaned_data["customer"],
                                         channel=form.cleaned_data["channel"] or None)
        except ValidationError as exc:
            form.add_service_errors(exc)
    context = {"section": SECTION, "survey": survey, "form": form, "invitation": invitation,
               "link": svc.survey_link(invitation) if invitation else ""}
    status = 422 if form.is_bound and invitation is None else 200
    return render_page(request, "support/surveys/send.html", context, status=status)


@web_view
def customer_options_view(request: HttpRequest) -> HttpResponse:
    """`<option>`s of up to 20 customers the user may see matching `q` (the send form's customer search)."""
    require(request.user, permissions.MANAGE_SERVICE)
    text = request.GET.get("q", "").strip()[:100]
    qs = Customer.objects.visible_to(request.user)
    if text:
        qs = qs.filter(customer_search_q(text))
    rows = list(qs.order_by("-id").values_list("pk", "name")[:20])
    if not rows:
        return HttpResponse(format_html_join("", '<option value="">{}</option>', [(_("No customer found"),)]))
    return HttpResponse(format_html_join("", '<option value="{}">{}</option>', rows))
