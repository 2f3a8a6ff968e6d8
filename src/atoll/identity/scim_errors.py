"""SCIM's own error answer (RFC 7644 §3.12): ``application/scim+json`` with the Error schema,
the status as a string and, where the RFC names one, a ``scimType``."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from atoll.kit.errors import AtollError

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_JSON = "application/scim+json"


class ScimError(AtollError):
    """A failure answered in SCIM's format; ``scim_type`` as RFC 7644 §3.12 lists them
    (invalidFilter, tooMany, uniqueness, mutability, invalidSyntax, invalidPath, noTarget,
    invalidValue, invalidVers, sensitive)."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.scim_type = scim_type


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidSyntax")


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


def invalid_path(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidPath")


def not_found(what: str, ident: str) -> ScimError:
    return ScimError(404, f"No {what} has the id {ident}.")


def scim_body(error: AtollError) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemas": [ERROR_SCHEMA],
        "status": str(error.status),
        "detail": error.detail,
    }
    scim_type = getattr(error, "scim_type", None)
    if scim_type:
        body["scimType"] = scim_type
    return body


def scim_response(error: AtollError) -> JSONResponse:
    """Any Atoll failure in SCIM's format: ours carry a scimType; the domain's own (an
    e-mail taken, the last administrator) are given the one that fits their status."""
    if not isinstance(error, ScimError):
        scim_type = {409: "uniqueness", 422: "invalidValue"}.get(error.status)
        status = 400 if error.status == 422 else error.status
        converted = ScimError(status, error.detail, scim_type)
        converted.headers.update(error.headers)
        error = converted
    headers = dict(error.headers)
    if error.status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="scim"')
    return JSONResponse(
        scim_body(error), status_code=error.status, media_type=SCIM_JSON, headers=headers
    )
