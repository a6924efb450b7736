"""POST /api/projects/{id}/predict/ refuses bad texts with a 400 under each text's position, in DRF's one shape
({"texts": {"<index>": ["message"]}}), before it asks whether there is a model at all."""

import json

import pytest
from django.urls import reverse

from tests.factories import AnnotatorFactory, IntegratorFactory
from tests.helpers import api_as
from tests.tasks.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return ProjectFactory()  # no active model: good input is answered 409, bad input 400 before that


@pytest.fixture
def api(api_client):
    return api_as(api_client, IntegratorFactory())


def predict(api, project, texts):
    # As a client sends it: ASCII JSON, a NUL or a lone surrogate as its \u escape.
    return api.post(reverse("api-project-predict", args=[project.pk]), json.dumps({"texts": texts}),
                    content_type="application/json")


@pytest.mark.parametrize("value,kind", [(1, "a number"), (2.5, "a number"), (True, "a boolean"),
                                        ({"text": "tv"}, "an object"), (["tv"], "a list")])
def test_a_text_that_is_not_a_string_is_refused_at_its_position(api, project, value, kind):
    answer = predict(api, project, ["big television", value])
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid" and list(body["texts"]) == ["1"]
    assert body["texts"]["1"] == [f"Not a string but {kind}: send the text itself, in quotes."]


def test_numbers_are_not_taken_as_their_digits(api, project):
    assert set(predict(api, project, [1, 2]).json()["texts"]) == {"0", "1"}


@pytest.mark.parametrize("blank", ["", "   ", "\t\n "])
def test_a_blank_text_is_refused_at_its_position(api, project, blank):
    body = predict(api, project, ["red fridge", "cheap phone", blank]).json()
    assert list(body["texts"]) == ["2"] and "blank" in body["texts"]["2"][0]


@pytest.mark.parametrize("text,problem", [("bad \x00 text", "NUL character"), ("half \ud800", "lone surrogate")])
def test_unstorable_text_is_refused_in_the_same_shape_as_every_other_problem(api, project, text, problem):
    answer = predict(api, project, ["fine", text, 7])
    assert answer.status_code == 400
    body = answer.json()
    assert "texts[1]" not in body  # the generic parser's shape, before
    assert problem in body["texts"]["1"][0] and "a number" in body["texts"]["2"][0]


def test_a_too_long_text_is_refused_at_its_position(api, project):
    assert "10000" in predict(api, project, ["ok", "x" * 10_001]).json()["texts"]["1"][0]


@pytest.mark.parametrize("texts,said", [
    ([], "Send at least one text."),
    (["tv"] * 1001, "Send at most 1000 texts at once: split the list into batches."),
    ("one tv", 'Send a list of texts, e.g. ["red fridge"].'),
])
def test_a_list_of_the_wrong_length_or_none_is_refused_in_our_words(api, project, texts, said):
    answer = predict(api, project, texts)
    assert answer.status_code == 400
    assert answer.json()["texts"] == [said]  # not DRF's "Ensure this field has at least 1 elements."


def test_good_texts_pass_validation(api, project):
    answer = predict(api, project, ["cheap phone case", " padded tv "])
    assert answer.status_code == 409 and answer.json()["code"] == "no_active_model"


def test_the_outsiders_are_refused(api_client, project):
    url = reverse("api-project-predict", args=[project.pk])
    assert api_client.post(url, {"texts": [1]}, format="json").status_code == 401
    api_as(api_client, AnnotatorFactory())
    assert api_client.post(url, {"texts": [1]}, format="json").status_code == 403
