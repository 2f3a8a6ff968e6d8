"""SAML 2.0 sign-in, the service provider's half, with pysaml2 (which checks signatures with
``xmlsec1``): Atoll's metadata, the request sent to the IdP (HTTP-Redirect) and the
IdP's answer read at the assertion consumer service (HTTP-POST).

Only signed assertions are accepted; their audience must be Atoll's entity id, their
``NotBefore``/``NotOnOrAfter`` must hold (``ATOLL_SAML_LEEWAY_SECONDS``), and the answer must
be ``InResponseTo`` a request Atoll sent (``atoll.identity.once`` remembers them, and each
assertion id once used, until they expire). The IdP's metadata (``ATOLL_SAML_IDP_METADATA``,
a file or a URL) is read at each sign-in, so a rotated IdP key needs no restart.

pysaml2 blocks (files, the xmlsec1 process): the routes call it in a worker thread."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, samlp
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.response import SignatureError, UnsolicitedResponse
from saml2.saml import NAMEID_FORMAT_TRANSIENT
from saml2.validate import ResponseLifetimeExceed, ToEarly

from atoll.identity.oidc import SignInFailed
from atoll.kit.settings import Settings

REQUEST_LIFETIME = timedelta(minutes=10)  # how long a sign-in may take at the IdP


def acs_url(settings: Settings) -> str:
    """The assertion consumer service (HTTP-POST) to register at the IdP."""
    return settings.base_url.rstrip("/") + "/auth/saml/acs"


def _config(settings: Settings, *, with_idp: bool = True) -> SPConfig:
    metadata: dict[str, Any] = {}
    source = settings.saml_idp_metadata
    if with_idp and source:
        if source.startswith(("https://", "http://")):
            metadata = {"remote": [{"url": source}]}
        else:
            metadata = {"local": [source]}
    config = SPConfig()
    config.load(
        {
            "entityid": settings.saml_entity_id,
            "service": {
                "sp": {
                    "endpoints": {
                        "assertion_consumer_service": [(acs_url(settings), BINDING_HTTP_POST)]
                    },
                    "allow_unsolicited": False,
                    "authn_requests_signed": False,
                    "want_assertions_signed": True,  # a signed response alone is not enough
                    "want_response_signed": False,
                }
            },
            "metadata": metadata,
            "accepted_time_diff": settings.saml_leeway_seconds,
            "allow_unknown_attributes": True,
        }
    )
    return config


def metadata(settings: Settings) -> str:
    """Atoll's SP metadata (entity id, ACS), for the IdP."""
    return str(create_metadata_string(None, config=_config(settings, with_idp=False)).decode())


def start(settings: Settings, *, relay_state: str) -> tuple[str, str]:
    """The id of a new authentication request and the URL that sends it to the IdP."""
    try:
        client = Saml2Client(config=_config(settings))
        request_id, info = client.prepare_for_authenticate(
            relay_state=relay_state, binding=BINDING_HTTP_REDIRECT
        )
    except Exception as error:  # pysaml2 reports a bad or unreachable IdP in many ways
        raise SignInFailed(f"The SAML identity provider cannot be reached ({error}).") from None
    location = dict(info["headers"])["Location"]
    return str(request_id), str(location)


def in_response_to(saml_response: str) -> str:
    """The request an answer (base64, as posted) says it answers; SignInFailed when it is not
    a SAML response at all."""
    try:
        xml = base64.b64decode(saml_response, validate=False)
        parsed = samlp.response_from_string(xml)
    except (binascii.Error, ValueError, TypeError, Exception):  # any unreadable input
        parsed = None
    if parsed is None:
        raise SignInFailed("The SAML answer could not be read.")
    return str(parsed.in_response_to or "")


@dataclass(frozen=True)
class Answer:
    """What a valid answer asserts."""

    issuer: str
    subject: str
    assertion_id: str
    not_on_or_after: datetime
    attributes: dict[str, Any]


def _refusal(error: Exception) -> SignInFailed:
    if isinstance(error, SignatureError):
        return SignInFailed(
            "The SAML assertion is not signed by the identity provider (only signed "
            "assertions are accepted)."
        )
    if isinstance(error, ResponseLifetimeExceed):
        return SignInFailed("The SAML assertion has expired. Start again from the sign-in page.")
    if isinstance(error, ToEarly):
        return SignInFailed("The SAML assertion is not valid yet (NotBefore).")
    if isinstance(error, UnsolicitedResponse):
        return SignInFailed("This SAML answer does not belong to a sign-in started here.")
    if "AudienceRestrictions" in str(error):
        return SignInFailed("The SAML assertion was issued for another service (its audience).")
    return SignInFailed(f"The SAML answer was refused ({error.__class__.__name__}).")


def read(settings: Settings, *, saml_response: str, request_id: str) -> Answer:
    """The answer to ``request_id``, once pysaml2 has checked its signature, audience, times
    and ``InResponseTo``; SignInFailed saying what does not hold."""
    client = Saml2Client(config=_config(settings))
    try:
        response = client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding={request_id: "/"}
        )
    except Exception as error:  # untrusted XML: every failure is a refusal, never a 500
        raise _refusal(error) from None
    if response is None or response.assertion is None:
        raise SignInFailed("The SAML answer holds no assertion.")
    name_id = response.name_id
    subject = "" if name_id is None else str(name_id.text or "")
    if name_id is not None and name_id.format == NAMEID_FORMAT_TRANSIENT:
        subject = ""  # changes at every sign-in: the e-mail address stands for the person
    expires = datetime.now(UTC) + REQUEST_LIFETIME
    if response.not_on_or_after:
        expires = datetime.fromtimestamp(int(response.not_on_or_after), UTC)
    return Answer(
        issuer=str(response.issuer() or ""),
        subject=subject,
        assertion_id=str(response.assertion.id),
        not_on_or_after=expires,
        attributes=dict(response.ava or {}),
    )


def claims_of(answer: Answer) -> dict[str, Any]:
    """The answer's attributes as the claims ``atoll.identity.accounts`` reads: ``email``
    (``email``, ``mail`` or an e-mail NameID), ``name`` (``name``, ``displayName``, or
    ``givenName`` and ``sn``), ``sub``, and every attribute by its own name."""
    attributes = answer.attributes

    def first(*names: str) -> str:
        for name in names:
            values = attributes.get(name)
            if values:
                return str(values[0] if isinstance(values, list) else values)
        return ""

    email = first("email", "mail", "emailAddress") or (
        answer.subject if "@" in answer.subject else ""
    )
    given, family = first("givenName", "given_name"), first("sn", "surname", "family_name")
    name = first("name", "displayName", "cn") or " ".join(p for p in (given, family) if p)
    return {**attributes, "email": email, "name": name, "sub": answer.subject or email.lower()}
