"""Request rates: reads and writes per user, failed logins per username at an address and per address.

Counts live in the default cache (`CACHE_URL`: Redis in production), so every app server shares them;
when it is unreachable requests go through, with one warning a minute in the log (CacheOutageLog).
Rates come from `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, read on each request so that a test may
change them with `override_settings`; a rate of `None` switches its throttle off.
"""

import hashlib
import logging
import threading
import time

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

logger = logging.getLogger("testpress.api")

# At most one warning in this many seconds per process while the cache is unreachable.
CACHE_WARNING_INTERVAL = 60.0


class CacheOutageLog:
    """Says that the throttles' cache is unreachable once a minute, not once per request.

    With Redis down every request meets the error; a traceback each would bury the log on exam
    day. The first failure is logged at once (one line, no traceback); later ones within the
    interval are only counted, and the next warning says how many there were.
    """

    def __init__(self, interval: float = CACHE_WARNING_INTERVAL, clock=time.monotonic):
        self.interval = interval
        self.clock = clock
        self.lock = threading.Lock()
        self.last_warned: float | None = None
        self.unreported = 0

    def warn(self, scope: str, consequence: str, exc: Exception) -> None:
        with self.lock:
            now = self.clock()
            if self.last_warned is not None and now - self.last_warned < self.interval:
                self.unreported += 1
                return
            unreported, self.unreported, self.last_warned = self.unreported, 0, now
        logger.warning(
            "Throttle cache unreachable (%s: %s): throttle %s %s; %d more such request(s) since the last "
            "warning; the next warning comes in %d s at the earliest",
            type(exc).__name__,
            exc,
            scope,
            consequence,
            unreported,
            self.interval,
        )


cache_outage = CacheOutageLog()


def count_in_window(cache, key: str, seconds: int) -> tuple[int, float]:
    """Count one request under `key`: (requests in its window so far, seconds until the window closes).

    On Redis one round trip: SET NX opens the window with its lifetime, INCR counts, TTL tells when it
    closes. Elsewhere (local memory in development) the cache's add() and incr(), and the whole window
    as the wait.
    """
    client = _redis_client(cache, key)
    if client is None:
        cache.add(key, 0, seconds)
        return cache.incr(key), float(seconds)
    stored = cache.make_and_validate_key(key)
    _, count, ttl = client.pipeline().set(stored, 0, ex=seconds, nx=True).incr(stored).ttl(stored).execute()
    return count, float(ttl if ttl > 0 else seconds)


def peek_window(cache, key: str, seconds: int) -> tuple[int, float]:
    """What count_in_window has counted under `key`, counting nothing: (count, seconds until it closes)."""
    client = _redis_client(cache, key)
    if client is None:
        return cache.get(key, 0), float(seconds)
    stored = cache.make_and_validate_key(key)
    count, ttl = client.pipeline().get(stored).ttl(stored).execute()
    return int(count or 0), float(ttl if ttl > 0 else seconds)


def _redis_client(cache, key: str):
    # Django's Redis backend has no atomic "open and count"; its client (a documented attribute pair
    # since Django 4.0) runs the three commands in one pipeline.
    inner = getattr(cache, "_cache", None)
    if inner is None or not hasattr(inner, "get_client"):
        return None
    return inner.get_client(key, write=True)


def client_address(request) -> str:
    """The client's address as the outermost of REST_FRAMEWORK["NUM_PROXIES"] proxies saw it.

    DRF's reading, which every throttle here counts by (get_ident); django-axes locks the admin's
    login by it too (AXES_CLIENT_IP_CALLABLE), so X-Forwarded-For is trusted the same way site-wide.
    """
    return BaseThrottle().get_ident(request)


