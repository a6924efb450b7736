"""Predictions answer a JSON 409 without an active model and a JSON 503 when the active model's folder is
not on this server (a web host without the training volume), never a 500."""

import pytest
from django.urls import reverse

from tests.factories import IntegratorFactory, token_for
from tests.tasks.factories import ProjectFactory
from tests.training.factories import ModelVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(IntegratorFactory())}")
    return api_client


def _predict(api, project):
    return api.post(reverse("api-project-predict", args=[project.pk]), {"texts": ["iphone 8"]}, format="json")


def test_no_active_model_is_409(api):
    answer = _predict(api, ProjectFactory())
    assert answer.status_code == 409 and "no active model" in answer.json()["detail"]


@pytest.mark.parametrize("make_folder", [False, True], ids=["missing folder", "empty folder"])
def test_a_missing_model_folder_is_503_json(api, tmp_path, make_folder):
    folder = tmp_path / "model"
    if make_folder:
        folder.mkdir()
    version = ModelVersionFactory(folder=str(folder), is_active=True)
    answer = _predict(api, version.project)
    assert answer.status_code == 503 and answer["Content-Type"] == "application/json"
    assert answer.json()["code"] == "model_unavailable"
