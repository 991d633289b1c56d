"""What a student must never read: the answer key before it is theirs to see, and other people's details."""

import json

import pytest
from rest_framework.test import APIClient

from testpress.api.auth import issue_token

from .test_permission_matrix import EXPECTED, concrete, url_cases
from .world import World, build_world

pytestmark = pytest.mark.django_db

# What discloses an answer: which choice is right, the explanation, the key staff read.
ANSWER_KEYS = {"is_correct", "explanation_html", "correct_answers", "correct_percentage"}
STUDENT_VERSIONS = sorted({v for t, v in url_cases() if t.startswith("api/{version}/") and v != "v2.5"})


@pytest.fixture
def world() -> World:
    return build_world()


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"JWT {issue_token(user)}")
    return client


def keys_in(body) -> set[str]:
    if isinstance(body, dict):
        return set(body) | {k for value in body.values() for k in keys_in(value)}
    if isinstance(body, list):
        return {k for value in body for k in keys_in(value)}
    return set()


def student_reads(world: World, version: str):
    """Every GET of the student API a student may send, on their own and on others' objects."""
    objects = [
        {"pk": a.pk} for a in (world.running, world.completed, world.completed_hidden, world.others_running)
    ]
    objects += [{"pk": world.others_completed.pk}]
    for url_template, entry in EXPECTED.items():
        if (
            not url_template.startswith("api/{version}/")
            or "/admin/" in url_template
            or "GET" not in entry.methods
        ):
            continue
        if "{item_id}" in url_template:
            params = [
                {"pk": a.pk, "item_id": world.item_of(a).pk} for a in (world.running, world.others_running)
            ]
        elif "{section_id}" in url_template:
            params = [world.section_of(a) for a in (world.sectional, world.running, world.others_running)]
        elif "{pk}" in url_template:
            params = objects
        else:
            params = [entry.kwargs(world)]
        for kwargs in params:
            yield concrete(url_template, version, kwargs)


@pytest.mark.parametrize("version", STUDENT_VERSIONS)
def test_no_student_read_shows_another_students_details(world, version):
    other = world.other_student
    secrets = [other.email, other.phone, other.first_name, other.last_name, other.username]
    client = client_for(world.student)
    read = 0
    for url in student_reads(world, version):
        response = client.get(url)
        text = response.content.decode()
        assert not [s for s in secrets if s in text], url
        read += response.status_code == 200
    assert read >= 10  # the walk reached real pages, not only refusals


@pytest.mark.parametrize("version", STUDENT_VERSIONS)
def test_a_running_attempt_prints_no_answer_key(world, version):
    client = client_for(world.student)
    item = world.item_of(world.running)
    base = f"/api/{version}/attempts/{world.running.pk}"
    pages = [
        client.get(f"{base}/questions/"),
        client.get(f"{base}/questions/{item.pk}/"),
        client.put(f"{base}/questions/{item.pk}/", {"review": True}, format="json"),
        client.get(f"{base}/"),
        client.get(f"/api/{version}/exams/{world.open_exam.slug}/"),
    ]
    assert [p.status_code for p in pages] == [200] * len(pages)
    for page in pages:
        assert not keys_in(page.json()) & ANSWER_KEYS

    review = client.get(f"{base}/review/")
    assert (review.status_code, review.json()["error_code"]) == (403, "review_not_ready")
    assert not keys_in(review.json()) & ANSWER_KEYS


def test_an_exam_that_hides_answers_keeps_them_hidden_after_the_end(world):
    client = client_for(world.student)
    response = client.get(f"/api/v2.1/attempts/{world.completed_hidden.pk}/review/")
    assert (response.status_code, response.json()["error_code"]) == (403, "answers_hidden")
    assert not keys_in(response.json()) & ANSWER_KEYS
    # Per-subject totals disclose no answer, so they stay open.
    subjects = client.get(f"/api/v2.1/attempts/{world.completed_hidden.pk}/review/subjects/")
    assert subjects.status_code == 200
    assert not keys_in(subjects.json()) & ANSWER_KEYS


def test_the_review_discloses_the_key_once_the_attempt_has_ended(world):
    """The check above is not vacuous: the same keys do appear where they belong."""
    response = client_for(world.student).get(f"/api/v2.1/attempts/{world.completed.pk}/review/")
    assert response.status_code == 200
    assert {"is_correct", "explanation_html"} <= keys_in(response.json())


def test_another_students_review_is_refused(world):
    response = client_for(world.student).get(f"/api/v2.1/attempts/{world.others_completed.pk}/review/")
    assert response.status_code == 403
    assert not keys_in(response.json()) & ANSWER_KEYS


ADMIN_TEMPLATES = sorted(t for t in EXPECTED if "/admin/" in t)


@pytest.mark.parametrize("url_template", ADMIN_TEMPLATES)
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_the_admin_api_refuses_students_whatever_the_method(world, url_template, method):
    url = concrete(url_template, "v2.5", EXPECTED[url_template].kwargs(world))
    body = {"username": "x", "password": "Tr1cky-Pass-81", "first_name": "x", "is_staff": True}
    for student in (world.student, world.other_student):
        response = getattr(client_for(student), method)(url, body, format="json")
        assert response.status_code == 403, (url, method)
        assert set(json.loads(response.content)) == {"detail"}
