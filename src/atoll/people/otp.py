"""The parts of the TOTP second factor that know no database: codes (RFC 6238: HMAC-SHA1, six
digits, 30-second steps, the same as every authenticator app), the ``otpauth://`` address and
its QR code, the secret's encryption at rest, recovery codes, and the signed state of a sign-in
that has passed its password and waits for its code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from datetime import datetime
from urllib.parse import quote, urlencode

import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of now: a clock a little off, a code typed late
ISSUER = "Atoll"
PENDING_SECONDS = 300  # how long the code page of a sign-in stays valid
RECOVERY_CODES = 10


def new_secret() -> str:
    """A new shared secret: 160 random bits, base32 (what authenticator apps read)."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


def step_of(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    """The code of a secret for a 30-second step (RFC 4226's HOTP of the step)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def matching_step(secret: str, code: str, *, now: datetime, after: int) -> int | None:
    """The step within ``WINDOW`` of now whose code this is, if it is newer than ``after`` (the
    last step a code was accepted for: no code works twice); None otherwise."""
    code = code.replace(" ", "").strip()
    if len(code) != DIGITS or not code.isdigit():
        return None
    current = step_of(now)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if step > after and hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def uri(secret: str, account: str) -> str:
    """The ``otpauth://`` address an authenticator app reads (from the QR code)."""
    label = quote(f"{ISSUER}:{account}")
    query = urlencode({"secret": secret, "issuer": ISSUER, "digits": DIGITS, "period": 30})
    return f"otpauth://totp/{label}?{query}"


def qr_svg(text: str) -> str:
    """The QR code of a text as an inline SVG element (made here; nothing is fetched)."""
    svg: str = segno.make(text, error="m").svg_inline(scale=5, border=2, title="QR code")
    return svg


def _key(signing_key: bytes, purpose: bytes) -> bytes:
    return hmac.new(signing_key, b"atoll/totp/" + purpose, hashlib.sha256).digest()


def seal(signing_key: bytes, secret: str) -> str:
    """The secret encrypted (AES-256-GCM, a key derived from ``ATOLL_SECRET_KEY``) for the
    database."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key(signing_key, b"seal")).encrypt(nonce, secret.encode(), b"totp")
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(signing_key: bytes, stored: str) -> str | None:
    """The secret back; None when it does not decrypt (the secret key was changed)."""
    raw = base64.urlsafe_b64decode(stored.encode())
    try:
        return AESGCM(_key(signing_key, b"seal")).decrypt(raw[:12], raw[12:], b"totp").decode()
    except InvalidTag:
        return None


def new_recovery_codes() -> list[str]:
    """Ten single-use codes like ``k7m2-q9xp``: letters and digits that are not mistaken for
    one another."""
    alphabet = "23456789abcdefghjkmnpqrstuvwxyz"
    codes = []
    for _ in range(RECOVERY_CODES):
        chars = "".join(secrets.choice(alphabet) for _ in range(8))
        codes.append(f"{chars[:4]}-{chars[4:]}")
    return codes


def recovery_digest(code: str) -> str:
    """What is stored of a recovery code (typed with or without its dash, in any case)."""
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


def is_recovery_code(code: str) -> bool:
    return len(code.strip().replace("-", "")) == 8


def pending_state(signing_key: bytes, *, person_id: int, now: datetime) -> str:
    """The signed state of a sign-in whose password was right and whose code is awaited: not
    a session, only who it is and since when."""
    body = f"{person_id}.{int(now.timestamp())}"
    return f"{body}.{_mac(signing_key, body)}"


def pending_person(signing_key: bytes, state: str, *, now: datetime) -> int | None:
    """The person of a pending sign-in's state; None when forged or older than
    ``PENDING_SECONDS``."""
    parts = state.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_mac(signing_key, body), parts[2]):
        return None
    age = now.timestamp() - int(parts[1])
    return int(parts[0]) if 0 <= age <= PENDING_SECONDS else None


def _mac(signing_key: bytes, body: str) -> str:
    return hmac.new(_key(signing_key, b"pending"), body.encode(), hashlib.sha256).hexdigest()
