"""Who may call what: every URL pattern of the project × role × method.

Roles: anonymous, the owner (a student), another student, staff without rights (is_staff, no permission),
staff holding the permissions the admin API asks for (world.ADMIN_API_PERMISSIONS) and a superuser.
The patterns are read from the resolver, one case per API version prefix, so an endpoint added without an
entry in EXPECTED fails test_every_url_pattern_has_an_expectation. Statuses are listed in ROLES order;
roles are played in PLAY_ORDER, so the owner's writes (ending the attempt) come last. Each entry also
sends a method the pattern does not allow, which must be a 405 for whoever gets past the permissions.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from testpress.api.auth import issue_token

from .world import ACCESS_CODE, World, build_world

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "owner", "other", "staff_without_rights", "staff", "superuser")
PLAY_ORDER = ("anonymous", "other", "staff_without_rights", "staff", "superuser", "owner")


def walk(patterns, prefix=""):
    for pattern in patterns:
        regex = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, regex)
        else:
            yield regex


def template(regex: str) -> str:
    """'^api/(?P<version>v2\\.5)/admin/^users/(?P<pk>[0-9]+)/$' -> 'api/{version}/admin/users/{pk}/'."""
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", regex)
    text = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)
    return text.replace("^", "").replace("$", "").replace("\\", "")


def versions(regex: str) -> list[str]:
    match = re.search(r"\(\?P<version>([^)]*)\)", regex)
    return [v.replace("\\", "") for v in match.group(1).split("|")] if match else [""]


def url_cases() -> list[tuple[str, str]]:
    """(template, version) for every pattern and every API version it serves."""
    return [(template(regex), v) for regex in walk(get_resolver().url_patterns) for v in versions(regex)]


@dataclass
class Entry:
    # {method: statuses in ROLES order}
    methods: dict
    # Path parameters from the world.
    kwargs: object = lambda w: {}
    # A method the pattern does not serve.
    refused: str = "DELETE"
    # Request bodies by method, or a function of the role giving the body.
    bodies: dict = field(default_factory=dict)


def attempt_of(name):
    return lambda w: {"pk": getattr(w, name).pk}


def offline_submission() -> dict:
    """A sitting of the world's offline exam that ended a few minutes ago, nothing answered."""
    now = timezone.now()
    times = {"started_on": now - timedelta(minutes=30), "completed_on": now - timedelta(minutes=5)}
    return {"offline_attempt": {k: v.isoformat() for k, v in times.items()}, "offline_answers": []}


ANY_USER = (401, 200, 200, 200, 200, 200)
OWNER_ONLY_ACTION = (401, 200, 403, 403, 403, 403)
# Staff read others' attempts when they may view attempts (attempts.view_attempt), as in the admin.
OWNER_OR_STAFF_READ = (401, 200, 403, 403, 200, 200)
STAFF_ONLY = (401, 403, 403, 403, 200, 200)
NO_AUTH = (400, 400, 400, 400, 400, 400)
EVERYONE = (200, 200, 200, 200, 200, 200)
NOWHERE = (404, 404, 404, 404, 404, 404)

