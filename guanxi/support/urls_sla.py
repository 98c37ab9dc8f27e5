"""URLs of the SLA area (in the "support" namespace, under /support/)."""

from django.urls import path

from .views import routing_settings, sla_settings, sla_ticket

urlpatterns: list = [
    path("sla/policies/", sla_settings.sla_policy_list_view, name="sla_policies"),
    path("sla/policies/new/", sla_settings.sla_policy_create_view, name="sla_policy_create"),
    path("sla/policies/<int:pk>/", sla_settings.sla_policy_edit_view, name="sla_policy_edit"),
    path("sla/policies/<int:pk>/active/", sla_settings.sla_policy_active_view, name="sla_policy_active"),
    path("sla/holidays/", sla_settings.holiday_list_view, name="sla_holidays"),
    path("sla/holidays/new/", sla_settings.holiday_create_view, name="sla_holiday_create"),
    path("sla/holidays/import/", sla_settings.holiday_import_view, name="sla_holidays_import"),
    path("sla/holidays/<int:pk>/", sla_settings.holiday_edit_view, name="sla_holiday_edit"),
    path("sla/holidays/<int:pk>/delete/", sla_settings.holiday_delete_view, name="sla_holiday_delete"),
    path("sla/routing/", routing_settings.routing_rule_list_view, name="routing_rules"),
    path("sla/routing/new/", routing_settings.routing_rule_create_view, name="routing_rule_create"),
    path("sla/routing/<int:pk>/", routing_settings.routing_rule_edit_view, name="routing_rule_edit"),
    path("sla/routing/<int:pk>/delete/", routing_settings.routing_rule_delete_view, name="routing_rule_delete"),
    path("sla/routing/<int:pk>/move/", routing_settings.routing_rule_move_view, name="routing_rule_move"),
    path("sla/ticket/<int:pk>/card/", sla_ticket.sla_card_view, name="sla_card"),
    path("sla/ticket/<int:pk>/assign/", sla_ticket.ticket_reassign_view, name="ticket_reassign"),
]
