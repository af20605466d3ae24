"""fastestmcp: MCP servers and clients on an actor runtime with OTP-style supervision.

Layers (imports only point down): cli, client, transports, server, protocol; the actor runtime
is the separate, MCP-free `supervisors` package.
"""

__version__ = "0.1.0"
