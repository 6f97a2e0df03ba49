"""Schemathesis against the API's own OpenAPI document, in process: generated requests on
every operation, as an administrator who stewards the plan, with a token that writes. No
answer is a server error, and every answer conforms to the document (status, content
type, schema)."""

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from jalon.api.models import ApiToken

EXAMPLES = 12  # per operation: a bounded run, seconds each


@pytest.fixture
def connection_kept():
    """Keep the test's database connection across the app's requests, as Django's test
    client does (the app closes it at each request's end otherwise)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_api_keeps_to_its_document(personas, connection_kept):
    from jalon.wsgi import application

    steward = get_user_model().objects.get(username="steward")
    steward.is_superuser = True  # the audit too
    steward.save()
    _, text = ApiToken.make(steward, "schemathesis", read_only=False)
    headers = {"Authorization": f"Bearer {text}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12

    # Generated plan codes miss the plan: each operation runs on the real plan too.
    for operation, real in [(o, r) for o in operations for r in (False, True)]:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case):
            if real and case.path_parameters and "plan" in case.path_parameters:  # noqa: B023 - called at once
                case.path_parameters["plan"] = "imt-2018-2022"
            # Figures are checked against the plan, beyond their schema: a row naming no
            # indicator of the plan is rightly refused, though its shape is valid.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as error:
            pytest.fail(f"{operation.label}: {error}")
