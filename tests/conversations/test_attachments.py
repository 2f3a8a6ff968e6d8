"""Attachments: uploaded first, attached by id, typed by their content, served only to readers
of the post's space, images inline and everything else (SVG included) as a download."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from atoll.conversations import attachments as files
from atoll.conversations.models import Attachment, Post
from tests.conversations.helpers import add_member, make_post, make_space, post
from tests.factories import auth_headers, make_person

API = "/api/v1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    content: bytes,
    filename: str = "file.bin",
    content_type: str = "application/octet-stream",
) -> httpx.Response:
    return await client.post(
        f"{API}/attachments", files={"file": (filename, content, content_type)}, headers=headers
    )


async def _rows(db: AsyncSession, model: type) -> int:
    await db.rollback()
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    ("content", "detected", "inline"),
    [
        (PNG, "image/png", True),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg", True),
        (b"GIF89a" + b"\x00" * 20, "image/gif", True),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "image/webp", True),
        (b"%PDF-1.7\n", "application/pdf", False),
        (SVG, "image/svg+xml", False),
        (b"<!DOCTYPE html><script>alert(1)</script>", "text/html", False),
        ("Plain words, ünïcode too.\n".encode(), "text/plain", False),
        (b"\x00\x01\x02binary", "application/octet-stream", False),
    ],
)
async def test_the_type_comes_from_the_content(
    client: httpx.AsyncClient, db: AsyncSession, content: bytes, detected: str, inline: bool
) -> None:
    me = await make_person(db)
    h = await auth_headers(client, me)
    # the client claims a PNG named like a web page; neither is believed
    r = await upload(client, h, content, filename="../../evil.html", content_type="image/png")
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["content_type"] == detected and out["inline"] is inline
    assert out["filename"] == "evil.html" and out["size"] == len(content)
    assert out["url"] == f"/api/v1/attachments/{out['id']}"
    got = await client.get(out["url"], headers=h)
    assert got.status_code == 200 and got.content == content
    assert got.headers["content-type"].split(";")[0] == detected
    assert got.headers["x-content-type-options"] == "nosniff"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("inline" if inline else "attachment"), disposition


async def test_office_documents_are_told_from_zip_archives(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    h = await auth_headers(client, await make_person(db))
    docx = (await upload(client, h, _docx(), "report.docx")).json()
    assert docx["content_type"].endswith("wordprocessingml.document")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hi")
    assert (await upload(client, h, buffer.getvalue(), "a.zip")).json()["content_type"] == (
        "application/zip"
    )


async def test_attach_to_a_post_and_who_may_download(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner, member, outsider = [await make_person(db) for _ in range(3)]
    o, m, x = [await auth_headers(client, p) for p in (owner, member, outsider)]
    sid = (await make_space(client, o, name="Board", visibility="private"))["id"]
    await add_member(client, o, sid, member.id)
    image = (await upload(client, o, PNG, "chart.png")).json()
    sheet = (await upload(client, o, b"a,b\n1,2\n", "data.csv")).json()
    # before it is attached only the uploader sees it
    assert (await client.get(image["url"], headers=o)).status_code == 200
    assert (await client.get(image["url"], headers=m)).status_code == 404
    created = await make_post(
        client, o, sid, "See attached", attachment_ids=[image["id"], sheet["id"]]
    )
    assert [(a["id"], a["filename"], a["inline"]) for a in created["attachments"]] == [
        (image["id"], "chart.png", True),
        (sheet["id"], "data.csv", False),
    ]
    listed = (await client.get(f"{API}/spaces/{sid}/posts", headers=m)).json()["items"]
    assert [a["id"] for a in listed[0]["attachments"]] == [image["id"], sheet["id"]]
    assert (await client.get(image["url"], headers=m)).status_code == 200
    assert (await client.get(image["url"], headers=x)).status_code == 404
    # signed out: sign in first, as for the post itself (and for a file that does not exist)
    assert (await client.get(image["url"])).status_code == 401
    assert (await client.get(f"{API}/attachments/999999999")).status_code == 401
    # the post goes, its files with it
    assert (await client.delete(f"{API}/posts/{created['id']}", headers=o)).status_code == 204
    assert (await client.get(image["url"], headers=o)).status_code == 404


async def test_only_ones_own_unattached_uploads(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    ana, ben = await make_person(db), await make_person(db)
    a, b = await auth_headers(client, ana), await auth_headers(client, ben)
    sid = (await make_space(client, a))["id"]
    await client.post(f"{API}/spaces/{sid}/join", headers=b)
    bens = (await upload(client, b, PNG)).json()
    refused = await post(client, a, sid, "Stolen", attachment_ids=[bens["id"]])
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "attachment_ids"
    mine = (await upload(client, a, PNG)).json()
    await make_post(client, a, sid, "Mine", attachment_ids=[mine["id"]])
    again = await post(client, a, sid, "Again", attachment_ids=[mine["id"]])
    assert again.status_code == 422
    assert (await post(client, a, sid, "Nothing", attachment_ids=["999999"])).status_code == 422
    assert await _rows(db, Post) == 1
    owner_of = dict((await db.execute(select(Attachment.id, Attachment.post_id))).tuples().all())
    assert owner_of[int(bens["id"])] is None  # still Ben's to attach


async def test_an_uploaded_file_name_loses_invisible_controls(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    h = await auth_headers(client, await make_person(db))
    stored = await upload(client, h, b"%PDF-1.4 x", filename="invoice\u202efdp.exe")
    assert stored.status_code == 201 and stored.json()["filename"] == "invoicefdp.exe"
    served = await client.get(stored.json()["url"], headers=h)
    assert "\u202e" not in served.headers["content-disposition"]


async def test_public_space_files_are_public(client: httpx.AsyncClient, db: AsyncSession) -> None:
    admin = await make_person(db, role="admin")
    h = await auth_headers(client, admin)
    sid = (await make_space(client, h, name="News", kind="public"))["id"]
    image = (await upload(client, h, PNG)).json()
    await make_post(client, h, sid, "Look", attachment_ids=[image["id"]])
    assert (await client.get(image["url"])).status_code == 200


@pytest.fixture
def one_mb(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """ATOLL_MAX_UPLOAD_MB=1 for one test: the gate's limit and the storage's."""
    limit = 1024 * 1024
    monkeypatch.setattr(app.state.settings, "max_upload_mb", 1)
    storage = app.state.storage
    app.state.storage = replace(storage, max_bytes=limit)
    yield limit
    app.state.storage = storage


async def test_too_large_empty_or_malformed_uploads(
    client: httpx.AsyncClient, db: AsyncSession, app: FastAPI, one_mb: int
) -> None:
    h = await auth_headers(client, await make_person(db))
    limit = one_mb
    # refused by its declared length before it is read, and while it is stored
    big = await upload(client, h, b"x" * (limit + 70_000))
    assert big.status_code == 413 and "limit of 1 MB" in big.json()["detail"]
    slightly = await upload(client, h, b"x" * (limit + 1))
    assert slightly.status_code == 413, slightly.text
    assert (await upload(client, h, b"x" * limit)).status_code == 201
    empty = await upload(client, h, b"")
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "file"
    missing = await client.post(f"{API}/attachments", files={"other": ("a", b"x")}, headers=h)
    assert missing.status_code == 422
    not_a_form = await client.post(f"{API}/attachments", json={"file": "x"}, headers=h)
    assert not_a_form.status_code == 422
    assert (await client.post(f"{API}/attachments", files={"file": ("a", b"x")})).status_code == 401
    assert await _rows(db, Attachment) == 1
    stored = _stored_files(app.state.storage.directory)
    keys = set((await db.execute(select(Attachment.storage_key))).scalars())
    assert {p.name for p in stored} >= keys
    assert not any(p.stat().st_size > limit for p in stored)


def _stored_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()]


def test_clean_filenames() -> None:
    assert files.clean_filename("C:\\Users\\me\\report.pdf") == "report.pdf"
    assert files.clean_filename('a"b\r\n.txt') == "a_b_.txt"
    assert files.clean_filename("") == "file" and files.clean_filename("..") == "file"
    long = files.clean_filename("x" * 300 + ".png")
    assert len(long) == 255 and long.endswith(".png")
    # a right-to-left override would show "invoice\u202efdp.exe" as "invoiceexe.pdf"
    assert files.clean_filename("invoice\u202efdp.exe") == "invoicefdp.exe"
    assert files.clean_filename("\u200bphoto\u2066.png\u2069\ufeff") == "photo.png"
