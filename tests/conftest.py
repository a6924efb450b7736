import os

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests import factories


def _is_postgres():
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    """Skip, with the reason shown by -rs, what this machine cannot run; CI has PostgreSQL and Redis."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    on_redis = os.environ.get("CELERY_BROKER_URL", "").startswith("redis://")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)"))
        if "real_broker" in item.keywords and not on_redis:
            item.add_marker(pytest.mark.skip(reason="needs a real Redis broker: set CELERY_BROKER_URL=redis://... (CI does)"))


@pytest.fixture(autouse=True)
def _celery_eager(request, settings):
    """Unit tests run Celery tasks in-process; tests marked real_broker use the real broker and worker."""
    from crowdlabel.celery import app

    eager = "real_broker" not in request.keywords
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    app.conf.task_eager_propagates = eager
    yield
    app.conf.task_always_eager = previous




@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """An empty cache of this process for each test: allauth keeps its rate limits in the cache, and tests must
    not inherit each other's. The shared caches (Redis, the database) are tested in tests/crowdlabel/test_cache.py
    and by the processes the fault tests start; clearing them here would flush a Redis that a broker shares."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()  # local caches of one name share their storage: a new one is not an empty one


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _no_debounce(settings):
    """Tests see each submission's evaluation, and each request's sweep of expired leases, at once
    (production debounces both per project)."""
    settings.QUALITY_EVALUATION_DEBOUNCE_SECONDS = 0
    settings.ASSIGNMENT_LEASE_SWEEP_SECONDS = 0


@pytest.fixture
def admin_user(db):
    return factories.AdminFactory()


@pytest.fixture
def reviewer(db):
    return factories.ReviewerFactory()


@pytest.fixture
def annotator(db):
    return factories.AnnotatorFactory()


@pytest.fixture
def integrator(db):
    return factories.IntegratorFactory()


@pytest.fixture
def api_client():
    return APIClient()
