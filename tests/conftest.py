import os

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests import factories


def _is_postgres():
    return connection.vendor == "postgresql"


def pytest_terminal_summary(terminalreporter, config):
    """The figures tests reported with tests.helpers.summary_line (the schemathesis run's request count)."""
    from tests.helpers import SUMMARY_LINES

    for line in config.stash.get(SUMMARY_LINES, []):
        terminalreporter.write_line(line)


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
def _private_staging(settings, tmp_path):
    """Each test stages uploads (and import progress) in its own folder, not the machine's shared temporary one."""
    settings.IMPORT_STAGING_DIR = tmp_path / "staging"


@pytest.fixture(autouse=True)
def _no_debounce(settings):
    """Tests see each submission's evaluation, and each request's sweep of expired leases, at once
    (production debounces both per project)."""
    settings.QUALITY_EVALUATION_DEBOUNCE_SECONDS = 0
    settings.ASSIGNMENT_LEASE_SWEEP_SECONDS = 0


@pytest.fixture
def browser():
    """A headless Chromium (tests/browser.py has the helpers and the marks that skip where it is missing)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


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
def worker(db):
    """An annotator whose verification was approved (weight 1): one who may be given work."""
    return factories.verified_worker()


@pytest.fixture
def integrator(db):
    return factories.IntegratorFactory()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def tiny_base_model(db, tmp_path, settings):
    """A local 2-layer BERT folder registered as a base model, to start training runs from; runs write under
    tmp_path."""
    from tests.training.tiny_models import tiny_base_model_save
    from training import services

    settings.TRAINING_DIR = tmp_path / "training"
    settings.TRAINING_EXPORT_ONNX = False  # half a minute per run; the export has its own tests
    folder = tiny_base_model_save(tmp_path / "tiny-bert")
    return services.base_model_register(name="tiny-bert", folder=folder, licence="test only")


@pytest.fixture
def category_project(db):
    from tests.training.tiny_models import category_project_create

    return category_project_create()


@pytest.fixture
def webhook_receiver():
    """A running webhook receiver (tests/webhooks/receiver.py); set `.secret` (the endpoint's) and
    `.fail_first` before anything is sent."""
    from tests.webhooks.receiver import Receiver, start

    found = Receiver()
    server = start(found)
    yield found
    server.shutdown()
    server.server_close()
