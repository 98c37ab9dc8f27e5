from django.urls import include, path

from .views import tickets

app_name = "support"

urlpatterns: list = [
    path("", tickets.ticket_list_view, name="list"),
    path("new/", tickets.ticket_create_view, name="create"),
    path("<int:pk>/", tickets.ticket_detail_view, name="detail"),
    path("<int:pk>/edit/", tickets.ticket_edit_view, name="edit"),
    path("<int:pk>/reply/", tickets.ticket_reply_view, name="reply"),
    path("<int:pk>/status/", tickets.ticket_status_view, name="status"),
    # Each area of the service desk keeps its own URLs, in this namespace.
    *(path("", include(f"guanxi.support.urls_{area}"))
      for area in ("mail", "sla", "complaints", "returns", "callbacks", "surveys", "knowledge", "reports")),
]
