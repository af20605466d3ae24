"""The error codes and the McpError tree."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from fastestmcp.protocol import errors
from fastestmcp.protocol.errors import (
    HeaderMismatch,
    InternalError,
    InvalidParams,
    InvalidRequest,
    InvalidResult,
    McpError,
    MethodNotFound,
    MissingRequiredClientCapability,
    ParseError,
    ResourceNotFound,
    UnsupportedProtocolVersion,
    UrlElicitationRequired,
    error_for_code,
)

CODED = [
    (ParseError, -32700),
    (InvalidRequest, -32600),
    (MethodNotFound, -32601),
    (InvalidParams, -32602),
    (InternalError, -32603),
    (ResourceNotFound, -32002),
    (UrlElicitationRequired, -32042),
    (HeaderMismatch, -32020),
    (MissingRequiredClientCapability, -32021),
    (UnsupportedProtocolVersion, -32022),
]


def test_codes_have_the_values_of_the_spec() -> None:
    assert errors.PARSE_ERROR == -32700
    assert errors.INVALID_REQUEST == -32600
    assert errors.METHOD_NOT_FOUND == -32601
    assert errors.INVALID_PARAMS == -32602
    assert errors.INTERNAL_ERROR == -32603
    assert errors.RESOURCE_NOT_FOUND == -32002
    assert errors.URL_ELICITATION_REQUIRED == -32042
    assert errors.HEADER_MISMATCH == -32020
    assert errors.MISSING_REQUIRED_CLIENT_CAPABILITY == -32021
    assert errors.UNSUPPORTED_PROTOCOL_VERSION == -32022


@pytest.mark.parametrize(("cls", "code"), CODED)
def test_each_subclass_carries_its_code(cls: Any, code: int) -> None:
    exc = cls("what went wrong; what to do", {"k": 1}, request_id=7)
    assert isinstance(exc, McpError)
    assert exc.code == code
    assert exc.data == {"k": 1}
    assert exc.request_id == 7
    assert str(exc) == "what went wrong; what to do"


@pytest.mark.parametrize(("cls", "code"), CODED)
def test_error_for_code_returns_the_matching_subclass(cls: type[McpError], code: int) -> None:
    exc = error_for_code(code, "m", None, request_id="a")
    assert type(exc) is cls
    assert exc.request_id == "a"


def test_error_for_an_unknown_code_is_a_plain_mcp_error() -> None:
    exc = error_for_code(-32000, "implementation-defined")
    assert type(exc) is McpError
    assert exc.code == -32000


def test_invalid_result_is_an_internal_error() -> None:
    assert issubclass(InvalidResult, InternalError)
    assert InvalidResult("x").code == -32603


def test_errors_survive_pickling_with_their_fields() -> None:
    exc = InvalidParams("bad", {"path": "$.params.name"}, request_id=3)
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is InvalidParams
    assert (back.code, back.message, back.data, back.request_id) == (
        -32602,
        "bad",
        {"path": "$.params.name"},
        3,
    )
    base = pickle.loads(pickle.dumps(McpError(-32001, "custom")))
    assert (type(base), base.code) == (McpError, -32001)


def test_repr_names_class_code_and_request_id() -> None:
    text = repr(MethodNotFound("nope", request_id=5))
    assert text.startswith("MethodNotFound(")
    assert "code=-32601" in text
    assert "request_id=5" in text


def test_with_request_id_sets_the_id_and_returns_the_error() -> None:
    exc = InvalidRequest("x")
    assert exc.with_request_id(9) is exc
    assert exc.request_id == 9


def test_factories_fill_data_and_say_what_to_do() -> None:
    missing = MethodNotFound.for_method("tools/frobnicate", request_id=1)
    assert "tools/frobnicate" in missing.message
    assert missing.request_id == 1

    not_found = ResourceNotFound.for_uri("file:///nope")
    assert not_found.data == {"uri": "file:///nope"}
    assert "resources/list" in not_found.message

    cap = MissingRequiredClientCapability.for_capabilities({"sampling": {}})
    assert cap.data == {"requiredCapabilities": {"sampling": {}}}
    assert "sampling" in cap.message

    version = UnsupportedProtocolVersion.for_versions("1999-01-01", ["2026-07-28"])
    assert version.data == {"supported": ["2026-07-28"], "requested": "1999-01-01"}
    assert "2026-07-28" in version.message
