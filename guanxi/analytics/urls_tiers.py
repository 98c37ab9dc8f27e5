"""Routes of member tiers and the analysis settings (under /analytics/, namespace "analytics")."""

from django.urls import path

from .views import analysis_settings, tier_runs, tiers

urlpatterns: list = [
    path("tiers/", tiers.tier_settings, name="tiers"),
    path("tiers/new/", tiers.tier_create, name="tier_create"),
    path("tiers/<int:pk>/", tiers.tier_edit, name="tier_edit"),
    path("tiers/<int:pk>/deactivate/", tiers.tier_deactivate, name="tier_deactivate"),
    path("tiers/<int:pk>/delete/", tiers.tier_delete, name="tier_delete"),
    path("tiers/policy/", tiers.tier_policy_save, name="tier_policy"),
    path("tiers/retier/", tier_runs.retier_start, name="retier"),
    path("tiers/retier/<str:result_id>/", tier_runs.retier_status, name="retier_status"),
    path("tiers/customers/<int:pk>/card/", tier_runs.tier_card, name="tier_card"),
    path("settings/analysis/", analysis_settings.analysis_settings, name="analysis_settings"),
]
