"""``atoll scim-token``: a token printed once and stored hashed, listed, revoked."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from atoll.db.engine import make_engine, make_sessionmaker
from atoll.identity.models import ScimToken
from atoll.identity.scim_tokens import token_for
from atoll.kit.settings import Settings
from tests.commands import atoll


async def _tokens(env: dict[str, str]) -> list[ScimToken]:
    engine = make_engine(
        Settings(database_url=env["ATOLL_DATABASE_URL"], var_dir=Path(env["ATOLL_VAR_DIR"]))
    )
    try:
        async with make_sessionmaker(engine)() as session:
            return list((await session.execute(select(ScimToken))).scalars())
    finally:
        await engine.dispose()


async def _works(env: dict[str, str], raw: str) -> bool:
    engine = make_engine(
        Settings(database_url=env["ATOLL_DATABASE_URL"], var_dir=Path(env["ATOLL_VAR_DIR"]))
    )
    try:
        async with make_sessionmaker(engine)() as session:
            return await token_for(session, raw) is not None
    finally:
        await engine.dispose()


async def test_make_list_rotate_and_revoke_tokens(cli_env: dict[str, str]) -> None:
    made = await atoll(cli_env, "scim-token", "--name", "Entra ID")
    assert made.exit_code == 0, made.output
    first = made.stdout.strip().splitlines()[-1]
    assert first.startswith("scim_") and "/scim/v2" in made.stderr
    stored = await _tokens(cli_env)
    assert [t.name for t in stored] == ["Entra ID"]
    assert first not in stored[0].token_hash and len(stored[0].token_hash) == 64
    assert await _works(cli_env, first)

    second = (await atoll(cli_env, "scim-token", "--name", "Entra ID (new)")).stdout.strip()
    listed = await atoll(cli_env, "scim-token", "--list")
    assert "Entra ID (new)" in listed.output and first not in listed.output
    revoked = await atoll(cli_env, "scim-token", "--revoke", str(stored[0].id))
    assert revoked.exit_code == 0 and "Revoked 1" in revoked.output
    assert not await _works(cli_env, first) and await _works(cli_env, second)
    assert "revoked" in (await atoll(cli_env, "scim-token", "--list")).output

    missing = await atoll(cli_env, "scim-token", "--revoke", "999")
    assert missing.exit_code == 1 and "999" in missing.output
    everything = await atoll(cli_env, "scim-token", "--revoke-all")
    assert everything.exit_code == 0 and not await _works(cli_env, second)
