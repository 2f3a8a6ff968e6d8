"""Every domain's tables, imported once so that metadata and Alembic see them all."""

from atoll.org.models import Unit
from atoll.people.models import AuthSession, LoginFailure, Person, PersonSkill
from atoll.web.idempotency import IdempotencyKey

__all__ = ["AuthSession", "IdempotencyKey", "LoginFailure", "Person", "PersonSkill", "Unit"]
