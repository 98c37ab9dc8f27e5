"""Lead pages: list (with bulk assign), create/edit with the live duplicate check, the lead page (follow-ups,
status, assign, reveal), conversion, and campaigns. Thin: selectors read, services write."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from guanxi.customers.models import Customer, Interaction
from guanxi.customers.selectors.customers import capped_count, customer_get
from guanxi.governance import masking, permissions
from guanxi.web.http import (
    alert_response,
    page_number,
    post_version,
    query_without,
    render_fragment,
    render_page,
    require,
    slice_page,
    web_view,
)

from ..filters import LeadFilter
from ..forms_leads import ActivityForm, AssignForm, CampaignForm, ConvertForm, LeadForm, StatusForm, people_for
from ..models import Campaign, Lead
from ..selectors import leads as sel
from ..services import assignment, conversion, dedup
from ..services import leads as svc

PER_PAGE = 25
SORT_LABELS = [
    ("-id", gettext_lazy("Newest first")),
    ("-score", gettext_lazy("Highest score first")),
    ("-last_follow_up", gettext_lazy("Recent follow-up first")),
    ("last_follow_up", gettext_lazy("Longest without follow-up")),
    ("name", gettext_lazy("Name A–Z")),
]


def _redirect(url: str) -> HttpResponse:
    return redirect(url)


@web_view
def lead_list_view(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    for key in [k for k, v in params.items() if v == ""]:
        params.pop(key)
    filters = LeadFilter(params or None)
    valid = filters.is_valid() if filters.is_bound else True
    if not filters.is_bound:
        filters.cleaned_data = {}
    page = page_number(request)
    rows: list[Lead] = []
    total, more, has_next = 0, False, False
    if valid:
        qs = sel.lead_list(user=request.user, filters=filters if filters.is_bound else None)
        if not filters.is_bound:
            qs = qs.order_by("-id")
        total, more = capped_count(qs)
        rows, has_next = slice_page(qs, page, PER_PAGE)
    shown = masking.for_user(request.user)
    for row in rows:
        view = shown.mask_lead(row)
        row.mobile, row.email = view.mobile, view.email
    can_assign = sel.can_assign_leads(request.user)
    context = {
        "filters": filters, "rows": rows, "total": total, "more": more, "page": page, "has_next": has_next,
        "has_prev": page > 1, "query": query_without(request, "page"), "sort_labels": SORT_LABELS,
        "statuses": Lead.Status.choices, "sources": Lead.Source.choices,
        "campaigns": list(Campaign.objects.order_by("-is_active", "name").values_list("id", "name")[:300]),
        "is_filtered": any(k not in {"page", "sort"} for k in params),
        "can_create": permissions.can(request.user, permissions.CHANGE),
        "can_import": permissions.can(request.user, permissions.IMPORT),
        "can_export": permissions.can(request.user, permissions.EXPORT),
        "can_assign": can_assign,
        "people": list(people_for(request.user)[:300]) if can_assign else [],
    }
    return render_page(request, "sales/leads/lead_list.html", context, fragment="results")


def _form_page(request: HttpRequest, form: LeadForm, lead: Lead | None, *, matches: list[Any] | None = None,
               status: int = 200, conflict: bool = False) -> HttpResponse:
    return render_page(request, "sales/leads/lead_form.html",
                       {"form": form, "lead": lead, "matches": matches or [], "conflict": conflict}, status=status)


@web_view
def lead_create_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.CHANGE)
    if request.method != "POST":
        initial = {"campaign": request.GET.get("campaign")} if request.GET.get("campaign", "").isdigit() else {}
        return _form_page(request, LeadForm(user=request.user, initial=initial), None)
    form = LeadForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            lead = svc.lead_create(actor=request.user, data=form.service_data(),
                                   owner=form.owner(svc.UNSET, svc.AUTO),
                                   confirm_duplicates=form.cleaned_data.get("confirm_duplicates", False))
        except dedup.DuplicatesFound as exc:
            form.add_error(None, exc.message)
            return _form_page(request, form, None, matches=exc.matches, status=409)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Lead “%(name)s” created.") % {"name": lead.name})
            return _redirect(reverse("sales:lead_detail", args=[lead.pk]))
    return _form_page(request, form, None, status=422)


@web_view
def lead_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = sel.lead_get(user=request.user, pk=pk, for_change=True)
    if request.method != "POST":
        return _form_page(request, LeadForm(user=request.user, lead=lead), lead)
    form = LeadForm(request.POST, user=request.user, lead=lead)
    if form.is_valid():
        try:
            svc.lead_update(actor=request.user, lead=lead, data=form.service_data(),
                            version=form.cleaned_data.get("version"),
                            confirm_duplicates=form.cleaned_data.get("confirm_duplicates", False))
        except dedup.DuplicatesFound as exc:
            form.add_error(None, exc.message)
            return _form_page(request, form, lead, matches=exc.matches, status=409)
        except ConflictError as exc:
            form.add_error(None, exc.message)
            return _form_page(request, form, lead, status=409, conflict=True)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Changes saved."))
            return _redirect(reverse("sales:lead_detail", args=[lead.pk]))
    return _form_page(request, form, lead, status=422)


@web_view
def lead_check_view(request: HttpRequest) -> HttpResponse:
    """The live duplicate check (htmx) while the lead form is filled in."""
    require(request.user, permissions.VIEW)
    exclude_pk = request.GET.get("lead", "")
    matches = dedup.find_duplicates(
        actor=request.user, mobile=request.GET.get("mobile", ""), email=request.GET.get("email", ""),
        company=request.GET.get("company", ""), credit_code=request.GET.get("credit_code", ""),
        exclude=("lead", int(exclude_pk)) if exclude_pk.isdigit() else None)
    return render_fragment(request, "sales/leads/lead_form.html", "duplicates",
                           {"matches": matches, "live": True, "rules": dedup.duplicate_rules()})


@web_view
def lead_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = sel.lead_get(user=request.user, pk=pk)
    editable = lead.status != Lead.Status.CONVERTED and sel.can_change_lead(request.user, lead)
    shown = masking.for_user(request.user).mask_lead(lead)
    activities = list(sel.activities_of(lead)[:100])
    labels = dict(Interaction.Channel.choices)
    for activity in activities:
        activity.channel_label = labels.get(activity.channel, activity.channel)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "lead": lead, "editable": editable, "masked": shown.masked, "mobile": shown.mobile, "email": shown.email,
        "activities": activities,
        "owner_changes": list(sel.owner_changes_of(lead)[:50]),
        "can_delete": editable and permissions.can(request.user, permissions.DELETE),
        "can_assign": editable and sel.can_assign_leads(request.user),
    }
    if editable:
        context.update({
            "activity_form": ActivityForm(),
            "status_form": StatusForm(initial={"status": lead.status, "version": lead.version}),
            "assign_form": AssignForm(user=request.user, initial={"owner": lead.owner_id}),
        })
    return render_page(request, "sales/leads/lead_detail.html", context)


def _back(lead: Lead) -> str:
    return reverse("sales:lead_detail", args=[lead.pk])


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@require_POST
@web_view
def lead_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = sel.lead_get(user=request.user, pk=pk, for_change=True)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return alert_response(request, _errors(ValidationError(form.errors)), level="danger", status=422,
                              redirect_to=_back(lead))
    try:
        svc.lead_set_status(actor=request.user, lead=lead, status=form.cleaned_data["status"],
                            reason=form.cleaned_data["reason"], version=post_version(request))
    except (ValidationError, ConflictError) as exc:
        message = exc.message if isinstance(exc, ConflictError) else _errors(exc)
        return alert_response(request, message, level="danger", status=422, redirect_to=_back(lead))
    messages.success(request, _("Status changed."))
    return _redirect(_back(lead))


@require_POST
@web_view
def lead_activity_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = sel.lead_get(user=request.user, pk=pk, for_change=True)
    form = ActivityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(ValidationError(form.errors)))
        return _redirect(_back(lead))
    try:
        svc.lead_activity_create(actor=request.user, lead=lead, data=form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Follow-up logged."))
    return _redirect(_back(lead))


@require_POST
@web_view
def lead_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = sel.lead_get(user=request.user, pk=pk, for_change=True)
    form = AssignForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _errors(ValidationError(form.errors)))
        return _redirect(_back(lead))
    try:
        assignment.lead_assign(actor=request.user, lead=lead, owner=form.cleaned_data["owner"],
                               reason=form.cleaned_data["reason"], version=post_version(request))
    except ConflictError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Owner changed."))
    return _redirect(_back(lead))


@require_POST
@web_view
def lead_bulk_assign_view(request: HttpRequest) -> HttpResponse:
    if not sel.can_assign_leads(request.user):
        raise PermissionDeniedError()
    ids = [int(v) for v in request.POST.getlist("leads") if v.isdigit()]
    back = reverse("sales:leads") + ("?" + request.POST["query"] if request.POST.get("query") else "")
    form = AssignForm(request.POST, user=request.user)
    leads = sel.leads_for_change(user=request.user, ids=ids)
    if not form.is_valid() or len(leads) != len(set(ids)):
        messages.error(request, _("Choose leads you may change and a person you may assign them to."))
        return _redirect(back)
    try:
        done = assignment.lead_bulk_assign(actor=request.user, leads=leads, owner=form.cleaned_data["owner"],
                                           reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("%(n)d leads assigned.") % {"n": done})
    return _redirect(back)


@require_POST
@web_view
def lead_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = sel.lead_get(user=request.user, pk=pk, for_change=True)
    require(request.user, permissions.DELETE)
    try:
        svc.lead_delete(actor=request.user, lead=lead, version=post_version(request))
    except ConflictError as exc:
        messages.error(request, exc.message)
        return _redirect(_back(lead))
    messages.success(request, _("“%(name)s” moved to the recycle bin.") % {"name": lead.name})
    return _redirect(reverse("sales:leads"))


@require_POST
@web_view
def lead_reveal_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a masked mobile and email; the reveal is audited."""
    lead = sel.lead_get(user=request.user, pk=pk)
    svc.lead_reveal(actor=request.user, lead=lead)
    return render_fragment(request, "sales/leads/lead_detail.html", "contact",
                           {"lead": lead, "masked": False, "mobile": lead.mobile, "email": lead.email})


