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
