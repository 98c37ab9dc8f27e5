"""Contacts on the 360° page: add and edit in a modal through htmx; reveal a masked number (audited)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.errors import ConflictError, NotFoundError
from guanxi.governance import masking
from guanxi.governance.services_reveal import contact_reveal
from guanxi.web.http import alert_response, is_htmx, post_version, render_fragment, web_view

from ..forms import ContactForm
from ..models import Contact
from ..selectors.customers import can_change, contact_get, contacts_of, customer_get
from ..services.customers import contact_create, contact_delete, contact_update

TEMPLATE = "customers/contact_form.html"


def decorate_contacts(user: Any, contacts: list[Contact], customer: Any) -> list[Contact]:
    """Mobile, phone and email as the user may see them (号码脱敏, governance.masking): `display_mobile`,
    `display_phone`, `display_email` and `is_masked` on each contact."""
    return masking.for_user(user).decorate(contacts, customer)


def _saved(request: HttpRequest, customer: object) -> HttpResponse:
    """The refreshed contacts card; htmx swaps it in and the modal closes."""
    editable = can_change(request.user, customer)  # type: ignore[arg-type]
    contacts = decorate_contacts(request.user, list(contacts_of(user=request.user, customer=customer)),  # type: ignore[arg-type]
                                 customer)
    response = render_fragment(request, "customers/customer_detail.html", "contacts",
                               {"customer": customer, "contacts": contacts, "editable": editable})
    response["HX-Retarget"] = "#contacts-card"
    response["HX-Reswap"] = "outerHTML"
    response["HX-Trigger"] = "contact-saved, timeline-changed"
    return response


@web_view
def contact_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=pk, for_change=True)
    if request.method != "POST":
        return render_fragment(request, TEMPLATE, "form", {"customer": customer, "form": ContactForm()})
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            data = form.service_data()
            if not data["is_primary"]:
                data.pop("is_primary")  # the service makes a customer's first contact primary
            contact_create(actor=request.user, customer=customer, data=data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return _saved(request, customer)
    return render_fragment(request, TEMPLATE, "form", {"customer": customer, "form": form}, status=422)


@web_view
def contact_edit_view(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=pk, for_change=True)
    contact = contact_get(user=request.user, pk=contact_pk, for_change=True)
    if contact.customer_id != customer.pk:
        raise NotFoundError()
    shown = masking.for_user(request.user).mask_contact(contact, customer)
    context = {"customer": customer, "contact": contact, "shown": shown}
    if request.method != "POST":
        form = ContactForm(instance=contact)
        if shown.masked:  # the clear values never reach the page: the inputs start empty, the mask as a hint
            for name in masking.MASKED_FIELDS:
                form.initial[name] = ""
        return render_fragment(request, TEMPLATE, "form", {**context, "form": form})
    data = request.POST.copy()
    stored = {name: getattr(contact, name) for name in masking.MASKED_FIELDS}
    if shown.masked:  # an input left empty keeps the number the user could not see
        for name in masking.MASKED_FIELDS:
            if not data.get(name, "").strip():
                data[name] = stored[name]
    form = ContactForm(data, instance=contact)
    status = 422
    if form.is_valid():
        try:
            contact_update(actor=request.user, contact=contact, data=form.service_data(),
                           version=form.cleaned_data.get("version"))
        except ConflictError as exc:
            form.add_error(None, exc.message)
            status = 409
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return _saved(request, customer)
    if shown.masked:  # never echo the stored values back into the form
        for name in masking.MASKED_FIELDS:
            if stored[name] and data.get(name) == stored[name]:
                data[name] = ""  # `data` is the form's (mutable) copy of the POST
    return render_fragment(request, TEMPLATE, "form", {**context, "form": form}, status=status)


@require_POST
@web_view
def contact_delete_view(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    """Soft delete (the recycle bin); htmx gets the refreshed contacts card."""
    customer = customer_get(user=request.user, pk=pk, for_change=True)
    contact = contact_get(user=request.user, pk=contact_pk, for_change=True)
    if contact.customer_id != customer.pk:
        raise NotFoundError()
    url = reverse("customers:detail", args=[customer.pk])
    try:
        contact_delete(actor=request.user, contact=contact, version=post_version(request))
    except ConflictError as exc:
        return alert_response(request, exc.message, level="warning", status=409, redirect_to=url)
    message = _("Contact “%(name)s” moved to the recycle bin.") % {"name": contact.name}
    if not is_htmx(request):
        return alert_response(request, message, redirect_to=url)
    return _saved(request, customer)


@require_POST
@web_view
def contact_reveal_view(request: HttpRequest, pk: int, contact_pk: int, field: str) -> HttpResponse:
    """"Show the full number": audited (REVEAL on the customer's timeline); htmx swaps the clear value in."""
    customer = customer_get(user=request.user, pk=pk)
    if contact_get(user=request.user, pk=contact_pk).customer_id != customer.pk:
        raise NotFoundError()
    values = contact_reveal(actor=request.user, contact_id=contact_pk, fields=[field])
    value = values[field]
    shown = masking.clear_phone(value) if field == "mobile" else value
    return render_fragment(request, "customers/customer_detail.html", "revealed",
                           {"field": field, "value": value, "shown": shown})
