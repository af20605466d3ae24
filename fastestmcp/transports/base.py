# The transport/session contract (defined by the session layer, which sits below).

"""`Outbox`, `FrameSink` and `RequestId`: what a transport and a session agree on."""

from fastestmcp.server.outbox import FrameSink, HttpRequestInfo, Outbox, RequestId

__all__ = ["FrameSink", "HttpRequestInfo", "Outbox", "RequestId"]
