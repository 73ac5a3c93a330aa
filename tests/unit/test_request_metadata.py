"""``metadata.nation``, ``metadata.age_band`` and ``metadata.language``: validated, carried to
the ChatRequest, and refused with a 400 in the OpenAI error shape when wrong."""

from __future__ import annotations

import json

import pytest

from shared.failover.requests import parse_request
from shared.models import ChatRequest
from shared.platform.errors import ApiError


def body(metadata: object) -> bytes:
    return json.dumps(
        {"messages": [{"role": "user", "content": "Hello"}], "metadata": metadata}
    ).encode()


def test_the_person_metadata_reaches_the_request() -> None:
    """Valid values are carried as given."""
    request = parse_request(
        body({"nation": "northern_ireland", "age_band": "under_18", "language": "cy"}),
        "application/json",
    )
    assert (request.nation, request.age_band, request.language) == (
        "northern_ireland",
        "under_18",
        "cy",
    )


def test_absent_or_null_metadata_is_none() -> None:
    """Without the fields (or with null) nothing is assumed."""
    request = parse_request(body({"nation": None}), "application/json")
    assert (request.nation, request.age_band, request.language) == (None, None, None)


@pytest.mark.parametrize(
    ("metadata", "param"),
    [
        ({"nation": "uk"}, "metadata.nation"),
        ({"nation": "England"}, "metadata.nation"),
        ({"nation": ["wales"]}, "metadata.nation"),
        ({"age_band": "child"}, "metadata.age_band"),
        ({"age_band": 17}, "metadata.age_band"),
        ({"language": "welsh"}, "metadata.language"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_field(metadata: dict[str, object], param: str) -> None:
    """Any other value is refused in the OpenAI error shape, naming the field."""
    with pytest.raises(ApiError) as caught:
        parse_request(body(metadata), "application/json")
    error = caught.value
    assert error.status == 400
    assert error.to_body()["error"]["param"] == param
    assert error.to_body()["error"]["type"] == "invalid_request_error"


def test_the_metadata_survives_the_orchestration_input() -> None:
    """The request's JSON form (the orchestration input) keeps the three fields."""
    request = parse_request(body({"nation": "wales", "language": "cy"}), "application/json")
    again = ChatRequest.from_json(request.to_json())
    assert (again.nation, again.language) == ("wales", "cy")
