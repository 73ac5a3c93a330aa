"""Schemathesis against the OpenAPI document, on the dev host with the real app.

For every documented operation it sends a bounded number of generated requests, valid and
invalid (the examples, coverage and fuzzing phases), with the key the operation needs. No
request may get a 5xx, every 4xx must carry the OpenAI error shape, and every response must be
one the document describes (status, content type, headers, body schema). The document is read
from the repo, never fetched, and Hypothesis is derandomised so the gate is repeatable.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.openapi import DOCUMENT
from tests.hardening import openapi_doc
from tests.hardening.tally import TALLY
from tests.integration.conftest import ADMIN_KEY, FUNCTION_KEY, Gateway

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 50
DOCUMENTED_BEHAVIOUR = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_path(DOCUMENT)
_LEVELS = {(r.route, r.method): r.auth_level for r in openapi_doc.routes(openapi_doc.load())}
_OPERATOR = {
    (path.lstrip("/"), method.upper()): any(
        "operatorKeyHeader" in requirement for requirement in operation.get("security", [])
    )
    for path, item in openapi_doc.load()["paths"].items()
    for method, operation in item.items()
}


def key_for(operation: schemathesis.APIOperation[Any, Any, Any, Any]) -> dict[str, str]:
    """The key header the operation needs: the admin key for the operator routes (their gate
    takes it in the header locally), the function key for keyed routes, none for the rest."""
    if _OPERATOR[(operation.path.lstrip("/"), operation.method.upper())]:
        return {"x-functions-key": ADMIN_KEY}
    level = _LEVELS[(operation.path.lstrip("/"), operation.method.upper())]
    return {} if level == "ANONYMOUS" else {"x-functions-key": FUNCTION_KEY}


@pytest.mark.safety("H16")
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    derandomize=True,
    # One dev host per operation serves every example; generation may be slow on big bodies.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_generated_requests_get_no_5xx_and_documented_json_errors(
    case: schemathesis.Case[Any], gateway: Gateway
) -> None:
    """Generated requests never get a 5xx; 4xx carry the error shape; responses match the doc."""
    headers = key_for(case.operation)
    response = case.call(base_url=f"{gateway.url}/api", headers=headers, timeout=30)
    TALLY.api_statuses[response.status_code] += 1
    assert response.status_code < 500, case.as_curl_command()
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])[0]
        assert content_type.startswith("application/json"), case.as_curl_command()
        body = response.json()
        assert set(body["error"]) == {"type", "message", "param", "code"}, body
    case.validate_response(response, checks=DOCUMENTED_BEHAVIOUR, headers=headers)
