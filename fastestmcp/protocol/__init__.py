# fastestmcp.protocol: the sans-IO MCP protocol core (h11 is the model).
#
# Bytes in, typed messages out, and back. Nothing here does IO, owns a thread, or
# imports asyncio, anyio, aiohttp, websockets or pykka; transports and sessions sit
# on top. Every decision about protocol versions and eras is made in `versions`.
#
#   errors        JSON-RPC/MCP error codes and the McpError exception tree
#   jsonrpc       JSON-RPC 2.0 messages, the one-pass envelope decoder, encoders
#   types         msgspec Structs of every legacy MCP request, result, notification
#                 and the method -> Struct tables that decode `params`/`result`
#   versions      supported revisions, negotiation, feature facts, the era decision
#   capabilities  capability builders and checks
#   uri_template  RFC 6570 URI templates: expansion, matching, typed captures
#   cursor        opaque, signed pagination cursors
#
# A server reads one message like this:
#
#   msg = jsonrpc.decode(data, allow_batch=versions.features(v).batching)
#   params = types.decode_request_params(msg.method, msg.params, request_id=msg.id)
#   ... handle ...
#   out = jsonrpc.encode(jsonrpc.Response(id=msg.id, result=result_struct))
#
# and answers any McpError raised on the way with
# `jsonrpc.encode(jsonrpc.error_response(exc))`.

"""The sans-IO MCP protocol core: JSON-RPC framing, MCP types, versions and errors."""

from fastestmcp.protocol import (
    capabilities,
    cursor,
    errors,
    jsonrpc,
    types,
    uri_template,
    versions,
)
from fastestmcp.protocol.capabilities import *  # noqa: F403
from fastestmcp.protocol.cursor import *  # noqa: F403
from fastestmcp.protocol.errors import *  # noqa: F403
from fastestmcp.protocol.jsonrpc import *  # noqa: F403
from fastestmcp.protocol.types import *  # noqa: F403
from fastestmcp.protocol.uri_template import *  # noqa: F403
from fastestmcp.protocol.versions import *  # noqa: F403

__all__ = ["capabilities", "cursor", "errors", "jsonrpc", "types", "uri_template", "versions"]
__all__ += capabilities.__all__
__all__ += cursor.__all__
__all__ += errors.__all__
__all__ += jsonrpc.__all__
__all__ += types.__all__
__all__ += uri_template.__all__
__all__ += versions.__all__
