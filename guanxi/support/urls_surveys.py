from django.urls import path

from .views import survey_responses, surveys_public, surveys_settings

urlpatterns: list = [
    # Public: no login, the single-use token is the credential.
    path("s/<str:token>/", surveys_public.survey_answer_view, name="survey_answer"),
    path("surveys/", surveys_settings.survey_list_view, name="surveys"),
    path("surveys/new/", surveys_settings.survey_create_view, name="survey_create"),
    path("surveys/<int:pk>/", surveys_settings.survey_edit_view, name="survey_edit"),
    path("surveys/<int:pk>/toggle/", surveys_settings.survey_toggle_view, name="survey_toggle"),
    path("surveys/<int:pk>/delete/", surveys_settings.survey_delete_view, name="survey_delete"),
    path("surveys/<int:pk>/send/", surveys_settings.survey_send_view, name="survey_send"),
    path("surveys/customer-options/", surveys_settings.customer_options_view, name="survey_customer_options"),
    path("surveys/responses/", survey_responses.response_list_view, name="survey_responses"),
    path("surveys/responses/export.xlsx", survey_responses.response_export_view, name="survey_responses_export"),
]
