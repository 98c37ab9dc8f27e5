"""Pipeline area routes: opportunities, the board, forecast, targets and performance, pipeline settings."""

from django.urls import path

from .views import forecast, pipeline, pipeline_settings, targets

urlpatterns: list = [
    path("opportunities/", pipeline.opportunity_list_view, name="opportunity_list"),
    path("opportunities/new/", pipeline.opportunity_create_view, name="opportunity_create"),
    path("opportunities/customer-options/", pipeline.customer_options_view, name="opportunity_customer_options"),
    path("opportunities/<int:pk>/", pipeline.opportunity_detail_view, name="opportunity_detail"),
    path("opportunities/<int:pk>/edit/", pipeline.opportunity_edit_view, name="opportunity_edit"),
    path("opportunities/<int:pk>/move/", pipeline.opportunity_move_view, name="opportunity_move"),
    path("opportunities/<int:pk>/delete/", pipeline.opportunity_delete_view, name="opportunity_delete"),
    path("customers/<int:pk>/opportunities/", pipeline.customer_opportunities_view, name="customer_opportunities"),
    path("pipeline/board/", pipeline.board_view, name="board"),
    path("forecast/", forecast.forecast_view, name="forecast"),
    path("performance/", targets.performance_view, name="performance"),
    path("targets/", targets.target_list_view, name="targets"),
    path("targets/new/", targets.target_create_view, name="target_create"),
    path("targets/<int:pk>/edit/", targets.target_edit_view, name="target_edit"),
    path("targets/<int:pk>/delete/", targets.target_delete_view, name="target_delete"),
    path("settings/pipelines/", pipeline_settings.pipeline_list_view, name="pipelines"),
    path("settings/pipelines/<int:pk>/", pipeline_settings.pipeline_edit_view, name="pipeline_settings"),
    path("settings/pipelines/<int:pk>/reorder/", pipeline_settings.stage_reorder_view, name="stage_reorder"),
]
