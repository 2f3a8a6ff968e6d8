"""What the spaces API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

NO_NUL = r"^[^\x00]*$"
Id = Annotated[str, Field(pattern=r"^[0-9]{1,18}$")]
# The kinds one may start; a space's kind may also be "practice" (its owner's alone).
Kind = Literal["unit", "community", "hybrid", "public", "situation"]
AnyKind = Literal["unit", "community", "hybrid", "public", "situation", "practice"]
Visibility = Literal["open", "private", "secret"]
Role = Literal["owner", "moderator", "member"]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL)
]
Description = Annotated[str, Field(max_length=5000, pattern=NO_NUL)]
Guidelines = Annotated[str, Field(max_length=10_000, pattern=NO_NUL)]


class SpaceOut(BaseModel):
    id: str
    name: str
    slug: str
    description: str
    guidelines: str
    kind: AnyKind
    visibility: Visibility
    unit_id: str | None
    closes_at: datetime | None
    archived: bool
    member_count: int
    my_role: Role | None
    pending_request: bool
    wiki_moderators_only: bool
    wiki_externals_may_edit: bool


class SpaceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: Kind
    visibility: Visibility = "open"
    description: Description = ""
    unit_id: Id | None = None
    closes_at: datetime | None = None
    member_ids: Annotated[list[Id], Field(max_length=50)] = []


class SpacePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Description | None = None
    guidelines: Guidelines | None = None
    visibility: Visibility | None = None
    closes_at: datetime | None = None
    wiki_moderators_only: StrictBool | None = None
    wiki_externals_may_edit: StrictBool | None = None


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: Id
    role: Role = "member"
    # A person from an organisation new to a hybrid space that holds another one reads the
    # whole history: without this, 409 naming the organisations.
    confirm_new_organization: StrictBool = False


class MemberOut(BaseModel):
    person_id: str
    name: str
    title: str
    kind: Literal["member", "external"]
    organization: str | None
    role: Role
    since: datetime


class JoinOut(BaseModel):
    status: Literal["joined", "requested"]


class JoinRequestOut(BaseModel):
    id: str
    person_id: str
    name: str
    kind: Literal["member", "external"]
    created_at: datetime


class AudienceOut(BaseModel):
    members: int
    internal: int
    external: int
    organizations: list[str]
    public: bool


class UnarchiveIn(BaseModel):
    """A situation room comes back with a new closing time, in the future (within 90 days);
    other spaces take none."""

    model_config = ConfigDict(extra="forbid")

    closes_at: datetime | None = None
