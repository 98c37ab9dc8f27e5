from django.contrib import admin
from django.urls import include, path

from guanxi.api.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("customers/", include("guanxi.customers.urls")),
    path("data/", include("guanxi.customers.urls_io")),
    path("settings/", include("guanxi.governance.urls")),
    path("sales/", include("guanxi.sales.urls")),
    path("support/", include("guanxi.support.urls")),
    path("analytics/", include("guanxi.analytics.urls")),
    path("", include("guanxi.web.urls")),
]
