"""The published OpenAPI description: every request body names its own component, and generation is clean."""

import inspect

import pytest
from drf_spectacular.drainage import GENERATOR_STATS, reset_generator_stats
from drf_spectacular.generators import SchemaGenerator

# Endpoint -> a field only that endpoint's request body has. Nested serializers once all called
# InputSerializer collapsed into one component "Input" = {answer, next}, so four of these documented
# the submit body instead of their own.
REQUEST_FIELDS = {
    "/api/assignments/{id}/submit/": "answer",
    "/api/practice/{id}/answer/": "answer",
    "/api/projects/{id}/items/import/": "file",
    "/api/projects/{id}/predict/": "texts",
    "/api/projects/{id}/push/": "count",
}


@pytest.fixture(scope="module")
def generated():
    reset_generator_stats()
    with GENERATOR_STATS.silence():  # kept out of the test output; the cache still records them
        schema = SchemaGenerator().get_schema(request=None, public=True)
    warnings, errors = list(GENERATOR_STATS._warn_cache), list(GENERATOR_STATS._error_cache)
    reset_generator_stats()
    return schema, warnings, errors


def _request_component(schema, path):
    content = schema["paths"][path]["post"]["requestBody"]["content"]
    ref = next(iter(content.values()))["schema"]["$ref"]
    name = ref.rsplit("/", 1)[-1]
    return name, schema["components"]["schemas"][name]


@pytest.mark.parametrize("path,field", REQUEST_FIELDS.items())
def test_each_request_body_documents_its_own_fields(generated, path, field):
    schema, _, _ = generated
    name, component = _request_component(schema, path)
    assert field in component["properties"], f"{path} documents {name} = {sorted(component['properties'])}"


def test_the_five_request_bodies_are_five_components(generated):
    schema, _, _ = generated
    names = {_request_component(schema, path)[0] for path in REQUEST_FIELDS}
    assert len(names) == len(REQUEST_FIELDS), names
    # The submit body is not the practice body: practice has no "next" (claim another item) switch.
    assert "next" not in _request_component(schema, "/api/practice/{id}/answer/")[1]["properties"]


def test_schema_generation_emits_no_warnings_or_errors(generated):
    _, warnings, errors = generated
    assert warnings == [] and errors == [], "\n".join(warnings + errors)


def _operations(schema):
    return [(f"{method.upper()} {path}", operation) for path, methods in schema["paths"].items()
            for method, operation in methods.items()]


def test_every_operation_documents_the_errors_every_request_can_get(generated):
    schema, _, _ = generated
    for name, operation in _operations(schema):
        missing = {"401", "403", "429", "503"} - set(operation["responses"])
        assert not missing, f"{name} does not document {sorted(missing)}"
        if "{id}" in name:
            assert "404" in operation["responses"], name
        if "requestBody" in operation:
            assert {"400", "413"} <= set(operation["responses"]), name


def test_every_documented_error_has_the_one_error_shape(generated):
    schema, _, _ = generated
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "code"]
    for name, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if status[0] in "45":
                body = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
                assert body == "Error" or "code" in schema["components"]["schemas"][body]["required"], (name, status)


@pytest.mark.parametrize("path", ["/api/assignments/{id}/submit/", "/api/assignments/{id}/undo/",
                                  "/api/assignments/{id}/skip/", "/api/assignments/{id}/release/"])
def test_the_assignment_actions_document_their_409(generated, path):
    schema, _, _ = generated
    assert "409" in schema["paths"][path]["post"]["responses"]


def test_the_token_operations_are_described_and_only_the_mint_answer_holds_a_key(generated):
    schema, _, _ = generated
    components = schema["components"]["schemas"]

    def component(response):
        return response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]

    listed = components[component(schema["paths"]["/api/tokens/"]["get"]["responses"]["200"])]
    assert "page" in {parameter["name"] for parameter in schema["paths"]["/api/tokens/"]["get"]["parameters"]}
    row = components[listed["properties"]["results"]["items"]["$ref"].rsplit("/", 1)[-1]]
    assert set(row["properties"]) == {"id", "name", "prefix", "project_id", "read_only", "created_at",
                                      "last_used_at"}
    mint = schema["paths"]["/api/tokens/"]["post"]
    assert "key" in components[component(mint["responses"]["201"])]["properties"]
    assert {"name", "project_id", "read_only"} == set(components[_request_component(schema, "/api/tokens/")[0]][
        "properties"])
    assert {"204", "404"} <= set(schema["paths"]["/api/tokens/{id}/"]["delete"]["responses"])


def test_every_operation_says_what_it_does_for_its_caller(generated):
    """An operation with no docstring of its own took a mixin's ("A mixin for APIViews. `project_get(pk)` ..."): a
    code comment in the public docs. And no schema names the code that validates it."""
    from core.pagination import PagedListApi
    from tasks.api_scoping import ScopedApi

    schema = generated[0]
    internal = {inspect.getdoc(ScopedApi), inspect.getdoc(PagedListApi)}
    for name, operation in _operations(schema):
        assert operation.get("description", "").strip(), f"{name} has no description"
        assert operation["description"].strip() not in internal, f"{name} is described by a mixin"
    for name, component in schema["components"]["schemas"].items():
        assert "training.feedback" not in component.get("description", ""), name
