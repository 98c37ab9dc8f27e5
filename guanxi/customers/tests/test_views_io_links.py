"""Import and export links on the list pages and in the navigation, per role (capabilities EXPORT / IMPORT)."""

from __future__ import annotations

import pytest
from django.urls import reverse

HX = {"HTTP_HX_REQUEST": "true"}
CUSTOMER_XLSX = reverse("customers_io:export", args=["customer", "xlsx"])
ORDER_XLSX = reverse("customers_io:export", args=["order", "xlsx"])
IMPORT = reverse("customers_io:import_start")


def _page(client, user, name, **params) -> str:
    client.force_login(user)
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(("role", "export", "import_"), [
    ("analyst", True, False),   # EXPORT, no IMPORT
    ("rep", False, False),      # neither
    ("manager", True, True),    # both
    ("admin", True, True),
])
def test_customer_list_shows_export_and_import_by_capability(client, org, customers, role, export, import_):
    body = _page(client, getattr(org, role), "customers:list")
    assert (CUSTOMER_XLSX in body) is export
    assert (f'href="{IMPORT}"' in body) is import_
    assert ('data-testid="import-link"' in body) is import_  # the list page's header
    assert ('data-testid="nav-import"' in body) is import_  # the navigation


def test_export_menu_carries_the_current_filters_in_the_htmx_fragment(client, org, customers):
    client.force_login(org.analyst)
    response = client.get(reverse("customers:list"), {"q": "zs", "lifecycle": "prospect"}, **HX)
    body = response.content.decode()
    assert "<html" not in body
    assert f"{CUSTOMER_XLSX}?q=zs&amp;lifecycle=prospect" in body


def test_no_export_menu_while_the_filters_are_invalid(client, org, customers):
    body = _page(client, org.analyst, "customers:list", owner="someone")
    assert CUSTOMER_XLSX not in body


@pytest.mark.parametrize(("role", "export"), [("analyst", True), ("rep", False), ("manager", True)])
def test_order_list_links_to_the_order_export(client, org, role, export):
    body = _page(client, getattr(org, role), "customers:order_list")
    assert (ORDER_XLSX in body) is export
    assert ('data-testid="order-export"' in body) is export


def test_nav_shows_import_on_other_pages_too(client, org):
    assert 'data-testid="nav-import"' in _page(client, org.manager, "customers:my_tasks")
    assert 'data-testid="nav-import"' not in _page(client, org.analyst, "customers:my_tasks")
