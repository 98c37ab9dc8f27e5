"""Satisfaction surveys (issue 4 §8): invitations with a single-use link, sent by e-mail or SMS.

An invitation carries a random token (`secrets.token_urlsafe(32)`) and expires after the survey's
`valid_days`. The channel is e-mail when an address is known, else SMS when a mobile is known, else "link"
(the ticket page shows it to copy). Messages go out after the transaction commits, so a rolled-back
invitation is never sent. Answers are taken in services/survey_answers.py, survey set-up in
services/survey_config.py.
"""

from __future__ import annotations

import datetime
import logging
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Contact, Customer, Order
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record, diff, snapshot

from .. import sms
from ..models import Survey, SurveyInvitation, Ticket

log = logging.getLogger(__name__)
Channel = SurveyInvitation.Channel


def survey_link(invitation: SurveyInvitation) -> str:
    """The absolute link of the public answer page (GUANXI_SITE_URL + /support/s/<token>/)."""
    base = str(getattr(settings, "GUANXI_SITE_URL", "http://localhost:8000")).rstrip("/")
    return base + reverse("support:survey_answer", args=[invitation.token])


def customer_language() -> str:
    """The language of the messages customers get: the service desk's mail language (GUANXI_MAIL_LANGUAGE),
    else the site's default."""
    return str(getattr(settings, "GUANXI_MAIL_LANGUAGE", "") or settings.LANGUAGE_CODE)


def _default_contact(customer: Customer, ticket: Ticket | None) -> Contact | None:
    if ticket is not None and ticket.contact_id and ticket.contact and ticket.contact.deleted_at is None:
        return ticket.contact
    return (Contact.objects.filter(customer=customer, deleted_at__isnull=True)
            .order_by("-is_primary", "id").first())


def _address(channel: str, contact: Contact | None, ticket: Ticket | None) -> str:
    if channel == Channel.EMAIL:
        return (contact.email if contact else "") or (ticket.requester_email if ticket else "")
    if channel == Channel.SMS:
        return contact.mobile if contact else ""
    return ""


def _choose_channel(channel: str | None, contact: Contact | None, ticket: Ticket | None) -> tuple[str, str]:
    """(channel, recipient): the one asked for (its address must be known), or the best available."""
    if channel:
        if channel not in Channel.values:
            raise ValidationError({"channel": [_("Choose e-mail, SMS or link only.")]})
        recipient = _address(channel, contact, ticket)
        if channel == Channel.EMAIL and not recipient:
            raise ValidationError({"channel": [_("No e-mail address is known for this customer.")]})
        if channel == Channel.SMS and not recipient:
            raise ValidationError({"channel": [_("No mobile number is known for this customer.")]})
        return channel, recipient
    for candidate in (Channel.EMAIL, Channel.SMS):
        recipient = _address(candidate, contact, ticket)
        if recipient:
            return candidate, recipient
    return Channel.LINK, ""


@transaction.atomic
def survey_invite(*, survey: Survey, customer: Customer, contact: Contact | None = None, ticket: Ticket | None = None,
                  agent: Any = None, product: Any = None, channel: str | None = None, actor: Any = None,
                  now: datetime.datetime | None = None) -> SurveyInvitation:
    """Create an invitation and send its link after commit. `channel` None or "": chosen automatically."""
    errors: dict[str, list[str]] = {}
    if not survey.is_active:
        errors["survey"] = [_("This survey is not active.")]
    if contact is not None and contact.customer_id != customer.pk:
        errors["contact"] = [_("This contact belongs to another customer.")]
    if ticket is not None and ticket.customer_id != customer.pk:
        errors["ticket"] = [_("This belongs to another customer.")]
    if errors:
        raise ValidationError(errors)
    contact = contact or _default_contact(customer, ticket)
    chosen, recipient = _choose_channel(channel, contact, ticket)
    now = now or timezone.now()
    invitation = SurveyInvitation(
        survey=survey, customer=customer, contact=contact, ticket=ticket, agent=agent, product=product,
        channel=chosen, recipient=recipient, token=secrets.token_urlsafe(32),
        expires_at=now + datetime.timedelta(days=survey.valid_days))
    invitation.full_clean(exclude=["token"])
    invitation.save()
    # Audited without the token: whoever reads the customer's timeline must not be able to answer for them.
    fields = {k: v for k, v in snapshot(invitation).items() if k != "token"}
    audit_record(actor=actor, action=AuditLog.Action.CREATE, instance=invitation, changes=diff({}, fields),
                 customer_id=customer.pk)
    if chosen != Channel.LINK:
        pk = invitation.pk
        transaction.on_commit(lambda: deliver_invitation(pk))
    return invitation


def deliver_invitation(invitation_id: int) -> bool:
    """Send the link by the invitation's channel and note when; a failure is logged, not raised (this runs
    after the commit of the request or job that created the invitation)."""
    invitation = SurveyInvitation.objects.select_related("survey", "customer", "contact").filter(
        pk=invitation_id, sent_at__isnull=True).first()
    if invitation is None or invitation.channel == Channel.LINK:
        return False
    try:
        with translation.override(customer_language()):
            if invitation.channel == Channel.EMAIL:
                send_mail(_message_subject(invitation), _message_body(invitation), None, [invitation.recipient])
            else:
                sms.send_sms(invitation.recipient, _sms_text(invitation))
    except Exception:  # a mail server or SMS gateway error must not break the caller
        log.exception("Survey invitation %s could not be sent by %s.", invitation.pk, invitation.channel)
        return False
    SurveyInvitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
    return True


