"""What the identity API takes and gives: password resets and invitations."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from atoll.people.schemas import NO_NUL, Email, Kind, Relation, Text200

Secret = Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]
Password = Annotated[str, Field(min_length=8, max_length=1024)]
Id = Annotated[str, Field(pattern=r"^[0-9]{1,18}$")]
Status = Literal["pending", "accepted", "revoked", "expired"]


class ResetRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email


class ResetRequestOut(BaseModel):
    detail: str


class ResetConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Secret
    new_password: Password


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    name: Text200 = ""
    kind: Kind = "member"
    organization: Text200 | None = None
    relation: Relation | None = None
    unit_id: Id | None = None
    space_ids: Annotated[list[Id], Field(max_length=20)] = []


class InvitationOut(BaseModel):
    id: str
    email: str
    name: str
    kind: Kind
    organization: str | None
    relation: Relation | None
    unit_id: str | None
    space_ids: list[str]
    status: Status
    invited_by: str | None  # the inviter's id
    created_at: str
    sent_at: str
    expires_at: str
    person_id: str | None  # who accepted it


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Secret
    name: Text200 = ""  # empty: the name the invitation was made with
    password: Password


class AcceptOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: str
    person_id: str
    space_ids: list[str]  # the spaces joined
