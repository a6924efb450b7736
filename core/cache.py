"""The shared cache's plumbing: a Redis backend that keeps its client, request counters per time window that
each process reserves in blocks (one round trip for all of a request's counters, and none for most requests),
and copies of shared values kept by the process.

Django's RedisCache builds a new redis-py client object for every command (the connection pool is kept, the
client around it is not); building one walks redis-py's whole response-callback table, which on the API's hot
path cost more Python than the view itself. A client is safe to share between threads (each command takes a
connection from the pool), so one per server is kept."""

import math
import threading
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


# A process reserves up to LEASE_MAX counts of a key at once, and at most 1/LEASE_SHARE of what the key's window
# has left under its limit: far from the limit one round trip serves 16 requests, near it every request asks.
LEASE_MAX = 16
LEASE_SHARE = 200


class _Leases:
    """The counts this process has reserved in the shared counters and not used yet, per key.

    A reservation is counted in the shared cache at once, so every process sees it: the shared count can run
    ahead of the requests made, never behind, and a limit is never exceeded. What it can cost is a request
    refused early, by the reservations other processes still hold: at most LEASE_MAX each, and at most
    1/LEASE_SHARE of the window's remaining budget at the moment each was made, so within a few percent of the
    limit at worst and exact once the count is near it (reservations of 1)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._held: dict[str, list] = {}  # key: [shared count after our last reservation, unused, window end]
        _all_local_copies.append(self)

    def take(self, key: str, now: float):
        """(count, seconds left) for one request from this process's reservation, or None when it has none."""
        with self._lock:
            held = self._held.get(key)
            if held is None or held[1] <= 0 or held[2] <= now:
                return None
            held[1] -= 1
            return held[0] - held[1], _seconds_left(held[2], now)

    def size(self, key: str, limit: int, now: float) -> int:
        """How many counts to reserve: one while this process knows nothing of the key's current window."""
        held = self._held.get(key)
        if held is None or held[2] <= now:
            return 1
        return max(1, min(LEASE_MAX, (limit - held[0]) // LEASE_SHARE))

    def keep(self, key: str, count: int, size: int, ends: float, now: float):
        """Record a reservation of `size` that made the shared count `count`; answer the request's own count."""
        with self._lock:
            held = self._held.get(key)
            if held is not None and held[2] > now:  # another thread reserved too: both are unused alike
                held[0], held[1], held[2] = max(held[0], count), held[1] + size - 1, ends
            else:
                if len(self._held) > 10_000:
                    self._held = {k: h for k, h in self._held.items() if h[2] > now}
                held = self._held[key] = [count, size - 1, ends]
            return held[0] - held[1], _seconds_left(ends, now)

    def clear(self) -> None:
        with self._lock:
            self._held.clear()


def _seconds_left(ends: float, now: float) -> int:
    return max(1, math.ceil(ends - now))


def window_counts(windows: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """Count one more request against each key of `windows` ({key: (window seconds, limit)}); answer {key:
    (requests counted in the key's current window, seconds until it ends)}. A window starts at its key's first
    request and the key expires with it, so each count is one atomic increment, not a list of timestamps read
    and written back.

    The counts are reserved in blocks (_Leases): a request that finds this process's reservation unused is
    counted without a round trip; the others reserve for all their keys in one round trip. On Redis that is a
    script (SET NX EX, INCRBY, PTTL each; a script runs whole, which keeps a key from expiring between its SET
    and INCRBY and leaving a counter without expiry). Other backends (the database cache) take add + incr per
    key and answer the whole window as the time left."""
    now = time.monotonic()
    counts, sizes = {}, {}
    for key, (_seconds, limit) in windows.items():
        taken = _leases.take(key, now)
        if taken is None:
            sizes[key] = _leases.size(key, limit, now)
        else:
            counts[key] = taken
    if sizes:
        reserved = _reserve({key: (windows[key][0], size) for key, size in sizes.items()})
        for key, (count, seconds_left) in reserved.items():
            counts[key] = _leases.keep(key, count, sizes[key], now + seconds_left, now)
    return counts


def _reserve(reservations: dict[str, tuple[int, int]]) -> dict[str, tuple[int, float]]:
    """Add each key's size to its counter ({key: (window seconds, size)}): {key: (count, seconds left)}."""
    cache = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(cache, DjangoRedisCache):
        return _redis_reserve(cache, reservations)
    counts = {}
    for key, (seconds, size) in reservations.items():
        cache.add(key, 0, seconds)
        try:
            counts[key] = (cache.incr(key, size), seconds)
        except ValueError:  # expired between add and incr: this request opens a new window
            cache.set(key, size, seconds)
            counts[key] = (size, seconds)
    return counts


# KEYS: the counters; ARGV: each one's window in seconds and the counts to add, in turn. Answers each key's
# count and milliseconds left.
WINDOW_COUNTS_SCRIPT = """
local answers = {}
for i, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[2 * i - 1], 'NX')
  answers[2 * i - 1] = redis.call('INCRBY', key, ARGV[2 * i])
  answers[2 * i] = redis.call('PTTL', key)
end
return answers
"""
_scripts = {}  # {id of a kept client: its registered script} (redis-py sends EVALSHA, and the body once if needed)


def _redis_reserve(cache: DjangoRedisCache, reservations: dict[str, tuple[int, int]]) -> dict[str, tuple[int, float]]:
    client = cache._cache.get_client(write=True)
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(WINDOW_COUNTS_SCRIPT)
    replies = script(keys=[cache.make_and_validate_key(key) for key in reservations],
                     args=[value for pair in reservations.values() for value in pair])
    return {key: (replies[2 * n], max(replies[2 * n + 1], 1) / 1000) for n, key in enumerate(reservations)}


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


_all_local_copies: list = []  # LocalCopies and _Leases, emptied together
_leases = _Leases()


def local_copies_clear() -> None:
    """Forget what this process copied from the shared cache: when the cache itself is replaced (a new CACHES
    setting; a replay's fresh database, whose ids start again at 1, so a copy kept for project 1 would answer
    for a different project)."""
    for copies in _all_local_copies:
        copies.clear()


@receiver(setting_changed)
def _forget_local_copies(*, setting, **kwargs):
    if setting == "CACHES":
        local_copies_clear()
