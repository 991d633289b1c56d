"""Browser tests: Playwright's sync API drives Debian's Chromium against pytest-django's live server."""

import os
from pathlib import Path

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread

from tests.factories import UserFactory

CHROMIUM = Path("/usr/bin/chromium")
# Playwright cannot download a browser of its own here; these flags keep Debian's quiet and headless
# (no sandbox as root in CI, no GPU, no calls home).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STAFF_PASSWORD = "staff-pass-8231"


class OneRequestAtATimeServer(WSGIServer):
    """Django's plain WSGI server: it answers one request at a time and closes each connection."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)


@pytest.fixture(scope="session", autouse=True)
def serial_live_server_on_in_memory_sqlite():
    """On SQLite the test database lives in memory, and the live server's threads share its one
    connection with the test. The admin's autocomplete fires overlapping requests; each runs in its
    own ATOMIC_REQUESTS savepoint, and interleaved on one connection they break each other ("no such
    savepoint"). Serving one request at a time keeps them apart. PostgreSQL gives every thread its
    own connection and keeps the threaded server.
    """
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    threaded = LiveServerThread.server_class
    LiveServerThread.server_class = OneRequestAtATimeServer
    yield
    LiveServerThread.server_class = threaded


@pytest.fixture
def browser(monkeypatch):
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)"
        # CI installs it, so there a missing browser is a broken install step, not a reason to skip.
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    # Playwright's sync API runs an asyncio event loop in the test's own thread. Django's guard then
    # takes the test's ORM calls (factories, assertions) for calls from async code and raises
    # SynchronousOnlyOperation. They are not: the loop only waits on the browser while the test is
    # blocked. Set for these tests only (monkeypatch), so the rest of the suite keeps the guard.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def staff_user(live_server):
    user = UserFactory(staff=True, username="boss")
    user.set_password(STAFF_PASSWORD)
    user.save()
    return user


@pytest.fixture
def staff_page(page, staff_user):
    """A page signed in to the Django admin as staff, through its login form."""
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", staff_user.username)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    assert page.url.endswith("/admin/")
    return page
