"""Two app servers on one database and one Redis: what one acknowledges, the other and the score agree on.

Two real gunicorns (two sync workers each, production settings, throttle counts and the signed-in
user cache in Redis) serve the test database. A client sends each request of each student to either
server at random: 200 students each create an attempt (twice at once, once on each server, as a
double tap does), start it, answer every question (a known mix of right and wrong) and end it. Then
every acknowledged answer is in the score, each student has one attempt, the ranks follow a recount
of the scores, and throttles count a user's requests over both servers together.

PostgreSQL and Redis are needed: `.ci/run` starts Redis and sets REQUIRE_REDIS=1, so there a missing
Redis fails instead of skipping.
"""

import os
import random
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import redis
import requests

from attempts.choices import AttemptState
from attempts.models import Attempt
from exams.models import Answer
from tests import processes
from tests.attempts.conftest import build_exam
from tests.factories import UserFactory
from tests.processes import TIMEOUT, token_for

# Throttle counts and the signed-in user cache, shared by both servers; the broker the servers queue
# webhook events into (nobody consumes them here). Each flushed before and after.
CACHE_URL = os.environ.get("TEST_SHARED_CACHE_URL", "redis://127.0.0.1:6379/9")
BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/7")

STUDENTS = 200
PAPER = "RCNR"  # single choice, multiple choice, numerical, single choice
MARK, NEGATIVE = Decimal("1.00"), Decimal("0.25")
# Per user, over both servers: a student's exam takes 2 reads; the probe user below makes more.
READ_LIMIT = 12
FAILED_LOGIN_LIMIT = 20
CLIENT_THREADS = 16


pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    processes.needs_redis(CACHE_URL, BROKER_URL),
]


@pytest.fixture
def servers():
    """The base URLs of two gunicorns sharing the test database and one Redis."""
    for url in (CACHE_URL, BROKER_URL):
        redis.Redis.from_url(url).flushdb()
    shared = {
        "CACHE_URL": CACHE_URL,
        "CELERY_BROKER_URL": BROKER_URL,
        "GUNICORN_WORKERS": "2",
        "CONN_MAX_AGE": "60",
        "NUM_PROXIES": "0",
        "THROTTLE_READ_RATE": f"{READ_LIMIT}/min",
        "THROTTLE_WRITE_RATE": "1000/min",
        "THROTTLE_LOGIN_USERNAME_IP_RATE": f"{FAILED_LOGIN_LIMIT}/min",
        "THROTTLE_LOGIN_IP_RATE": "1000/min",
    }
    try:
        with ExitStack() as stack:
            yield [stack.enter_context(processes.gunicorn(**shared))[0] for _ in range(2)]
    finally:
        for url in (CACHE_URL, BROKER_URL):
            redis.Redis.from_url(url).flushdb()


class Student:
    """One student's client: each request goes to either server at random; remembers what was acknowledged."""

    def __init__(self, number: int, user, servers: list[str], correct_choices: set[int]):
        self.number, self.user, self.servers = number, user, servers
        self.correct_choices = correct_choices
        self.random = random.Random(number)
        self.auth = {"Authorization": f"JWT {token_for(user)}"}
        self.statuses: list[tuple[str, int]] = []
        # Marks of each answer the server acknowledged with 200, by item id.
        self.acknowledged: dict[int, Decimal] = {}
        self.answers_sent: dict[int, dict] = {}

    def send(self, method: str, path: str, server: str | None = None, **kwargs) -> requests.Response:
        base = server or self.random.choice(self.servers)
        response = requests.request(method, base + path, headers=self.auth, timeout=TIMEOUT, **kwargs)
        self.statuses.append((f"{method} {path.split('/')[-2]}", response.status_code))
        return response

    def write_exam(self, slug: str, double_taps: ThreadPoolExecutor) -> None:
        create = f"/api/v2.1/exams/{slug}/attempts/"
        taps = [double_taps.submit(self.send, "POST", create, server) for server in self.servers]
        created = [tap.result() for tap in taps]
        assert sorted(r.status_code for r in created) == [201, 409], [r.text for r in created]
        path = urlsplit(next(r.json()["url"] for r in created if r.status_code == 201)).path
        assert self.send("PUT", f"{path}start/").status_code == 200
        page = self.send("GET", f"{path}questions/")
        assert page.status_code == 200, page.text
        for order, item in enumerate(page.json()["results"]):
            right = (self.number + order) % 3 != 0
            body = self.answer(item["question"], right)
            saved = self.send("PUT", urlsplit(item["url"]).path, json=body)
            if saved.status_code == 200:
                self.acknowledged[item["id"]] = MARK if right else -NEGATIVE
                self.answers_sent[item["id"]] = body
        self.ended = self.send("PUT", f"{path}end/")
        self.attempt_path = path

    def answer(self, question: dict, right: bool) -> dict:
        if question["type"] == "N":
            return {"short_text": "9.81" if right else "5"}
        choices = [choice["id"] for choice in question["answers"]]
        correct = [pk for pk in choices if pk in self.correct_choices]
        wrong = [pk for pk in choices if pk not in self.correct_choices]
        return {"selected_answers": correct if right else wrong[:1]}


