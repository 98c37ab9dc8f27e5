"""Survey settings (MANAGE_SERVICE) and responses (managers) in the web pages and the API, per role: create and
edit with the questions editor, activate, send to a customer, the responses list with filters and its Excel
export through the export-control path."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core import mail
from django.test import override_settings

from guanxi.governance.models import AuditLog
from guanxi.support.models import Survey, SurveyInvitation
from guanxi.support.services.survey_answers import survey_respond

from .surveys_helpers import Api, client_for, closed_ticket, contact, csat, invitation, nps

pytestmark = pytest.mark.django_db
FORM = {"name": "After your ticket", "kind": "csat", "intro": "", "valid_days": "14", "every_days": "",
        "questions_json": "", "is_active": "on", "send_after_close": "on"}


@pytest.mark.parametrize("role,status", [("agent", 403), ("rep", 403), ("manager", 403), ("analyst", 403),
                                         ("marketing", 403), ("service_manager", 200), ("admin", 200)])
def test_settings_pages_by_role(org, role, status):
    survey = csat()
    c = client_for(getattr(org, role))
    for url in ("/support/surveys/", "/support/surveys/new/", f"/support/surveys/{survey.pk}/",
                f"/support/surveys/{survey.pk}/send/"):
        assert c.get(url).status_code == status, url
    assert c.post(f"/support/surveys/{survey.pk}/toggle/").status_code == (302 if status == 200 else 403)


@pytest.mark.parametrize("role,status", [("agent", 403), ("rep", 403), ("marketing", 403), ("analyst", 200),
                                         ("manager", 200), ("service_manager", 200)])
def test_responses_page_by_role(org, role, status):
    assert client_for(getattr(org, role)).get("/support/surveys/responses/").status_code == status


def test_create_edit_and_questions_editor(org):
    c = client_for(org.service_manager)
    r = c.post("/support/surveys/new/", {**FORM, "questions_json": "[{\"key\": \"a\",}]"})
    assert r.status_code == 422 and "This is not valid JSON (line 1" in r.content.decode()
    r = c.post("/support/surveys/new/", {**FORM, "questions_json": '[{"key": "a", "label": "", "type": "essay"}]'})
    body = r.content.decode()
    assert r.status_code == 422 and "Question 1:" in body and 'data-field="questions_json"' in body
    r = c.post("/support/surveys/new/", {**FORM, "kind": "nps"})
    assert r.status_code == 422 and "Only a CSAT survey is sent when a ticket is closed." in r.content.decode()
    questions = '[{"key": "speed", "label": "Quick enough?", "type": "choice", "choices": ["Yes", "No"]}]'
    r = c.post("/support/surveys/new/", {**FORM, "questions_json": questions})
    survey = Survey.objects.get()
    assert r.status_code == 302 and survey.questions[0]["choices"] == ["Yes", "No"] and survey.send_after_close
    page = c.get(f"/support/surveys/{survey.pk}/").content.decode()
    assert "Quick enough?" in page
    c.post(f"/support/surveys/{survey.pk}/", {**FORM, "name": "CSAT", "valid_days": "30", "questions_json": questions})
    survey.refresh_from_db()
    assert (survey.name, survey.valid_days) == ("CSAT", 30)
    c.post(f"/support/surveys/{survey.pk}/toggle/")
    survey.refresh_from_db()
    assert not survey.is_active
    assert AuditLog.objects.filter(entity="survey", object_id=str(survey.pk)).count() >= 3
    listing = c.get("/support/surveys/").content.decode()
    assert "CSAT" in listing and 'data-testid="settings-surveys"' in listing


def test_remove_only_unsent(org, customers):
    c = client_for(org.service_manager)
    unsent, sent = csat(), nps()
    invitation(org, customers.own, sent)
    c.post(f"/support/surveys/{unsent.pk}/delete/")
    c.post(f"/support/surveys/{sent.pk}/delete/")
    assert list(Survey.objects.values_list("pk", flat=True)) == [sent.pk]


def test_send_to_a_customer(org, customers, django_capture_on_commit_callbacks):
    survey = nps()
    c = client_for(org.service_manager)
    options = c.get("/support/surveys/customer-options/", {"q": "张三"}).content.decode()
    assert f'value="{customers.own.pk}"' in options
    contact(org, customers.own, email="own@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/support/surveys/{survey.pk}/send/", {"customer": customers.own.pk, "channel": ""})
    assert r.status_code == 200 and 'data-testid="survey-sent"' in r.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["own@example.com"]
    r = c.post(f"/support/surveys/{survey.pk}/send/", {"customer": customers.same_dept.pk, "channel": "sms"})
    assert r.status_code == 422 and "No mobile number is known" in r.content.decode()
    r = c.post(f"/support/surveys/{survey.pk}/send/", {"customer": customers.same_dept.pk, "channel": ""})
    inv = SurveyInvitation.objects.get(customer=customers.same_dept)
    assert inv.channel == "link" and f"/support/s/{inv.token}/" in r.content.decode()


def _answered(org, customers):
    product_ticket = closed_ticket(org, customers.own)
    happy = survey_respond(invitation=invitation(org, customers.own, csat(), ticket=product_ticket,
                                                 agent=org.agent), score=5, comment="=HYPERLINK(\"x\")")
    sad = survey_respond(invitation=invitation(org, customers.other_dept, nps(), agent=org.agent), score=2)
    return happy, sad


def test_responses_list_filters(org, customers):
    _happy, sad = _answered(org, customers)
    c = client_for(org.service_manager)
    page = c.get("/support/surveys/responses/").content.decode()
    assert page.count('data-testid="response-row"') == 2
    only_sad = c.get("/support/surveys/responses/", {"detractors": "true"}, HTTP_HX_REQUEST="true").content.decode()
    assert only_sad.count('data-testid="response-row"') == 1 and customers.other_dept.name in only_sad
    high = c.get("/support/surveys/responses/", {"score_min": "4", "score_max": "5"}).content.decode()
    assert high.count('data-testid="response-row"') == 1 and customers.own.name in high
    by_survey = c.get("/support/surveys/responses/", {"survey": sad.survey_id}).content.decode()
    assert by_survey.count('data-testid="response-row"') == 1
    bad = c.get("/support/surveys/responses/", {"score_min": "5", "score_max": "1"}).content.decode()
    assert 'data-testid="filter-errors"' in bad
    # A sales manager sees only the responses of the customers in their department.
    east = client_for(org.manager).get("/support/surveys/responses/").content.decode()
    assert customers.own.name in east and customers.other_dept.name not in east


def test_excel_export_goes_through_export_control(org, customers):
    _answered(org, customers)
    r = client_for(org.service_manager).get("/support/surveys/responses/export.xlsx", {"detractors": ""})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "ID" and len(rows) == 4  # header, two responses, "Exported by …"
    comments = [row[10] for row in rows[1:3]]
    assert "'=HYPERLINK(\"x\")" in comments  # formula neutralised
    export = AuditLog.objects.get(action="export", entity="surveyresponse")
    assert export.changes["rows"] == 2 and export.actor == org.service_manager
    assert client_for(org.agent).get("/support/surveys/responses/export.xlsx").status_code == 403
    assert client_for(org.manager).get("/support/surveys/responses/export.xlsx").status_code == 200


def test_api_surveys_by_role(org, customers):
    body = {"name": "NPS", "kind": "nps", "every_days": 90}
    for user in (org.agent, org.rep, org.analyst):
        assert Api(user).post("/surveys", body).status_code == 403
        assert Api(user).get("/surveys").status_code == 403
    api = Api(org.service_manager)
    r = api.post("/surveys", {**body, "questions": [{"key": "x"}]})
    assert r.status_code == 422 and "questions" in r.json()["errors"]
    r = api.post("/surveys", {**body, "kind": "bogus"})
    assert r.status_code == 422
    r = api.post("/surveys", body)
    assert r.status_code == 201
    survey_id = r.json()["id"]
    assert api.patch(f"/surveys/{survey_id}", {"is_active": False}).status_code == 200
    assert api.get(f"/surveys/{survey_id}").json()["is_active"] is False
    assert api.post(f"/surveys/{survey_id}/invite", {"customer": customers.own.pk}).status_code == 422  # inactive
    api.patch(f"/surveys/{survey_id}", {"is_active": True, "every_days": None})
    assert api.get(f"/surveys/{survey_id}").json()["every_days"] is None
    r = api.post(f"/surveys/{survey_id}/invite", {"customer": customers.own.pk})
    assert r.status_code == 201 and r.json()["channel"] == "link"
    token = SurveyInvitation.objects.get().token
    assert r.json()["link"].endswith(f"/support/s/{token}/")
    assert api.delete(f"/surveys/{survey_id}").status_code == 422  # already sent


def test_api_responses_and_ticket_invitations(org, customers):
    happy, sad = _answered(org, customers)
    rows = Api(org.service_manager).get("/surveys/responses", detractors="true").json()["items"]
    assert [r["id"] for r in rows] == [sad.pk] and rows[0]["is_detractor"] is True
    all_rows = Api(org.analyst).get("/surveys/responses").json()["items"]
    assert {r["id"] for r in all_rows} == {happy.pk, sad.pk}
    assert all_rows[-1]["agent"] == org.agent.pk
    assert Api(org.agent).get("/surveys/responses").status_code == 403
    assert Api(org.service_manager).get("/surveys/responses", score_min="x").status_code == 400
    [inv] = Api(org.rep).get(f"/tickets/{happy.ticket_id}/survey-invitations").json()
    assert inv["ticket"] == happy.ticket_id and inv["responded_at"] is not None
    assert Api(org.rep_west).get(f"/tickets/{happy.ticket_id}/survey-invitations").status_code == 404
    r = Api(org.service_manager).get("/surveys/responses/export.xlsx")
    assert r.status_code == 200


@override_settings(GUANXI_SITE_URL="https://crm.example.com")
def test_ticket_card_shows_link_to_copy(org, customers):
    ticket = closed_ticket(org, customers.own)
    inv = invitation(org, customers.own, csat(), ticket=ticket)
    card = client_for(org.rep).get(f"/support/callbacks/ticket/{ticket.pk}/").content.decode()
    assert f"https://crm.example.com/support/s/{inv.token}/" in card and 'data-testid="survey-link"' in card
    survey_respond(invitation=inv, score=1)
    card = client_for(org.rep).get(f"/support/callbacks/ticket/{ticket.pk}/").content.decode()
    assert 'data-testid="ticket-survey-score">1<' in card and inv.token not in card
