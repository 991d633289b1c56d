"""testpress.cache: Django's Redis cache, one redis-py client per connection pool instead of one per call."""

import os

from testpress.cache import RedisCache
from tests.processes import needs_redis

REDIS_URL = os.environ.get("TEST_SHARED_CACHE_URL", "redis://127.0.0.1:6379/9")


def test_the_client_is_built_once_and_shared_by_reads_and_writes_on_one_server():
    cache = RedisCache(REDIS_URL, {})
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client("any-key") is client
    assert cache._cache.get_client(write=True) is client


@needs_redis(REDIS_URL)
def test_it_is_a_working_cache():
    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": "test-cache-backend"})
    cache.delete_many(["answer", "answer-count"])
    cache.set("answer", {"selected": [42]}, 30)
    assert cache.get("answer") == {"selected": [42]}
    assert (cache.add("answer-count", 1, 30), cache.add("answer-count", 5, 30)) == (True, False)
    assert cache.incr("answer-count") == 2
    assert cache.get_many(["answer", "missing"]) == {"answer": {"selected": [42]}}
    cache.delete_many(["answer", "answer-count"])
    assert cache.get("answer") is None
