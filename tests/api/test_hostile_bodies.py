"""Every write of both API documents (each PUT, PATCH and POST) sent what a hostile client would send.

For each operation, each field of its request body (and one it does not know) is given, in turn, a
value from HOSTILE: huge lists, numbers past any exponent, nesting past the parser's reach, strings of
megabytes. The whole body is sent as each of them too. Whatever the value, the answer is a 4xx that
changed nothing, or a 2xx that stored only bounded values: never a 5xx. Each request runs in a
savepoint rolled back after it, so every one meets the same world.
"""

import json
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from functools import cache

import pytest
from django.db import transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import Batch, User
from accounts.services import MAX_BATCHES
from attempts.models import Attempt, AttemptItem, OfflineSubmission
from exams.choices import QuestionType
from testpress.api.auth import issue_refresh_token, issue_token
from tests.security.world import World, build_world

pytestmark = pytest.mark.django_db

# Raw JSON texts, so that numbers JSON allows but Python would not print (-0, 1e999) go as written.
HOSTILE = {
    "200,000 ids": json.dumps(list(range(1, 200_001))),
    "200,000 strings": json.dumps(["x"] * 200_000),
    '"1e999999999"': '"1e999999999"',
    '"-1e999999999"': '"-1e999999999"',
    '"1e-999999999"': '"1e-999999999"',
    "1e308": "1e308",
    "1e999": "1e999",
    "-0": "-0",
    "10**100": "1" + "0" * 100,
    '"NaN"': '"NaN"',
    '"Infinity"': '"Infinity"',
    "NaN": "NaN",
    "100,000 levels": "[" * 100_000 + "]" * 100_000,
    "900 levels": "[" * 900 + "1" + "]" * 900,
    "2,000,000 characters": json.dumps("9" * 2_000_000),
    "an object": '{"a": {"b": [1, "2", null]}}',
}
PLACEHOLDER = "__hostile__"


def base_bodies(world: World) -> dict[str, dict]:
    """A valid body per write operation: the hostile value is then the only thing wrong with it."""
    return {
        "auth_token_create": {"username": world.student.username, "password": "demo-pass-123"},
        "auth_token_refresh": {"refresh": issue_refresh_token(world.student)},
        "attempts_question_update": {},
        "attempts_start_update": {},
        "attempts_heartbeat_update": {},
        "attempts_end_update": {},
        "attempts_sections_start_partial_update": {},
        "attempts_sections_end_partial_update": {},
        "exams_attempts_create": {},
        "exams_attempts_create_no_slash": {},
        "admin_users_create": {"username": "newcomer", "password": "Str0ng-pass-4821"},
        "admin_users_partial_update": {},
        "me_partial_update": {},
        "offline_exam_submit": offline_submission(world),
    }


def offline_submission(world: World) -> dict:
    """A sitting of the world's offline exam that ended a few minutes ago, its first question answered."""
    now = timezone.now()
    first = world.offline_exam.exam_questions.order_by("order").first()
    return {
        "offline_attempt": {
            "started_on": (now - timedelta(minutes=30)).isoformat(),
            "completed_on": (now - timedelta(minutes=5)).isoformat(),
        },
        "offline_answers": [{"exam_question_id": first.pk, "selected_answers": [], "duration": 30}],
    }


def path_parameters(world: World, path: str) -> list[dict]:
    """The objects each write acts on: the student's running attempt and each of its items."""
    if "submit-offline-exam-answers" in path:
        return [{"id": world.offline_exam.pk}]
    if "{item_id}" in path:
        return [{"id": world.running.pk, "item_id": item.pk} for item in world.running.items.all()]
    if "{section_id}" in path:
        return [{"id": world.sectional.pk, "section_id": world.section_of(world.sectional)["section_id"]}]
    if "{slug}" in path:
        return [{"slug": world.open_exam.slug}]
    if "/admin/users/{id}" in path:
        return [{"id": world.student.pk}]
    if "{id}" in path:
        return [{"id": world.running.pk}]
    return [{}]


