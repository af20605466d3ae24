# What the network transports' `serve*()` functions return: a server listening on a port, its
# tree on a runtime thread of its own, stopped once (listener first, then the tree).

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Self

import structlog

if TYPE_CHECKING:
    from fastestmcp.server.running import ServerHandle

__all__ = ["ListeningServer"]

log = structlog.get_logger("fastestmcp.transports")


class ListeningServer:
    """A running server listening on `host:port` (see `serve`, `serve_sse`, `serve_websocket`).

    Stopping it (also by leaving a `with` block) closes the listener and its connections,
    then stops the server's tree; it is idempotent and bounded.
    """

    scheme: ClassVar[str] = "http"

    def __init__(self, handle: ServerHandle, host: str, port: int) -> None:
        self.handle = handle
        self.host = host
        self.port = port
        self._stopped = False

    @property
    def base_url(self) -> str:
        """``scheme://host:port``, with IPv6 hosts in brackets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    async def _close_listener(self) -> None:
        """Close the listener and its connections (on the runtime's loop)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop listening, end the sessions, stop the server's tree (blocking, idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        try:
            self.handle.runtime.run_coroutine(self._close_listener()).result(30)
        except Exception:
            log.exception("stopping the listener failed", server=type(self).__name__)
        finally:
            self.handle.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
