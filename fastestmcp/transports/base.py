# The transport/session contract (defined by the session layer, which sits below).

"""`Outbox`, `FrameSink` and `RequestId`: what a transport and a session agree on."""

from fastestmcp.server.outbox import FrameSink, Outbox, RequestId

__all__ = ["FrameSink", "Outbox", "RequestId"]
