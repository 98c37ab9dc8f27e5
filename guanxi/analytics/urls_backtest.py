"""Routes of the back-tests (under /analytics/, namespace "analytics")."""

from django.urls import path

from .views import backtest

urlpatterns: list = [
    path("backtest/", backtest.backtest_list, name="backtest"),
    path("backtest/<int:pk>/", backtest.backtest_detail, name="backtest_detail"),
]
