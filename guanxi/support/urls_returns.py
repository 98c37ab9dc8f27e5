from django.urls import path

from .views import returns

urlpatterns: list = [
    path("returns/", returns.return_list_view, name="returns"),
    path("returns/new/<int:order_pk>/", returns.return_create_view, name="return_create"),
    path("returns/<int:pk>/", returns.return_detail_view, name="return_detail"),
    path("returns/<int:pk>/decide/", returns.return_decide_view, name="return_decide"),
    path("returns/<int:pk>/complete/", returns.return_complete_view, name="return_complete"),
    path("returns/ticket/<int:pk>/card/", returns.return_ticket_card_view, name="return_ticket_card"),
]
