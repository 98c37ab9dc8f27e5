"""The public survey page `/support/s/<token>/` (no login: the single-use link is the credential).

Unknown link: 404 page; expired: 410; already answered: 409 (nothing changes); a missing or out-of-range
score or a bad answer: the form again with the message under the field (422); too many answers from one
address: 429 (per-IP limit GUANXI_SURVEY_RATE answers per GUANXI_SURVEY_WINDOW seconds, guanxi/web/ratelimit.py).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from guanxi.core.errors import NotFoundError
from guanxi.web.ratelimit import over_limit

from ..forms_surveys import SurveyAnswerForm
from ..models import Survey, SurveyInvitation
from ..services.survey_answers import (
    SurveyAlreadyAnswered,
    SurveyExpired,
    answer_rate,
    check_open,
    invitation_by_token,
    survey_respond,
)

TEMPLATE = "support/surveys/public.html"
CSAT_LABELS = {1: _("Very dissatisfied"), 2: _("Dissatisfied"), 3: _("Neutral"), 4: _("Satisfied"),
               5: _("Very satisfied")}


def is_over_limit(request: HttpRequest) -> bool:
    """One more answer from this address; True when over the limit (shared with the API endpoint)."""
    limit, window = answer_rate()
    return over_limit(request, "survey", limit, window)


def score_options(survey: Survey) -> list[tuple[int, str]]:
    if survey.kind == Survey.Kind.CSAT:
        return [(n, str(CSAT_LABELS[n])) for n in range(1, 6)]
    if survey.kind == Survey.Kind.NPS:
        return [(n, "") for n in range(0, 11)]
    return []


def _page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, TEMPLATE, context, status=status)
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    return response


def _form_context(invitation: SurveyInvitation, form: SurveyAnswerForm) -> dict[str, Any]:
    return {"invitation": invitation, "survey": invitation.survey, "form": form,
            "score_options": score_options(invitation.survey), "chosen": str(form.data.get("score", ""))}


@require_http_methods(["GET", "POST"])
def survey_answer_view(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST" and is_over_limit(request):
        return _page(request, {"state": "too_many"}, status=429)
    try:
        invitation = invitation_by_token(token)
        check_open(invitation)
    except NotFoundError:
        return _page(request, {"state": "invalid"}, status=404)
    except SurveyExpired:
        return _page(request, {"state": "expired"}, status=410)
    except SurveyAlreadyAnswered:
        return _page(request, {"state": "answered"}, status=409)
    if request.method != "POST":
        return _page(request, _form_context(invitation, SurveyAnswerForm(survey=invitation.survey)))
    form = SurveyAnswerForm(request.POST, survey=invitation.survey)
    try:
        survey_respond(invitation=invitation, score=request.POST.get("score"), answers=form.answers(),
                       comment=request.POST.get("comment", ""))
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _page(request, _form_context(invitation, form), status=422)
    except SurveyExpired:
        return _page(request, {"state": "expired"}, status=410)
    except SurveyAlreadyAnswered:
        return _page(request, {"state": "answered"}, status=409)
    return _page(request, {"state": "thanks", "survey": invitation.survey})
