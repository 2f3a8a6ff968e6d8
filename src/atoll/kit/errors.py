"""Expected failures. Each carries its HTTP status; one handler renders them for API and pages."""

from __future__ import annotations

from typing import Any


class AtollError(Exception):
    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str = "", *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []
        self.headers: dict[str, str] = {}

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://atoll.dev/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = self.errors
        return body


class Unauthorized(AtollError):
    status, title, slug = 401, "Not signed in", "unauthorized"


class Forbidden(AtollError):
    status, title, slug = 403, "Not allowed", "forbidden"


class NotFound(AtollError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(AtollError):
    status, title, slug = 409, "Conflict", "conflict"


class Gone(AtollError):
    """A link that was good once: used, expired or revoked."""

    status, title, slug = 410, "This link no longer works", "gone"


class TooLarge(AtollError):
    status, title, slug = 413, "Too large", "too-large"


class Invalid(AtollError):
    status, title, slug = 422, "Invalid input", "invalid"

    @classmethod
    def field(cls, field: str, message: str) -> Invalid:
        return cls(f"{field}: {message}", errors=[{"field": field, "message": message}])


class RateLimited(AtollError):
    status, title, slug = 429, "Too many attempts", "rate-limited"

    def __init__(self, detail: str = "", *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, int(retry_after))
        self.headers["Retry-After"] = str(self.retry_after)


def denied(what: str, *, signed_in: bool, may_know: bool, detail: str = "") -> AtollError:
    """The one answer to a caller who may not have something, or not do something with it
    (raise what it returns). Every ``access_*`` asks it, so a thing answers alike wherever:

    - not signed in: 401, sign in first — whether or not the thing exists, and whatever it
      is (a secret space, a post, a file), the same answer;
    - signed in, and they may not know it exists (a secret space they are not in, the
      content of a space they may not read, or nothing there at all): 404, as if it were not;
    - signed in, they may know it, and may not do this with it: 403, saying why (``detail``).
    """
    if not signed_in:
        return Unauthorized(f"Sign in to see this {what}.")
    if not may_know:
        return NotFound(f"No such {what}.")
    return Forbidden(detail or f"You may not do this with this {what}.")
