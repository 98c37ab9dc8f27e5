"""Routes of the pool area: the public pool, its rules, handover, account teams, relationship report."""

from django.urls import path

from .views import handover, pool, pool_settings, relationships, team

urlpatterns: list = [
    path("pool/", pool.pool_list_view, name="pool"),
    path("pool/<int:pk>/claim/", pool.claim_view, name="pool_claim"),
    path("pool/<int:pk>/release/", pool.release_view, name="pool_release"),
    path("pool/<int:pk>/assign/", pool.assign_view, name="pool_assign"),
    path("pool/<int:pk>/lock/", pool.lock_view, name="pool_lock"),
    path("pool/<int:pk>/unlock/", pool.unlock_view, name="pool_unlock"),
    path("pool/customer/<int:pk>/card/", pool.customer_card, name="pool_card"),
    path("customers/<int:pk>/team/", team.team_add_view, name="team_add"),
    path("customers/<int:pk>/team/<int:user_id>/remove/", team.team_remove_view, name="team_remove"),
    path("settings/pools/", pool_settings.pool_settings_list, name="pool_settings"),
    path("settings/pools/new/", pool_settings.pool_settings_create, name="pool_settings_create"),
    path("settings/pools/<int:pk>/", pool_settings.pool_settings_edit, name="pool_settings_edit"),
    path("settings/pools/<int:pk>/delete/", pool_settings.pool_settings_delete, name="pool_settings_delete"),
    path("handover/", handover.handover_view, name="handover"),
    path("handover/history/", handover.handover_history, name="handover_history"),
    path("handover/<int:pk>/", handover.handover_detail, name="handover_detail"),
    path("relationships/", relationships.relationships_view, name="relationships"),
]
