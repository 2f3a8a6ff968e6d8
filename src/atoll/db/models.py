"""Every domain's tables, imported once so that metadata and Alembic see them all."""

from atoll.org.models import Unit
from atoll.people.models import AuthSession, LoginFailure, Person, PersonSkill

__all__ = ["AuthSession", "LoginFailure", "Person", "PersonSkill", "Unit"]
