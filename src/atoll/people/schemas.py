"""What the people API takes and gives."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

# PostgreSQL cannot store a NUL character in text, so no text field accepts one (on either
# database); the e-mail pattern excludes it with the other characters it refuses.
NO_NUL = r"^[^\x00]*$"
# An address has one "@", a domain of non-empty dot-separated labels, and none of the
# characters that carry meaning in a mail header (a comma would make two recipients, a
# bracket a domain literal): what Atoll stores, it can e-mail.
_CHAR = r"[^@\s\x00,;:<>()\[\]\\\"]"  # one character of an address
_LABEL = r"[^@\s\x00,;:<>()\[\]\\\".]+"  # one label of its domain
EMAIL_PATTERN = rf"^{_CHAR}+@(?:{_LABEL}\.)+{_LABEL}$"
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=320, pattern=EMAIL_PATTERN)
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL)
]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200, pattern=NO_NUL)]
Skill = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NO_NUL)
]
Kind = Literal["member", "external"]
Role = Literal["admin", "moderator", "member", "guest"]
Relation = Literal["customer", "partner", "public"]
Scope = Literal["read", "write", "admin"]  # of a personal access token


class PersonOut(BaseModel):
    id: str
    name: str
    email: str
    title: str
    bio: str
    kind: Kind
    # The organisation chart: null when a guest looks at someone else.
    role: Role | None
    unit_id: str | None
    organization: str | None
    relation: Relation | None
    skills: list[str]
    is_active: bool
    # May open Analytics: shown to administrators and to the person themselves, else null.
    is_analyst: bool | None = None
    # Reporting line (the organisation chart): who the person reports to; null when they
    # report to nobody, or when a guest looks at someone else.
    manager_id: str | None = None
    # "I'm happy to coach others" (may be named among the champions in Analytics): shown to
    # administrators and to the person themselves, else null.
    coach_opt_in: bool | None = None


class PersonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    email: Email
    password: Annotated[str, Field(min_length=8, max_length=1024)] | None = None
    kind: Kind = "member"
    role: Role | None = None
    unit_id: Annotated[str, Field(pattern=r"^[0-9]{1,18}$")] | None = None
    organization: Text200 | None = None
    relation: Relation | None = None
    title: Text200 = ""
    skills: Annotated[list[Skill], Field(max_length=50)] = []


class PersonPatch(BaseModel):
    """Profile fields anyone may change on themselves; the rest are for admins."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    title: Text200 | None = None
    bio: Annotated[str, Field(max_length=5000, pattern=NO_NUL)] | None = None
    skills: Annotated[list[Skill], Field(max_length=50)] | None = None
    organization: Text200 | None = None
    coach_opt_in: StrictBool | None = None  # "I'm happy to coach others"
    # admin only
    email: Email | None = None
    kind: Kind | None = None
    role: Role | None = None
    unit_id: Annotated[str, Field(pattern=r"^[0-9]{1,18}$")] | None = None
    relation: Relation | None = None
    password: Annotated[str, Field(min_length=8, max_length=1024)] | None = None
    is_active: StrictBool | None = None  # not 0 or "yes": the document says boolean
    is_analyst: StrictBool | None = None  # may open Analytics (members only)


SELF_FIELDS = frozenset({"name", "title", "bio", "skills", "organization", "coach_opt_in"})


class TokenIn(BaseModel):
    email: Annotated[str, Field(max_length=320, pattern=NO_NUL)]
    password: Annotated[str, Field(max_length=1024)]
    # A code of the authenticator app (or a recovery code): required when TOTP is on.
    totp: Annotated[str, Field(max_length=64, pattern=NO_NUL)] | None = None


class PasswordChangeIn(BaseModel):
    current_password: Annotated[str, Field(max_length=1024)]
    new_password: Annotated[str, Field(min_length=8, max_length=1024)]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: str  # RFC 3339 UTC; moves on each time the token is used


class SessionOut(BaseModel):
    id: str
    kind: Literal["session", "token"]
    # A personal access token's name and scopes; "" and null for sessions and the tokens of
    # POST /auth/token (which have their owner's full power).
    name: str = ""
    scopes: list[Scope] | None = None
    created_at: str
    last_seen_at: str
    last_used_at: str  # the same as last_seen_at
    expires_at: str
    user_agent: str
    address: str
    current: bool


class PersonalTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(max_length=100)
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=3)] = Field(
        description="read: GET only; write: every method; admin: also its owner's "
        "administrator rights (administrators only). Each holds the ones before it."
    )
    expires_in_days: Annotated[int, Field(ge=1, le=365)] | None = Field(
        None, description="Days until it ends (it does not slide); null: ATOLL_PAT_MAX_DAYS."
    )


class PersonalTokenOut(BaseModel):
    id: str
    token: str  # shown this once
    name: str
    scopes: list[Scope]
    expires_at: str


class TotpStatusOut(BaseModel):
    enabled: bool
    required: bool  # ATOLL_REQUIRE_TOTP asks it of this person
    recovery_codes_left: int


class TotpSetupOut(BaseModel):
    secret: str  # base32, for typing into an authenticator app; shown until confirmed
    uri: str  # otpauth://totp/...


class TotpCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)]


class TotpConfirmOut(BaseModel):
    enabled: bool
    recovery_codes: list[str]  # single-use; shown this once


class TotpDisableIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Annotated[str, Field(max_length=1024)]
    code: Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)]
