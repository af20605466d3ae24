"""The Structs against the official MCP JSON schemas (2025-06-18, 2025-11-25 and 2026-07-28).

Two checks: instances with every field set encode to JSON that the matching schema
definition accepts, and every Struct has exactly the members its definition lists (no
missing fields, no invented ones). The schemas are the specification's own
``schema/<version>/schema.json`` files, kept unchanged in ``tests/protocol/schemas/``
so that the checks run wherever the repository is checked out.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import msgspec
import pytest

from fastestmcp.protocol import jsonrpc
from fastestmcp.protocol import types as t
from fastestmcp.protocol.errors import InvalidParams

SPEC_DIR = Path(__file__).resolve().parent / "schemas"


@cache
def _schema(version: str) -> dict[str, Any]:
    path = SPEC_DIR / version / "schema.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _defs(version: str) -> dict[str, Any]:
    schema = _schema(version)
    defs: dict[str, Any] = schema.get("$defs") or schema["definitions"]
    return defs


def _validator(version: str, pointer: str) -> Any:
    schema = _schema(version)
    defs_key = "$defs" if "$defs" in schema else "definitions"
    root = {
        "$schema": schema["$schema"],
        defs_key: schema[defs_key],
        "$ref": f"#/{defs_key}/{pointer}",
    }
    cls = jsonschema.validators.validator_for(root)
    return cls(root)


def _wire(value: Any) -> Any:
    return json.loads(msgspec.json.encode(value))


def _assert_valid(version: str, pointer: str, value: Any) -> None:
    errors = sorted(_validator(version, pointer).iter_errors(_wire(value)), key=str)
    assert not errors, f"{pointer} ({version}): " + "; ".join(
        f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]
    )


# -- fully populated instances -----------------------------------------------------------

META = {"progressToken": "tok-1", "com.example/trace": {"id": 1}}
ICON = t.Icon(src="https://example.com/i.png", mime_type="image/png", sizes=["48x48"], theme="dark")
ANN = t.Annotations(
    audience=["user", "assistant"], priority=0.5, last_modified="2025-01-01T00:00:00Z"
)
TEXT = t.TextContent(text="hello", annotations=ANN, meta={"k": 1})
IMAGE = t.ImageContent(data="iVBORw0KGgo=", mime_type="image/png", annotations=ANN, meta={})
AUDIO = t.AudioContent(data="UklGRg==", mime_type="audio/wav", annotations=ANN, meta={})
TEXT_CONTENTS = t.ResourceContents(uri="test://a", mime_type="text/plain", text="t", meta={})
BLOB_CONTENTS = t.ResourceContents(uri="test://b", mime_type="image/png", blob="AAEC", meta={})
LINK = t.ResourceLink(
    uri="file:///x.txt",
    name="x",
    title="X",
    description="an x",
    mime_type="text/plain",
    size=3,
    icons=[ICON],
    annotations=ANN,
    meta={},
)
EMBEDDED = t.EmbeddedResource(resource=TEXT_CONTENTS, annotations=ANN, meta={})
TOOL_USE = t.ToolUseContent(id="use-1", name="add", input={"a": 1}, meta={})
TOOL_RESULT = t.ToolResultContent(
    tool_use_id="use-1",
    content=[TEXT],
    structured_content={"sum": 3},
    is_error=True,
    meta={},
)
IMPL = t.Implementation(
    name="srv",
    version="1.0",
    title="Server",
    description="does things",
    icons=[ICON],
    website_url="https://example.com",
)
CLIENT_CAPS = t.ClientCapabilities(
    experimental={"x": {"y": 1}},
    roots=t.RootsCapability(list_changed=True),
    sampling=t.SamplingCapability(context={}, tools={}),
    elicitation=t.ElicitationCapability(form={}, url={}),
    tasks={"list": {}, "cancel": {}},
)
SERVER_CAPS = t.ServerCapabilities(
    experimental={"x": {}},
    logging={},
    completions={},
    prompts=t.ListChangedCapability(list_changed=True),
    resources=t.ResourcesCapability(subscribe=True, list_changed=True),
    tools=t.ListChangedCapability(list_changed=False),
    tasks={"list": {}},
)
TOOL = t.Tool(
    name="add",
    input_schema={
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"a": {"type": "integer"}},
        "required": ["a"],
        "$defs": {"n": {"type": "number"}},
        "additionalProperties": False,
    },
    title="Add",
    description="adds",
    output_schema={"type": "object", "properties": {"sum": {"type": "integer"}}},
    annotations=t.ToolAnnotations(
        title="Add",
        read_only_hint=True,
        destructive_hint=False,
        idempotent_hint=True,
        open_world_hint=False,
    ),
    icons=[ICON],
    execution=t.ToolExecution(task_support="optional"),
    meta={},
)
RESOURCE = t.Resource(
    uri="test://a",
    name="a",
    title="A",
    description="an a",
    mime_type="text/plain",
    size=1,
    annotations=ANN,
    icons=[ICON],
    meta={},
)
TEMPLATE = t.ResourceTemplate(
    uri_template="test://t/{id}",
    name="t",
    title="T",
    description="ts",
    mime_type="application/json",
    annotations=ANN,
    icons=[ICON],
    meta={},
)
PROMPT = t.Prompt(
    name="p",
    title="P",
    description="a prompt",
    arguments=[t.PromptArgument(name="arg1", title="Arg", description="d", required=True)],
    icons=[ICON],
    meta={},
)
SAMPLING_MESSAGE = t.SamplingMessage(role="assistant", content=[TEXT, TOOL_USE], meta={})
FORM = t.ElicitRequestParams.form(
    "Your name?",
    {
        "type": "object",
        "properties": {
            "name": {"type": "string", "title": "Name", "default": "John Doe"},
            "age": {"type": "integer", "minimum": 0, "default": 30},
            "status": {"type": "string", "enum": ["active", "inactive"], "default": "active"},
        },
        "required": ["name"],
    },
    explicit_mode=True,
    meta=META,
)
URL = t.ElicitRequestParams.url_mode("Sign in", "https://example.com/auth", "el-1", meta=META)

INSTANCES: list[tuple[str, Any]] = [
    ("Annotations", ANN),
    ("Icon", ICON),
    ("RequestParams", t.RequestParams(meta=META)),
    ("PaginatedRequestParams", t.PaginatedRequestParams(cursor="c", meta=META)),
    ("NotificationParams", t.NotificationParams(meta={"a": 1})),
    ("Result", t.EmptyResult(meta={"a": 1})),
    ("TextContent", TEXT),
    ("ImageContent", IMAGE),
    ("AudioContent", AUDIO),
    ("TextResourceContents", TEXT_CONTENTS),
    ("BlobResourceContents", BLOB_CONTENTS),
    ("ResourceLink", LINK),
    ("EmbeddedResource", EMBEDDED),
    ("EmbeddedResource", t.EmbeddedResource(resource=BLOB_CONTENTS)),
    ("ToolUseContent", TOOL_USE),
    ("ToolResultContent", TOOL_RESULT),
    ("Implementation", IMPL),
    ("ClientCapabilities", CLIENT_CAPS),
    ("ServerCapabilities", SERVER_CAPS),
    (
        "InitializeRequestParams",
        t.InitializeRequestParams(
            protocol_version="2025-11-25", capabilities=CLIENT_CAPS, client_info=IMPL, meta=META
        ),
    ),
    (
        "InitializeResult",
        t.InitializeResult(
            protocol_version="2025-11-25",
            capabilities=SERVER_CAPS,
            server_info=IMPL,
            instructions="use it",
            meta={},
        ),
    ),
    ("ToolAnnotations", TOOL.annotations),
    ("ToolExecution", TOOL.execution),
    ("Tool", TOOL),
    ("ListToolsResult", t.ListToolsResult(tools=[TOOL], next_cursor="n", meta={})),
    (
        "CallToolRequestParams",
        t.CallToolRequestParams(
            name="add", arguments=msgspec.Raw(b'{"a":1}'), task={"ttl": 1000}, meta=META
        ),
    ),
    (
        "CallToolResult",
        t.CallToolResult(
            content=[TEXT, IMAGE, AUDIO, LINK, EMBEDDED],
            structured_content={"sum": 3},
            is_error=True,
            meta={},
        ),
    ),
    ("Resource", RESOURCE),
    ("ResourceTemplate", TEMPLATE),
    ("ListResourcesResult", t.ListResourcesResult(resources=[RESOURCE], next_cursor="n", meta={})),
    (
        "ListResourceTemplatesResult",
        t.ListResourceTemplatesResult(resource_templates=[TEMPLATE], next_cursor="n", meta={}),
    ),
    ("ReadResourceRequestParams", t.ReadResourceRequestParams(uri="test://a", meta=META)),
    ("ReadResourceResult", t.ReadResourceResult(contents=[TEXT_CONTENTS, BLOB_CONTENTS], meta={})),
    ("SubscribeRequestParams", t.SubscribeRequestParams(uri="test://a", meta=META)),
    ("UnsubscribeRequestParams", t.UnsubscribeRequestParams(uri="test://a", meta=META)),
    (
        "ResourceUpdatedNotificationParams",
        t.ResourceUpdatedNotificationParams(uri="test://a", meta={}),
    ),
    ("PromptArgument", PROMPT.arguments[0] if PROMPT.arguments else None),
    ("Prompt", PROMPT),
    ("ListPromptsResult", t.ListPromptsResult(prompts=[PROMPT], next_cursor="n", meta={})),
    (
        "GetPromptRequestParams",
        t.GetPromptRequestParams(name="p", arguments={"arg1": "v"}, meta=META),
    ),
    ("PromptMessage", t.PromptMessage(role="user", content=EMBEDDED)),
    (
        "GetPromptResult",
        t.GetPromptResult(
            messages=[t.PromptMessage(role="user", content=TEXT)], description="d", meta={}
        ),
    ),
    ("PromptReference", t.PromptReference(name="p", title="P")),
    ("ResourceTemplateReference", t.ResourceTemplateReference(uri="test://t/{id}")),
    (
        "CompleteRequestParams",
        t.CompleteRequestParams(
            ref=t.PromptReference(name="p"),
            argument=t.CompletionArgument(name="arg1", value="pa"),
            context=t.CompletionContext(arguments={"arg2": "x"}),
            meta=META,
        ),
    ),
    (
        "CompleteResult",
        t.CompleteResult(
            completion=t.Completion(values=["par", "pat"], total=2, has_more=False), meta={}
        ),
    ),
    ("SetLevelRequestParams", t.SetLevelRequestParams(level="debug", meta=META)),
    (
        "LoggingMessageNotificationParams",
        t.LoggingMessageNotificationParams(level="info", data={"x": 1}, logger="l", meta={}),
    ),
    ("ModelHint", t.ModelHint(name="sonnet")),
    (
        "ModelPreferences",
        t.ModelPreferences(
            hints=[t.ModelHint(name="sonnet")],
            cost_priority=0.1,
            speed_priority=0.2,
            intelligence_priority=1.0,
        ),
    ),
    ("SamplingMessage", SAMPLING_MESSAGE),
    ("SamplingMessage", t.SamplingMessage(role="user", content=TOOL_RESULT)),
    ("ToolChoice", t.ToolChoice(mode="required")),
    (
        "CreateMessageRequestParams",
        t.CreateMessageRequestParams(
            messages=[SAMPLING_MESSAGE],
            max_tokens=100,
            system_prompt="be brief",
            include_context="thisServer",
            temperature=0.2,
            stop_sequences=["END"],
            metadata={"provider": "x"},
            model_preferences=t.ModelPreferences(cost_priority=0.5),
            tools=[TOOL],
            tool_choice=t.ToolChoice(mode="auto"),
            task={"ttl": 5},
            meta=META,
        ),
    ),
    (
        "CreateMessageResult",
        t.CreateMessageResult(
            role="assistant", content=TEXT, model="m", stop_reason="endTurn", meta={}
        ),
    ),
    ("ElicitRequestFormParams", FORM),
    ("ElicitRequestURLParams", URL),
    ("ElicitRequestParams", FORM),
    ("ElicitRequestParams", URL),
    (
        "ElicitResult",
        t.ElicitResult(
            action="accept",
            content={"name": "Ann", "age": 30, "ok": True, "tags": ["a", "b"]},
            meta={},
        ),
    ),
    (
        "ElicitationCompleteNotification/properties/params",
        t.ElicitationCompleteNotificationParams(elicitation_id="el-1", meta={}),
    ),
    ("Root", t.Root(uri="file:///home", name="home", meta={})),
    ("ListRootsResult", t.ListRootsResult(roots=[t.Root(uri="file:///a")], meta={})),
    (
        "CancelledNotificationParams",
        t.CancelledNotificationParams(request_id=3, reason="user", meta={}),
    ),
    (
        "ProgressNotificationParams",
        t.ProgressNotificationParams(
            progress_token="tok-1", progress=50, total=100, message="half", meta={}
        ),
    ),
]


@pytest.mark.parametrize(("pointer", "instance"), INSTANCES, ids=[p for p, _ in INSTANCES])
def test_populated_instances_validate_against_2025_11_25(pointer: str, instance: Any) -> None:
    _assert_valid("2025-11-25", pointer, instance)


@pytest.mark.parametrize(("pointer", "instance"), INSTANCES, ids=[p for p, _ in INSTANCES])
def test_populated_instances_decode_back_to_equal_structs(pointer: str, instance: Any) -> None:
    decoded = msgspec.json.decode(msgspec.json.encode(instance), type=type(instance))
    assert decoded == instance


# -- field coverage ----------------------------------------------------------------------

# Struct -> the schema definitions whose members it must cover exactly.
COVERAGE: list[tuple[type[msgspec.Struct], tuple[str, ...]]] = [
    (t.Annotations, ("Annotations",)),
    (t.Icon, ("Icon",)),
    (t.RequestParams, ("RequestParams",)),
    (t.PaginatedRequestParams, ("PaginatedRequestParams",)),
    (t.NotificationParams, ("NotificationParams",)),
    (t.EmptyResult, ("Result",)),
    (t.TextContent, ("TextContent",)),
    (t.ImageContent, ("ImageContent",)),
    (t.AudioContent, ("AudioContent",)),
    (t.ResourceContents, ("TextResourceContents", "BlobResourceContents")),
    (t.ResourceLink, ("ResourceLink",)),
    (t.EmbeddedResource, ("EmbeddedResource",)),
    (t.ToolUseContent, ("ToolUseContent",)),
    (t.ToolResultContent, ("ToolResultContent",)),
    (t.Implementation, ("Implementation",)),
    (t.ClientCapabilities, ("ClientCapabilities",)),
    (t.ServerCapabilities, ("ServerCapabilities",)),
    (t.InitializeRequestParams, ("InitializeRequestParams",)),
    (t.InitializeResult, ("InitializeResult",)),
    (t.ToolAnnotations, ("ToolAnnotations",)),
    (t.ToolExecution, ("ToolExecution",)),
    (t.Tool, ("Tool",)),
    (t.ListToolsResult, ("ListToolsResult",)),
    (t.CallToolRequestParams, ("CallToolRequestParams",)),
    (t.CallToolResult, ("CallToolResult",)),
    (t.Resource, ("Resource",)),
    (t.ResourceTemplate, ("ResourceTemplate",)),
    (t.ListResourcesResult, ("ListResourcesResult",)),
    (t.ListResourceTemplatesResult, ("ListResourceTemplatesResult",)),
    (t.ReadResourceRequestParams, ("ReadResourceRequestParams",)),
    (t.ReadResourceResult, ("ReadResourceResult",)),
    (t.SubscribeRequestParams, ("SubscribeRequestParams",)),
    (t.UnsubscribeRequestParams, ("UnsubscribeRequestParams",)),
    (t.ResourceUpdatedNotificationParams, ("ResourceUpdatedNotificationParams",)),
    (t.PromptArgument, ("PromptArgument",)),
    (t.Prompt, ("Prompt",)),
    (t.ListPromptsResult, ("ListPromptsResult",)),
    (t.GetPromptRequestParams, ("GetPromptRequestParams",)),
    (t.PromptMessage, ("PromptMessage",)),
    (t.GetPromptResult, ("GetPromptResult",)),
    (t.PromptReference, ("PromptReference",)),
    (t.ResourceTemplateReference, ("ResourceTemplateReference",)),
    (t.CompleteRequestParams, ("CompleteRequestParams",)),
    (t.CompleteResult, ("CompleteResult",)),
    (t.SetLevelRequestParams, ("SetLevelRequestParams",)),
    (t.LoggingMessageNotificationParams, ("LoggingMessageNotificationParams",)),
    (t.ModelHint, ("ModelHint",)),
    (t.ModelPreferences, ("ModelPreferences",)),
    (t.SamplingMessage, ("SamplingMessage",)),
    (t.ToolChoice, ("ToolChoice",)),
    (t.CreateMessageRequestParams, ("CreateMessageRequestParams",)),
    (t.CreateMessageResult, ("CreateMessageResult",)),
    (t.ElicitRequestParams, ("ElicitRequestFormParams", "ElicitRequestURLParams")),
    (t.ElicitResult, ("ElicitResult",)),
    (t.Root, ("Root",)),
    (t.ListRootsResult, ("ListRootsResult",)),
    (t.CancelledNotificationParams, ("CancelledNotificationParams",)),
    (t.ProgressNotificationParams, ("ProgressNotificationParams",)),
]


def _wire_members(cls: type[msgspec.Struct]) -> set[str]:
    names = {f.encode_name for f in msgspec.structs.fields(cls)}
    tag_field = cls.__struct_config__.tag_field
    if tag_field is not None:
        names.add(tag_field)
    return names


@pytest.mark.parametrize(("cls", "pointers"), COVERAGE, ids=[c.__name__ for c, _ in COVERAGE])
def test_structs_have_exactly_the_members_of_the_2025_11_25_schema(
    cls: type[msgspec.Struct], pointers: tuple[str, ...]
) -> None:
    """One Struct serves every revision: the 2025-11-25 members, plus the few members
    2026-07-28 added to the same objects (capability extensions, MRTR params)."""
    defs = _defs("2025-11-25")
    modern = _defs("2026-07-28")
    expected: set[str] = set()
    for pointer in pointers:
        expected |= set(defs[pointer].get("properties", {}))
        added = set(modern.get(pointer, {}).get("properties", {})) & ADDED_IN_2026
        expected |= added
    assert _wire_members(cls) == expected


#: The members 2026-07-28 added to objects the legacy Structs already model.
ADDED_IN_2026 = {"extensions", "inputResponses", "requestState"}


def test_every_struct_of_the_package_is_covered_or_nested() -> None:
    nested = {
        t.WireStruct,
        t.RootsCapability,
        t.SamplingCapability,
        t.ElicitationCapability,
        t.ListChangedCapability,
        t.ResourcesCapability,
        t.Completion,
        t.CompletionArgument,
        t.CompletionContext,
        t.ElicitationCompleteNotificationParams,
    }
    structs = {
        value
        for name in t.__all__
        if isinstance(value := getattr(t, name), type) and issubclass(value, msgspec.Struct)
    }
    assert structs - nested == {cls for cls, _ in COVERAGE}


def test_elicitation_complete_params_match_their_inline_schema() -> None:
    schema = _defs("2025-11-25")["ElicitationCompleteNotification"]["properties"]["params"]
    assert _wire_members(t.ElicitationCompleteNotificationParams) - {"_meta"} == set(
        schema["properties"]
    )


# -- whole messages ----------------------------------------------------------------------


def test_jsonrpc_messages_validate_against_the_envelope_schemas() -> None:
    params = t.CallToolRequestParams.create("add", {"a": 1}, meta={"progressToken": 1})
    _assert_valid("2025-11-25", "JSONRPCRequest", jsonrpc.Request(id=1, method="x", params=params))
    _assert_valid(
        "2025-11-25", "CallToolRequest", jsonrpc.Request(id="a", method="tools/call", params=params)
    )
    _assert_valid("2025-11-25", "PingRequest", jsonrpc.Request(id=2, method="ping"))
    _assert_valid(
        "2025-11-25",
        "InitializedNotification",
        jsonrpc.Notification(method="notifications/initialized"),
    )
    _assert_valid(
        "2025-11-25",
        "ProgressNotification",
        jsonrpc.Notification(
            method="notifications/progress",
            params=t.ProgressNotificationParams(progress_token=1, progress=1.0, total=2.0),
        ),
    )
    _assert_valid(
        "2025-11-25",
        "JSONRPCResultResponse",
        jsonrpc.Response(id=1, result=t.CallToolResult(content=[TEXT])),
    )
    for rid in (1, "x", None):
        error = jsonrpc.error_response(InvalidParams("bad", {"p": 1}), rid)
        _assert_valid("2025-11-25", "JSONRPCErrorResponse", error)
        _assert_valid("2025-11-25", "JSONRPCMessage", error)


# -- 2025-06-18: what existed then still validates ------------------------------------------

INSTANCES_2025_06_18: list[tuple[str, Any]] = [
    ("Implementation", t.Implementation(name="srv", version="1", title="Srv")),
    (
        "ClientCapabilities",
        t.ClientCapabilities(
            sampling=t.SamplingCapability(), elicitation=t.ElicitationCapability()
        ),
    ),
    ("ServerCapabilities", SERVER_CAPS),
    ("TextContent", TEXT),
    ("AudioContent", AUDIO),
    ("ResourceLink", t.ResourceLink(uri="file:///x", name="x", title="X", size=1)),
    ("EmbeddedResource", EMBEDDED),
    (
        "Tool",
        t.Tool(
            name="add",
            input_schema={"type": "object"},
            title="Add",
            output_schema={"type": "object"},
        ),
    ),
    ("CallToolResult", t.CallToolResult(content=[TEXT, LINK], structured_content={"a": 1})),
    ("ReadResourceResult", t.ReadResourceResult(contents=[TEXT_CONTENTS, BLOB_CONTENTS])),
    ("Prompt", t.Prompt(name="p", title="P", arguments=[t.PromptArgument(name="a", title="A")])),
    ("GetPromptResult", t.GetPromptResult(messages=[t.PromptMessage(role="user", content=IMAGE)])),
    ("ElicitResult", t.ElicitResult(action="accept", content={"name": "Ann", "n": 3, "ok": False})),
    (
        "ElicitRequest/properties/params",
        t.ElicitRequestParams.form(
            "Name?", {"type": "object", "properties": {"n": {"type": "string"}}}
        ),
    ),
    ("CreateMessageResult", t.CreateMessageResult(role="assistant", content=TEXT, model="m")),
    (
        "CompleteRequest/properties/params",
        t.CompleteRequestParams(
            ref=t.ResourceTemplateReference(uri="x://{a}"),
            argument=t.CompletionArgument(name="a", value="b"),
            context=t.CompletionContext(arguments={}),
        ),
    ),
]


@pytest.mark.parametrize(
    ("pointer", "instance"), INSTANCES_2025_06_18, ids=[p for p, _ in INSTANCES_2025_06_18]
)
def test_instances_validate_against_2025_06_18(pointer: str, instance: Any) -> None:
    _assert_valid("2025-06-18", pointer, instance)


def test_request_params_tables_cover_every_legacy_request_of_the_schema() -> None:
    defs = _defs("2025-11-25")
    schema_methods = set()
    for union in ("ClientRequest", "ServerRequest"):
        for ref in defs[union]["anyOf"]:
            name = ref["$ref"].rsplit("/", 1)[1]
            schema_methods.add(defs[name]["properties"]["method"]["const"])
    tasks = {m for m in schema_methods if m.startswith("tasks/")}
    assert set(t.REQUEST_PARAMS) == schema_methods - tasks


def test_notification_tables_cover_every_legacy_notification_of_the_schema() -> None:
    defs = _defs("2025-11-25")
    schema_methods = set()
    for union in ("ClientNotification", "ServerNotification"):
        for ref in defs[union]["anyOf"]:
            name = ref["$ref"].rsplit("/", 1)[1]
            schema_methods.add(defs[name]["properties"]["method"]["const"])
    assert set(t.NOTIFICATION_PARAMS) == schema_methods - {"notifications/tasks/status"}


def test_the_schema_check_rejects_what_the_schema_forbids() -> None:
    validator = _validator("2025-11-25", "CallToolResult")
    assert validator.is_valid({"content": [{"type": "text", "text": "x"}]})
    assert not validator.is_valid({"content": [{"type": "text"}]})
    assert not validator.is_valid({"isError": True})
