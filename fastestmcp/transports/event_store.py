# The event store of the streamable HTTP transport: what lets a client resume an SSE stream.
#
# Every SSE stream of a session (its GET stream, each POST's response stream) has an id of its
# own, and every event on it a sequence number (1, 2, ...; 0 is the priming event, which carries
# no message). The transport formats the pair as the SSE event id `<stream>:<seq>` and hands
# each event to the store; a GET with `Last-Event-ID` asks the store for the events after that
# one, *of that stream only*.
#
# The store is bounded: at most `max_events_per_stream` events of each stream and
# `max_events_per_session` over all the streams of a session (the oldest go first). A stream
# that has ended (its final response was sent, or the session's GET stream closed) stays
# resumable for `ended_stream_grace` seconds. Everything of a session goes when it ends.
#
# `events_after` answers None when it cannot replay *everything* after the given event: the
# stream is unknown (never issued, expired after its grace period, another session's), the
# sequence number was never issued, or events after it were evicted. A silent gap would lose
# messages (a final response among them) without anyone knowing; the transport refuses such a
# resumption instead (400), and the client re-issues its request.
#
# Pluggable: `EventStore` is a Protocol. The transport calls it on the runtime's loop and
# never awaits it, so a store backed by a network service (Redis...) keeps a local write-behind
# buffer of its own.

"""`EventStore` (the interface) and `InMemoryEventStore` (the default): SSE events to replay."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

__all__ = ["EventStore", "InMemoryEventStore"]


class EventStore(Protocol):
    """Where the streamable HTTP transport keeps the SSE events a client may ask again."""

    def open_stream(self, session_id: str, stream_id: str) -> None:
        """A new SSE stream: its priming event (sequence 0) can be resumed from."""
        ...

    def append(self, session_id: str, stream_id: str, seq: int, frame: bytes) -> None:
        """Event `seq` of the stream (sequence numbers grow by one from 1)."""
        ...

    def end_stream(self, session_id: str, stream_id: str) -> None:
        """No more events on this stream; keep its events for the grace period."""
        ...

    def events_after(
        self, session_id: str, stream_id: str, seq: int
    ) -> list[tuple[int, bytes]] | None:
        """Every event of the stream after `seq`, in order; None if that is not possible."""
        ...

    def drop_session(self, session_id: str) -> None:
        """The session ended: forget all its streams."""
        ...


class _StoredStream:
    __slots__ = ("ended_at", "events", "evicted", "last")

    def __init__(self) -> None:
        self.events: deque[tuple[int, bytes, int]] = deque()  # (seq, frame, tick)
        self.last = 0  # the last sequence number issued
        self.evicted = 0  # every event up to this one is gone
        self.ended_at: float | None = None


class _StoredSession:
    __slots__ = ("order", "size", "streams", "tick")

    def __init__(self) -> None:
        self.streams: dict[str, _StoredStream] = {}
        self.order: deque[tuple[int, str, int]] = deque()  # (tick, stream, seq), oldest first
        self.size = 0  # events held
        self.tick = 0

    def compact(self) -> None:
        """Rebuild `order` from the events still held (entries of evicted ones pile up)."""
        self.order = deque(
            sorted(
                (tick, stream_id, seq)
                for stream_id, stream in self.streams.items()
                for seq, _, tick in stream.events
            )
        )


class InMemoryEventStore:
    """The default `EventStore`: bounded, in this process's memory (see the module comment).

    Args:
        max_events_per_stream: Events kept of each stream (the oldest go first).
        max_events_per_session: Events kept over all the streams of a session.
        ended_stream_grace: Seconds an ended stream stays resumable.
        clock: A monotonic clock (tests pass their own).
    """

    def __init__(
        self,
        *,
        max_events_per_stream: int = 256,
        max_events_per_session: int = 2048,
        ended_stream_grace: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_events_per_stream < 1 or max_events_per_session < 1:
            raise ValueError("the event store must keep at least one event per stream and session")
        if ended_stream_grace < 0:
            raise ValueError("ended_stream_grace must be >= 0 seconds")
        self.max_events_per_stream = max_events_per_stream
        self.max_events_per_session = max_events_per_session
        self.ended_stream_grace = ended_stream_grace
        self._clock = clock
        self._sessions: dict[str, _StoredSession] = {}

    def open_stream(self, session_id: str, stream_id: str) -> None:
        session = self._sessions.get(session_id)
        if session is None:
            session = self._sessions[session_id] = _StoredSession()
        self._expire(session)
        session.streams[stream_id] = _StoredStream()

    def append(self, session_id: str, stream_id: str, seq: int, frame: bytes) -> None:
        session = self._sessions.get(session_id)
        stream = None if session is None else session.streams.get(stream_id)
        if session is None or stream is None:
            return  # an unopened (or expired) stream: nothing to resume
        session.tick += 1
        stream.last = seq
        stream.events.append((seq, frame, session.tick))
        session.order.append((session.tick, stream_id, seq))
        session.size += 1
        if len(stream.events) > self.max_events_per_stream:
            self._evict_oldest(session, stream)
        while session.size > self.max_events_per_session and session.order:
            _, oldest_stream, oldest_seq = session.order.popleft()
            held = session.streams.get(oldest_stream)
            if held is not None and held.events and held.events[0][0] == oldest_seq:
                self._evict_oldest(session, held)
        if len(session.order) > 2 * max(session.size, 64):
            session.compact()

    def end_stream(self, session_id: str, stream_id: str) -> None:
        session = self._sessions.get(session_id)
        stream = None if session is None else session.streams.get(stream_id)
        if stream is not None and stream.ended_at is None:
            stream.ended_at = self._clock()

    def events_after(
        self, session_id: str, stream_id: str, seq: int
    ) -> list[tuple[int, bytes]] | None:
        session = self._sessions.get(session_id)
        if session is None:
            return None
        self._expire(session)
        stream = session.streams.get(stream_id)
        if stream is None or not stream.evicted <= seq <= stream.last:
            return None
        return [(number, frame) for number, frame, _ in stream.events if number > seq]

    def drop_session(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def _evict_oldest(self, session: _StoredSession, stream: _StoredStream) -> None:
        seq, _, _ = stream.events.popleft()
        stream.evicted = seq
        session.size -= 1

    def _expire(self, session: _StoredSession) -> None:
        deadline = self._clock() - self.ended_stream_grace
        for stream_id, stream in list(session.streams.items()):
            if stream.ended_at is not None and stream.ended_at < deadline:
                del session.streams[stream_id]
                session.size -= len(stream.events)
