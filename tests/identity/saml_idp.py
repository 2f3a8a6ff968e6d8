"""A small SAML 2.0 identity provider for the tests: pysaml2's own IdP (``saml2.server``),
with a key and certificate made when it starts, served over real HTTP (aiohttp) by the test
that runs it. ``GET /metadata`` describes it; ``GET /sso`` takes an HTTP-Redirect
authentication request and answers with the HTTP-POST form a browser would submit to the SP.

The account comes from ``login`` in the query (this IdP trusts whoever asks: it is a test
double of the IdP's own login, not of anything Atoll does). For the bad answers the tests
need, the query can ask for an unsigned assertion (``unsigned=1``), another audience
(``audience=...``) or times shifted into the past (``shift=-7200``, seconds): the answer is
made as usual, changed, and then signed (or not) with the IdP's real key."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.pack import http_form_post_message
from saml2.saml import NAME_FORMAT_BASIC, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.sigver import pre_signature_part

from tests.identity.conftest import free_port

PASSWORD_CONTEXT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
TIMES = re.compile(r'\b(IssueInstant|NotBefore|NotOnOrAfter|AuthnInstant)="([^"]+)"')
ISSUER_END = re.compile(r"</(?:\w+:)?Issuer>")
ASSERTION_ID = re.compile(r'<(?:saml:|ns\d:)?Assertion\b[^>]*\bID="([^"]+)"')

USERS: dict[str, dict[str, list[str]]] = {
    "ana": {
        "email": ["ana.lima@example.com"],
        "displayName": ["Ana Lima"],
        "title": ["Platform engineer"],
        "unit": ["Engineering/Platform"],
        "groups": ["sso-guild"],
    },
    "olga": {"email": ["olga@elsewhere.org"], "displayName": ["Olga"]},
}


def make_key_and_cert(directory: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "atoll test idp")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / "idp.key", directory / "idp.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def _shifted(xml: str, seconds: int) -> str:
    def move(match: re.Match[str]) -> str:
        when = dt.datetime.strptime(match.group(2)[:19], "%Y-%m-%dT%H:%M:%S")
        moved = (when + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f'{match.group(1)}="{moved}"'

    return TIMES.sub(move, xml)


@dataclass
class SamlIdp:
    url: str
    directory: Path
    key_file: Path
    cert_file: Path
    server: Server | None = None

    @property
    def entity_id(self) -> str:
        return self.url + "/metadata"

    def config(self, sp_metadata: str | None) -> IdPConfig:
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [(self.url + "/sso", BINDING_HTTP_REDIRECT)]
                        },
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": 15},
                                "attribute_restrictions": None,
                                "name_form": NAME_FORMAT_BASIC,
                            }
                        },
                        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    }
                },
                "key_file": str(self.key_file),
                "cert_file": str(self.cert_file),
                "xmlsec_binary": shutil.which("xmlsec1"),
                "metadata": {"inline": [sp_metadata]} if sp_metadata else {},
            }
        )
        return config

    def metadata(self) -> str:
        return str(create_metadata_string(None, config=self.config(None)).decode())

    def trust(self, sp_metadata: str) -> None:
        """Know the SP (its metadata: entity id and assertion consumer service)."""
        self.server = Server(config=self.config(sp_metadata))

    def answer(self, saml_request: str, login: str, options: dict[str, str]) -> tuple[str, str]:
        """The signed (or, when asked, broken) response to a request: (ACS URL, XML)."""
        assert self.server is not None, "call trust() with the SP's metadata first"
        request = self.server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
        message = request.message
        sp_entity_id = message.issuer.text
        acs = self.server.metadata.assertion_consumer_service(sp_entity_id, BINDING_HTTP_POST)
        destination = acs[0]["location"]
        made = self.server.create_authn_response(
            identity=USERS[login],
            in_response_to=message.id,
            destination=destination,
            sp_entity_id=sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=f"idp-{login}"),
            authn={"class_ref": PASSWORD_CONTEXT, "authn_auth": self.entity_id},
            sign_assertion=False,
            sign_response=False,
        )
        xml = str(made)
        if "audience" in options:
            xml = xml.replace(f">{sp_entity_id}</", f">{options['audience']}</")
        if "shift" in options:
            xml = _shifted(xml, int(options["shift"]))
        if options.get("unsigned") != "1":
            xml = self._sign_assertion(xml)
        return destination, xml  # the HTTP-POST form encodes it

    def _sign_assertion(self, xml: str) -> str:
        """Sign the response's assertion as pysaml2 does: a signature template after the
        assertion's Issuer, filled in by xmlsec1 with the IdP's key."""
        assert self.server is not None
        found = ASSERTION_ID.search(xml)
        assert found, xml
        assertion_id = found.group(1)
        issuer = ISSUER_END.search(xml, found.end())
        assert issuer, xml
        issuer_end = issuer.end()
        template = pre_signature_part(ident=assertion_id, public_key=self.server.sec.my_cert)
        xml = xml[:issuer_end] + str(template) + xml[issuer_end:]
        return str(
            self.server.sec.sign_statement(
                xml,
                node_name="urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
                node_id=assertion_id,
            )
        )


def _login_form(query: dict[str, str]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(query.get(name, ""))}">'
        for name in ("SAMLRequest", "RelayState")
    )
    return (
        "<!doctype html><html lang=en><title>Test IdP</title><main><h1>Test IdP</h1>"
        f'<form method="get" action="/sso">{hidden}'
        '<label for="login">User</label> <input id="login" name="login" required>'
        '<button type="submit">Log in</button></form></main></html>'
    )


async def run_idp(directory: Path) -> AsyncIterator[SamlIdp]:
    """Serve a new IdP on a free port until the generator is closed."""
    port = free_port()
    key_file, cert_file = make_key_and_cert(directory)
    idp = SamlIdp(
        url=f"http://127.0.0.1:{port}", directory=directory, key_file=key_file, cert_file=cert_file
    )

    async def metadata(request: web.Request) -> web.Response:
        return web.Response(text=idp.metadata(), content_type="application/samlmetadata+xml")

    async def sso(request: web.Request) -> web.Response:
        query: dict[str, Any] = dict(request.query)
        if "login" not in query:  # a person in a browser: the IdP's login form first
            return web.Response(text=_login_form(query), content_type="text/html")
        destination, response = idp.answer(query.pop("SAMLRequest"), query.pop("login"), query)
        form = http_form_post_message(
            response, destination, query.get("RelayState", ""), typ="SAMLResponse"
        )
        return web.Response(text=str(form["data"]), content_type="text/html")

    app = web.Application()
    app.router.add_get("/metadata", metadata)
    app.router.add_get("/sso", sso)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield idp
    finally:
        await runner.cleanup()
