"""Contacts on the 360° page: add and edit in a modal through htmx."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.errors import ConflictError, NotFoundError
from guanxi.core.text import mask_phone
from guanxi.web.http import alert_response, is_htmx, post_version, render_fragment, web_view

from ..forms import ContactForm
from ..models import Contact
from ..selectors.customers import can_change, contact_get, contacts_of, customer_get
from ..services.customers import contact_create, contact_delete, contact_update

TEMPLATE = "customers/contact_form.html"


def decorate_contacts(contacts: list[Contact], editable: bool) -> list[Contact]:
    """Who may not change the customer sees mobiles masked (138****8000)."""
    for contact in contacts:
        contact.display_mobile = (  # type: ignore[attr-defined]
            _pretty(contact.mobile) if editable else mask_phone(contact.mobile)
        )
    return contacts


def _pretty(e164: str) -> str:
    if e164.startswith("+86") and len(e164) == 14:
        d = e164[3:]
        return f"{d[:3]} {d[3:7]} {d[7:]}"
    return e164


def _saved(request: HttpRequest, customer: object) -> HttpResponse:
    """The refreshed contacts card; htmx swaps it in and the modal closes."""
    editable = can_change(request.user, customer)  # type: ignore[arg-type]
    contacts = decorate_contacts(list(contacts_of(user=request.user, customer=customer)), editable)  # type: ignore[arg-type]
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
    if request.method != "POST":
        return render_fragment(request, TEMPLATE, "form",
                               {"customer": customer, "contact": contact, "form": ContactForm(instance=contact)})
    form = ContactForm(request.POST, instance=contact)
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
    return render_fragment(request, TEMPLATE, "form", {"customer": customer, "contact": contact, "form": form},
                           status=status)


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
