from ninja import NinjaAPI

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
