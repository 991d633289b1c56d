"""Throttles: refused logins per username and per address, reads and writes per user, shared cache."""

import logging
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis
import time_machine
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from django.test import override_settings
from django.urls import path
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from testpress.api import throttling
from testpress.urls import urlpatterns as project_urlpatterns
from tests.factories import UserFactory

LOGIN = "/api/v2.1/auth-token/"
EXAMS = "/api/v2.1/exams/"
REDIS_URL = "redis://127.0.0.1:6379/15"


class Answer(APIView):
    """A stand-in for an attempt action: any authenticated write."""

    permission_classes = [IsAuthenticated]
    versioning_class = None

    def put(self, request, *args, **kwargs):
        return Response({"saved": True})


class AnswerWithOwnScope(Answer):
    write_throttle_scope = "answers"


urlpatterns = [
    path("api/test/answer/", Answer.as_view()),
    path("api/test/scoped-answer/", AnswerWithOwnScope.as_view()),
    *project_urlpatterns,
]


@pytest.fixture
def rates(settings):
    """Turn throttling on (the test settings switch it off) with small, exact rates."""

    def apply(**overrides):
        configured = {"read": None, "write": None, "login_username_ip": None, "login_ip": None, **overrides}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": configured}

    return apply


def login(client, username, password="demo-pass-123", address="10.0.0.1", **headers):
    body = {"username": username, "password": password}
    return client.post(LOGIN, body, format="json", REMOTE_ADDR=address, **headers)


def assert_throttled(response):
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("Request was throttled.")
    assert 1 <= int(response["Retry-After"]) <= 60


