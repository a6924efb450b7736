"""The shared cache's plumbing: a Redis backend that keeps its client, request counters per time window that
take one round trip for all of a request's counters, and copies of shared values kept by the process.

Django's RedisCache builds a new redis-py client object for every command (the connection pool is kept, the
client around it is not); building one walks redis-py's whole response-callback table, which on the API's hot
path cost more Python than the view itself. A client is safe to share between threads (each command takes a
connection from the pool), so one per server is kept."""

import time

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.core.signals import setting_changed
from django.dispatch import receiver


class _KeptClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(DjangoRedisCache):
    """Django's RedisCache, keeping one client per server (see the module's docstring)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _KeptClientRedisCacheClient


def window_counts(windows: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Count one more request against each key of `windows` ({key: window seconds}); answer {key: (requests in
    the key's current window, seconds until it ends)}. A window starts at its key's first request and the key
    expires with it, so each count is one atomic increment, not a list of timestamps read and written back.

    On Redis all keys go in one MULTI/EXEC round trip (SET NX EX, INCR, TTL each: the transaction keeps a key
    from expiring between its SET and INCR, which would leave a counter without expiry). Other backends (the
    database cache) take add + incr per key and answer the whole window as the time left."""
    cache = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(cache, DjangoRedisCache):
        return _redis_window_counts(cache, windows)
    counts = {}
    for key, seconds in windows.items():
        cache.add(key, 0, seconds)
        try:
            counts[key] = (cache.incr(key), seconds)
        except ValueError:  # expired between add and incr: this request opens a new window
            cache.set(key, 1, seconds)
            counts[key] = (1, seconds)
    return counts


def _redis_window_counts(cache: DjangoRedisCache, windows: dict[str, int]) -> dict[str, tuple[int, int]]:
    client = cache._cache.get_client(write=True)
    with client.pipeline(transaction=True) as pipe:
        for key, seconds in windows.items():
            stored = cache.make_and_validate_key(key)
            pipe.set(stored, 0, ex=seconds, nx=True)
            pipe.incr(stored)
            pipe.ttl(stored)
        replies = pipe.execute()
    return {key: (replies[3 * n + 1], max(replies[3 * n + 2], 1)) for n, key in enumerate(windows)}


class LocalCopies:
    """What this process last learned from the shared cache, kept until the moment it expires there.

    On the hot path a shared-cache round trip costs as much as a primary-key query. A value that the shared
    cache holds until a known moment (a cached computation, an interval already started) can be reused by
    this process until that same moment without asking again: it is the answer the shared cache would give.
    Emptied when the CACHES setting changes (each test gets a fresh cache)."""

    def __init__(self):
        self._values: dict[str, tuple[object, float]] = {}
        _all_local_copies.append(self)

    def get(self, key: str):
        found = self._values.get(key)
        if found is None or found[1] <= time.time():
            return None
        return found[0]

    def put(self, key: str, value, expires_at: float) -> None:
        self._values[key] = (value, expires_at)

    def clear(self) -> None:
        self._values.clear()


_all_local_copies: list[LocalCopies] = []


@receiver(setting_changed)
def _forget_local_copies(*, setting, **kwargs):
    if setting == "CACHES":
        for copies in _all_local_copies:
            copies.clear()