def _message_subject(invitation: SurveyInvitation) -> str:
    return _("How did we do? %(survey)s") % {"survey": invitation.survey.name}


def _message_body(invitation: SurveyInvitation) -> str:
    name = invitation.contact.name if invitation.contact else invitation.customer.name
    until = timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d")
    intro = invitation.survey.intro or _("We would like to know what you think of our service.")
    return _("Hello %(name)s,\n\n%(intro)s\n\nPlease answer here (it takes a minute):\n%(link)s\n\n"
             "The link can be used once, until %(until)s. Thank you!") % {
        "name": name, "intro": intro, "link": survey_link(invitation), "until": until}


def _sms_text(invitation: SurveyInvitation) -> str:
    until = timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d")
    return _("%(survey)s: please tell us how we did: %(link)s (valid until %(until)s)") % {
        "survey": invitation.survey.name, "link": survey_link(invitation), "until": until}


@transaction.atomic
def survey_send(*, actor: Any, survey: Survey, customer: Customer, contact: Contact | None = None,
                channel: str | None = None, ticket: Ticket | None = None) -> SurveyInvitation:
    """A manager sends a survey to a customer they may see (the "send to a customer" action)."""
    if not permissions.can(actor, permissions.MANAGE_SERVICE):
        raise PermissionDeniedError()
    agent = ticket.assignee if ticket is not None else None
    product = ticket.product if ticket is not None else None
    return survey_invite(survey=survey, customer=customer, contact=contact, ticket=ticket, agent=agent,
                         product=product, channel=channel, actor=actor)


# ---- automatic sending --------------------------------------------------------------------------


def _close_survey() -> Survey | None:
    return (Survey.objects.filter(is_active=True, send_after_close=True, kind=Survey.Kind.CSAT)
            .order_by("id").first())


def on_ticket_closed(ticket: Ticket) -> None:
    """Invite the customer to the CSAT survey of closed tickets, once per ticket, after the close commits."""
    if _close_survey() is None:
        return
    ticket_id = ticket.pk
    transaction.on_commit(lambda: invite_after_close(ticket_id))


def invite_after_close(ticket_id: int) -> SurveyInvitation | None:
    try:
        with transaction.atomic():
            survey = _close_survey()
            ticket = (Ticket.objects.select_for_update(of=("self",)).select_related("contact", "assignee", "product")
                      .filter(pk=ticket_id, status=Ticket.Status.CLOSED, deleted_at__isnull=True).first())
            if survey is None or ticket is None:
                return None
            if SurveyInvitation.objects.filter(ticket=ticket, survey__kind=Survey.Kind.CSAT).exists():
                return None
            return survey_invite(survey=survey, customer=ticket.customer, ticket=ticket, agent=ticket.assignee,
                                 product=ticket.product)
    except ValidationError as exc:
        log.warning("Ticket %s closed: no survey invitation (%s).", ticket_id, exc.messages)
        return None


def batch_cap() -> int:
    return int(getattr(settings, "GUANXI_SURVEY_BATCH", 500))


def scheduled_candidates(survey: Survey, now: datetime.datetime) -> Any:
    """Customers due for a scheduled survey: with an order in the last 365 days, a primary contact with an
    e-mail or mobile, and no invitation to this survey in the last `every_days` days."""
    days = survey.every_days or 0
    recent_order = Order.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True,
                                        ordered_at__gte=now - datetime.timedelta(days=365))
    reachable = Contact.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True, is_primary=True).filter(
        ~Q(email="") | ~Q(mobile=""))
    invited = SurveyInvitation.objects.filter(customer=OuterRef("pk"), survey=survey,
                                              created_at__gte=now - datetime.timedelta(days=days))
    return (Customer.objects.filter(deleted_at__isnull=True).filter(Exists(recent_order), Exists(reachable))
            .exclude(Exists(invited)).order_by("pk"))


def send_scheduled_surveys(today: datetime.date | None = None) -> dict[str, int]:
    """Daily: invite the customers due for each active survey that has `every_days`, at most GUANXI_SURVEY_BATCH
    invitations per run (the rest follow on the next days)."""
    now = timezone.now()
    if today is not None:
        now = timezone.make_aware(datetime.datetime.combine(today, timezone.localtime(now).time()))
    left = batch_cap()
    sent = 0
    for survey in Survey.objects.filter(is_active=True, every_days__gte=1).order_by("id"):
        if left <= 0:
            break
        customers = list(scheduled_candidates(survey, now)[:left])
        contacts: dict[int, Contact] = {}
        for contact in Contact.objects.filter(customer__in=customers, deleted_at__isnull=True, is_primary=True).filter(
                ~Q(email="") | ~Q(mobile="")).order_by("-id"):
            contacts[contact.customer_id] = contact
        for customer in customers:
            survey_invite(survey=survey, customer=customer, contact=contacts.get(customer.pk), now=now)
            sent += 1
        left -= len(customers)
    return {"invited": sent}
