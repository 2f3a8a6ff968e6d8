"""The secrets of single-use links (password resets, invitations): long random strings, of
which only a SHA-256 digest is stored."""

from __future__ import annotations

import hashlib
import secrets


def new_secret() -> tuple[str, str]:
    """A fresh secret for a link and the digest to store: (secret, digest)."""
    raw = secrets.token_urlsafe(32)
    return raw, digest(raw)


def digest(raw: str) -> str:
    """The stored form of a link's secret (anything may be typed into a link: cut it first)."""
    return hashlib.sha256(raw.strip()[:200].encode()).hexdigest()
