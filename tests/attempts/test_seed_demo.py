"""seed_demo gives a new user something real to explore, and running it twice changes nothing."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from attempts.choices import AttemptState, ItemResult
from attempts.models import Attempt
from exams.models import Exam
from tests.factories import AttemptFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=StringIO())


def slugs(response):
    return {exam["slug"] for exam in response.json()["results"]}


def test_running_it_again_creates_nothing_new(demo):
    before = (User.objects.count(), Exam.objects.count(), Attempt.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (User.objects.count(), Exam.objects.count(), Attempt.objects.count()) == before


def test_the_demo_users_log_in_with_the_printed_password(demo, api_client):
    for username in ("admin", "teacher", "testpress", "demouser"):
        response = api_client.post("/api/v2.1/auth-token/", {"username": username, "password": "demo"})
        assert response.status_code == 200, username
    assert User.objects.get(username="admin").is_staff


ADMIN_API_READS = [
    "/api/v2.5/admin/users/",
    "/api/v2.5/admin/exams/",
    "/api/v2.5/admin/attempts/",
]


def test_the_demo_admin_is_a_superuser_in_both_admins(demo, client_for, client):
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    api = client_for(admin)
    for url in ADMIN_API_READS:
        assert api.get(url).status_code == 200, url
    teacher = User.objects.get(username="teacher")
    response = api.patch(f"/api/v2.5/admin/users/{teacher.pk}/", {"first_name": "Renamed"})
    assert response.status_code == 200
    # Through the real login form: the lockout backend authenticates only with a request.
    client.post("/admin/login/", {"username": "admin", "password": "demo"})
    assert client.get("/admin/accounts/user/").status_code == 200


def test_the_demo_teacher_is_staff_with_some_rights(demo, client_for):
    teacher = User.objects.get(username="teacher")
    assert (teacher.is_staff, teacher.is_superuser) == (True, False)
    api = client_for(teacher)
    for url in ADMIN_API_READS:
        assert api.get(url).status_code == 200, url
    attempt = Attempt.objects.filter(state=AttemptState.COMPLETED).first()
    assert api.get(f"/api/v2.5/admin/attempts/{attempt.pk}/user_answers/").status_code == 200
    student = User.objects.get(username="demouser")
    assert api.patch(f"/api/v2.5/admin/users/{student.pk}/", {"first_name": "Renamed"}).status_code == 200
    # Not the admin's account, nor any staff one.
    admin = User.objects.get(username="admin")
    response = api.patch(f"/api/v2.5/admin/users/{admin.pk}/", {"password": "Taken-Over-Pass-55"})
    assert (response.status_code, response.json()["error_code"]) == (403, "staff_account")


def test_testpress_has_an_exam_in_every_state_and_one_kept_from_it(demo, client_for):
    client = client_for(User.objects.get(username="testpress"))
    upcoming = slugs(client.get("/api/v2.1/exams/upcoming/"))
    available = slugs(client.get("/api/v2.1/exams/available/"))
    history = slugs(client.get("/api/v2.1/exams/history/"))
    assert upcoming and available and history
    assert "evening-batch-special" not in slugs(client.get("/api/v2.1/exams/?per_page=100"))
    assert client.get("/api/v2.1/exams/evening-batch-special/").status_code == 403

    assert "physics-full-test" in history and "quantitative-aptitude-mock-1" in available
    history_states = {a["state"] for a in client.get("/api/v2.1/exams/physics-full-test/").json()["attempts"]}
    assert history_states == {"Completed", "Running"}

    available_exam = Exam.objects.get(slug="quantitative-aptitude-mock-1")
    types = set(available_exam.questions.values_list("type", flat=True))
    assert {"R", "C", "N", "E"} <= types and available_exam.negative_marks > 0


def test_demo_scores_are_the_engines_not_typed_in(demo):
    completed = Attempt.objects.filter(state=AttemptState.COMPLETED).prefetch_related("items")
    assert completed.count() >= 8
    for attempt in completed:
        items = list(attempt.items.all())
        assert attempt.score == sum((i.marks or Decimal(0) for i in items), Decimal(0))
        assert attempt.correct_count == sum(i.result == ItemResult.CORRECT for i in items)
        assert attempt.pending_count == sum(i.result == ItemResult.PENDING for i in items)


class TestUnderProductionSettings:
    def test_it_refuses_to_run_and_writes_nothing(self, settings):
        settings.PRODUCTION = True
        with pytest.raises(CommandError, match="production settings.*--force"):
            call_command("seed_demo", stdout=StringIO())
        assert not User.objects.exists()

    def test_force_runs_it_anyway(self, settings):
        settings.PRODUCTION = True
        call_command("seed_demo", "--force", stdout=StringIO())
        assert User.objects.filter(username="admin", is_superuser=True).exists()


@pytest.mark.parametrize(
    ("address", "url"),
    [
        (None, "http://127.0.0.1:8000/"),
        ("0.0.0.0:8000", "http://127.0.0.1:8000/"),
        ("8001", "http://127.0.0.1:8001/"),
        ("localhost:9000", "http://localhost:9000/"),
        ("192.168.1.20:8000", "http://192.168.1.20:8000/"),
        ("[::]:8000", "http://[::1]:8000/"),
    ],
)
def test_it_prints_the_addresses_of_the_server_make_run_starts(address, url, monkeypatch):
    """`make run ADDRESS=...` passes ADDRESS to seed_demo as to runserver (see the Makefile)."""
    if address is None:
        monkeypatch.delenv("ADDRESS", raising=False)
    else:
        monkeypatch.setenv("ADDRESS", address)
    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    assert f"staff console   {url}admin/\n" in printed
    assert f"student API     {url}api/v2.1/\n" in printed
    assert ("other devices" in printed) == (address in ("0.0.0.0:8000", "[::]:8000"))


def test_make_run_hands_its_address_to_seed_demo_and_runserver():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "\tADDRESS=$(ADDRESS) $(PYTHON) manage.py seed_demo\n" in makefile
    assert "\t$(PYTHON) manage.py runserver $(ADDRESS)\n" in makefile


class TestResetAttempts:
    """The README's walkthrough takes testpress's available exam; --reset-attempts gives it back."""

    def test_the_walkthrough_exam_is_available_again_and_the_tallies_agree(self, demo, client_for):
        client = client_for(User.objects.get(username="testpress"))
        available = client.get("/api/v2.1/exams/available/").json()["results"]
        [walkthrough] = [exam for exam in available if exam["slug"] == "quantitative-aptitude-mock-1"]
        seeded = Attempt.objects.count()
        assert client.post(walkthrough["attempts_url"]).status_code == 201
        assert "quantitative-aptitude-mock-1" not in slugs(client.get("/api/v2.1/exams/available/"))

        out = StringIO()
        call_command("seed_demo", "--reset-attempts", stdout=out)
        assert f"Deleted {seeded + 1} attempts of the demo users" in out.getvalue()
        assert "quantitative-aptitude-mock-1" in slugs(client.get("/api/v2.1/exams/available/"))
        assert Attempt.objects.count() == seeded
        call_command("check_score_tallies", stdout=StringIO())  # CommandError on a drift

    def test_attempts_of_other_users_are_kept(self, demo):
        outsider = UserFactory()
        exam = Exam.objects.get(slug="quantitative-aptitude-mock-1")
        AttemptFactory(exam=exam, user=outsider, completed=True)
        call_command("seed_demo", "--reset-attempts", stdout=StringIO())
        assert Attempt.objects.filter(user=outsider).count() == 1


def test_testpress_can_try_a_strict_timer_hidden_scores_and_an_access_code(demo, client_for):
    client = client_for(User.objects.get(username="testpress"))
    strict = client.get("/api/v2.1/exams/strict-timer-sprint/").json()
    assert (strict["disable_attempt_resume"], strict["attempts_count"]) == (True, 0)

    hidden = client.get("/api/v2.1/exams/practice-set-scores-hidden/").json()
    [attempt] = hidden["attempts"]
    assert (hidden["show_score"], attempt["state"], attempt["score"]) == (False, "Completed", "NA")

    listed = client.get("/api/v2.1/access_codes/EVENING-SPECIAL/exams/").json()["results"]
    assert [exam["slug"] for exam in listed] == ["evening-batch-special"]
    response = client.post(listed[0]["attempts_url"], {"access_code": "EVENING-SPECIAL"}, format="json")
    assert response.status_code == 201


def test_testpress_can_download_the_offline_paper_and_submit_answers(
    demo, client_for, django_capture_on_commit_callbacks
):
    client = client_for(User.objects.get(username="testpress"))
    exam = client.get("/api/v2.1/exams/offline-mock-test/").json()
    assert (exam["is_offline_exam"], exam["grace_duration_for_offline_submission"]) == (True, 60)
    paper = client.get(f"/api/v2.4/exams/{exam['id']}/questions/").json()["results"]
    first = paper["exam_questions"][0]
    [question] = [q for q in paper["questions"] if q["id"] == first["question_id"]]
    now = timezone.now()
    body = {
        "offline_attempt": {
            "started_on": (now - timedelta(minutes=20)).isoformat(),
            "completed_on": (now - timedelta(minutes=2)).isoformat(),
        },
        "offline_answers": [
            {"exam_question_id": first["id"], "selected_answers": [question["answers"][0]["id"]]}
        ],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v3/exams/{exam['id']}/submit-offline-exam-answers/", body, format="json"
        )
    assert response.status_code == 202
    attempts = client.get(exam["attempts_url"]).json()["results"]
    assert [a["state"] for a in attempts] == ["Completed"]


def test_testpress_can_take_the_bilingual_exam_answering_in_hindi(demo, client_for):
    client = client_for(User.objects.get(username="testpress"))
    available = client.get("/api/v2.1/exams/available/?per_page=100").json()["results"]
    [exam] = [exam for exam in available if exam["slug"] == "general-awareness-english-hindi"]
    assert [(row["code"], row["title"]) for row in exam["languages"]] == [("en", "English"), ("hi", "हिन्दी")]
    attempt = client.post(exam["attempts_url"]).json()
    items = client.get(attempt["questions_url"]).json()["results"]
    assert len(items) == 5
    for item in items:
        [hindi] = item["question"]["translations"]
        assert (item["question"]["language"], hindi["language"]) == ("en", "hi")
        assert [a["id"] for a in hindi["answers"]] == [a["id"] for a in item["question"]["answers"]]
    capital = items[2]["question"]["translations"][0]
    assert capital["question_html"] == "<p>भारत की राजधानी कौन-सा शहर है?</p>"
    # नई दिल्ली, chosen in Hindi, is the right answer.
    [new_delhi] = [a["id"] for a in capital["answers"] if a["text_html"] == "नई दिल्ली"]
    assert client.put(items[2]["url"], {"selected_answers": [new_delhi]}, format="json").status_code == 200
    ended = client.put(f"{attempt['url']}end/").json()
    assert (ended["correct_count"], ended["unanswered_count"]) == (1, 4)


def test_testpress_can_take_a_sectionally_timed_exam(demo, client_for):
    client = client_for(User.objects.get(username="testpress"))
    assert "sectional-mock-test" in slugs(client.get("/api/v2.1/exams/available/"))
    exam = client.get("/api/v2.1/exams/sectional-mock-test/").json()
    assert (exam["allow_preemptive_section_ending"], exam["duration"]) == (True, "0:10:00")
    attempt = client.post(exam["attempts_url"]).json()
    assert [(s["name"], s["duration"], s["state"]) for s in attempt["sections"]] == [
        ("Quantitative aptitude", "0:04:00", "Not Started"),
        ("Reasoning", "0:03:00", "Not Started"),
        ("Numbers", "0:03:00", "Not Started"),
    ]
    first = client.patch(attempt["sections"][0]["start_url"]).json()
    assert first["state"] == "Running"
    assert len(client.get(first["questions_url"]).json()["results"]) == 2
