"""A bounded property-based fuzz of every operation in the OpenAPI schema: never a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.conftest import PASSWORD, login

EXAMPLES_PER_OPERATION = 30


def _schema() -> Any:
    raw = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(raw)


OPERATIONS = [result.ok() for result in _schema().get_all_operations()]


@pytest.fixture
def auth_header(client, user_factory) -> dict[str, str]:
    user_factory(username="fuzzer", is_staff=True)
    token = login(client, "fuzzer", PASSWORD).json()["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_no_operation_answers_with_a_server_error(operation, auth_header, db):
    app = get_wsgi_application()

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,  # the same inputs every run: a failure is reproducible
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def fuzz(case: Any) -> None:
        response = case.call(app=app, headers={**auth_header, "Host": "testserver"})
        case.validate_response(response, checks=[not_a_server_error])
        assert response.status_code < 500, (case.as_curl_command(), response.text[:500])

    fuzz()
