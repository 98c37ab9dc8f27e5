from django.urls import path

from .views import complaints

urlpatterns: list = [
    path("complaints/<int:pk>/card/", complaints.complaint_card_view, name="complaint_card"),
    path("complaints/<int:pk>/steps/<slug:step>/", complaints.complaint_step_view, name="complaint_step"),
    path("complaints/<int:pk>/compensations/", complaints.complaint_compensation_view, name="complaint_compensation"),
    path("complaints/<int:pk>/close/", complaints.complaint_close_view, name="complaint_close"),
]
