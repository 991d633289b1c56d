"""The exam webhook in the Django admin: its one settings row, the events with their tries, send again."""

import pytest
from django.test import override_settings
from django.urls import reverse

from attempts.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.admin_cases import AdminSmokeCases
from tests.factories import AttemptFactory

pytestmark = pytest.mark.django_db


def make_event(**fields) -> WebhookEvent:
    event = WebhookEvent.objects.create(attempt=AttemptFactory(), kind="completed", **fields)
    WebhookDelivery.objects.create(event=event, status_code=500, response_excerpt="boom")
    return event


class TestWebhookEventAdmin(AdminSmokeCases):
    model = WebhookEvent
    # Events are written by the engine with the attempt, never typed in.
    add_status = 403

    def make_row(self):
        return make_event()

    def changelist_queries(self, row):
        return ["status__exact=pending", "kind__exact=completed", f"q={row.webhook_id}"]

    def test_the_event_page_lists_its_tries_with_code_and_answer(self, browser):
        event = make_event()
        page = browser.get(self.admin_url("change", event.pk)).content.decode()
        assert "500" in page and "boom" in page

    def test_send_again_makes_a_delivered_event_pending_and_due(self, browser):
        event = make_event(status="delivered", tries=1)
        response = browser.post(
            self.admin_url("changelist"), {"action": "send_again", "_selected_action": [event.pk]}
        )
        assert response.status_code == 302
        event.refresh_from_db()
        assert (event.status, event.tries) == ("pending", 0)


class TestWebhookDeliveryAdmin(AdminSmokeCases):
    model = WebhookDelivery
    add_status = 403

    def make_row(self):
        return make_event().deliveries.get()

    def changelist_queries(self, row):
        return ["ok__exact=0", "status_code__exact=500"]


class TestWebhookEndpointAdmin:
    @pytest.fixture
    def browser(self, client, staff):
        client.force_login(staff)
        return client

    def test_one_row_only(self, browser):
        url = reverse("admin:attempts_webhookendpoint_add")
        data = {"url": "https://institute.example/hook", "secret": "s", "public_key": "k", "enabled": "on"}
        assert browser.post(url, data).status_code == 302
        assert browser.get(url).status_code == 403
        assert WebhookEndpoint.objects.get().pk == WebhookEndpoint.SINGLETON_PK

    def test_enabling_again_clears_a_410(self, browser):
        row = WebhookEndpoint.objects.create(url="https://i.example/h", disabled_reason="410 Gone")
        url = reverse("admin:attempts_webhookendpoint_change", args=[row.pk])
        data = {"url": row.url, "secret": "", "public_key": "", "enabled": "on"}
        assert browser.post(url, data).status_code == 302
        row.refresh_from_db()
        assert (row.enabled, row.disabled_reason) == (True, "")

    def test_the_page_says_which_values_the_environment_sets(self, browser):
        row = WebhookEndpoint.objects.create(url="https://i.example/h")
        with override_settings(EXAM_WEBHOOK_SECRET="from-env"):
            page = browser.get(reverse("admin:attempts_webhookendpoint_change", args=[row.pk])).content
        assert b"EXAM_WEBHOOK_SECRET" in page
