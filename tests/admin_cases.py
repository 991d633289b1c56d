"""Smoke tests for a ModelAdmin, written once: a test class declares its model, how to make a row and
the query strings (each list_filter and the search) its changelist must answer."""

import pytest
from django.db import connection
from django.forms import CheckboxInput, MultiWidget
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def change_form_data(browser, url: str, **changes) -> dict:
    """What the admin's change form at `url` posts back as it stands, with `changes` by field name."""
    form = browser.get(url).context["adminform"].form
    data = {}
    for field in form:
        if field.field.disabled:
            continue
        value = changes.get(field.name, field.value())
        widget = field.field.widget
        if isinstance(widget, MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                data[f"{field.name}_{index}"] = "" if part is None else part
        elif isinstance(widget, CheckboxInput):
            if value:
                data[field.name] = "on"
        else:
            data[field.name] = "" if value is None else value
    return data


class AdminSmokeCases:
    model = None
    # Status of the add page; 403 where rows are only ever written by the engine.
    add_status = 200
    # Rows the changelist's query count is compared at, against a single row.
    many_rows = 5

    def make_row(self):
        raise NotImplementedError

    def changelist_queries(self, row) -> list[str]:
        """Query strings that must each answer 200 and keep `row` in the result."""
        return []

    def admin_url(self, view, *args):
        meta = self.model._meta
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)

    def changelist_query_count(self, browser) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(self.admin_url("changelist")).status_code == 200
        return len(queries)

    @pytest.fixture
    def browser(self, client, staff):
        client.force_login(staff)
        return client

    def test_changelist_shows_every_row(self, browser):
        for _ in range(3):
            self.make_row()
        response = browser.get(self.admin_url("changelist"))
        assert response.status_code == 200
        assert response.context["cl"].result_count == self.model.objects.count() >= 3

    def test_each_filter_and_the_search_keep_the_matching_row(self, browser):
        row = self.make_row()
        self.make_row()
        for query in self.changelist_queries(row):
            response = browser.get(f"{self.admin_url('changelist')}?{query}")
            assert response.status_code == 200, query
            assert row.pk in {obj.pk for obj in response.context["cl"].result_list}, query

    def test_changelist_costs_the_same_queries_for_one_row_and_many(self, browser):
        self.make_row()
        self.changelist_query_count(browser)  # warms the caches (content types, permissions)
        one = self.changelist_query_count(browser)
        for _ in range(self.many_rows - 1):
            self.make_row()
        assert self.changelist_query_count(browser) == one

    def test_add_page(self, browser):
        assert browser.get(self.admin_url("add")).status_code == self.add_status

    def test_change_page(self, browser):
        row = self.make_row()
        assert browser.get(self.admin_url("change", row.pk)).status_code == 200

    def test_a_student_is_sent_to_the_login_page(self, client, student):
        client.force_login(student)
        response = client.get(self.admin_url("changelist"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
