from django.urls import path

from .views import knowledge as views
from .views import knowledge_suggest as suggest

urlpatterns: list = [
    path("knowledge/", views.knowledge_list_view, name="knowledge_list"),
    path("knowledge/new/", views.knowledge_create_view, name="knowledge_create"),
    path("knowledge/queue/", views.knowledge_queue_view, name="knowledge_queue"),
    path("knowledge/<int:pk>/", views.knowledge_detail_view, name="knowledge_detail"),
    path("knowledge/<int:pk>/edit/", views.knowledge_edit_view, name="knowledge_edit"),
    path("knowledge/<int:pk>/submit/", views.knowledge_action_view, {"action": "submit"}, name="knowledge_submit"),
    path("knowledge/<int:pk>/archive/", views.knowledge_action_view, {"action": "archive"},
         name="knowledge_archive"),
    path("knowledge/<int:pk>/restore/", views.knowledge_action_view, {"action": "restore"},
         name="knowledge_restore"),
    path("knowledge/<int:pk>/use/", suggest.knowledge_use_view, name="knowledge_use"),
    path("knowledge/versions/<int:pk>/", views.knowledge_version_view, name="knowledge_version"),
    path("knowledge/versions/<int:pk>/approve/", views.knowledge_review_view, {"decision": "approve"},
         name="knowledge_approve"),
    path("knowledge/versions/<int:pk>/reject/", views.knowledge_review_view, {"decision": "reject"},
         name="knowledge_reject"),
    path("knowledge/ticket/<int:ticket_pk>/suggest/", suggest.knowledge_suggest_view, name="knowledge_suggest"),
]
