"""The API docs in a real browser with every other host blocked: both versions shown, Authorize works."""

import pytest

from tests.factories import ExamFactory, UserFactory

from .support import block_other_hosts, screenshot, token_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def console_errors(page) -> list[str]:
    """What the page reports as errors (a Content-Security-Policy refusal among them), as it happens."""
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def operation_paths(page) -> set[str]:
    return set(page.locator(".opblock-summary-path").evaluate_all("els => els.map(e => e.dataset.path)"))


def test_docs_offer_the_student_api_then_the_admin_api_and_authorize_works(page, live_server):
    attempted = block_other_hosts(page, live_server)
    errors = console_errors(page)
    ExamFactory(title="Weekly Test 1")
    UserFactory(username="priya")
    token = token_for(live_server, "priya", "demo-pass-123")

    page.goto("/api/docs/")
    page.wait_for_selector(".opblock-summary-path[data-path='/api/v2.1/exams/']")
    student = operation_paths(page)
    assert {"/api/v2.1/auth-token/", "/api/v2.1/exams/", "/api/v2.1/attempts/{id}/end/"} <= student
    assert not any(path.startswith("/api/v2.5/") for path in student)
    assert page.locator(".information-container").get_by_text("Signing in (the Authorize button)").count()

    # Authorize with the header as the apps send it, then try a request from the page.
    page.click(".auth-wrapper button.authorize")
    box = page.locator(".auth-container").filter(has_text="jwtAuth")
    box.locator("input").fill(f"JWT {token}")
    box.locator("button.authorize").click()
    page.click(".modal-ux button.btn-done")
    page.click(".opblock-summary-path[data-path='/api/v2.1/exams/']")
    operation = page.locator(".opblock.is-open")
    operation.locator("button.try-out__btn").click()
    with page.expect_request(lambda r: "/api/v2.1/exams/" in r.url) as sent:
        operation.locator("button.execute").click()
    assert sent.value.headers["authorization"] == f"JWT {token}"
    status = operation.locator(".live-responses-table tbody .response-col_status")
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert "Weekly Test 1" in operation.locator(".live-responses-table .microlight").first.inner_text()
    screenshot(page, "api_docs_v2_1")

    page.select_option(".topbar select", label="Admin API (v2.5)")
    page.wait_for_selector(".opblock-summary-path[data-path='/api/v2.5/admin/attempts/']")
    admin = operation_paths(page)
    assert {"/api/v2.5/admin/attempts/", "/api/v2.5/admin/exams/", "/api/v2.5/admin/users/"} <= admin
    assert not any(path.startswith("/api/v2.1/") for path in admin)
    screenshot(page, "api_docs_v2_5")

    assert attempted == []
    assert errors == []


def test_redoc_shows_each_version_from_the_app_alone(page, live_server):
    attempted = block_other_hosts(page, live_server)
    errors = console_errors(page)

    page.goto("/api/redoc/")
    page.wait_for_selector("text=/api/v2.1/exams/")
    assert page.get_by_text("/api/v2.5/admin/attempts/").count() == 0
    page.click("nav.documents >> text=Admin API (v2.5)")
    page.wait_for_selector("text=/api/v2.5/admin/attempts/")
    screenshot(page, "api_redoc_v2_5")

    assert attempted == []
    # The one thing ReDoc links from elsewhere, its footer logo, is refused by the page's policy.
    assert [e for e in errors if "cdn.redoc.ly/redoc/logo-mini.svg" not in e] == []
