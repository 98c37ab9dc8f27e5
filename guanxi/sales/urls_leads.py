"""Lead, campaign, public web form and lead-rule pages (under /sales/, namespace `sales`)."""

from django.urls import path

from .views import lead_export, lead_import, lead_rules, leads, public_form

urlpatterns: list = [
    path("leads/", leads.lead_list_view, name="leads"),
    path("leads/new/", leads.lead_create_view, name="lead_create"),
    path("leads/check/", leads.lead_check_view, name="lead_check"),
    path("leads/assign/", leads.lead_bulk_assign_view, name="lead_bulk_assign"),
    path("leads/export.<str:fmt>", lead_export.lead_export_view, name="lead_export"),
    path("leads/import/", lead_import.lead_import_start_view, name="lead_import"),
    path("leads/import/<str:token>/", lead_import.lead_import_run_view, name="lead_import_run"),
    path("leads/<int:pk>/", leads.lead_detail_view, name="lead_detail"),
    path("leads/<int:pk>/edit/", leads.lead_edit_view, name="lead_edit"),
    path("leads/<int:pk>/delete/", leads.lead_delete_view, name="lead_delete"),
    path("leads/<int:pk>/status/", leads.lead_status_view, name="lead_status"),
    path("leads/<int:pk>/activity/", leads.lead_activity_view, name="lead_activity"),
    path("leads/<int:pk>/assign/", leads.lead_assign_view, name="lead_assign"),
    path("leads/<int:pk>/reveal/", leads.lead_reveal_view, name="lead_reveal"),
    path("leads/<int:pk>/convert/", leads.lead_convert_view, name="lead_convert"),
    path("campaigns/", leads.campaign_list_view, name="campaigns"),
    path("campaigns/new/", leads.campaign_form_view, name="campaign_create"),
    path("campaigns/<int:pk>/", leads.campaign_detail_view, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", leads.campaign_form_view, name="campaign_edit"),
    path("forms/lead/", public_form.public_lead_form_view, name="public_lead_form"),
    path("settings/duplicates/", lead_rules.duplicate_rules_view, name="duplicate_rules"),
    path("settings/assignment/", lead_rules.assignment_rules_view, name="assignment_rules"),
    path("settings/assignment/new/", lead_rules.assignment_rule_form_view, name="assignment_rule_create"),
    path("settings/assignment/<int:pk>/", lead_rules.assignment_rule_form_view, name="assignment_rule_edit"),
    path("settings/assignment/<int:pk>/delete/", lead_rules.assignment_rule_delete_view,
         name="assignment_rule_delete"),
]
