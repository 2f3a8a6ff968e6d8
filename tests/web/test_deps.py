"""``client_address``: the peer, unless the peer is a trusted proxy; and the setting that
names the trusted proxies."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.requests import Request

from atoll.http.client import client_address
from atoll.kit.settings import Settings
from tests.conftest import settings_for


def _address(trusted: str, peer: str, *forwarded: str) -> str:
    app = FastAPI()
    app.state.settings = settings_for("sqlite+aiosqlite://", Path("."), trusted_proxies=trusted)
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    scope = {"type": "http", "app": app, "client": (peer, 5000), "headers": headers}
    return client_address(Request(scope))


def test_no_proxy_is_trusted_by_default_not_even_the_loopback() -> None:
    assert _address("", "127.0.0.1", "192.0.2.1") == "127.0.0.1"
    assert _address("", "203.0.113.7", "192.0.2.1") == "203.0.113.7"


def test_the_right_most_address_not_of_a_trusted_proxy_is_the_client() -> None:
    trusted = "10.0.0.0/8, 192.0.2.1"
    assert _address(trusted, "10.0.0.2", "198.51.100.9") == "198.51.100.9"
    # The client wrote its own header; the proxies appended what they saw.
    assert _address(trusted, "10.0.0.2", "1.1.1.1, 198.51.100.9, 192.0.2.1") == "198.51.100.9"
    assert _address(trusted, "10.0.0.2", "1.1.1.1", "198.51.100.9:4711") == "198.51.100.9"
    assert _address(trusted, "10.0.0.2", "[2001:db8::7]:4711") == "2001:db8::7"
    assert _address(trusted, "192.0.2.7", "198.51.100.9") == "192.0.2.7"  # not a proxy of ours


def test_what_a_trusted_proxy_did_not_fill_in_is_the_proxy() -> None:
    assert _address("10.0.0.0/8", "10.0.0.2") == "10.0.0.2"
    assert _address("10.0.0.0/8", "10.0.0.2", "10.0.0.3") == "10.0.0.2"
    assert _address("10.0.0.0/8", "10.0.0.2", "<script>, unknown") == "10.0.0.2"


def test_a_trusted_proxy_setting_that_is_no_address_stops_the_server() -> None:
    with pytest.raises(ValidationError, match="'10.0.0.0/33' is not an IP address or network"):
        Settings(trusted_proxies="10.0.0.1, 10.0.0.0/33")
