"""Every domain's tables, imported once so that metadata and Alembic see them all (the
shell imports this; the database layer knows no domain)."""

from atoll.analytics.models import (
    ActivityDay,
    AdoptionDay,
    AdoptionFill,
    AdoptionMark,
    AdoptionPeriod,
    AdoptionTally,
    Interaction,
)
from atoll.analytics.network_store import NetworkSnapshot
from atoll.audit.models import AuditEntry
from atoll.conversations.models import (
    AnnouncementDismissal,
    Attachment,
    Comment,
    CommentRevision,
    Draft,
    Follow,
    IdeaVote,
    Mention,
    OutsiderConfirmation,
    Post,
    PostRevision,
    Reaction,
)
from atoll.events.models import Event
from atoll.governance.models import Report
from atoll.http.idempotency import IdempotencyKey
from atoll.identity.models import (
    Invitation,
    InvitationSpace,
    PasswordReset,
    ScimGroup,
    ScimToken,
    ScimUser,
    SsoLink,
    SsoUsed,
)
from atoll.notifications.models import Notification, NotificationPreference
from atoll.org.models import Unit
from atoll.people.models import (
    AuthSession,
    Person,
    PersonSkill,
    RecoveryCode,
    SignInCounter,
    TotpSecret,
)
from atoll.search.models import SearchDoc
from atoll.spaces.models import JoinRequest, Membership, Space
from atoll.wiki.models import WikiLink, WikiPage, WikiRedirect, WikiRevision

__all__ = [
    "ActivityDay",
    "AdoptionDay",
    "AdoptionFill",
    "AdoptionMark",
    "AdoptionPeriod",
    "AdoptionTally",
    "AnnouncementDismissal",
    "Attachment",
    "AuditEntry",
    "AuthSession",
    "Event",
    "Notification",
    "NotificationPreference",
    "PasswordReset",
    "Comment",
    "CommentRevision",
    "Draft",
    "Follow",
    "IdeaVote",
    "IdempotencyKey",
    "Interaction",
    "Invitation",
    "InvitationSpace",
    "JoinRequest",
    "Membership",
    "Mention",
    "OutsiderConfirmation",
    "NetworkSnapshot",
    "Person",
    "PersonSkill",
    "Post",
    "PostRevision",
    "Reaction",
    "Report",
    "RecoveryCode",
    "ScimGroup",
    "ScimToken",
    "ScimUser",
    "SearchDoc",
    "SignInCounter",
    "Space",
    "SsoLink",
    "SsoUsed",
    "TotpSecret",
    "Unit",
    "WikiLink",
    "WikiPage",
    "WikiRedirect",
    "WikiRevision",
]
