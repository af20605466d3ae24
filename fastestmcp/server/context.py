# The `Context` class, as far as the definition layer needs it.
#
# The signature inspector (`signature.py`) recognises a handler parameter annotated
# `Context` (or `Context | None`), under any name, and passes the context there instead
# of an argument. That is all this layer knows about it: the attributes and operations
# of a context belong to the session layer, which fills this class in.

"""The explicit handle every handler can ask for by annotating a parameter `Context`."""

from __future__ import annotations

__all__ = ("Context",)


class Context:
    """The explicit handle a handler receives to reach its request, session and server.

    Ask for it by annotating a parameter of a tool, resource, resource template or prompt
    handler with ``Context`` (any parameter name; ``Context | None`` also works). That
    parameter is not part of the component's arguments or JSON Schema.

    Its attributes (request and session identity, headers, lifespan values...) and its
    operations (state, logging, progress, sampling, elicitation...) are provided by the
    session layer, which creates one per request; this definition layer only declares the
    type so that handler signatures can be inspected once, at registration.
    """
