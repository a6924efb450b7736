"""schemathesis against the published description (/api/schema/): every operation, with generated valid and
invalid requests, each sent with an integrator's token and with an annotator's, must answer without a 5xx, with
a status code the description documents for that operation, and with a body and content type that match what it
documents for that status.

A bounded run (MAX_EXAMPLES cases per operation and generation mode; derandomized, so CI sees the same cases
each time). Half of the cases aim at real objects of the integrator's organisation (and the annotator's live
assignment), so the operations are tried past their 404. The number of requests is printed at the end.
"""

from collections import Counter

import pytest
from django.core import signals
from django.db import close_old_connections
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from accounts import services
from tests.factories import IntegratorFactory, token_for, verified_worker
from tests.helpers import summary_line
from tests.tasks.factories import ImportJobFactory, ItemFactory, ProjectFactory
from tests.training.factories import ModelVersionFactory
from tests.webhooks.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 6
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
_SENT = {"requests": 0, "operations": 0, "failed": 0, "statuses": Counter()}


def _operations():
    """(method, path) of every operation the description holds, read once at collection (no database)."""
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [(method.upper(), path) for path, methods in paths.items() for method in methods]


@pytest.fixture(scope="module", autouse=True)
def _report_requests(request):
    yield
    summary_line(request.config, f"schemathesis: {_SENT['requests']} requests over {_SENT['operations']} operations, "
                                 f"{_SENT['failed']} operations failing; statuses {dict(sorted(_SENT['statuses'].items()))}")


@pytest.fixture
def wsgi_in_test_transaction():
    """Django's WSGI handler, called in this thread, closes the database connection after each request (and so
    the test's transaction, on PostgreSQL); Django's own test client keeps it open the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(wsgi_in_test_transaction):
    """An integrator's project with items, a finished import job and a model version; a verified annotator
    holding a live assignment in it. The ids each `{id}` of the description may aim at, by the path's first word."""
    from tasks.assignment import assignment_next

    integrator = IntegratorFactory()
    project = ProjectFactory(status="published")
    items = ItemFactory.create_batch(3, project=project)
    annotator = verified_worker()
    assignment = assignment_next(worker=annotator, project=project).assignment
    version = ModelVersionFactory(project=project)
    ids = {"projects": project.pk, "items": items[0].pk, "assignments": assignment.pk,
           "imports": ImportJobFactory(project=project).pk, "model-versions": version.pk,
           "training-runs": version.run.pk, "practice": items[1].pk,
           "webhook-endpoints": WebhookEndpointFactory(organisation=project.organisation).pk}
    tokens = {"integrator": token_for(integrator), "annotator": token_for(annotator)}
    # A spare token of the integrator's to revoke: revoking the one the cases carry would leave them only 401s.
    ids["tokens"] = services.api_token_create(user=integrator, name="spare")[0].pk
    return ids, tokens


def _cases(operation, ids):
    """Generated requests, valid and invalid, half of them with `{id}` set to a real object's."""
    real_id = ids.get(operation.path.split("/")[2])
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
        if real_id is not None and "{id}" in operation.path:
            strategies.append(operation.as_strategy(generation_mode=mode, path_parameters={"id": real_id}))
    return st.one_of(strategies)


@pytest.mark.parametrize("method,path", _operations())
def test_every_operation_answers_as_described(method, path, world):
    from crowdlabel.wsgi import application

    ids, tokens = world
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    operation = schema[path][method]
    _SENT["operations"] += 1

    @hypothesis_settings(max_examples=MAX_EXAMPLES * 4, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck))
    @given(case=_cases(operation, ids))
    def send(case):
        for key in tokens.values():
            _SENT["requests"] += 1
            response = case.call_and_validate(headers={"Authorization": f"Token {key}"}, checks=CHECKS)
            _SENT["statuses"][response.status_code] += 1

    try:
        send()
    except BaseException:
        _SENT["failed"] += 1
        raise
