from django.urls import path

from .views import customers

app_name = "customers"
urlpatterns = [
    path("", customers.customer_list, name="list"),
    path("tasks/", customers.my_tasks, name="my_tasks"),
]