@pytest.mark.django_db
class TestLoginThrottles:
    def test_ten_wrong_passwords_lock_that_username_at_that_address_for_a_minute(
        self, api_client, student, rates
    ):
        rates(login_username_ip="10/min", login_ip="300/min")
        for _ in range(10):
            assert login(api_client, "testpress", "wrong", address="10.0.0.66").status_code == 400

        # Even the right password waits there: otherwise the eleventh guess could be the lucky one.
        assert_throttled(login(api_client, "testpress", address="10.0.0.66"))
        assert_throttled(login(api_client, " TestPress ", "wrong", address="10.0.0.66"))
        UserFactory(username="neighbour")
        assert login(api_client, "neighbour", address="10.0.0.66").status_code == 200

    def test_guesses_from_elsewhere_do_not_lock_the_student_out(self, api_client, student, rates):
        # Anyone can type a classmate's username: on exam morning that must not keep them out.
        rates(login_username_ip="10/min", login_ip="300/min")
        for attacker in ["203.0.113.7", "203.0.113.8"]:
            for _ in range(10):
                login(api_client, "testpress", "wrong", address=attacker)
            assert_throttled(login(api_client, "testpress", address=attacker))

        assert login(api_client, "testpress", address="10.0.0.1").status_code == 200

    def test_a_classroom_behind_one_address_signs_in_despite_its_typing_mistakes(self, api_client, rates):
        # Thirty refused logins used to block the whole NAT address for a minute.
        rates(login_username_ip="10/min", login_ip="300/min")
        classroom = "198.51.100.20"
        students = [UserFactory(username=f"pupil{n}") for n in range(40)]
        for pupil in students:
            assert login(api_client, pupil.username, "typo", address=classroom).status_code == 400
        for pupil in students:
            assert login(api_client, pupil.username, address=classroom).status_code == 200

    def test_many_usernames_from_one_address_meet_its_ceiling(self, api_client, student, rates):
        rates(login_username_ip="10/min", login_ip="3/min")
        for name in ["a", "b", "c"]:
            assert login(api_client, name, address="10.0.0.9").status_code == 400

        assert_throttled(login(api_client, "d", address="10.0.0.9"))
        assert_throttled(login(api_client, "testpress", address="10.0.0.9"))
        assert login(api_client, "d", address="10.0.0.10").status_code == 400
        assert login(api_client, "testpress", address="10.0.0.10").status_code == 200

    def test_successful_logins_are_not_counted(self, api_client, student, rates):
        # A classroom behind one NAT address signs in at the same minute.
        rates(login_username_ip="2/min", login_ip="2/min")
        for _ in range(5):
            assert login(api_client, "testpress").status_code == 200

    def test_malformed_bodies_are_not_counted_as_guesses(self, api_client, student, rates):
        rates(login_username_ip="1/min", login_ip="1/min")
        assert api_client.post(LOGIN, {"username": "testpress"}, format="json").status_code == 400
        assert login(api_client, "testpress").status_code == 200

    def test_a_forged_forwarded_for_does_not_dodge_the_limits(self, api_client, rates):
        rates(login_username_ip="2/min", login_ip="3/min")
        for forged in ["1.1.1.1", "2.2.2.2"]:
            login(api_client, "x", HTTP_X_FORWARDED_FOR=forged)
        assert_throttled(login(api_client, "x", HTTP_X_FORWARDED_FOR="3.3.3.3"))
        login(api_client, "y", HTTP_X_FORWARDED_FOR="4.4.4.4")
        assert_throttled(login(api_client, "z", HTTP_X_FORWARDED_FOR="5.5.5.5"))

    def test_behind_a_proxy_the_address_comes_from_forwarded_for(self, api_client, student, rates, settings):
        rates(login_username_ip="1/min", login_ip="300/min")
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
        proxy = "127.0.0.1"
        login(api_client, "testpress", "wrong", address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5")
        assert_throttled(login(api_client, "testpress", address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5"))
        assert (
            login(api_client, "testpress", address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code
            == 200
        )


@pytest.mark.django_db
@pytest.mark.urls(__name__)
class TestReadAndWriteThrottles:
    def test_writes_are_counted_per_user(self, student_client, client_for, other_student, rates):
        rates(write="3/min")
        for _ in range(3):
            assert student_client.put("/api/test/answer/").status_code == 200

        assert_throttled(student_client.put("/api/test/answer/"))
        assert client_for(other_student).put("/api/test/answer/").status_code == 200

    def test_reads_do_not_spend_the_write_allowance(self, student_client, rates):
        rates(write="2/min", read="100/min")
        for _ in range(10):
            assert student_client.get(EXAMS).status_code == 200
        assert student_client.put("/api/test/answer/").status_code == 200
        assert student_client.put("/api/test/answer/").status_code == 200
        assert_throttled(student_client.put("/api/test/answer/"))
        assert student_client.get(EXAMS).status_code == 200

    def test_reads_have_their_own_limit(self, student_client, rates):
        rates(read="3/min", write="100/min")
        for _ in range(3):
            assert student_client.get(EXAMS).status_code == 200
        assert_throttled(student_client.get(EXAMS))
        assert student_client.put("/api/test/answer/").status_code == 200

    def test_a_view_may_name_its_own_write_scope(self, student_client, rates):
        rates(write="1/min", answers="2/min")
        assert student_client.put("/api/test/answer/").status_code == 200
        assert_throttled(student_client.put("/api/test/answer/"))
        assert student_client.put("/api/test/scoped-answer/").status_code == 200
        assert student_client.put("/api/test/scoped-answer/").status_code == 200
        assert_throttled(student_client.put("/api/test/scoped-answer/"))

    def test_attempt_actions_are_covered_without_touching_their_views(self, student_client, rates):
        rates(write="2/min")
        heartbeat = "/api/v2.1/attempts/999999/heartbeat/"
        assert student_client.put(heartbeat).status_code == 404
        assert student_client.put(heartbeat).status_code == 404
        assert_throttled(student_client.put(heartbeat))

    def test_a_window_opens_with_its_first_request_not_on_the_clock(self, student_client, rates):
        rates(write="2/min")
        # Two writes a breath before a minute turns: the third, just after, is still in their window.
        first = (datetime.now(UTC) + timedelta(minutes=1)).replace(second=59, microsecond=500000)
        with time_machine.travel(first, tick=False) as clock:
            assert student_client.put("/api/test/answer/").status_code == 200
            assert student_client.put("/api/test/answer/").status_code == 200
            clock.move_to(first + timedelta(seconds=1))
            assert_throttled(student_client.put("/api/test/answer/"))
            clock.move_to(first + timedelta(seconds=61))
            assert student_client.put("/api/test/answer/").status_code == 200

    def test_a_student_taking_an_exam_stays_under_the_default_write_rate(self, student_client, rates):
        # A minute of answering fast (one save every 2 s) plus heartbeats and a resume.
        rates(write="120/min")
        requests = 30 + 1 + 1
        assert all(student_client.put("/api/test/answer/").status_code == 200 for _ in range(requests))


def wrong_password_request() -> Request:
    django_request = APIRequestFactory().post(
        LOGIN, {"username": "testpress", "password": "wrong"}, format="json", REMOTE_ADDR="10.0.0.7"
    )
    return Request(django_request, parsers=[JSONParser()])


def redis_reachable() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.mark.django_db
@pytest.mark.urls(__name__)
class TestThrottleStore:
    @pytest.mark.skipif(not redis_reachable(), reason="needs Redis at 127.0.0.1:6379")
    def test_counts_live_in_the_configured_redis_cache_for_every_server_to_read(self, student_client, rates):
        rates(write="2/min")
        prefix = f"throttle-test-{uuid.uuid4().hex}"
        redis_cache = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": prefix,
            }
        }
        keys = []
        with override_settings(CACHES=redis_cache):
            try:
                student_client.put("/api/test/answer/")
                # Another app server: a fresh connection to the same Redis sees the count.
                keys = redis.Redis.from_url(REDIS_URL).keys(f"{prefix}:*")
                assert len(keys) == 1 and b"throttle_write_user-" in keys[0]
                student_client.put("/api/test/answer/")
                assert_throttled(student_client.put("/api/test/answer/"))
            finally:
                cache.delete_many([key.decode().split(":", 2)[2] for key in keys])

    @pytest.mark.skipif(not redis_reachable(), reason="needs Redis at 127.0.0.1:6379")
    def test_wrong_passwords_refused_at_once_by_two_servers_are_all_counted(self, rates):
        # A guesser spreading guesses over both app servers: each refusal counted, none lost to the other.
        guesses_per_server = 25
        guesses = 2 * guesses_per_server
        prefix = f"throttle-test-{uuid.uuid4().hex}"
        servers = [RedisCache(REDIS_URL, {"KEY_PREFIX": prefix}) for _ in range(3)]
        start = threading.Barrier(guesses)

        def throttle_on(server):
            throttle = throttling.LoginUsernameAddressThrottle()
            throttle.cache = server
            return throttle

        def refuse_one_guess(server):
            request = wrong_password_request()
            start.wait()
            throttle_on(server).record_failure(request, view=None)

        rates(login_username_ip=f"{guesses}/min")
        threads = [
            threading.Thread(target=refuse_one_guess, args=(server,))
            for server in servers[:2]
            for _ in range(guesses_per_server)
        ]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            # A third server sees every guess counted: the limit is reached, and not passed.
            assert throttle_on(servers[2]).allow_request(wrong_password_request(), view=None) is False
            rates(login_username_ip=f"{guesses + 1}/min")
            assert throttle_on(servers[2]).allow_request(wrong_password_request(), view=None) is True
        finally:
            store = redis.Redis.from_url(REDIS_URL)
            store.delete(*store.keys(f"{prefix}:*"))

    def test_an_unreachable_cache_lets_students_keep_working(self, student_client, rates):
        rates(write="1/min", read="1/min")
        down = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:1/0",
            }
        }
        with override_settings(CACHES=down):
            assert student_client.put("/api/test/answer/").status_code == 200
            assert student_client.put("/api/test/answer/").status_code == 200
            assert student_client.get(EXAMS).status_code == 200
            assert login(student_client, "nobody").status_code == 400


