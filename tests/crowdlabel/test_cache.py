"""The shared cache: Redis when Redis is configured, the database otherwise, seen alike by every process.
The evaluation debounce ("one evaluation per project at a time") holds across processes only through it."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection

from quality.services import decisions

ROOT = Path(__file__).resolve().parents[2]
DATABASE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "crowdlabel_cache"}}


def _cache_of(**env):
    """(backend, location) of the default cache, as a fresh interpreter with exactly this environment sees it."""
    clean = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "crowdlabel.settings", "DEBUG": "1", **env}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
         "c = settings.CACHES['default']; print(c['BACKEND'], c.get('LOCATION'))"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )
    return result.stdout.split() if result.returncode == 0 else result.stderr


def test_without_redis_the_cache_is_the_database():
    assert _cache_of() == ["django.core.cache.backends.db.DatabaseCache", "crowdlabel_cache"]


def test_with_a_redis_broker_the_cache_is_that_redis():
    assert _cache_of(CELERY_BROKER_URL="redis://127.0.0.1:6379/3") == [
        "core.cache.RedisCache", "redis://127.0.0.1:6379/3"]


def test_cache_url_chooses_its_own_redis():
    assert _cache_of(CELERY_BROKER_URL="redis://127.0.0.1:6379/3", CACHE_URL="redis://cache:6379/1") == [
        "core.cache.RedisCache", "redis://cache:6379/1"]


def test_an_unknown_cache_url_is_refused():
    assert "CACHE_URL must be" in _cache_of(CACHE_URL="memcached://x")


def _debounce_from_another_process(project_id: int, **env) -> str:
    """Asks, from a fresh process with this environment, for the project's evaluation: 'True' if it was scheduled."""
    code = ("import django; django.setup(); from quality.services import decisions; "
            f"print(decisions.project_evaluation_schedule(project_id={project_id}))")
    clean = dict(os.environ, CELERY_TASK_ALWAYS_EAGER="0", **env)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_database_cache_table_is_made_by_migrate(db, settings):
    settings.CACHES = DATABASE_CACHE
    cache = caches["default"]
    assert cache.add("probe", 1, timeout=60)
    assert not cache.add("probe", 2, timeout=60)
    assert cache.get("probe") == 1


@pytest.mark.postgres
def test_the_evaluation_debounce_holds_across_processes_on_the_database_cache(transactional_db, settings,
                                                                               monkeypatch):
    settings.CACHES = DATABASE_CACHE
    settings.QUALITY_EVALUATION_DEBOUNCE_SECONDS = 60
    sent = []
    monkeypatch.setattr("quality.celery_tasks.evaluate_project.apply_async", lambda **kw: sent.append(kw))
    project_id = 987654  # no such project: the evaluation is never run, only scheduled
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"

    assert decisions.project_evaluation_schedule(project_id=project_id)
    assert _debounce_from_another_process(project_id, DATABASE_URL=url, CACHE_URL="db://") == "False"
    assert len(sent) == 1


@pytest.mark.real_broker
def test_the_evaluation_debounce_holds_across_processes_on_redis(settings, monkeypatch):
    url = os.environ["CELERY_BROKER_URL"]
    settings.CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": url,
                                   "KEY_PREFIX": "crowdlabel"}}
    settings.QUALITY_EVALUATION_DEBOUNCE_SECONDS = 60
    monkeypatch.setattr("quality.celery_tasks.evaluate_project.apply_async", lambda **kw: None)
    project_id = uuid.uuid4().int % 10**12  # a key no earlier run left behind in the shared Redis

    assert decisions.project_evaluation_schedule(project_id=project_id)
    assert _debounce_from_another_process(project_id, CACHE_URL=url) == "False"
    caches["default"].delete(f"quality:evaluation:{project_id}")


# --- Request counters (the API's rate limits) ------------------------------------------------------

REDIS_CACHE_OF_THE_BROKER = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": os.environ.get("CELERY_BROKER_URL"),
                                         "KEY_PREFIX": "crowdlabel"}}


@pytest.fixture
def fresh_leases(monkeypatch):
    """A process's reservations of its own, none held (another test's may still be live in the shared one)."""
    from core import cache

    leases = cache._Leases()
    monkeypatch.setattr(cache, "_leases", leases)
    return leases


@pytest.mark.real_broker
def test_redis_counts_a_requests_windows_in_one_round_trip_with_one_kept_client(settings, monkeypatch, fresh_leases):
    from redis.client import Pipeline, Redis

    from core.cache import window_counts

    settings.CACHES = REDIS_CACHE_OF_THE_BROKER
    cache = caches["default"]
    assert cache._cache.get_client(write=True) is cache._cache.get_client(write=True)
    run = uuid.uuid4().hex
    # Limits close enough that every request reserves a count of 1, so every request asks.
    keys = {f"test-window-{run}-token": (60, 100), f"test-window-{run}-address": (30, 100)}
    round_trips = []
    execute, command = Pipeline.execute, Redis.execute_command
    monkeypatch.setattr(Pipeline, "execute", lambda self, *a, **kw: round_trips.append("pipeline") or execute(self, *a, **kw))
    monkeypatch.setattr(Redis, "execute_command", lambda self, *a, **kw: round_trips.append(a[0]) or command(self, *a, **kw))

    window_counts({f"test-window-{run}-warm": (60, 100)})  # the server learns the script (SCRIPT LOAD) if it must
    round_trips.clear()
    first, second = window_counts(keys), window_counts(keys)

    assert round_trips == ["EVALSHA", "EVALSHA"]  # one command per request, whatever the number of keys
    for key, (seconds, _limit) in keys.items():
        assert first[key][0] == 1 and second[key][0] == 2
        assert 0 < second[key][1] <= seconds
        assert 0 < cache._cache.get_client().ttl(cache.make_and_validate_key(key)) <= seconds  # it expires
        assert cache.get(key) == 2
        cache.delete(key)
    cache.delete(f"test-window-{run}-warm")


