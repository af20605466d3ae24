"""Transports: stdio, streamable HTTP, HTTP+SSE, WebSocket, in-memory (see base.py)."""
