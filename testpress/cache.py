"""Django's Redis cache backend, keeping its redis-py client objects instead of building one per call.

Django's RedisCacheClient makes a new `redis.Redis` for every cache operation (the connection pool is
kept). redis-py 5 and later fill a table of about 170 response callbacks in each client's constructor:
~170 µs a cache call, two calls a request on exam day (the signed-in user, the throttle), a third of
the authenticated ceiling's time in bench/profile_request.py. A redis.Redis over a connection pool is
safe to share between threads, and Django keeps a backend instance per thread anyway, so one client per
pool is enough. Everything else is Django's.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