@pytest.mark.real_broker
def test_far_from_the_limit_a_process_reserves_counts_in_blocks(settings, monkeypatch, fresh_leases):
    from redis.client import Redis

    from core.cache import LEASE_MAX, window_counts

    settings.CACHES = REDIS_CACHE_OF_THE_BROKER
    cache = caches["default"]
    key = f"test-window-{uuid.uuid4().hex}"
    window_counts({f"{key}-warm": (60, 10**6)})
    round_trips = []
    command = Redis.execute_command
    monkeypatch.setattr(Redis, "execute_command", lambda self, *a, **kw: round_trips.append(a[0]) or command(self, *a, **kw))

    counts = [window_counts({key: (60, 10**6)})[key][0] for _ in range(1 + LEASE_MAX)]

    assert counts == list(range(1, 2 + LEASE_MAX))  # each request counted once, in order
    # The first knows nothing of the window and reserves 1, the second a block that serves the rest.
    assert round_trips == ["EVALSHA", "EVALSHA"]
    assert cache.get(key) == 1 + LEASE_MAX  # the block is counted in the shared cache when it is taken
    cache.delete(key)
    cache.delete(f"{key}-warm")


@pytest.mark.real_broker
@pytest.mark.parametrize("limit", [50, 1000, 5000])
def test_processes_reserving_blocks_never_pass_the_limit_and_refuse_little_early(settings, monkeypatch, limit):
    """Three processes (three reservation books) take a client's requests in turn, past its limit."""
    from core import cache as shared
    from core.cache import LEASE_MAX

    settings.CACHES = REDIS_CACHE_OF_THE_BROKER
    key = f"test-window-{uuid.uuid4().hex}"
    processes = [shared._Leases() for _ in range(3)]
    allowed_at = []
    for n in range(limit + 100):
        monkeypatch.setattr(shared, "_leases", processes[n % 3])
        count, _ = shared.window_counts({key: (60, limit)})[key]
        if count <= limit:
            allowed_at.append(n)

    assert len(allowed_at) <= limit  # never more than the limit
    # Refused early by at most the other processes' unused blocks, and none while far from the limit.
    assert len(allowed_at) >= limit - 2 * LEASE_MAX
    assert allowed_at == list(range(len(allowed_at)))
    caches["default"].delete(key)


@pytest.mark.real_broker
def test_a_key_seen_set_is_answered_by_this_process_until_just_before_it_expires(settings, monkeypatch):
    import time

    from redis.client import Pipeline

    from core.cache import LocalCopies, shared_add

    settings.CACHES = REDIS_CACHE_OF_THE_BROKER
    round_trips = []
    execute = Pipeline.execute
    monkeypatch.setattr(Pipeline, "execute", lambda self, *a, **kw: round_trips.append(1) or execute(self, *a, **kw))
    key, short = f"test-add-{uuid.uuid4().hex}", f"test-add-{uuid.uuid4().hex}"
    ours, another_process = LocalCopies(), LocalCopies()

    assert shared_add(key, 60, ours) is True  # this call set it: the caller acts
    assert shared_add(key, 60, ours) is False
    assert len(round_trips) == 1  # the second answer came from this process's copy
    assert shared_add(key, 60, another_process) is False  # a process that did not set it asks once...
    assert shared_add(key, 60, another_process) is False
    assert len(round_trips) == 2  # ...and then knows it until it expires there, less the margin
    assert 57 < another_process._values[key][1] - time.time() <= 59

    caches["default"].delete(key)  # deleted early: the copies still answer until they lapse, then ask again
    another_process.put(key, True, time.time() - 1)
    assert shared_add(key, 60, another_process) is True

    assert shared_add(short, 1, ours) is True  # a window no longer than the margin is never kept
    assert shared_add(short, 1, ours) is False
    assert len(round_trips) == 5
    for stored in (key, short):
        caches["default"].delete(stored)


def test_on_the_database_cache_each_add_asks_the_cache(db, settings):
    from core.cache import LocalCopies, shared_add

    settings.CACHES = DATABASE_CACHE
    key, copies = f"test-add-{uuid.uuid4().hex}", LocalCopies()
    assert shared_add(key, 60, copies) is True
    caches["default"].delete(key)
    assert shared_add(key, 60, copies) is True  # nothing was kept: the deletion is seen at once
