from django.urls import path

from .views import reports

urlpatterns: list = [
    path("reports/service/", reports.service_report_view, name="reports_service"),
    path("reports/service/export.xlsx", reports.service_report_export_view, name="reports_service_export"),
]
