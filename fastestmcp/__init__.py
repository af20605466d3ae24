"""fastestmcp: MCP servers and clients on an actor runtime with OTP-style supervision.

Layers (imports only point down): cli, client, transports, server, protocol; the actor runtime
is the separate, MCP-free `supervisors` package.
"""

__version__ = "0.1.0"

# `server` is the factory `server(name, **options) -> Server`; it shadows the attribute of
# the `fastestmcp.server` subpackage, whose names are imported with
# `from fastestmcp.server import ...`.
from fastestmcp.protocol.modern import CacheHint
from fastestmcp.server.context import Context
from fastestmcp.server.definition import Server, server
from fastestmcp.server.errors import ToolError
from fastestmcp.server.results import Audio, File, Image
from fastestmcp.server.running import ServerHandle, start, start_async

__all__ = [
    "Audio",
    "CacheHint",
    "Context",
    "File",
    "Image",
    "Server",
    "ServerHandle",
    "ToolError",
    "__version__",
    "server",
    "start",
    "start_async",
]
