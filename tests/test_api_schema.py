"""The OpenAPI description matches the API: schemathesis generates requests from it (valid and
invalid), and no response is a server error or breaks the documented schema."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from web.openapi import spec

schema = schemathesis.openapi.from_dict(spec())


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_description(case, app) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(app=app)


def test_served_description_is_the_one_in_code(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/openapi.json").json["paths"] == spec()["paths"]
