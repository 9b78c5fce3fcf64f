"""The API's OpenAPI document is valid OpenAPI 3.1, by the specification's own meta-schema."""

from openapi_spec_validator import OpenAPIV31SpecValidator, validate


def test_the_openapi_document_is_valid_openapi_3_1(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1.")
    validate(spec, cls=OpenAPIV31SpecValidator)


def test_every_operation_needs_a_bearer_token_and_says_what_happens_without_one(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http",
                                                               "scheme": "bearer"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation.get("security", spec.get("security")) == [{"bearer": []}], path
            assert "401" in operation["responses"], f"{method.upper()} {path}"
