from django.urls import path

from .views import activity, contacts, customers, orders

app_name = "customers"
urlpatterns = [
    path("", customers.customer_list_view, name="list"),
    path("new/", customers.customer_create_view, name="create"),
    path("<int:pk>/", customers.customer_detail_view, name="detail"),
    path("<int:pk>/edit/", customers.customer_edit_view, name="edit"),
    path("<int:pk>/delete/", customers.customer_delete_view, name="delete"),
    path("<int:pk>/timeline/", activity.timeline_view, name="timeline"),
    path("<int:pk>/follow-ups/new/", activity.interaction_create_view, name="interaction_create"),
    path("<int:pk>/tasks/new/", activity.task_create_view, name="task_create"),
    path("<int:pk>/tasks/open/", activity.open_tasks_view, name="open_tasks"),
    path("<int:pk>/contacts/new/", contacts.contact_create_view, name="contact_create"),
    path("<int:pk>/contacts/<int:contact_pk>/edit/", contacts.contact_edit_view, name="contact_edit"),
    path("<int:pk>/contacts/<int:contact_pk>/delete/", contacts.contact_delete_view, name="contact_delete"),
    path("<int:pk>/contacts/<int:contact_pk>/reveal/<str:field>/", contacts.contact_reveal_view,
         name="contact_reveal"),
    path("<int:pk>/orders/new/", orders.order_create_view, name="order_create"),
    path("follow-ups/<int:pk>/edit/", activity.interaction_edit_view, name="interaction_edit"),
    path("follow-ups/<int:pk>/delete/", activity.interaction_delete_view, name="interaction_delete"),
    path("orders/", orders.order_list_view, name="order_list"),
    path("orders/<int:pk>/", orders.order_detail_view, name="order_detail"),
    path("orders/<int:pk>/edit/", orders.order_edit_view, name="order_edit"),
    path("orders/<int:pk>/delete/", orders.order_delete_view, name="order_delete"),
    path("tasks/", activity.my_tasks_view, name="my_tasks"),
    path("tasks/<int:pk>/toggle/", activity.task_toggle_view, name="task_toggle"),
    path("tasks/<int:pk>/edit/", activity.task_edit_view, name="task_edit"),
    path("tasks/<int:pk>/delete/", activity.task_delete_view, name="task_delete"),
]
