"""Attachments: files and images uploaded before posting, then attached to a post.

Files live under the attachments directory (``ATOLL_ATTACHMENTS_DIR``, default
``<var_dir>/attachments``) by a random storage key, never by the client's name; that directory
and the largest file accepted (``ATOLL_MAX_UPLOAD_MB``) are a ``Storage``, which the shell
makes from the settings and the routers pass to what stores or serves files. The type is
detected from the first bytes of the content; the client's ``Content-Type`` and file extension
are ignored. Only PNG, JPEG, GIF and WebP images are served inline; everything else (SVG
included: it can carry script) is served as a download."""

from __future__ import annotations

import re
import secrets
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool

from atoll.conversations.models import Attachment, Post
from atoll.kit.errors import Invalid, NotFound, TooLarge, denied
from atoll.kit.ids import parse_id
from atoll.kit.text import clean_name
from atoll.people.models import Person
from atoll.spaces import policy
from atoll.spaces.models import Space

MAX_PER_POST = 10
CHUNK = 1024 * 1024
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@dataclass(frozen=True)
class Storage:
    """Where the files are (``ATOLL_ATTACHMENTS_DIR``) and how large one may be
    (``ATOLL_MAX_UPLOAD_MB``)."""

    directory: Path
    max_bytes: int

    def limit(self) -> str:
        """The largest file accepted, as people read it ("25 MB")."""
        return f"{self.max_bytes / (1024 * 1024):g} MB"

    def path_of(self, attachment: Attachment) -> Path:
        return self.path_of_key(attachment.storage_key)

    def path_of_key(self, key: str) -> Path:
        return self.directory / key[:2] / key

    async def file_of(self, attachment: Attachment) -> Path:
        """The stored file of an attachment; NotFound when it is not there (a row whose file
        was lost is never served)."""
        path = self.path_of(attachment)
        if not await run_in_threadpool(path.exists):
            raise NotFound("No such attachment.")
        return path


# --- type detection ---------------------------------------------------------------------------

_OFFICE = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_ODF = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}
_FTYP = {
    b"avif": "image/avif",
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"mif1": "image/heif",
    b"qt  ": "video/quicktime",
    b"M4A ": "audio/mp4",
}


def _zip_type(path: Path) -> str:
    """Tell Office Open XML and OpenDocument files from other ZIP archives by their entries."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if declared in _ODF:
                    return declared
            if "[Content_Types].xml" in names:
                for prefix, content_type in _OFFICE.items():
                    if any(n.startswith(prefix) for n in names):
                        return content_type
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        pass
    return "application/zip"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the end of the sample
        if exc.start < len(head) - 4:
            return False
    return True


def detect_type(head: bytes, path: Path | None = None) -> str:
    """The media type of a file from its first bytes (``path`` lets ZIPs be looked into)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_type(path) if path is not None else "application/zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/vnd.ms-office"  # legacy .doc, .xls, .ppt
    if head.startswith(b"\x1f\x8b"):
        return "application/gzip"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "application/x-7z-compressed"
    if head[4:8] == b"ftyp":
        return _FTYP.get(head[8:12], "video/mp4")
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head.startswith(b"BM") and len(head) > 14:
        return "image/bmp"
    if _looks_like_text(head):
        text = head.decode("utf-8", "ignore").lstrip("\ufeff \t\r\n").lower()
        if "<svg" in text[:4096] and (text.startswith("<") or text.startswith("<?xml")):
            return "image/svg+xml"
        if text.startswith(("<!doctype html", "<html", "<head", "<body", "<script")):
            return "text/html"
        if text.startswith("<?xml"):
            return "application/xml"
        return "text/plain"
    return "application/octet-stream"


def is_inline(content_type: str) -> bool:
    return content_type in INLINE_TYPES


_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]+')


def clean_filename(name: str | None) -> str:
    """The client's file name, made safe to show and to send in Content-Disposition: no path,
    no control or quoting characters, at most 255 characters; "file" when nothing is left."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = clean_name(_UNSAFE_NAME.sub("_", name)).strip(". ")
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 254 - len(ext)] + dot + ext) if dot and len(ext) < 20 else name[:255]
    return name or "file"


# --- storage ----------------------------------------------------------------------------------


def _copy(source: BinaryIO, target: Path, storage: Storage) -> tuple[int, bytes]:
    """Copy to ``target`` (created), refusing more than the storage takes; the size and first
    bytes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    size, head = 0, b""
    try:
        with open(target, "xb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > storage.max_bytes:
                    raise TooLarge(f"file: larger than the limit of {storage.limit()}")
                if len(head) < 8192:
                    head += chunk[: 8192 - len(head)]
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return size, head


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)