@web_view
def lead_convert_view(request: HttpRequest, pk: int) -> HttpResponse:
    lead = sel.lead_get(user=request.user, pk=pk, for_change=True)
    if lead.status == Lead.Status.CONVERTED:
        messages.error(request, _("This lead was already converted; it cannot be converted twice."))
        return _redirect(_back(lead))
    matches = [m for m in dedup.find_duplicates(actor=request.user, mobile=lead.mobile, email=lead.email,
                                                company=lead.company, credit_code=lead.credit_code,
                                                exclude=("lead", lead.pk)) if m.entity == "customer"]
    status = 200
    if request.method == "POST":
        form = ConvertForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                customer: Customer | None = None
                if data.get("existing"):
                    try:
                        customer = customer_get(user=request.user, pk=data["existing"], for_change=True)
                    except (NotFoundError, PermissionDeniedError):
                        raise ValidationError({"existing": [_("You cannot add to this customer.")]}) from None
                lead = conversion.lead_convert(
                    actor=request.user, lead=lead, customer=customer, kind=data["kind"],
                    customer_name=data["customer_name"], create_opportunity=data["create_opportunity"],
                    opportunity_name=data["opportunity_name"], amount=data["amount"],
                    expected_close_date=data["expected_close_date"], version=data.get("version"),
                    confirm_duplicates=data["confirm_duplicates"])
            except dedup.DuplicatesFound as exc:
                form.add_error(None, exc.message)
                matches, status = exc.matches, 409
            except ConflictError as exc:
                form.add_error(None, exc.message)
                status = 409
            except ValidationError as exc:
                form.add_service_errors(exc)
                status = 422
            else:
                messages.success(request, _("Lead converted to customer “%(name)s”.")
                                 % {"name": lead.converted_customer})
                return _redirect(reverse("customers:detail", args=[lead.converted_customer_id]))
        else:
            status = 422
    else:
        form = ConvertForm(initial={
            "kind": "company" if lead.company else "individual", "version": lead.version,
            "opportunity_name": lead.company or lead.name,
        })
    return render_page(request, "sales/leads/lead_convert.html",
                       {"lead": lead, "form": form, "matches": matches}, status=status)