EXPECTED = {
    # The student API (v2.1, v2.2, v2.2.1, v2.3).
    "api/{version}/auth-token/": Entry({"POST": NO_AUTH}, refused="GET"),
    "api/{version}/auth-token/refresh/": Entry({"POST": NO_AUTH}, refused="GET"),
    "api/{version}/exams/": Entry({"GET": ANY_USER}, refused="POST"),
    "api/{version}/exams/available/": Entry({"GET": ANY_USER}),
    "api/{version}/exams/history/": Entry({"GET": ANY_USER}),
    "api/{version}/exams/upcoming/": Entry({"GET": ANY_USER}),
    "api/{version}/exams/{slug}/": Entry({"GET": ANY_USER}, lambda w: {"slug": w.open_exam.slug}, "PUT"),
    "api/{version}/exams/{slug}": Entry({"GET": ANY_USER}, lambda w: {"slug": w.open_exam.slug}, "PUT"),
    # Owner and the other student each have a running attempt of the exam (409); staff start one.
    "api/{version}/exams/{slug}/attempts/": Entry(
        {"GET": ANY_USER, "POST": (401, 409, 409, 201, 201, 201)}, lambda w: {"slug": w.open_exam.slug}
    ),
    "api/{version}/exams/{slug}/attempts": Entry(
        {"GET": ANY_USER, "POST": (401, 409, 409, 201, 201, 201)}, lambda w: {"slug": w.open_exam.slug}
    ),
    "api/{version}/attempts/": Entry({"GET": ANY_USER}, refused="POST"),
    "api/{version}/attempts/{pk}/": Entry({"GET": OWNER_OR_STAFF_READ}, attempt_of("running"), "PUT"),
    "api/{version}/attempts/{pk}/start/": Entry({"PUT": OWNER_ONLY_ACTION}, attempt_of("running"), "GET"),
    "api/{version}/attempts/{pk}/heartbeat/": Entry({"PUT": OWNER_ONLY_ACTION}, attempt_of("running"), "GET"),
    "api/{version}/attempts/{pk}/end/": Entry({"PUT": OWNER_ONLY_ACTION}, attempt_of("running"), "GET"),
    "api/{version}/attempts/{pk}/questions/": Entry(
        {"GET": OWNER_OR_STAFF_READ}, attempt_of("running"), "PUT"
    ),
    "api/{version}/attempts/{pk}/questions/{item_id}/": Entry(
        {"GET": OWNER_OR_STAFF_READ, "PUT": OWNER_ONLY_ACTION},
        lambda w: {"pk": w.running.pk, "item_id": w.item_of(w.running).pk},
        bodies={"PUT": {"review": True}},
    ),
    # A section of the attempt of a sectionally timed exam (world.sectional), running; ending it is allowed.
    "api/{version}/attempts/{pk}/sections/{section_id}/start/": Entry(
        {"PATCH": OWNER_ONLY_ACTION}, lambda w: w.section_of(w.sectional), "GET"
    ),
    "api/{version}/attempts/{pk}/sections/{section_id}/end/": Entry(
        {"PATCH": OWNER_ONLY_ACTION}, lambda w: w.section_of(w.sectional), "GET"
    ),
    "api/{version}/attempts/{pk}/sections/{section_id}/questions/": Entry(
        {"GET": OWNER_OR_STAFF_READ}, lambda w: w.section_of(w.sectional), "PUT"
    ),
    "api/{version}/attempts/{pk}/review/": Entry(
        {"GET": OWNER_OR_STAFF_READ}, attempt_of("completed"), "PUT"
    ),
    "api/{version}/attempts/{pk}/review/subjects/": Entry(
        {"GET": OWNER_OR_STAFF_READ}, attempt_of("completed"), "PUT"
    ),
    # Whoever may see the exam, as its detail.
    "api/{version}/exams/{slug}/languages/": Entry(
        {"GET": ANY_USER}, lambda w: {"slug": w.open_exam.slug}, "POST"
    ),
    "api/{version}/access_codes/{code}/exams/": Entry(
        {"GET": ANY_USER}, lambda w: {"code": ACCESS_CODE}, "POST"
    ),
    "api/{version}/me/": Entry(
        {"GET": ANY_USER, "PATCH": ANY_USER}, refused="POST", bodies={"PATCH": {"first_name": "Renamed"}}
    ),
    # Offline exams, at their own versions only: whoever sees the exam downloads its paper and submits
    # (accepted for processing: 202).
    "api/v2.4/exams/{pk}/questions/": Entry({"GET": ANY_USER}, lambda w: {"pk": w.offline_exam.pk}, "POST"),
    "api/v3/exams/{pk}/submit-offline-exam-answers/": Entry(
        {"POST": (401, 202, 202, 202, 202, 202)},
        lambda w: {"pk": w.offline_exam.pk},
        refused="GET",
        bodies={"POST": lambda role: offline_submission()},
    ),
    # The admin API (v2.5): staff holding the model's permissions only, whatever the method.
    "api/{version}/admin/attempts/": Entry({"GET": STAFF_ONLY}, refused="POST"),
    "api/{version}/admin/attempts/{pk}/": Entry({"GET": STAFF_ONLY}, attempt_of("others_completed"), "PATCH"),
    "api/{version}/admin/attempts/{pk}/user_answers/": Entry(
        {"GET": STAFF_ONLY}, attempt_of("others_completed"), "POST"
    ),
    "api/{version}/admin/exams/": Entry({"GET": STAFF_ONLY}, refused="POST"),
    "api/{version}/admin/exams/{pk}/": Entry({"GET": STAFF_ONLY}, lambda w: {"pk": w.open_exam.pk}, "PUT"),
    "api/{version}/admin/users/": Entry(
        {"GET": STAFF_ONLY, "POST": (401, 403, 403, 403, 201, 201)},
        bodies={"POST": lambda role: {"username": f"enrolled-by-{role}", "password": "Tr1cky-Pass-81"}},
    ),
    "api/{version}/admin/users/{pk}/": Entry(
        {"GET": STAFF_ONLY, "PATCH": STAFF_ONLY},
        lambda w: {"pk": w.other_student.pk},
        bodies={"PATCH": {"first_name": "Renamed"}},
    ),
    # Documents and the JSON 404 for every other /api/ path.
    "api/schema/": Entry({"GET": EVERYONE}, refused="POST"),
    "api/docs/": Entry({"GET": EVERYONE}, refused="POST"),
    "api/redoc/": Entry({"GET": EVERYONE}, refused="POST"),
    "api/": Entry({"GET": NOWHERE, "POST": NOWHERE}),
    # Uploaded question images (served by the app in tests, as in development): public, read-only.
    "media/{path}": Entry({"GET": NOWHERE}, lambda w: {"path": "questions/none.png"}, "POST"),
}
# The Django admin's own patterns (every ModelAdmin adds some): one rule, see test_the_django_admin_...
DJANGO_ADMIN = "admin/"


