"""What the SCIM service says about itself (RFC 7643 §5–7, RFC 7644 §4): its configuration,
its two resource types and their schemas. The schemas list only what Atoll keeps, so a client
that reads them (and scim2-tester does) sends nothing that would be lost."""

from __future__ import annotations

from typing import Any

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
MAX_RESULTS = 200


def _attr(
    name: str,
    kind: str = "string",
    *,
    description: str,
    required: bool = False,
    multi: bool = False,
    mutability: str = "readWrite",
    uniqueness: str = "none",
    sub: list[dict[str, Any]] | None = None,
    canonical: list[str] | None = None,
    references: list[str] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "type": kind,
        "multiValued": multi,
        "description": description,
        "required": required,
        "caseExact": False,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": uniqueness,
    }
    if sub is not None:
        out["subAttributes"] = sub
    if canonical is not None:
        out["canonicalValues"] = canonical
    if references is not None:
        out["referenceTypes"] = references
    return out


USER_ATTRIBUTES = [
    _attr(
        "userName",
        description="How the client names the person; usually their e-mail address, which is "
        "then their Atoll e-mail when no emails are sent.",
        required=True,
        uniqueness="server",
    ),
    _attr(
        "name",
        "complex",
        description="The parts of the person's name; Atoll shows displayName, else formatted, "
        "else given and family name.",
        sub=[
            _attr("formatted", description="The full name as shown."),
            _attr("familyName", description="Family name."),
            _attr("givenName", description="Given name."),
        ],
    ),
    _attr("displayName", description="The name Atoll shows."),
    _attr("title", description="Job title, shown on the profile."),
    # Required: a person is always either active or not (a POST without it makes an active
    # person).
    _attr(
        "active",
        "boolean",
        description="false deactivates the person (signed out everywhere, content kept).",
        required=True,
    ),
    _attr(
        "emails",
        "complex",
        description="The person's e-mail address (Atoll keeps one: the primary, else the work "
        "one, else the first). Without it, userName must be an e-mail address.",
        required=True,
        multi=True,
        sub=[
            _attr("value", description="The address.", required=True),
            _attr("type", description="work, home or other.", canonical=["work", "home", "other"]),
            _attr("primary", "boolean", description="Whether this is the primary address."),
        ],
    ),
]

GROUP_ATTRIBUTES = [
    _attr(
        "displayName",
        description="The unit's name. A new group is a new unit under the top of the organisation.",
        required=True,
    ),
    _attr(
        "members",
        "complex",
        description="The people of the unit (not of its sub-units). A person sits in one unit: "
        "adding them here moves them; removing them moves them to the top of the organisation.",
        multi=True,
        sub=[
            _attr("value", description="The person's id.", mutability="immutable"),
            _attr(
                "$ref",
                "reference",
                description="The User's address.",
                mutability="immutable",
                references=["User"],
            ),
            _attr("type", description="User.", mutability="immutable", canonical=["User"]),
        ],
    ),
]


def _meta(base: str, kind: str, path: str) -> dict[str, str]:
    return {"resourceType": kind, "location": f"{base}{path}"}


def schemas(base: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [SCHEMA],
            "id": USER,
            "name": "User",
            "description": "A person of the organisation.",
            "attributes": USER_ATTRIBUTES,
            "meta": _meta(base, "Schema", f"/Schemas/{USER}"),
        },
        {
            "schemas": [SCHEMA],
            "id": GROUP,
            "name": "Group",
            "description": "A unit of the organisation tree.",
            "attributes": GROUP_ATTRIBUTES,
            "meta": _meta(base, "Schema", f"/Schemas/{GROUP}"),
        },
    ]


def resource_types(base: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "People",
            "schema": USER,
            "schemaExtensions": [],
            "meta": _meta(base, "ResourceType", "/ResourceTypes/User"),
        },
        {
            "schemas": [RESOURCE_TYPE],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Units of the organisation",
            "schema": GROUP,
            "schemaExtensions": [],
            "meta": _meta(base, "ResourceType", "/ResourceTypes/Group"),
        },
    ]


def service_provider_config(base: str) -> dict[str, Any]:
    return {
        "schemas": [CONFIG],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A token made by `atoll scim-token`, sent as "
                "Authorization: Bearer <token>.",
                "primary": True,
            }
        ],
        "meta": _meta(base, "ServiceProviderConfig", "/ServiceProviderConfig"),
    }


def list_response(
    resources: list[dict[str, Any]], *, total: int | None = None, start: int = 1
) -> dict[str, Any]:
    return {
        "schemas": [LIST],
        "totalResults": len(resources) if total is None else total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
