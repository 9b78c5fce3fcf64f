"""The JSON API against its own OpenAPI document, fuzzed with schemathesis through the WSGI app.

For each role's bearer token (and for no token at all) every documented operation gets valid
and invalid requests; all of schemathesis's default checks must pass: no server error,
documented status codes, content types and response bodies, invalid data refused, and no
operation that answers without authentication. Deterministic (derandomized) and bounded, so
it runs in ``make test``; each role starts from a freshly built world (``world.py``).

The operations are driven one by one with Hypothesis rather than through schemathesis's
pytest integration, whose lazy schema loading does not work with the pytest we pin.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from .world import ANONYMOUS, COMMISSIONER, INSPECTOR, PROVIDER_A, SOCIAL_WORKER, World

ROLES = [ANONYMOUS, PROVIDER_A, INSPECTOR, COMMISSIONER, SOCIAL_WORKER]
# Examples per operation, shared between valid and invalid requests.
EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 10}
# What schemathesis accepts for schema-valid requests by default.
POSITIVE_STATUSES = ["2XX", "3XX", 401, 403, 404, 409, 429, "5XX"]


def config_for(token: str | None) -> SchemathesisConfig:
    """Schemathesis's settings: the role's token (or none) through the document's own bearer
    scheme, so that requests without it count as tests of authentication, not as data; no
    made-up query parameters, because the API ignores parameters it does not know, as most
    HTTP APIs do (every documented parameter is still fuzzed); and the one place where a
    schema-valid value is rightly refused."""
    data: dict = {"generation": {"allow-extra-parameters": False}, "operations": [
        # A council id is an integer, but only the ids of real councils filter the register:
        # any other is answered 400 "Choose a local authority from the list" (documented).
        {"include-path-regex": "^/register/", "checks": {
            "positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES + [400]}}},
    ]}
    if token:
        data["auth"] = {"openapi": {"bearer": {"bearer": token}}}
    return SchemathesisConfig.from_dict(data)


def fuzz(operation, mode: GenerationMode) -> None:
    @settings(max_examples=EXAMPLES[mode], derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
              report_multiple_bugs=False)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        case.call_and_validate()

    run()


@pytest.mark.parametrize("role", ROLES)
def test_the_api_keeps_to_its_documentation(app, world: World, role: str):
    world.bearer(role)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app,
                                            config=config_for(world.tokens.get(role)))
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in EXAMPLES:
            try:
                fuzz(operation, mode)
            except (Exception, BaseExceptionGroup) as failure:  # reported together below
                failures.append(f"{operation.label} ({mode.value}):\n{failure}")
    assert operations >= 10
    assert not failures, f"{len(failures)} failing as {role}:\n\n" + "\n\n".join(failures)