def client_as(role: str, world: World) -> APIClient:
    client = APIClient()
    user = {
        "owner": world.student,
        "other": world.other_student,
        "staff_without_rights": world.staff_without_rights,
        "staff": world.staff,
        "superuser": world.superuser,
    }.get(role)
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"JWT {issue_token(user)}")
    return client


def concrete(url_template: str, version: str, kwargs: dict) -> str:
    # The catch-all "api/" stands for any path no other pattern serves.
    url = "/api/no-such-endpoint/" if url_template == "api/" else "/" + url_template
    return url.format(version=version, **kwargs)


def refused_status(url_template: str, statuses: tuple, role: str) -> int:
    """A method the pattern does not serve: 405, once authentication and the view's permission passed.

    An anonymous caller of a protected endpoint is asked to log in (401) and a student calling the admin
    API is refused (403) whatever the method; refusals about one object (another's attempt) come later.
    """
    status = statuses[ROLES.index(role)]
    if url_template == "api/":
        return 404
    if status == 401 or (status == 403 and "/admin/" in url_template):
        return status
    return 405


def test_every_url_pattern_has_an_expectation():
    missing = {t for t, _ in url_cases() if t not in EXPECTED and not t.startswith(DJANGO_ADMIN)}
    assert not missing, f"URL patterns without an entry in EXPECTED: {sorted(missing)}"
    stale = set(EXPECTED) - {t for t, _ in url_cases()}
    assert not stale, f"Entries for patterns that no longer exist: {sorted(stale)}"


API_CASES = sorted({case for case in url_cases() if not case[0].startswith(DJANGO_ADMIN)})


@pytest.mark.parametrize("url_template, version", API_CASES)
def test_each_role_gets_the_expected_status(url_template, version):
    world = build_world()
    entry = EXPECTED[url_template]
    url = concrete(url_template, version, entry.kwargs(world))
    seen, wanted = {}, {}
    for role in PLAY_ORDER:
        client = client_as(role, world)
        for method, statuses in entry.methods.items():
            body = entry.bodies.get(method)
            body = body(role) if callable(body) else body
            response = getattr(client, method.lower())(url, body, format="json")
            seen[role, method] = response.status_code
            wanted[role, method] = statuses[ROLES.index(role)]
        response = getattr(client, entry.refused.lower())(url, {}, format="json")
        seen[role, entry.refused] = response.status_code
        wanted[role, entry.refused] = refused_status(url_template, next(iter(entry.methods.values())), role)
    assert seen == wanted, url


@pytest.mark.parametrize("url_template", sorted({t for t, _ in url_cases() if t.startswith(DJANGO_ADMIN)}))
def test_the_django_admin_sends_non_staff_to_its_login_page(url_template):
    """Every admin page redirects anonymous visitors and signed-in students to the login; a superuser (who
    sees every page) gets no 5xx."""
    world = build_world()
    url = "/" + re.sub(r"\{\w+\}", "1", url_template)
    if url_template in ("admin/login/", "admin/logout/"):
        return
    for user in (None, world.student):
        client = Client()
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 302, (url, user)
        assert response["Location"].startswith("/admin/login/"), url
    staff = Client()
    staff.force_login(world.superuser)
    assert staff.get(url).status_code < 500, url
