"""Surveys: the CSAT invitation after a ticket closes (e-mail, SMS, link), answering with its single-use token,
scores out of range, detractors' follow-up tasks, the scheduled NPS selection and its cap, question set-up."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from guanxi.customers.models import Product, Task
from guanxi.customers.services.orders import order_create
from guanxi.governance.models import AuditLog
from guanxi.support import sms
from guanxi.support.models import Survey, SurveyInvitation, SurveyResponse
from guanxi.support.services.survey_answers import SurveyAlreadyAnswered, SurveyExpired, survey_respond
from guanxi.support.services.survey_config import clean_questions, survey_save
from guanxi.support.services.surveys import send_scheduled_surveys, survey_invite
from guanxi.support.services.tickets import ticket_set_status

from .surveys_helpers import SMS_LOCMEM, clear_sms, closed_ticket, contact, csat, expire, invitation, nps

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms_outbox():
    clear_sms()
    with override_settings(GUANXI_SMS_BACKEND=SMS_LOCMEM, GUANXI_SITE_URL="https://crm.example.com"):
        yield
    clear_sms()


def _close(org, customer, capture, **data):
    with capture(execute=True):
        return closed_ticket(org, customer, **data)


def test_csat_invitation_on_close_by_email_with_link(org, customers, django_capture_on_commit_callbacks):
    survey = csat(valid_days=7)
    nps()  # not sent on close
    person = contact(org, customers.own, email="li.si@example.com", mobile="13800138000")
    product = Product.objects.create(sku="WM-1", name="Washer")
    ticket = _close(org, customers.own, django_capture_on_commit_callbacks, contact=person, product=product)
    inv = SurveyInvitation.objects.get()
    assert (inv.survey, inv.ticket, inv.agent, inv.product, inv.contact) == (survey, ticket, org.agent, product, person)
    assert (inv.channel, inv.recipient) == ("email", "li.si@example.com") and inv.sent_at is not None
    assert len(inv.token) >= 40
    assert abs((inv.expires_at - timezone.now()) - datetime.timedelta(days=7)) < datetime.timedelta(minutes=5)
    [message] = mail.outbox
    assert message.to == ["li.si@example.com"] and f"https://crm.example.com/support/s/{inv.token}/" in message.body
    assert sms.outbox == []
    audit = AuditLog.objects.get(entity="surveyinvitation", object_id=str(inv.pk))
    assert audit.customer_id == customers.own.pk and inv.token not in json.dumps(audit.changes)
    # Reopened and closed again: not invited twice.
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(actor=org.admin, ticket=ticket, status="reopened")
        ticket_set_status(actor=org.admin, ticket=ticket, status="resolved")
        ticket_set_status(actor=org.admin, ticket=ticket, status="closed")
    assert SurveyInvitation.objects.count() == 1 and len(mail.outbox) == 1


def test_sms_when_no_email_and_link_when_neither(org, customers, django_capture_on_commit_callbacks):
    csat()
    contact(org, customers.own, mobile="13800138000")
    _close(org, customers.own, django_capture_on_commit_callbacks)
    inv = SurveyInvitation.objects.get(customer=customers.own)
    assert (inv.channel, inv.recipient) == ("sms", "+8613800138000") and mail.outbox == []
    [text] = sms.outbox
    assert text.to == "+8613800138000" and f"/support/s/{inv.token}/" in text.text
    _close(org, customers.same_dept, django_capture_on_commit_callbacks)
    link_only = SurveyInvitation.objects.get(customer=customers.same_dept)
    assert (link_only.channel, link_only.recipient, link_only.sent_at) == ("link", "", None) and len(sms.outbox) == 1


def test_no_invitation_without_an_active_close_survey(org, customers, django_capture_on_commit_callbacks):
    csat(is_active=False)
    contact(org, customers.own, email="a@example.com")
    _close(org, customers.own, django_capture_on_commit_callbacks)
    assert not SurveyInvitation.objects.exists() and mail.outbox == []


def test_invite_checks_the_channel(org, customers):
    survey = csat()
    with pytest.raises(ValidationError) as exc:
        survey_invite(survey=survey, customer=customers.own, channel="email")
    assert "channel" in exc.value.message_dict
    other = contact(org, customers.other_dept, email="x@example.com")
    with pytest.raises(ValidationError) as exc:
        survey_invite(survey=survey, customer=customers.own, contact=other)
    assert "contact" in exc.value.message_dict
    assert not SurveyInvitation.objects.exists()


def test_answer_is_stored_against_customer_ticket_agent_and_product(org, customers, django_capture_on_commit_callbacks):
    csat()
    product = Product.objects.create(sku="WM-2", name="Dryer")
    ticket = _close(org, customers.own, django_capture_on_commit_callbacks, product=product)
    inv = SurveyInvitation.objects.get()
    response = survey_respond(invitation=inv, score="4", answers={}, comment=" Quick fix ")
    assert (response.customer, response.ticket, response.agent, response.product) == (
        customers.own, ticket, org.agent, product)
    assert (response.score, response.kind, response.comment, response.is_detractor) == (4, "csat", "Quick fix", False)
    inv.refresh_from_db()
    assert inv.responded_at is not None and response.follow_up_task is None and not Task.objects.exists()


def test_token_used_twice_changes_nothing(org, customers):
    inv = invitation(org, customers.own)
    first = survey_respond(invitation=inv, score=5, comment="Great")
    with pytest.raises(SurveyAlreadyAnswered):
        survey_respond(invitation=inv, score=1, comment="Changed my mind")
    [stored] = SurveyResponse.objects.all()
    assert (stored.pk, stored.score, stored.comment, stored.is_detractor) == (first.pk, 5, "Great", False)
    assert not Task.objects.exists()


def test_expired_link(org, customers):
    inv = invitation(org, customers.own)
    expire(inv)
    inv.refresh_from_db()
    with pytest.raises(SurveyExpired):
        survey_respond(invitation=inv, score=5)
    late = invitation(org, customers.own)
    with pytest.raises(SurveyExpired):
        survey_respond(invitation=late, score=5, now=late.expires_at)
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize("kind,score", [("csat", 6), ("csat", 0), ("csat", -1), ("csat", None), ("csat", "abc"),
                                        ("nps", 11), ("nps", -1), ("nps", ""), ("nps", True)])
def test_score_out_of_range(org, customers, kind, score):
    survey = csat() if kind == "csat" else nps()
    inv = invitation(org, customers.own, survey)
    with pytest.raises(ValidationError) as exc:
        survey_respond(invitation=inv, score=score)
    assert list(exc.value.message_dict) == ["score"]
    inv.refresh_from_db()
    assert inv.responded_at is None and not SurveyResponse.objects.exists()


def test_detractor_opens_a_task_promoter_does_not(org, customers):
    promoter = survey_respond(invitation=invitation(org, customers.own, nps(), agent=org.agent), score=9)
    passive = survey_respond(invitation=invitation(org, customers.own, nps(), agent=org.agent), score=7)
    assert not promoter.is_detractor and not passive.is_detractor and not Task.objects.exists()
    now = timezone.now()
    unhappy = survey_respond(invitation=invitation(org, customers.own, nps(), agent=org.agent), score=6,
                             comment="Too slow", now=now)
    task = unhappy.follow_up_task
    assert unhappy.is_detractor and task is not None and task.assignee == org.agent
    assert "6/10" in task.title and task.customer == customers.own and task.notes == "Too slow"
    assert timezone.localtime(task.due_at).date() == timezone.localtime(now).date() + datetime.timedelta(days=1)
    assert SurveyResponse.objects.get(pk=unhappy.pk).follow_up_task == task
    # CSAT 2 is unhappy too; no agent: the owner; pool customer: a service manager.
    owner_task = survey_respond(invitation=invitation(org, customers.own), score=2).follow_up_task
    assert owner_task.assignee == org.rep and "2/5" in owner_task.title
    pool_task = survey_respond(invitation=invitation(org, customers.pool), score=1).follow_up_task
    assert pool_task.assignee == org.service_manager
    assert not survey_respond(invitation=invitation(org, customers.own), score=3).is_detractor


def test_custom_questions_are_checked(org, customers):
    survey = Survey.objects.create(name="Installation", kind="custom", questions=clean_questions([
        {"key": "fitter", "label": "Was the fitter on time?", "type": "choice", "choices": ["Yes", "No"],
         "required": True},
        {"key": "tidy", "label": "How tidy?", "type": "scale"},
        {"key": "notes", "label": "Anything else", "type": "text"}]))
    inv = invitation(org, customers.own, survey)
    with pytest.raises(ValidationError) as exc:
        survey_respond(invitation=inv, score=None, answers={"tidy": "9", "bogus": "x"})
    assert set(exc.value.message_dict) == {"answers.fitter", "answers.tidy", "answers.bogus"}
    with pytest.raises(ValidationError) as exc:
        survey_respond(invitation=inv, score=3, answers={"fitter": "Yes"})
    assert list(exc.value.message_dict) == ["score"]
    with pytest.raises(ValidationError) as exc:
        survey_respond(invitation=inv, score=None, answers={"fitter": "Maybe"})
    assert list(exc.value.message_dict) == ["answers.fitter"]
    response = survey_respond(invitation=inv, score="", answers={"fitter": "No", "tidy": "2", "notes": " ok "})
    assert response.answers == {"fitter": "No", "tidy": 2, "notes": "ok"} and response.score is None
    assert not response.is_detractor


def _active_customer(org, customer, *, email="", mobile="", days_ago=10, primary=True):
    order_create(actor=org.admin, customer=customer,
                 data={"ordered_at": timezone.now() - datetime.timedelta(days=days_ago)})
    if email or mobile:
        person = contact(org, customer, email=email, mobile=mobile)
        if not primary:
            type(person).objects.filter(pk=person.pk).update(is_primary=False)


def test_scheduled_nps_selection_and_cap(org, customers, django_capture_on_commit_callbacks):
    survey = nps(every_days=90)
    csat()  # not on a schedule
    _active_customer(org, customers.own, email="own@example.com")
    _active_customer(org, customers.same_dept, mobile="13900139000")
    _active_customer(org, customers.other_dept, email="old@example.com", days_ago=400)  # no recent order
    _active_customer(org, customers.pool)  # no contact
    with override_settings(GUANXI_SURVEY_BATCH=1), django_capture_on_commit_callbacks(execute=True):
        assert send_scheduled_surveys() == {"invited": 1}
        assert send_scheduled_surveys() == {"invited": 1}
        assert send_scheduled_surveys() == {"invited": 0}
    invited = set(SurveyInvitation.objects.filter(survey=survey).values_list("customer_id", flat=True))
    assert invited == {customers.own.pk, customers.same_dept.pk}
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    # After `every_days` they are due again.
    SurveyInvitation.objects.update(created_at=timezone.now() - datetime.timedelta(days=91))
    assert send_scheduled_surveys() == {"invited": 2}


def test_scheduled_needs_a_reachable_primary_contact(org, customers):
    nps(every_days=30)
    _active_customer(org, customers.own, email="own@example.com", primary=False)
    assert send_scheduled_surveys() == {"invited": 0}


def test_survey_setup_validation(org, customers):
    with pytest.raises(ValidationError) as exc:
        clean_questions([{"key": "Bad Key", "label": "", "type": "essay"},
                         {"key": "q", "label": "Pick", "type": "choice", "choices": ["only one"]},
                         {"key": "q", "label": "Again", "type": "text", "colour": "red"}])
    messages = exc.value.message_dict["questions"]
    assert any(m.startswith("Question 1:") for m in messages) and any(m.startswith("Question 2:") for m in messages)
    assert any("Question 3:" in m and "colour" in m for m in messages)
    with pytest.raises(ValidationError) as exc:
        survey_save(actor=org.service_manager, survey=None,
                    data={"name": "NPS", "kind": "nps", "send_after_close": True, "valid_days": 14})
    assert "send_after_close" in exc.value.message_dict
    survey = survey_save(actor=org.service_manager, survey=None, data={"name": "CSAT", "kind": "csat", "valid_days": 14})
    survey_respond(invitation=invitation(org, customers.own, survey), score=5)
    with pytest.raises(ValidationError) as exc:
        survey_save(actor=org.service_manager, survey=survey, data={"kind": "nps"})
    assert "kind" in exc.value.message_dict



@override_settings(GUANXI_MAIL_LANGUAGE="zh-hans")
def test_message_names_the_survey_and_renders_in_the_mail_language(org, customers, django_capture_on_commit_callbacks):
    csat(name="服务评价")
    contact(org, customers.own, email="li.si@example.com")
    _close(org, customers.own, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    inv = SurveyInvitation.objects.get()
    assert message.subject.endswith("服务评价") and f"/support/s/{inv.token}/" in message.body
