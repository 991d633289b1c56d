"""Every `ordering` parameter the API documents: each term it lists works, and anything else is a 400
naming `ordering`, never a 500 (an empty term, a field twice, thousands of terms)."""

from functools import cache

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.factories import AttemptFactory

pytestmark = pytest.mark.django_db


@cache
def ordering_parameters() -> dict[str, tuple[str, ...]]:
    """{path: the terms its `ordering` parameter documents}, over both API documents."""
    found = {}
    for version in ("v2.1", "v2.5"):
        document = SchemaGenerator(api_version=version).get_schema(request=None, public=True)
        for path, operations in document["paths"].items():
            for parameter in operations.get("get", {}).get("parameters", []):
                if parameter["name"] == "ordering":
                    found[path] = tuple(parameter["schema"]["items"]["enum"])
    return found


@pytest.fixture
def lists(db):
    AttemptFactory.create_batch(2)
    return ordering_parameters()


def test_the_documents_list_the_ordered_endpoints(lists):
    assert set(lists) == {"/api/v2.5/admin/attempts/", "/api/v2.5/admin/exams/"}


def test_each_documented_term_orders_and_an_empty_parameter_is_no_ordering(staff_client, lists):
    for path, terms in lists.items():
        for value in [*terms, ""]:
            response = staff_client.get(path, {"ordering": value})
            assert response.status_code == 200, (path, value, response.content)
            assert response.json()["count"] == 2


EMPTY_TERM = "Remove the empty term: give fields separated by commas, e.g. -date."
REPEATED = "Order by each field once."


@pytest.mark.parametrize(
    "value, message",
    [
        (",", EMPTY_TERM),
        (",,", EMPTY_TERM),
        ("{term},", EMPTY_TERM),
        (",{term}", EMPTY_TERM),
        ("{term},,{other}", EMPTY_TERM),
        ("{term},{term}", REPEATED),
        ("{term},-{term}", REPEATED),
        (",".join(["{term}"] * 5000), REPEATED),
        ("-", None),
        ("{term} ", None),
        ("nope", None),
    ],
)
def test_anything_else_is_a_400_naming_ordering(staff_client, lists, value, message):
    for path, terms in lists.items():
        term, other = sorted(term for term in terms if not term.startswith("-"))[:2]
        response = staff_client.get(path, {"ordering": value.format(term=term, other=other)})
        assert response.status_code == 400, (path, value, response.content)
        errors = response.json()["ordering"]
        assert errors == [message] if message else errors[0].startswith("Select a valid choice.")
