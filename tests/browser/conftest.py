"""Browser tests: Playwright driving the system Chromium (Debian's package) against the live test server."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("GUANXI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# around it are synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    # Reason: a developer machine without Chromium cannot run these; CI installs it (.ci/run).
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    context.close()