class _Throttle(SimpleRateThrottle):
    """Rates looked up per request; a cache outage lets requests through rather than failing them all."""

    def __init__(self):
        # The scope may depend on the view, so the rate is parsed in allow_request().
        pass

    @property
    def THROTTLE_RATES(self):  # noqa: N802 (the name SimpleRateThrottle reads)
        return api_settings.DEFAULT_THROTTLE_RATES

    def get_scope(self, request, view) -> str | None:
        return self.scope

    def configure(self, request, view) -> bool:
        """Pick this request's scope and rate; False when this throttle does not apply to it."""
        self.scope = self.get_scope(request, view)
        if self.scope is None:
            return False
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return self.rate is not None

    def allow_request(self, request, view):
        """At most num_requests in a window of `duration` seconds that opens with the first of them.

        One counter a window, moved in one round trip (count_in_window): DRF's own throttle keeps a
        list of every request's time, read and written whole on every request (600 floats at the read
        rate). A window that opens with its first request, not on the clock, so a burst is never
        split in two by a minute's boundary.
        """
        if not self.configure(request, view):
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        try:
            count, self.seconds_left = count_in_window(self.cache, key, self.duration)
        except Exception as exc:
            # An exam must not stop because Redis did: serve unthrottled and say so in the log.
            cache_outage.warn(self.scope, "let the request through", exc)
            return True
        return count <= self.num_requests

    def wait(self):
        return self.seconds_left

    def user_or_address(self, request) -> str:
        user = request.user
        if user is not None and user.is_authenticated:
            return f"user-{user.pk}"
        return f"ip-{self.get_ident(request)}"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.user_or_address(request)}


class ReadRateThrottle(_Throttle):
    """GET, HEAD and OPTIONS per user (per address when anonymous): scope `read`."""

    scope = "read"

    def get_scope(self, request, view):
        return self.scope if request.method in SAFE_METHODS else None


class WriteRateThrottle(_Throttle):
    """Every other method per user, on every view.

    The scope is `write` unless the view names its own with `write_throttle_scope = "<scope>"` (a rate
    for that scope must then be configured). Each scope keeps its own count.
    """

    scope = "write"

    def get_scope(self, request, view):
        if request.method in SAFE_METHODS:
            return None
        return getattr(view, "write_throttle_scope", None) or self.scope


class FailedLoginThrottle(_Throttle):
    """Counts only refused logins, so a classroom behind one address may all sign in at 9:00.

    allow_request() only looks: the view calls record_failure() when the credentials were wrong. The
    count is one counter moved atomically (count_in_window), not a list of times read, extended and
    written back: two app servers refusing guesses at the same moment would each write back their own
    list, and one guess would go uncounted.
    """

    def allow_request(self, request, view):
        if not self.configure(request, view):
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        try:
            failures, self.seconds_left = peek_window(self.cache, key, self.duration)
        except Exception as exc:
            cache_outage.warn(self.scope, "let the login through", exc)
            return True
        return failures < self.num_requests

    def record_failure(self, request, view) -> None:
        key = self.get_cache_key(request, view) if self.configure(request, view) else None
        if key is None:
            return
        try:
            count_in_window(self.cache, key, self.duration)
        except Exception as exc:
            cache_outage.warn(self.scope, "did not count a failed login", exc)


class LoginUsernameAddressThrottle(FailedLoginThrottle):
    """Failed logins per username from one address (scope `login_username_ip`): guessing a password.

    Per pair, not per username: ten wrong guesses from elsewhere must not keep a student from signing
    in at their own address on exam morning. The price: a guesser with many addresses gets the rate
    from each of them (and each address's ceiling, LoginAddressThrottle, over all usernames).
    """

    scope = "login_username_ip"

    def get_cache_key(self, request, view):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if not isinstance(username, str) or not username.strip():
            return None
        pair = f"{username.strip().casefold()}\0{self.get_ident(request)}"
        # Hashed: the key stays short and safe for any cache whatever the client sent.
        digest = hashlib.sha256(pair.encode("utf-8", "replace")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class LoginAddressThrottle(FailedLoginThrottle):
    """Failed logins per client address (scope `login_ip`): trying many usernames from one place.

    A generous ceiling: a school's students share one NAT address, and their typing mistakes add up.
    """

    scope = "login_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
