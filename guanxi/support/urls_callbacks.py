from django.urls import path

from .views import callback_rules, callbacks

urlpatterns: list = [
    path("callbacks/", callbacks.callback_list_view, name="callbacks"),
    path("callbacks/<int:pk>/complete/", callbacks.callback_complete_view, name="callback_complete"),
    path("callbacks/ticket/<int:ticket_pk>/", callbacks.ticket_card_view, name="callbacks_ticket_card"),
    path("callbacks/rules/", callback_rules.rule_list_view, name="callback_rules"),
    path("callbacks/rules/new/", callback_rules.rule_create_view, name="callback_rule_create"),
    path("callbacks/rules/<int:pk>/", callback_rules.rule_edit_view, name="callback_rule_edit"),
    path("callbacks/rules/<int:pk>/delete/", callback_rules.rule_delete_view, name="callback_rule_delete"),
]
