"""CSRF tokens: an HMAC of the secret a form or a cookie-authenticated call is bound to (the
session's token, or before sign-in an anonymous cookie), keyed by the signing key."""

from __future__ import annotations

import hashlib
import hmac

from atoll.kit.settings import Settings


def csrf_token_for(settings: Settings, secret: str) -> str:
    """The CSRF token bound to a session secret (or an anonymous cookie before sign-in)."""
    return hmac.new(settings.signing_key, b"csrf:" + secret.encode(), hashlib.sha256).hexdigest()


def csrf_matches(settings: Settings, secret: str | None, token: str | None) -> bool:
    if not secret or not token:
        return False
    return hmac.compare_digest(csrf_token_for(settings, secret), token)