def test_two_servers_agree_on_every_answer_attempt_rank_and_throttle_count(servers):
    exam = build_exam(PAPER, mark_per_question=MARK, negative_marks=NEGATIVE, enable_ranks=True)
    correct_choices = set(
        Answer.objects.filter(question__exams=exam, is_correct=True).values_list("pk", flat=True)
    )
    students = [Student(number, UserFactory(), servers, correct_choices) for number in range(STUDENTS)]

    with ThreadPoolExecutor(CLIENT_THREADS) as clients, ThreadPoolExecutor(CLIENT_THREADS) as double_taps:
        list(clients.map(lambda student: student.write_exam(exam.slug, double_taps), students))

    # One attempt each, completed, and scored from exactly the answers acknowledged.
    attempts = {a.user_id: a for a in Attempt.objects.filter(exam=exam).prefetch_related("items")}
    assert len(attempts) == STUDENTS == Attempt.objects.filter(exam=exam).count()
    for student in students:
        attempt = attempts[student.user.pk]
        assert attempt.state == AttemptState.COMPLETED
        assert len(student.acknowledged) == len(PAPER), student.statuses
        assert student.ended.status_code == 200, student.ended.text
        recount = sum(student.acknowledged.values(), Decimal("0"))
        assert attempt.score == recount
        assert Decimal(student.ended.json()["score"]) == recount
        for item in attempt.items.all():
            sent = student.answers_sent[item.pk]
            assert item.selected_answers == sent.get("selected_answers", [])
            if "short_text" in sent:
                assert Decimal(item.short_text) == Decimal(sent["short_text"])

    # Ranks, read once everyone has ended, from either server: 1 + the attempts that scored more.
    def read_rank(student):
        detail = student.send("GET", student.attempt_path)
        assert detail.status_code == 200, detail.text
        return student, detail.json()["rank"]

    with ThreadPoolExecutor(CLIENT_THREADS) as clients:
        ranks = list(clients.map(read_rank, students))
    scores = [attempt.score for attempt in attempts.values()]
    for student, rank in ranks:
        mine = attempts[student.user.pk].score
        assert rank == 1 + sum(score > mine for score in scores)
    assert len({rank for _, rank in ranks}) > 1  # the mix of right and wrong spreads the scores

    # Reads per user: the limit holds over both servers together (four processes, one count).
    probe = Student(STUDENTS, UserFactory(), servers, correct_choices)
    reads = [probe.send("GET", "/api/v2.1/exams/", servers[n % 2]).status_code for n in range(2 * READ_LIMIT)]
    assert reads == [200] * READ_LIMIT + [429] * READ_LIMIT

    # A deactivation through one server refuses the user's token on the other at once, although its
    # workers have just read (and cached) the user: the signed-in user cache is the shared one.
    leaving = Student(STUDENTS + 1, UserFactory(), servers, correct_choices)
    assert {leaving.send("GET", "/api/v2.1/me/", servers[1]).status_code for _ in range(6)} == {200}
    staff = Student(STUDENTS + 2, UserFactory(staff=True), servers, correct_choices)
    patched = staff.send(
        "PATCH", f"/api/v2.5/admin/users/{leaving.user.pk}/", servers[0], json={"is_active": False}
    )
    assert patched.status_code == 200, patched.text
    assert {leaving.send("GET", "/api/v2.1/me/", servers[1]).status_code for _ in range(4)} == {401}

    # Wrong passwords refused at once by both servers are each counted: the next guess waits.
    guesser = UserFactory(username="guessed")

    def guess(server):
        body = {"username": guesser.username, "password": "wrong"}
        return requests.post(f"{server}/api/v2.1/auth-token/", json=body, timeout=TIMEOUT).status_code

    with ThreadPoolExecutor(CLIENT_THREADS) as clients:
        refused = list(clients.map(guess, [servers[n % 2] for n in range(FAILED_LOGIN_LIMIT)]))
    assert refused == [400] * FAILED_LOGIN_LIMIT
    assert [guess(server) for server in servers] == [429, 429]
