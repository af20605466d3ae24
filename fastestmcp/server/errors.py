# Errors of the server definition layer: what handlers raise on purpose, and what
# registration and argument binding raise.
#
# Rules of this module:
#   * No imports from the rest of `fastestmcp.server`: every other module may import it.
#   * Errors that reach a peer are `McpError`s of `fastestmcp.protocol.errors`, so the
#     pipeline answers them with their code; errors of the server's author (a bad
#     registration) are plain `TypeError`/`ValueError`s raised at registration time.
#   * Messages say what was wrong and what to do.
#
#   ToolError                       raised by a tool on purpose: `isError: true`, never masked
#   ArgumentValidationError         -32602 arguments do not fit the schema; for tools it
#                                   becomes `isError: true` (SEP-1303), elsewhere an error
#   OutputSchemaError               -32603 a tool's structured result breaks its output schema
#   DuplicateComponentError         registration of a key that exists (on_duplicate="error")
#   DuplicateComponentWarning       the same under on_duplicate="warn"

"""Errors raised by handlers, argument binding and component registration."""

from __future__ import annotations

from typing import Any

from fastestmcp.protocol.errors import InternalError, InvalidParams

__all__ = (
    "ArgumentValidationError",
    "DuplicateComponentError",
    "DuplicateComponentWarning",
    "OutputSchemaError",
    "ToolError",
)


class ToolError(Exception):
    """Raise from a tool to report a failure the model should see.

    The call answers with a ``CallToolResult`` whose ``isError`` is true and whose only
    content is this message. Unlike other exceptions, its message is never masked, even
    when the server sets ``mask_error_details=True``: it is written for the client.

    Args:
        message: What went wrong, for the model or the user.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ArgumentValidationError(InvalidParams, ValueError):
    """Arguments that do not fit the handler's parameters or explicit JSON Schema.

    For ``tools/call`` the pipeline turns it into an ``isError: true`` result, so the model
    can read the message and correct its call (SEP-1303); for ``prompts/get`` and
    ``resources/read`` it is answered as JSON-RPC invalid params (-32602).

    Args:
        detail: What is wrong, e.g. ``"expected `int`, got `str`"``.
        path: Where, as a JSONPath into the arguments: ``"$"``, ``"$.city"``,
            ``"$.stops[2].lat"``.
        component: The component the arguments were for, e.g. ``"tool 'forecast'"``.

    Attributes:
        detail: What is wrong.
        path: Where it is wrong.
        component: The component, when known.
    """

    def __init__(self, detail: str, *, path: str = "$", component: str | None = None) -> None:
        self.detail = detail
        self.path = path
        self.component = component
        target = f" for {component}" if component else ""
        super().__init__(f"Invalid arguments{target} at {path}: {detail}", {"path": path})

    def for_component(self, component: str) -> ArgumentValidationError:
        """Return the same error, naming the component it was raised for.

        Args:
            component: A label such as ``"tool 'forecast'"``.

        Returns:
            A new error with the same detail and path.
        """
        return ArgumentValidationError(self.detail, path=self.path, component=component)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_argument_error, (self.detail, self.path, self.component))


def _rebuild_argument_error(
    detail: str, path: str, component: str | None
) -> ArgumentValidationError:
    return ArgumentValidationError(detail, path=path, component=component)


class OutputSchemaError(InternalError):
    """A tool returned structured content that does not match its explicit output schema.

    This is a bug in the server (the tool breaks its own contract), so it is an internal
    error (-32603), not a tool error the model could fix.
    """


class DuplicateComponentError(ValueError):
    """A component with the same key (kind, identifier and version) is already registered.

    Raised under the default ``on_duplicate="error"`` policy. Register the component under
    another name or version, or create the server with ``on_duplicate="replace"``,
    ``"warn"`` or ``"ignore"``.
    """


class DuplicateComponentWarning(UserWarning):
    """Issued when ``on_duplicate="warn"`` replaces a component that had the same key."""
