# fastestmcp.server: the server layer. So far, the *definition* of a server, with no
# actors and no IO: options, components, handler inspection, schemas, results.
#
#   errors        ToolError, ArgumentValidationError and registration errors
#   context       the Context class handlers ask for (filled in by the session layer)
#   jsonschema    explicit JSON Schemas compiled once (jsonschema-rs)
#   signature     handler inspection: context parameter, argument Struct, schemas, decoders
#   results       handler return values -> CallToolResult / ReadResourceResult / ...
#   components    Tool, Resource, ResourceTemplate, Prompt
#   completions   completion sources of prompt arguments and template variables
#   visibility    Selector and VersionSpec (pure matching), version ordering
#   dependencies  per-request dependencies and per-server lifespans
#   definition    Server and the `server()` factory
#
# Imports only point down: definition -> components -> signature -> results ->
# jsonschema -> errors; context, visibility and errors import nothing of this package.
#
# Note: `fastestmcp.server` (the attribute of the `fastestmcp` package) is the factory
# function `server()`; import names from this package with `from fastestmcp.server import X`.

"""The server definition layer: `Server`, components, handler inspection and results."""

from fastestmcp.server.completions import Completer, CompletionSource
from fastestmcp.server.components import (
    Component,
    ComponentKind,
    Prompt,
    Resource,
    ResourceTemplate,
    RunSync,
    Tool,
)
from fastestmcp.server.context import Context
from fastestmcp.server.definition import (
    OnDuplicate,
    PromptOptions,
    ResourceMatch,
    ResourceOptions,
    Server,
    TemplateOptions,
    ToolOptions,
    Visible,
    server,
)
from fastestmcp.server.dependencies import Dependency, Lifespan, enter_lifespans
from fastestmcp.server.errors import (
    ArgumentValidationError,
    DuplicateComponentError,
    DuplicateComponentWarning,
    OutputSchemaError,
    ToolError,
)
from fastestmcp.server.jsonschema import InvalidSchemaError, SchemaValidator, compile_schema
from fastestmcp.server.modern import InputRequired, NoStateScopeError
from fastestmcp.server.results import (
    WRAP_RESULT_KEY,
    Audio,
    File,
    Image,
    Message,
    OutputSchema,
    ToolResult,
)
from fastestmcp.server.signature import ExplicitHandler, Handler, Parameter, TypedHandler
from fastestmcp.server.visibility import Selector, VersionSpec, compare_versions

__all__ = (
    "WRAP_RESULT_KEY",
    "ArgumentValidationError",
    "Audio",
    "Completer",
    "CompletionSource",
    "Component",
    "ComponentKind",
    "Context",
    "Dependency",
    "DuplicateComponentError",
    "DuplicateComponentWarning",
    "ExplicitHandler",
    "File",
    "Handler",
    "Image",
    "InputRequired",
    "InvalidSchemaError",
    "Lifespan",
    "Message",
    "NoStateScopeError",
    "OnDuplicate",
    "OutputSchema",
    "OutputSchemaError",
    "Parameter",
    "Prompt",
    "PromptOptions",
    "Resource",
    "ResourceMatch",
    "ResourceOptions",
    "ResourceTemplate",
    "RunSync",
    "SchemaValidator",
    "Selector",
    "Server",
    "TemplateOptions",
    "Tool",
    "ToolError",
    "ToolOptions",
    "ToolResult",
    "TypedHandler",
    "VersionSpec",
    "Visible",
    "compare_versions",
    "compile_schema",
    "enter_lifespans",
    "server",
)
