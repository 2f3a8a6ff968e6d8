"""The live stream's fixtures (a real HTTP server, SSE clients), for wiki events."""

from tests.realtime.conftest import live_url, streams  # noqa: F401