# ---------------------------------------------------------------- campaigns


@web_view
def campaign_list_view(request: HttpRequest) -> HttpResponse:
    campaigns = list(sel.campaign_list(user=request.user)[:500])
    for c in campaigns:
        c.rate = (c.converted_count * 100 / c.lead_count) if c.lead_count else None  # type: ignore[attr-defined]
    return render_page(request, "sales/leads/campaign_list.html", {
        "campaigns": campaigns, "by_source": sel.conversion_by_source(),
        "can_manage": permissions.can(request.user, permissions.MANAGE_CAMPAIGNS),
    })


@web_view
def campaign_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = sel.campaign_get(user=request.user, pk=pk)
    leads = list(sel.lead_list(user=request.user).filter(campaign=campaign).order_by("-id")[:20])
    return render_page(request, "sales/leads/campaign_detail.html", {
        "campaign": campaign, "stats": sel.campaign_stats(campaign), "leads": leads,
        "can_manage": permissions.can(request.user, permissions.MANAGE_CAMPAIGNS),
        "embed_url": request.build_absolute_uri(reverse("sales:public_lead_form")) + f"?campaign={campaign.pk}",
    })


@web_view
def campaign_form_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    campaign = sel.campaign_get(user=request.user, pk=pk, for_change=True) if pk else None
    if campaign is None and not permissions.can(request.user, permissions.MANAGE_CAMPAIGNS):
        raise PermissionDeniedError()
    form = CampaignForm(request.POST or None, instance=campaign)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if campaign is None:
                    campaign = svc.campaign_create(actor=request.user, data=form.service_data())
                else:
                    campaign = svc.campaign_update(actor=request.user, campaign=campaign, data=form.service_data())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Campaign saved."))
                return _redirect(reverse("sales:campaign_detail", args=[campaign.pk]))
        status = 422
    return render_page(request, "sales/leads/campaign_form.html", {"form": form, "campaign": campaign},
                       status=status)
