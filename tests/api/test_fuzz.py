"""Property-based fuzzing: schemathesis generates requests from our own OpenAPI documents.

Every operation of the student (v2.1) and admin (v2.5) documents is called in-process through the WSGI
app, as a student and as staff, with valid and invalid input; path ids and slugs name real objects part of
the time (tests/security/world.py). Each response must be no 5xx, carry a documented status code, and
have a body that matches its schema. Runs are bounded and derandomized, so CI sees the same requests.
"""

from collections import Counter
from functools import cache

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from testpress.api.auth import issue_token
from tests.security.world import ACCESS_CODE, World, build_world

pytestmark = pytest.mark.django_db

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Generated cases per operation and mode: 22 v2.1 operations for two roles and 11 v2.5 ones make
# ~2,000 requests, under half a minute on SQLite.
EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 10}


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI handler closes the database connection after each request, as in production; here that
    connection holds the test's transaction (Django's test client unhooks the same signals)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@cache
def document(version: str):
    return schemathesis.openapi.from_wsgi(
        f"/api/schema/?version={version}&format=json", get_wsgi_application()
    )


def real_path_parameters(world: World, path: str) -> list[dict]:
    """Path parameters naming objects that exist, for the operation at `path`."""
    attempts = [world.running, world.completed, world.completed_hidden, world.others_running, world.untouched]
    if "{item_id}" in path:
        return [{"id": a.pk, "item_id": item.pk} for a in attempts for item in a.items.all()[:2]]
    if "{section_id}" in path:
        sectioned = [world.sectional, *attempts]
        return [{"id": a.pk, "section_id": world.section_of(a)["section_id"]} for a in sectioned]
    if "{code}" in path:
        return [{"code": ACCESS_CODE}]
    if "{slug}" in path:
        slugs = [world.open_exam, world.hidden_answers_exam, world.upcoming_exam, world.other_batch_exam]
        slugs.append(world.untouched.exam)
        return [{"slug": exam.slug} for exam in [*slugs, world.unpublished_exam]]
    if "/exams/{id}/" in path and "/admin/" not in path:
        # The offline exam endpoints: the offline exam, an online one, another batch's, a draft.
        exams = (world.offline_exam, world.open_exam, world.other_batch_exam, world.unpublished_exam)
        return [{"id": exam.pk} for exam in exams]
    if "/admin/exams/{id}" in path:
        return [{"id": exam.pk} for exam in (world.open_exam, world.unpublished_exam)]
    if "/admin/users/{id}" in path:
        return [
            {"id": user.pk} for user in (world.student, world.other_student, world.staff, world.unicode_user)
        ]
    if "{id}" in path:
        return [{"id": a.pk} for a in [*attempts, world.others_completed, world.not_started]]
    return []


def fuzz(operation, *, world: World, user, tally: Counter) -> str | None:
    """Run the operation's generated cases; the first failure as text, or None."""
    headers = {"Authorization": f"JWT {issue_token(user)}"}
    real = real_path_parameters(world, operation.path)
    for mode, examples in EXAMPLES.items():
        strategy = operation.as_strategy(mode, headers=headers)
        if real and mode is GenerationMode.POSITIVE:
            existing = st.sampled_from(real).flatmap(
                lambda params, mode=mode: operation.as_strategy(mode, headers=headers, path_parameters=params)
            )
            strategy = st.one_of(strategy, existing, existing)

        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )
        @given(case=strategy)
        def run(case):
            response = case.call_and_validate(checks=CHECKS)
            tally[operation.label, response.status_code] += 1

        try:
            run()
        except Unsatisfiable:
            # Nothing to make invalid: a slug path parameter is the only input, and any text is a slug.
            assert mode is GenerationMode.NEGATIVE
        except (Exception, BaseExceptionGroup) as error:  # one operation's failure must not hide the others'
            return f"{operation.label} ({mode.value}): {error}"
    return None


@pytest.mark.parametrize(
    "version, role",
    [("v2.1", "student"), ("v2.1", "staff"), ("v2.5", "staff")],
)
def test_every_operation_holds_under_generated_requests(version, role):
    world = build_world()
    user = world.student if role == "student" else world.staff
    tally = Counter()
    operations = [result.ok() for result in document(version).get_all_operations()]

    failures = [f for op in operations if (f := fuzz(op, world=world, user=user, tally=tally))]

    assert not failures, "\n\n".join(failures)
    # Every operation was called, and reached past the URL at least once (a real object, or a refusal of it).
    assert {label for label, status in tally if status != 404} == {op.label for op in operations}
    print(f"{version} as {role}: {sum(tally.values())} requests over {len(operations)} operations")


@pytest.mark.parametrize(
    "version, role",
    [("v2.1", "student"), ("v2.1", "staff"), ("v2.5", "staff")],
)
def test_every_read_of_every_object_matches_its_schema(version, role):
    """Each GET of the document, on each object of the world (every attempt state, the sparse ones whose
    nullable fields print null, a Unicode username): the response is what the schema says, field by field.

    The generated requests above reach these objects only by chance; this reads all of them every run.
    """
    world = build_world()
    user = world.student if role == "student" else world.staff
    headers = {"Authorization": f"JWT {issue_token(user)}"}
    reads = [op for result in document(version).get_all_operations() if (op := result.ok()).method == "get"]
    failures = []
    for operation in reads:
        has_parameters = "{" in operation.path
        for parameters in real_path_parameters(world, operation.path) if has_parameters else [None]:
            case = operation.Case(path_parameters=parameters, headers=headers)
            try:
                case.call_and_validate(checks=CHECKS)
            except (Exception, BaseExceptionGroup) as error:
                failures.append(f"{operation.label} {parameters}: {error}")
    assert not failures, "\n\n".join(failures)
