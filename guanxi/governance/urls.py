from django.urls import path

from .views import audit, custom_fields, departments, people, policies, recycle, tokens

app_name = "governance"
urlpatterns = [
    path("audit/", audit.audit_trail, name="audit"),
    path("recycle-bin/", recycle.recycle_list, name="recycle_bin_home"),
    path("recycle-bin/<str:entity>/", recycle.recycle_list, name="recycle_bin"),
    path("recycle-bin/<str:entity>/<int:pk>/restore/", recycle.recycle_restore_view, name="recycle_restore"),
    path("custom-fields/", custom_fields.custom_field_list, name="custom_fields_home"),
    path("custom-fields/<int:pk>/", custom_fields.custom_field_edit, name="custom_field_edit"),
    path("custom-fields/<int:pk>/toggle/", custom_fields.custom_field_toggle, name="custom_field_toggle"),
    path("custom-fields/<str:entity>/", custom_fields.custom_field_list, name="custom_fields"),
    path("custom-fields/<str:entity>/new/", custom_fields.custom_field_create, name="custom_field_create"),
    path("people/", people.people_list, name="people"),
    path("people/new/", people.person_create, name="person_create"),
    path("people/<int:pk>/", people.person_edit, name="person_edit"),
    path("people/<int:pk>/depart/", people.person_depart, name="person_depart"),
    path("departments/", departments.department_list, name="departments"),
    path("departments/new/", departments.department_create_view, name="department_create"),
    path("departments/<int:pk>/", departments.department_edit, name="department_edit"),
    path("role-policies/", policies.role_policies, name="role_policies"),
    path("tokens/", tokens.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", tokens.token_revoke, name="token_revoke"),
]
