"""The public survey page /support/s/<token>/ and POST /api/surveys/answer/{token}: no login, single use,
404 / 410 / 409 / 422 / 429."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from guanxi.customers.models import Task
from guanxi.support.models import Survey, SurveyInvitation, SurveyResponse

from .surveys_helpers import Api, client_for, csat, expire, invitation, nps

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def _url(inv: SurveyInvitation) -> str:
    return f"/support/s/{inv.token}/"


def test_page_without_login_in_the_visitors_language(org, customers):
    inv = invitation(org, customers.own, csat(intro="Thanks for calling us."))
    r = Client().get(_url(inv))
    body = r.content.decode()
    assert r.status_code == 200 and 'data-testid="survey-form"' in body and "Thanks for calling us." in body
    assert "Very dissatisfied" in body and body.count('name="score"') == 5
    assert 'data-testid="language-switcher"' in body and "/static/vendor/bootstrap.min.css" in body
    assert "cdn" not in body.lower() and r["Cache-Control"] == "no-store"
    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(_url(inv)).content.decode()
    assert '<html lang="zh-hans">' in zh
    nps_page = Client().get(_url(invitation(org, customers.own, nps()))).content.decode()
    assert nps_page.count('name="score"') == 11


def test_answer_once_then_409_and_nothing_changes(org, customers):
    inv = invitation(org, customers.own, csat(), agent=org.agent)
    c = Client()
    r = c.post(_url(inv), {"score": "5", "comment": "Very kind"})
    assert r.status_code == 200 and 'data-testid="survey-thanks"' in r.content.decode()
    r = c.post(_url(inv), {"score": "1", "comment": "Changed"})
    assert r.status_code == 409 and 'data-testid="survey-answered"' in r.content.decode()
    assert c.get(_url(inv)).status_code == 409
    [response] = SurveyResponse.objects.all()
    assert (response.score, response.comment, response.agent) == (5, "Very kind", org.agent)


def test_expired_and_unknown_links(org, customers):
    inv = invitation(org, customers.own)
    expire(inv)
    for r in (Client().get(_url(inv)), Client().post(_url(inv), {"score": "5"})):
        assert r.status_code == 410 and 'data-testid="survey-expired"' in r.content.decode()
    r = Client().get("/support/s/not-a-real-token/")
    assert r.status_code == 404 and 'data-testid="survey-invalid"' in r.content.decode()
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize("kind,score", [("csat", "6"), ("csat", "-1"), ("csat", ""), ("nps", "11"), ("nps", "-1")])
def test_score_out_of_range_is_a_field_error(org, customers, kind, score):
    inv = invitation(org, customers.own, csat() if kind == "csat" else nps())
    r = Client().post(_url(inv), {"score": score, "comment": "kept"})
    body = r.content.decode()
    assert r.status_code == 422 and 'data-testid="score-error"' in body and "kept" in body
    inv.refresh_from_db()
    assert inv.responded_at is None and not SurveyResponse.objects.exists()


def test_custom_question_error_under_its_field(org, customers):
    survey = Survey.objects.create(name="Fitting", kind="custom", questions=[
        {"key": "ontime", "label": "On time?", "type": "choice", "choices": ["Yes", "No"], "required": True}])
    inv = invitation(org, customers.own, survey)
    r = Client().post(_url(inv), {"comment": "x"})
    assert r.status_code == 422 and "Please answer this question." in r.content.decode()
    r = Client().post(_url(inv), {"q_ontime": "No"})
    assert r.status_code == 200 and SurveyResponse.objects.get().answers == {"ontime": "No"}


def test_detractor_from_the_page_opens_a_task(org, customers):
    inv = invitation(org, customers.own, nps(), agent=org.agent)
    Client().post(_url(inv), {"score": "3", "comment": "Slow"})
    task = Task.objects.get()
    assert task.assignee == org.agent and "3/10" in task.title
    assert SurveyResponse.objects.get().follow_up_task == task
    # The invitation, the answer and the task are on the customer's timeline; the link's token is not.
    page = client_for(org.rep).get(f"/customers/{customers.own.pk}/").content.decode()
    assert "3/10" in page and inv.token not in page


@override_settings(GUANXI_SURVEY_RATE=2, GUANXI_SURVEY_WINDOW=60)
def test_rate_limit_per_address(org, customers):
    inv = invitation(org, customers.own)
    c = Client(REMOTE_ADDR="203.0.113.7")
    assert c.post(_url(inv), {"score": "9"}).status_code == 422
    assert c.post(_url(inv), {"score": "9"}).status_code == 422
    r = c.post(_url(inv), {"score": "5"})
    assert r.status_code == 429 and 'data-testid="survey-too-many"' in r.content.decode()
    assert not SurveyResponse.objects.exists()
    # The API endpoint shares the counter; another address is not limited.
    assert Api().post(f"/surveys/answer/{inv.token}", {"score": 5}, REMOTE_ADDR="203.0.113.7").status_code == 429
    assert Client(REMOTE_ADDR="198.51.100.1").post(_url(inv), {"score": "5"}).status_code == 200


def test_api_answer_endpoint(org, customers):
    api = Api()  # no login
    inv = invitation(org, customers.own, nps(), agent=org.agent)
    r = api.post(f"/surveys/answer/{inv.token}", {"score": 11})
    assert r.status_code == 422 and "score" in r.json()["errors"]
    r = api.post(f"/surveys/answer/{inv.token}", {"score": -1})
    assert r.status_code == 422 and "score" in r.json()["errors"]
    assert api.post(f"/surveys/answer/{inv.token}", {"score": 9, "extra": 1}).status_code == 422
    r = api.post(f"/surveys/answer/{inv.token}", {"score": 9, "comment": "Good"})
    assert r.status_code == 201
    r = api.post(f"/surveys/answer/{inv.token}", {"score": 0})
    assert r.status_code == 409 and SurveyResponse.objects.get().score == 9
    assert api.post("/surveys/answer/unknown-token", {"score": 5}).status_code == 404
    old = invitation(org, customers.own, nps())
    expire(old)
    assert api.post(f"/surveys/answer/{old.token}", {"score": 5}).status_code == 410
