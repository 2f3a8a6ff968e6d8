"""The real-time fixtures (a live server, event streams) for the live queue's tests."""

from tests.realtime.conftest import live_url, streams

__all__ = ["live_url", "streams"]
