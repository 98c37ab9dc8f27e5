"""The sales pages; each area keeps its routes in its own module under the one `sales` namespace."""

from . import urls_leads, urls_pipeline, urls_pool

app_name = "sales"
urlpatterns = [*urls_leads.urlpatterns, *urls_pipeline.urlpatterns, *urls_pool.urlpatterns]