@cache
def writes(version: str) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(operationId, method, path, fields of its JSON body) for each write of the document."""
    document = SchemaGenerator(api_version=version).get_schema(request=None, public=True)
    components = document["components"]["schemas"]
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in ("put", "patch", "post"):
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            schema = components[body["schema"]["$ref"].rsplit("/", 1)[1]] if body else {}
            found.append((operation["operationId"], method, path, tuple(schema.get("properties", {}))))
    return found


def snapshot() -> dict:
    """Every row a write could touch."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (User, Batch, User.batches.through, Attempt, AttemptItem, OfflineSubmission)
    }


def sane_number(text: str) -> bool:
    """Within the documented bounds (below 10^15, nothing below 10^-15), judged apart from the code under
    test; Decimal comparisons are exact, so they never overflow."""
    try:
        value = abs(Decimal(text))
    except InvalidOperation:
        return False
    return value.is_finite() and value < Decimal("1e15") and (value == 0 or value >= Decimal("1e-15"))


def bounded(rows: dict) -> list[str]:
    """What stored rows hold beyond the bounds the services keep: oversized texts or lists, numbers
    scoring cannot judge."""
    problems = []
    for model, values in rows.items():
        for row in values:
            for name, value in row.items():
                if isinstance(value, str) and len(value) > AttemptItem.ESSAY_MAX_LENGTH:
                    problems.append(f"{model}.{name} holds {len(value)} characters")
                if isinstance(value, list) and len(value) > max(
                    AttemptItem.MAX_SELECTED_ANSWERS, MAX_BATCHES
                ):
                    problems.append(f"{model}.{name} holds {len(value)} elements")
    numerical = AttemptItem.objects.filter(question__type=QuestionType.NUMERICAL).exclude(short_text="")
    for item in numerical:
        if not sane_number(item.short_text):
            problems.append(f"item {item.pk} holds the number {item.short_text!r}")
    for user in User.objects.all():
        if user.batches.count() > MAX_BATCHES:
            problems.append(f"user {user.pk} is in {user.batches.count()} batches")
    return problems


def bodies(base: dict, fields: tuple[str, ...]):
    """(what is hostile, raw body): each field in turn set to each value, then the whole body."""
    for field in (*fields, "not_a_field"):
        template = json.dumps({**base, field: PLACEHOLDER})
        for name, raw in HOSTILE.items():
            yield f"{field}={name}", template.replace(json.dumps(PLACEHOLDER), raw)
    for name, raw in HOSTILE.items():
        yield f"body={name}", raw


@pytest.mark.parametrize(
    "version, operation_id",
    [
        (version, operation_id)
        for version in ("v2.1", "v2.5")
        for operation_id, *_ in writes(version)
        if not operation_id.endswith("_no_slash") or operation_id == "exams_attempts_create_no_slash"
    ],
)
def test_a_hostile_body_is_a_4xx_that_changes_nothing_or_a_2xx_that_stores_bounded_values(
    version, operation_id
):
    world = build_world()
    [(_, method, path, fields)] = [w for w in writes(version) if w[0] == operation_id]
    base = base_bodies(world)[operation_id]
    client = APIClient()
    user = world.student if version == "v2.1" else world.staff
    client.credentials(HTTP_AUTHORIZATION=f"JWT {issue_token(user)}")

    failures = []
    for parameters in path_parameters(world, path):
        url = path.format(**parameters)
        for hostile, raw in bodies(base, fields):
            with transaction.atomic():
                before = snapshot()
                response = getattr(client, method)(url, raw, content_type="application/json")
                after = snapshot()
                problems = bounded(after)
                transaction.set_rollback(True)
            where = f"{method.upper()} {url} {hostile}: {response.status_code}"
            if response.status_code >= 500:
                failures.append(f"{where} {response.content[:200]!r}")
            elif response.status_code >= 400 and after != before:
                failures.append(f"{where} changed rows although refused")
            elif response.status_code < 300 and problems:
                failures.append(f"{where} stored {problems}")
    assert not failures, "\n".join(failures)


def test_every_write_of_both_documents_has_a_base_body(db):
    documented = {operation_id for version in ("v2.1", "v2.5") for operation_id, *_ in writes(version)}
    world = build_world()
    assert documented == set(base_bodies(world))
