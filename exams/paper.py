"""An exam's paper (its questions as students read them, their choices) kept in the cache between requests.

Every student of an exam reads the same questions: on exam day thousands of requests a minute would
otherwise read the same rows and build the same objects. A part of the paper is built once and kept in
Django's cache (Redis in production, so every app server shares it; local memory on the embedded
default) under the exam's *stamp*, a random token that any change of the exam's content replaces
(exams/signals.py, after the change commits). A reader that read the old stamp may still write what it
built under the old key, but nobody reads that key again: the next reader sees the new stamp and builds
afresh. What is cached is only ever shown or used to refuse a malformed answer early; scores are always
computed from the database (attempts.services._score), so a stale paper can never score an answer.

Each process also keeps the parts it used lately (RECENT_PARTS), by the same key. The key names the
stamp, which is still read from the shared cache on every use, so a changed exam is read afresh at
once on every server; what the process keeps saves fetching and unpickling the whole part on every
save and questions page. A kept part is shared by the requests that use it: read it, never change it.
"""

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

# A day: a paper nobody reads leaves the cache; one in use is rebuilt at most daily.
PAPER_SECONDS = 24 * 60 * 60
# How long a request waits for another's build of the same part (a paper builds in tens of
# milliseconds), and how often it looks.
BUILD_WAIT_SECONDS = 2
BUILD_POLL_SECONDS = 0.02
# How many parts a process keeps (by their use, the least recent leaves first): a few exams' worth.
RECENT_PARTS = 32


def _stamp_key(exam_id: int) -> str:
    return f"paper-stamp:{exam_id}"


def paper_stamp(exam_id: int) -> str:
    """The exam's current content stamp (a new one when the cache has none).

    Never None: when the cache keeps nothing (a dummy cache) or drops the new stamp at once (evicted
    under memory pressure), the stamp is the one just made, so that this reader builds afresh rather
    than reuse a part that a process kept under an unknown stamp.
    """
    key = _stamp_key(exam_id)
    stamp = cache.get(key)
    if stamp is None:
        made = secrets.token_hex(8)
        cache.add(key, made, PAPER_SECONDS)
        stamp = cache.get(key) or made
    return stamp


def cached_part(exam_id: int, part: str, build: Callable[[], object]) -> object:
    """The exam's `part` of the paper, built by `build()` when the cache has none for the current stamp."""
    key = f"paper:{exam_id}:{paper_stamp(exam_id)}:{part}"
    value = _recent_parts.get(key)
    if value is None:
        value = cache.get(key)
        if value is None:
            value = _built_once(key, build)
        _recent_parts.keep(key, value)
    return value


class _RecentParts:
    """The paper parts this process used lately, at most `size`, shared by its threads.

    Not Django's local-memory cache: that one pickles what it keeps, and unpickling is the cost saved.
    """

    def __init__(self, size: int):
        self.size = size
        self._parts: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> object | None:
        with self._lock:
            value = self._parts.get(key)
            if value is not None:
                self._parts.move_to_end(key)
            return value

    def keep(self, key: str, value: object) -> None:
        with self._lock:
            self._parts[key] = value
            self._parts.move_to_end(key)
            while len(self._parts) > self.size:
                self._parts.popitem(last=False)


_recent_parts = _RecentParts(RECENT_PARTS)


def _built_once(key: str, build: Callable[[], object]) -> object:
    """build() kept under `key`; when another request is building it already, that one's result.

    When an exam starts, every worker misses its new paper at once, and each building it too made the
    first questions pages wait seconds for the same work done by all (bench: questions page p99 3.3 s).
    One request builds (a cache.add marks it, on every app server); the others poll the cache for up to
    BUILD_WAIT_SECONDS, then build it themselves, so a builder that died stalls nobody for longer.
    """
    building = f"{key}:building"
    if cache.add(building, 1, BUILD_WAIT_SECONDS):
        try:
            return _build_and_keep(key, build)
        finally:
            cache.delete(building)
    deadline = time.monotonic() + BUILD_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(BUILD_POLL_SECONDS)
        value = cache.get(key)
        if value is not None:
            return value
    return _build_and_keep(key, build)


def _build_and_keep(key: str, build: Callable[[], object]) -> object:
    value = build()
    cache.set(key, value, PAPER_SECONDS)
    return value


def invalidate_papers(exam_ids: Iterable[int]) -> None:
    """Give the exams new stamps now, and again once the current transaction commits.

    Now, so that the writer's own next read sees its change; again after the commit, because a
    reader between the change and its commit builds from the old rows and would keep them under the
    first new stamp.
    """
    keys = {_stamp_key(pk) for pk in exam_ids if pk is not None}
    if keys:
        _new_stamps(keys)
        transaction.on_commit(lambda: _new_stamps(keys))


def _new_stamps(keys: set[str]) -> None:
    cache.set_many({key: secrets.token_hex(8) for key in keys}, PAPER_SECONDS)


@dataclass(frozen=True)
class QuestionChoices:
    """What an answer is checked against when it is saved: the question's type and its choices' ids."""

    type: str
    choice_ids: frozenset[int]


def paper_choices(exam_id: int) -> dict[int, QuestionChoices]:
    """Each question of the exam by id, with its type and choice ids (cached)."""
    return cached_part(exam_id, "choices", lambda: _choices(exam_id))


def _choices(exam_id: int) -> dict[int, QuestionChoices]:
    from .models import Answer, Question

    questions = dict(Question.objects.filter(exam_links__exam_id=exam_id).values_list("pk", "type"))
    ids: dict[int, set[int]] = {pk: set() for pk in questions}
    for question_id, answer_id in Answer.objects.filter(question_id__in=questions).values_list(
        "question_id", "pk"
    ):
        ids[question_id].add(answer_id)
    return {pk: QuestionChoices(kind, frozenset(ids[pk])) for pk, kind in questions.items()}
