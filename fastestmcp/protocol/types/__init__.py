# The MCP wire types of the legacy revisions (2024-11-05 ... 2025-11-25), by area:
#
#   common         WireStruct base, aliases, Annotations, Icon, bare params, EmptyResult
#   content        content blocks (tagged on `type`) and ResourceContents
#   lifecycle      Implementation, capabilities, initialize
#   tools          Tool, tools/list, tools/call
#   resources      Resource, ResourceTemplate, resources/*
#   prompts        Prompt, prompts/*
#   completion     completion/complete
#   logs           logging/setLevel, notifications/message
#   sampling       sampling/createMessage
#   elicitation    elicitation/create, notifications/elicitation/complete
#   roots          roots/list
#   notifications  notifications/cancelled, notifications/progress
#   methods        method -> Struct tables and the typed decode of params and results
#
# Types only, no IO. See `common` for the rules every Struct follows.

"""MCP wire types (msgspec Structs) and the method tables that decode them."""

from .common import (
    Annotations,
    Cursor,
    EmptyResult,
    Icon,
    LoggingLevel,
    Meta,
    NotificationParams,
    PaginatedRequestParams,
    ProgressToken,
    RequestParams,
    Role,
    WireStruct,
    progress_token,
)
from .completion import (
    MAX_COMPLETION_VALUES,
    CompleteRequestParams,
    CompleteResult,
    Completion,
    CompletionArgument,
    CompletionContext,
    CompletionReference,
    PromptReference,
    ResourceTemplateReference,
)
from .content import (
    AudioContent,
    ContentBlock,
    EmbeddedResource,
    ImageContent,
    ResourceContents,
    ResourceLink,
    SamplingContent,
    TextContent,
    ToolResultContent,
    ToolUseContent,
)
from .elicitation import (
    ElicitationCompleteNotificationParams,
    ElicitRequestParams,
    ElicitResult,
)
from .lifecycle import (
    ClientCapabilities,
    ElicitationCapability,
    Implementation,
    InitializeRequestParams,
    InitializeResult,
    ListChangedCapability,
    ResourcesCapability,
    RootsCapability,
    SamplingCapability,
    ServerCapabilities,
)
from .logs import (
    LOGGING_LEVELS,
    LoggingMessageNotificationParams,
    SetLevelRequestParams,
)
from .methods import (
    CLIENT_NOTIFICATIONS,
    CLIENT_REQUESTS,
    NOTIFICATION_PARAMS,
    REQUEST_PARAMS,
    REQUEST_RESULTS,
    SERVER_NOTIFICATIONS,
    SERVER_REQUESTS,
    decode_notification_params,
    decode_params,
    decode_request_params,
    decode_result,
)
from .notifications import (
    CancelledNotificationParams,
    ProgressNotificationParams,
)
from .prompts import (
    GetPromptRequestParams,
    GetPromptResult,
    ListPromptsResult,
    Prompt,
    PromptArgument,
    PromptMessage,
)
from .resources import (
    ListResourcesResult,
    ListResourceTemplatesResult,
    ReadResourceRequestParams,
    ReadResourceResult,
    Resource,
    ResourceTemplate,
    ResourceUpdatedNotificationParams,
    SubscribeRequestParams,
    UnsubscribeRequestParams,
)
from .roots import (
    ListRootsResult,
    Root,
)
from .sampling import (
    CreateMessageRequestParams,
    CreateMessageResult,
    ModelHint,
    ModelPreferences,
    SamplingMessage,
    ToolChoice,
)
from .tools import (
    NO_ARGUMENTS,
    CallToolRequestParams,
    CallToolResult,
    ListToolsResult,
    Tool,
    ToolAnnotations,
    ToolExecution,
)

__all__ = (
    "CLIENT_NOTIFICATIONS",
    "CLIENT_REQUESTS",
    "LOGGING_LEVELS",
    "MAX_COMPLETION_VALUES",
    "NOTIFICATION_PARAMS",
    "NO_ARGUMENTS",
    "REQUEST_PARAMS",
    "REQUEST_RESULTS",
    "SERVER_NOTIFICATIONS",
    "SERVER_REQUESTS",
    "Annotations",
    "AudioContent",
    "CallToolRequestParams",
    "CallToolResult",
    "CancelledNotificationParams",
    "ClientCapabilities",
    "CompleteRequestParams",
    "CompleteResult",
    "Completion",
    "CompletionArgument",
    "CompletionContext",
    "CompletionReference",
    "ContentBlock",
    "CreateMessageRequestParams",
    "CreateMessageResult",
    "Cursor",
    "ElicitRequestParams",
    "ElicitResult",
    "ElicitationCapability",
    "ElicitationCompleteNotificationParams",
    "EmbeddedResource",
    "EmptyResult",
    "GetPromptRequestParams",
    "GetPromptResult",
    "Icon",
    "ImageContent",
    "Implementation",
    "InitializeRequestParams",
    "InitializeResult",
    "ListChangedCapability",
    "ListPromptsResult",
    "ListResourceTemplatesResult",
    "ListResourcesResult",
    "ListRootsResult",
    "ListToolsResult",
    "LoggingLevel",
    "LoggingMessageNotificationParams",
    "Meta",
    "ModelHint",
    "ModelPreferences",
    "NotificationParams",
    "PaginatedRequestParams",
    "ProgressNotificationParams",
    "ProgressToken",
    "Prompt",
    "PromptArgument",
    "PromptMessage",
    "PromptReference",
    "ReadResourceRequestParams",
    "ReadResourceResult",
    "RequestParams",
    "Resource",
    "ResourceContents",
    "ResourceLink",
    "ResourceTemplate",
    "ResourceTemplateReference",
    "ResourceUpdatedNotificationParams",
    "ResourcesCapability",
    "Role",
    "Root",
    "RootsCapability",
    "SamplingCapability",
    "SamplingContent",
    "SamplingMessage",
    "ServerCapabilities",
    "SetLevelRequestParams",
    "SubscribeRequestParams",
    "TextContent",
    "Tool",
    "ToolAnnotations",
    "ToolChoice",
    "ToolExecution",
    "ToolResultContent",
    "ToolUseContent",
    "UnsubscribeRequestParams",
    "WireStruct",
    "decode_notification_params",
    "decode_params",
    "decode_request_params",
    "decode_result",
    "progress_token",
)
