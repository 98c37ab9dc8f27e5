from ninja import NinjaAPI

from guanxi.analytics.api import router as analytics_metrics_router
from guanxi.analytics.api_backtest import router as analytics_backtest_router
from guanxi.analytics.api_tiers import router as analytics_tiers_router
from guanxi.customers.api import router as customers_router
from guanxi.customers.api_io import router as customers_io_router
from guanxi.governance.api import router as governance_router
from guanxi.sales.api_leads import router as sales_leads_router
from guanxi.sales.api_pipeline import router as sales_pipeline_router
from guanxi.sales.api_pool import router as sales_pool_router
from guanxi.support import (
    api_callbacks,
    api_complaints,
    api_knowledge,
    api_mail,
    api_reports,
    api_returns,
    api_sla,
    api_surveys,
)
from guanxi.support.api import router as support_router

from .auth import API_AUTH
from .errors import install_error_handlers

api = NinjaAPI(
    title="Guanxi CRM API",
    version="1",
    description="Customers, contacts, follow-ups, tasks and orders. Authenticate with the browser session "
    "or a personal API token (`Authorization: Bearer gx_…`).",
    auth=API_AUTH,
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/", customers_router)
api.add_router("/", customers_io_router)
api.add_router("/", governance_router)
api.add_router("/", sales_leads_router)
api.add_router("/", sales_pipeline_router)
api.add_router("/", sales_pool_router)
api.add_router("/", support_router)
for module in (api_mail, api_sla, api_complaints, api_returns, api_callbacks, api_surveys, api_knowledge, api_reports):
    api.add_router("/", module.router)
api.add_router("/", analytics_metrics_router)
api.add_router("/", analytics_tiers_router)
api.add_router("/", analytics_backtest_router)
api.add_router("/", "guanxi.analytics.api_reports.router")
