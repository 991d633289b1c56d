"""The API renders JSON through orjson (testpress/api/renderers.py): byte for byte what DRF's own
renderer would print, on every kind of page and value the API serves."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils.functional import lazy
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from testpress.api.renderers import JSONRenderer
from tests.security.world import build_world

pytestmark = pytest.mark.django_db


def as_drf_prints(data) -> bytes:
    return DRFJSONRenderer().render(data)


def test_every_kind_of_value_prints_as_drf_prints_it():
    data = {
        "text": 'हिन्दी ✓ "quoted" \\ </script>',
        "int": 7,
        "float": 66.67,
        "decimal": Decimal("2.50"),
        "none": None,
        "bools": [True, False],
        "when": datetime(2026, 12, 2, 7, 30, 15, 123456, tzinfo=UTC),
        "lazy": lazy(lambda: "translated", str)(),
        "nested": [{"a": []}, {}],
        # A list field's errors, keyed by the index of the bad element.
        "selected_answers": {0: ["A valid integer is required."]},
    }
    assert JSONRenderer().render(data) == as_drf_prints(data)


def test_real_pages_print_the_same_bytes(client_for):
    world = build_world()
    student, staff = client_for(world.student), client_for(world.superuser)
    running, completed = world.running.pk, world.completed.pk
    pages = [
        (student, "/api/v2.1/exams/"),
        (student, f"/api/v2.1/exams/{world.open_exam.slug}/"),
        (student, "/api/v2.1/attempts/"),
        (student, f"/api/v2.1/attempts/{running}/"),
        (student, f"/api/v2.1/attempts/{running}/questions/"),
        (student, f"/api/v2.1/attempts/{completed}/review/"),
        (student, f"/api/v2.1/attempts/{completed}/review/subjects/"),
        (student, "/api/v2.1/attempts/999999/"),
        (staff, "/api/v2.5/admin/attempts/"),
        (staff, f"/api/v2.5/admin/attempts/{completed}/"),
        (staff, "/api/v2.5/admin/exams/"),
        (staff, "/api/v2.5/admin/users/"),
    ]
    for client, url in pages:
        response = client.get(url)
        assert response["Content-Type"] == "application/json", url
        assert response.content == as_drf_prints(response.data), url
