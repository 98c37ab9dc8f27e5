from django.urls import path

from .views import contact_form, mail

urlpatterns: list = [
    path("contact/", contact_form.contact_form_view, name="contact_form"),
    path("<int:pk>/attachments/", mail.attachments_view, name="attachments"),
    path("<int:pk>/attachments/<int:attachment_id>/", mail.attachment_download_view, name="attachment_download"),
    path("mail/received/", mail.received_list_view, name="mail_received"),
]