class UnreachableCache(BaseCache):
    """A cache whose server is down: every call raises, as Django's Redis backend does with Redis stopped."""

    def __init__(self, location, params):
        super().__init__(params)

    def _down(self, *args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    add = get = set = touch = delete = has_key = incr = clear = _down


@pytest.mark.django_db
@pytest.mark.urls(__name__)
class TestCacheOutageLog:
    @pytest.fixture
    def clock(self, monkeypatch):
        """A fresh once-a-minute log (this process may have warned already) on a clock the test moves."""
        now = [1000.0]
        monkeypatch.setattr(throttling, "cache_outage", throttling.CacheOutageLog(clock=lambda: now[0]))
        return now

    @pytest.fixture
    def cache_down(self):
        backend = {"default": {"BACKEND": f"{__name__}.UnreachableCache"}}
        with override_settings(CACHES=backend):
            yield

    @staticmethod
    def warnings(caplog) -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "testpress.api"]

    def test_one_warning_a_minute_without_a_traceback_while_every_request_goes_through(
        self, student_client, rates, clock, cache_down, caplog
    ):
        rates(write="100/min", read="100/min", login_username_ip="10/min", login_ip="100/min")
        caplog.set_level(logging.WARNING, logger="testpress.api")
        for _ in range(5):
            assert student_client.put("/api/test/answer/").status_code == 200
        assert student_client.get(EXAMS).status_code == 200
        # A wrong password: both login throttles look, then both fail to count it.
        assert login(student_client, "testpress", password="wrong").status_code == 400
        [first] = self.warnings(caplog)
        assert first.levelno == logging.WARNING
        assert first.exc_info is None
        message = first.getMessage()
        assert message.startswith("Throttle cache unreachable (ConnectionError: Error 111 connecting")
        assert "throttle write let the request through; 0 more such request(s)" in message

        clock[0] += 59
        assert student_client.put("/api/test/answer/").status_code == 200
        assert len(self.warnings(caplog)) == 1

        clock[0] += 2
        assert student_client.get(EXAMS).status_code == 200
        first, second = self.warnings(caplog)
        # 4 writes, 1 read, 2 looks and 2 counts at login, 1 write: 10 met the outage unreported.
        assert "throttle read let the request through; 10 more such request(s)" in second.getMessage()

    def test_the_log_speaks_again_only_once_the_interval_has_passed(self, monkeypatch):
        now = [0.0]
        log = throttling.CacheOutageLog(interval=60, clock=lambda: now[0])
        unreported_counts = []
        monkeypatch.setattr(
            throttling.logger, "warning", lambda message, *args: unreported_counts.append(args[4])
        )
        for second in (0, 1, 30, 59.9, 60, 61, 119.9, 120.5):
            now[0] = second
            log.warn("read", "let the request through", ConnectionError("down"))
        # Warned at 0, 60 (after 1, 30 and 59.9) and 120.5 (after 61 and 119.9).
        assert unreported_counts == [0, 3, 2]
