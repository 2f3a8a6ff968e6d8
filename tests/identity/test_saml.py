"""SAML 2.0 sign-in against a real pysaml2 IdP served over HTTP by the test: Atoll's
metadata, the happy path (a person made just in time from the attributes, as with OIDC), and
the answers refused with nothing changed: an unsigned assertion, another audience, an expired
assertion, a replay, an answer for another sign-in, garbage."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.identity.models import SsoLink
from atoll.org.models import Unit
from atoll.people.models import AuthSession, Person
from atoll.spaces.models import Membership
from tests.factories import make_person, make_unit
from tests.identity.saml_idp import SamlIdp, run_idp
from tests.identity.test_oidc import make_space
from tests.identity.test_oidc_refused import nothing_changed, refused


@pytest.fixture
async def idp(app: Any, client: httpx.AsyncClient, tmp_path: Path) -> AsyncIterator[SamlIdp]:
    """A running IdP, and the app switched to it (restored after the test)."""
    original = app.state.settings
    async for running in run_idp(tmp_path):
        metadata_file = tmp_path / "idp-metadata.xml"
        metadata_file.write_text(running.metadata())
        app.state.settings = original.model_copy(
            update={
                "base_url": "http://testserver",
                "saml_idp_metadata": str(metadata_file),
                "saml_provider_name": "Example SAML",
                "sso_unit_claim": "unit",
            }
        )
        try:
            sp_metadata = await client.get("/auth/saml/metadata")
            assert sp_metadata.status_code == 200, sp_metadata.text
            running.trust(sp_metadata.text)
            yield running
        finally:
            app.state.settings = original


@pytest.fixture
async def idp_http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as http:
        yield http


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, html
    return unescape(found.group(1))


async def answer_from_idp(
    client: httpx.AsyncClient, idp_http: httpx.AsyncClient, login: str, **options: str
) -> dict[str, str]:
    """Click "Sign in with ...", log in at the IdP: the form the browser would post back."""
    started = await client.get("/auth/saml/login", params={"next": "/spaces"})
    assert started.status_code == 303, started.text
    url = httpx.URL(started.headers["location"]).copy_merge_params({"login": login, **options})
    page = await idp_http.get(url)
    assert page.status_code == 200, page.text
    assert 'action="http://testserver/auth/saml/acs"' in page.text
    return {
        "SAMLResponse": _field(page.text, "SAMLResponse"),
        "RelayState": _field(page.text, "RelayState"),
    }


async def test_atoll_describes_itself_to_the_idp(
    client: httpx.AsyncClient, idp: SamlIdp, app: Any
) -> None:
    answer = await client.get("/auth/saml/metadata")
    assert answer.headers["content-type"].startswith("application/samlmetadata+xml")
    assert 'entityID="http://testserver/auth/saml/metadata"' in answer.text
    assert 'Location="http://testserver/auth/saml/acs"' in answer.text
    assert 'WantAssertionsSigned="true"' in answer.text
    page = await client.get("/sign-in")
    assert 'href="/auth/saml/login?next=/">Sign in with Example SAML</a>' in page.text


async def test_saml_is_off_until_set_up(client: httpx.AsyncClient) -> None:
    assert (await client.get("/auth/saml/metadata")).status_code == 404
    assert (await client.get("/auth/saml/login")).status_code == 404
    assert (await client.post("/auth/saml/acs", data={"SAMLResponse": "x"})).status_code == 404


async def test_first_sign_in_creates_the_person_from_the_attributes(
    client: httpx.AsyncClient, db: AsyncSession, idp: SamlIdp, idp_http: httpx.AsyncClient
) -> None:
    await make_unit(db, "Engineering")
    owner = await make_person(db, role="admin")
    guild = await make_space(db, owner, "SSO Guild")
    form = await answer_from_idp(client, idp_http, "ana")
    answer = await client.post("/auth/saml/acs", data=form)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/spaces"
    me = (await client.get("/api/v1/me")).json()
    assert (me["email"], me["name"], me["title"]) == (
        "ana.lima@example.com",
        "Ana Lima",
        "Platform engineer",
    )
    ana = await db.scalar(select(Person).where(Person.email == "ana.lima@example.com"))
    assert ana is not None
    unit = await db.get(Unit, ana.unit_id)
    assert unit is not None and unit.path == "Engineering/Platform"
    assert await db.get(Membership, (guild.id, ana.id)) is not None
    link = await db.scalar(select(SsoLink))
    assert link is not None and (link.issuer, link.subject) == (idp.entity_id, "idp-ana")


async def test_an_unsigned_assertion_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, idp: SamlIdp, idp_http: httpx.AsyncClient
) -> None:
    form = await answer_from_idp(client, idp_http, "ana", unsigned="1")
    refused(await client.post("/auth/saml/acs", data=form), 400, "not signed")
    await nothing_changed(db)


async def test_another_audience_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, idp: SamlIdp, idp_http: httpx.AsyncClient
) -> None:
    form = await answer_from_idp(client, idp_http, "ana", audience="https://other.example/sp")
    refused(await client.post("/auth/saml/acs", data=form), 400, "another service")
    await nothing_changed(db)


async def test_an_expired_assertion_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, idp: SamlIdp, idp_http: httpx.AsyncClient
) -> None:
    form = await answer_from_idp(client, idp_http, "ana", shift="-7200")
    refused(await client.post("/auth/saml/acs", data=form), 400, "has expired")
    await nothing_changed(db)


async def test_an_assertion_not_valid_yet_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, idp: SamlIdp, idp_http: httpx.AsyncClient
) -> None:
    form = await answer_from_idp(client, idp_http, "ana", shift="7200")
    refused(await client.post("/auth/saml/acs", data=form), 400, "not valid yet")
    await nothing_changed(db)


async def test_a_replayed_answer_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, idp: SamlIdp, idp_http: httpx.AsyncClient
) -> None:
    form = await answer_from_idp(client, idp_http, "ana")
    assert (await client.post("/auth/saml/acs", data=form)).status_code == 303
    client.cookies.clear()
    refused(await client.post("/auth/saml/acs", data=form), 400, "used already")
    assert await db.scalar(select(func.count()).select_from(AuthSession)) == 1


async def test_an_answer_to_another_sign_in_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, idp: SamlIdp, idp_http: httpx.AsyncClient
) -> None:
    form = await answer_from_idp(client, idp_http, "ana")
    await client.get("/auth/saml/login")  # this browser started another sign-in since
    refused(await client.post("/auth/saml/acs", data=form), 400, "started in this browser")
    await nothing_changed(db)


async def test_garbage_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, idp: SamlIdp
) -> None:
    for posted in ({"SAMLResponse": "bm90IHhtbA=="}, {"SAMLResponse": "%%%"}, {}):
        answer = await client.post("/auth/saml/acs", data=posted)
        assert answer.status_code == 400, answer.text
    await nothing_changed(db)


async def test_a_domain_not_allowed_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, idp: SamlIdp, idp_http: httpx.AsyncClient, app: Any
) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={"sso_allowed_domains": "example.com"}
    )
    form = await answer_from_idp(client, idp_http, "olga")
    refused(await client.post("/auth/saml/acs", data=form), 403, "elsewhere.org")
    await nothing_changed(db)