async def do_store_upload(
    session: AsyncSession,
    *,
    storage: Storage,
    uploader: Person,
    filename: str | None,
    file: BinaryIO,
) -> Attachment:
    """Store an uploaded file (read from ``file``) in ``storage`` as an unattached upload of
    ``uploader``.

    Raises TooLarge past the size limit and Invalid for an empty file. The file is written
    before the row; if the transaction later rolls back, the file stays as an orphan that no
    row names (harmless, and never served)."""
    key = secrets.token_hex(16)
    attachment = Attachment(
        uploader_id=uploader.id,
        filename=clean_filename(filename),
        storage_key=key,
        content_type="application/octet-stream",
        size=0,
    )
    target = storage.path_of(attachment)
    size, head = await run_in_threadpool(_copy, file, target, storage)
    if size == 0:
        await run_in_threadpool(_discard, target)
        raise Invalid.field("file", "is empty")
    attachment.size = size
    attachment.content_type = await run_in_threadpool(detect_type, head, target)
    session.add(attachment)
    await session.flush()
    return attachment


async def check_attachable(
    session: AsyncSession, *, uploader: Person, ids: Sequence[int | str]
) -> list[Attachment]:
    """The uploader's own unattached uploads named by ``ids``; Invalid if any is not one."""
    wanted: list[int] = []
    for raw in ids:
        number = parse_id(raw)
        if number is None:
            raise Invalid.field("attachment_ids", f"{str(raw)[:30]} is not an upload id")
        if number not in wanted:
            wanted.append(number)
    if len(wanted) > MAX_PER_POST:
        raise Invalid.field("attachment_ids", f"at most {MAX_PER_POST} attachments per post")
    if not wanted:
        return []
    rows = (
        (
            await session.execute(
                select(Attachment).where(
                    Attachment.id.in_(wanted),
                    Attachment.uploader_id == uploader.id,
                    Attachment.post_id.is_(None),
                )
            )
        )
        .scalars()
        .all()
    )
    found = {a.id: a for a in rows}
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise Invalid.field(
            "attachment_ids",
            f"{', '.join(missing)}: not an upload of yours that is still waiting to be attached",
        )
    return [found[i] for i in wanted]


async def access_attachment(
    session: AsyncSession, *, viewer: Person | None, attachment_id: int | str
) -> Attachment:
    """An attachment the viewer may download: on a live post in a space they can read, or
    their own upload not attached yet. Otherwise what a post answers (``denied``): sign in
    first (401), or NotFound once signed in — never 403, which would tell that it exists.
    Its file is ``Storage.file_of`` (NotFound when the file is gone)."""
    number = parse_id(attachment_id)
    if number is None:
        raise denied("attachment", signed_in=viewer is not None, may_know=False)
    on_readable_post = (
        select(Post.id)
        .join(Space, Space.id == Post.space_id)
        .where(
            Post.id == Attachment.post_id,
            Post.deleted_at.is_(None),
            policy.readable_spaces(viewer),
        )
        .exists()
    )
    own_upload = (
        and_(Attachment.post_id.is_(None), Attachment.uploader_id == viewer.id)
        if viewer is not None
        else None
    )
    clause = on_readable_post if own_upload is None else or_(on_readable_post, own_upload)
    attachment = (
        await session.execute(select(Attachment).where(Attachment.id == number, clause))
    ).scalar_one_or_none()
    if attachment is None:
        raise denied("attachment", signed_in=viewer is not None, may_know=False)
    return attachment


# Built once (see conversations.queries): the attachments of the posts ``:ids``.
_ATTACHMENTS_OF = (
    select(Attachment)
    .where(Attachment.post_id.in_(bindparam("ids", expanding=True)))
    .order_by(Attachment.id)
)


async def attachments_of(
    session: AsyncSession, post_ids: Sequence[int]
) -> dict[int, list[Attachment]]:
    """Attachments of many posts in one query, in upload order."""
    out: dict[int, list[Attachment]] = {pid: [] for pid in post_ids}
    if post_ids:
        rows = await session.execute(_ATTACHMENTS_OF, {"ids": list(post_ids)})
        for attachment in rows.scalars():
            out[attachment.post_id].append(attachment)  # type: ignore[index]
    return out


def url_of(attachment: Attachment) -> str:
    return f"/api/v1/attachments/{attachment.id}"
