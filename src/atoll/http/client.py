"""What a request says of its client and its app, knowing no database: the app's settings,
the client's address and whether cookies are Secure."""

from __future__ import annotations

import ipaddress

from fastapi import Request

from atoll.kit.settings import Network, Settings, trusted_networks

ANON_COOKIE = "atoll_anon"


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure behind https: a https base URL, or a request that arrived over https
    (directly, or through a trusted proxy's X-Forwarded-Proto)."""
    return settings_of(request).secure_cookies or request.url.scheme == "https"


def client_address(request: Request) -> str:
    """The address of the client, as the sign-in throttle counts it and sessions record it:
    the peer's, unless the peer is one of ``ATOLL_TRUSTED_PROXIES`` — then the right-most
    X-Forwarded-For address that is not (what the outermost trusted proxy saw; what a client
    writes into the header itself is further left and is never read)."""
    peer = request.client.host if request.client else "unknown"
    trusted = trusted_networks(settings_of(request).trusted_proxies)
    if not trusted or not _is_in(peer, trusted):
        return peer
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    for entry in reversed(forwarded.split(",")):
        host = _host_of(entry.strip())
        if host is None:  # not an address: no proxy of ours wrote it
            return peer
        if not _is_in(host, trusted):
            return host
    return peer


def _host_of(entry: str) -> str | None:
    """The address of one X-Forwarded-For entry ("192.0.2.7", "192.0.2.7:4711", "2001:db8::1",
    "[2001:db8::1]:4711"), normalised; None when it is none."""
    if entry.startswith("["):
        entry = entry[1:].split("]", 1)[0]
    elif entry.count(":") == 1:
        entry = entry.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(entry))
    except ValueError:
        return None


def _is_in(host: str, networks: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)
