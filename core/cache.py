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

    On Redis all keys go in one round trip, a script (SET NX EX, INCR, TTL each; a script runs whole, which keeps
    a key from expiring between its SET and INCR and leaving a counter without expiry): one command to send and
    one reply to read, where a MULTI/EXEC pipeline of the same commands cost the hot path eight of each. Other
    backends (the database cache) take add + incr per key and answer the whole window as the time left."""
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


# KEYS: the counters; ARGV: each one's window in seconds. Answers count, seconds left, for each key in turn.
WINDOW_COUNTS_SCRIPT = """
local answers = {}
for i, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[i], 'NX')
  answers[2 * i - 1] = redis.call('INCR', key)
  answers[2 * i] = redis.call('TTL', key)
end
return answers
"""
_scripts = {}  # {id of a kept client: its registered script} (redis-py sends EVALSHA, and the body once if needed)


def _redis_window_counts(cache: DjangoRedisCache, windows: dict[str, int]) -> dict[str, tuple[int, int]]:
    if not windows:
        return {}
    client = cache._cache.get_client(write=True)
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(WINDOW_COUNTS_SCRIPT)
    replies = script(keys=[cache.make_and_validate_key(key) for key in windows], args=list(windows.values()))
    return {key: (replies[2 * n], max(replies[2 * n + 1], 1)) for n, key in enumerate(windows)}


def shared_add(key: str, seconds: int, copies: "LocalCopies", margin: float = 1.0) -> bool:
    """cache.add(key, 1, seconds), answered from `copies` while this process knows the key is still there: True
    when this call set the key (the caller is the one to act), False while it was set. On the hot path (the
    evaluation debounce, asked on every submission) that is one round trip per key and window per process,
    not one per request. On Redis the miss asks SET NX EX and PTTL together, so a key another process set is
    known until the moment it expires there, less `margin` seconds: whoever acts on the key may delete it a
    moment early (an evaluation clears its key when it starts, at the end of its countdown), and from then on
    this process asks again. Other backends answer each call from the cache."""
    if copies.get(key):
        return False
    cache = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(cache, DjangoRedisCache):
        return cache.add(key, 1, timeout=seconds)
    stored = cache.make_and_validate_key(key)
    with cache._cache.get_client(write=True).pipeline(transaction=False) as pipe:
        added, left_ms = pipe.set(stored, 1, ex=seconds, nx=True).pttl(stored).execute()
    if left_ms / 1000 > margin:
        copies.put(key, True, time.time() + left_ms / 1000 - margin)
    return bool(added)


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
