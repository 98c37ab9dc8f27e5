"""The analytics pages; each area keeps its routes in its own module under the one `analytics` namespace."""

from . import urls_backtest, urls_reports, urls_tiers

app_name = "analytics"
urlpatterns = [*urls_tiers.urlpatterns, *urls_backtest.urlpatterns, *urls_reports.urlpatterns]
