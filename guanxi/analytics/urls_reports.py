"""Routes of the customer-value pages (under /analytics/, namespace "analytics"): the dashboard, the 80/20 and
churn reports with their Excel downloads, the analysis runs page and the customer page's value card."""

from django.urls import path, re_path

from .views import metrics_card, reports, runs

urlpatterns: list = [
    path("", reports.dashboard_view, name="dashboard"),
    path("pareto/", reports.pareto_view, name="pareto"),
    path("churn/", reports.churn_view, name="churn"),
    re_path(r"^(?P<report>dashboard|pareto|churn)/export\.xlsx$", reports.report_export_view, name="report_export"),
    path("runs/", runs.runs_page, name="runs"),
    path("runs/start/", runs.run_start, name="run_start"),
    path("runs/<int:pk>/progress/", runs.run_progress, name="run_progress"),
    path("customers/<int:pk>/metrics-card/", metrics_card.metrics_card, name="metrics_card"),
]
