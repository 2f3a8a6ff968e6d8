"""The `atoll` command: serve, migrate, create-admin, import-org, demo, digest."""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from atoll import migrate as migrations
from atoll.db.engine import make_engine
from atoll.kit.errors import AtollError
from atoll.kit.settings import Settings, trusted_networks
from atoll.wiring import make_sessions

app = typer.Typer(help="Atoll: a social collaboration platform.", no_args_is_help=True)
if TYPE_CHECKING:  # the generator is imported when a demo is made, not at every start
    from atoll.demo.generator import DemoResult

console = Console()
LISTED = 50  # import-org names this many changes of each kind, unless --list-all
T = TypeVar("T")


def _run(work: Callable[[Any], Awaitable[T]], settings: Settings | None = None) -> T:
    """Run one unit of work in one transaction against the configured database."""
    settings = settings or Settings()

    async def main() -> T:
        engine = make_engine(settings)
        try:
            async with make_sessions(engine, settings)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except AtollError as error:
        console.print(f"[red]{error.title}:[/red] {error.detail}")
        for item in error.errors[:50]:
            console.print(f"  {item}")
        raise typer.Exit(1) from error


def _migrate(settings: Settings) -> None:
    async def main() -> None:
        engine = make_engine(settings)
        try:
            await migrations.upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(main())


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    _migrate(Settings())
    console.print("Database is up to date.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    demo: Annotated[bool, typer.Option(help="Create the demo organisation when empty.")] = False,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (costs about a third of a small request's CPU).")
    ] = False,
) -> None:
    """Serve Atoll. On the embedded SQLite default, migrations run first."""
    import uvicorn

    settings = Settings()
    settings.signing_key  # noqa: B018 - create var/secret_key once, before workers race for it
    if settings.is_sqlite:
        _migrate(settings)
    if demo:
        _create_demo(settings)
    console.print(f"Atoll is serving at http://{host}:{port}  (Ctrl+C stops it)")
    uvicorn.run(
        "atoll.asgi:app",
        host=host,
        port=port,
        workers=workers,
        # X-Forwarded-For and -Proto are believed from ATOLL_TRUSTED_PROXIES only (uvicorn's
        # own default would believe anyone on 127.0.0.1, or FORWARDED_ALLOW_IPS).
        **proxy_options(settings),
        log_level="info",
        access_log=access_log,
        factory=False,
        # Event streams never end by themselves: on shutdown, give them a moment, then close
        # them (their EventSources reconnect, to another server when there is one).
        timeout_graceful_shutdown=5,
    )


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for proxy headers: off unless ``ATOLL_TRUSTED_PROXIES`` names some."""
    trusted = [str(network) for network in trusted_networks(settings.trusted_proxies)]
    if not trusted:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="The admin's e-mail.")],
    name: Annotated[str, typer.Option(help="The admin's name.")],
    password: Annotated[
        str | None, typer.Option(help="Leave out to be asked (not echoed).")
    ] = None,
) -> None:
    """Create an administrator account."""
    from atoll.people.passwords import Hashing
    from atoll.people.service import do_create_person

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = Settings()

    async def work(session: Any) -> None:
        await do_create_person(
            session,
            actor=None,
            hashing=Hashing.of(settings),
            name=name,
            email=email,
            password=password,
            role="admin",
        )

    _run(work, settings)
    console.print(f"Administrator {email} created.")


@app.command("import-org")
def import_org(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    dry_run: Annotated[
        bool, typer.Option(help="Report what would change; change nothing.")
    ] = False,
    deactivate_missing: Annotated[
        bool,
        typer.Option(
            help="Deactivate the active members absent from the file (never externals or the "
            "last administrator)."
        ),
    ] = False,
    list_all: Annotated[
        bool, typer.Option(help=f"Name every change, not only the first {LISTED} of each kind.")
    ] = False,
) -> None:
    """Import the org chart from a CSV file (idempotent, all or nothing)."""
    from atoll.org.importer import do_import_org

    data = file.read_bytes()

    async def work(session: Any) -> Any:
        with Progress(
            TextColumn("Importing"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("import", total=None)

            def step(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = await do_import_org(
                session,
                actor=None,
                data=data,
                apply=not dry_run,
                deactivate_missing=deactivate_missing,
                progress=step,
                file_name=file.name,
            )
        if report.rejected or dry_run:
            await session.rollback()
        return report

    report = _run(work)
    if report.rejected:
        console.print(f"[red]Nothing imported:[/red] {len(report.rejected)} bad row(s).")
        for row in report.rejected:
            console.print(f"  line {row['line']}: {row['message']}")
        raise typer.Exit(1)
    _print_import(report, dry_run, list_all)


def _print_import(report: Any, dry_run: bool, list_all: bool = False) -> None:
    """Warnings first, then who and what changes (each named, the first ``LISTED`` of each
    kind unless ``list_all``), then the counts."""
    for warning in report.warnings:
        console.print(f"[yellow]Warning:[/yellow] {escape(warning['message'])}")
    would = "would be " if dry_run else ""
    kinds: list[tuple[list[Any], Callable[[Any], str]]] = [
        (report.units_new, lambda u: f"new unit: {u}"),
        (report.people_created, lambda p: f"new: {p['name']} <{p['email']}> {p['unit'] or ''}"),
        (report.people_moved, lambda p: f"moved: {p['email']}: {p['from']} -> {p['to']}"),
        (report.people_changed, lambda p: f"changed: {p['email']}: {', '.join(p['fields'])}"),
        (report.people_deactivated, lambda p: f"{would}deactivated: {p['name']} <{p['email']}>"),
    ]
    for items, line in kinds:
        shown = items if list_all else items[:LISTED]
        for item in shown:
            console.print(f"  {line(item)}", markup=False, highlight=False)
        if len(items) > len(shown):
            console.print(f"  … and {len(items) - len(shown)} more (--list-all lists them all)")
    verb = "Would create" if dry_run else "Created"
    console.print(
        f"{verb} {report.created} people, updated {report.updated}, unchanged "
        f"{report.unchanged}, {report.units_created} new units, {report.deactivated} "
        f"{would}deactivated."
    )


# The demo generator's phases, as its progress bars name them.
DEMO_PHASES = {
    "organisation": "Organisation and spaces",
    "history": "Months of history",
    "activity": "Activity days",
    "spaces": "Search: spaces",
    "people": "Search: people",
    "wiki pages": "Search: wiki pages",
    "posts": "Search: posts",
    "comments": "Search: comments",
}


def _create_demo(
    settings: Settings,
    *,
    people: int = 300,
    months: int = 12,
    seed: int = 1,
    end: datetime.date | datetime.datetime | None = None,
    posts: int | None = None,
    ground_truth: Path | None = None,
) -> None:
    """Create the demo organisation when the database is empty, with a progress bar per
    phase; write its ground truth as JSON; print how to sign in either way."""
    from atoll.demo.generator import do_create_demo
    from atoll.people.passwords import Hashing

    with Progress(
        TextColumn("{task.description:<24}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}
        labels = DEMO_PHASES
        started = time.monotonic()

        def step(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(labels.get(phase, phase), total=total)
            bar.update(tasks[phase], completed=done, total=total)
            if not console.is_terminal:  # a log, not a screen: a line per step instead
                elapsed = time.monotonic() - started
                print(f"{labels.get(phase, phase)}: {done}/{total} ({elapsed:.0f} s)", flush=True)

        result = _run(
            lambda session: do_create_demo(
                session,
                people=people,
                months=months,
                seed=seed,
                end=end,
                posts=posts,
                silo_level=settings.silo_level,
                lookback_days=settings.tie_lookback_days,
                hashing=Hashing.of(settings),
                progress=step,
            ),
            settings,
        )
    _announce_demo(result, settings, ground_truth)


def _announce_demo(result: DemoResult, settings: Settings, ground_truth: Path | None) -> None:
    """Write the ground truth of a demo just made and say how to sign in either way."""
    import json

    if result.created:
        path = ground_truth or settings.var_dir / "demo-ground-truth.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result.ground_truth, indent=1, ensure_ascii=False) + "\n")
        console.print(
            f"Created the demo organisation ({result.people} people, {result.posts:,} posts, "
            f"{result.interactions:,} interactions); its ground truth is in {path}."
        )
    else:
        console.print("The database is not empty: the demo organisation was not created.")
    console.print(
        "\n[bold]Sign in at[/bold] " + settings.base_url + "/sign-in\n"
        f"  admin:  {result.admin_email}  /  {result.password}\n"
        f"  member: {result.member_email}  /  {result.password}\n"
    )


def _end(value: str | None) -> datetime.date | datetime.datetime | None:
    """A day (the history ends with it) or a moment (UTC unless it says otherwise)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return datetime.date.fromisoformat(value)
        return datetime.datetime.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(
            "must be a date like 2026-03-31 or a moment like 2026-03-31T14:30 (UTC) "
            "or 2026-03-31T14:30+02:00"
        ) from error


@app.command()
def demo(
    people: Annotated[
        int, typer.Option(min=20, max=1_000_000, help="People, about 5 % of them external.")
    ] = 300,
    months: Annotated[int, typer.Option(min=1, max=120, help="Months of history.")] = 12,
    seed: Annotated[int, typer.Option(help="Same seed and end, same organisation.")] = 1,
    end: Annotated[
        str | None,
        typer.Option(
            help="Where the history ends: a day, YYYY-MM-DD (up to the end of it), or a moment, "
            "YYYY-MM-DDTHH:MM (UTC unless an offset follows). Default: now."
        ),
    ] = None,
    posts: Annotated[
        int | None,
        typer.Option(min=0, help="Posts in all (default 0.75 per person and month)."),
    ] = None,
    ground_truth: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the planted figures (default var/demo-ground-truth.json)."
        ),
    ] = None,
) -> None:
    """Create the demo organisation (when the database has no people yet): a company tree,
    people, customers and partners, spaces and months of history."""
    settings = Settings()
    until = _end(end)
    if settings.is_sqlite:
        _migrate(settings)
    _create_demo(
        settings,
        people=people,
        months=months,
        seed=seed,
        end=until,
        posts=posts,
        ground_truth=ground_truth,
    )


@app.command()
def digest() -> None:
    """E-mail the daily digest of unread notifications to everyone due one now (every server
    also does this by itself; each person gets at most one a day)."""
    from atoll import mail, tasks

    settings = Settings()
    if not mail.enabled(settings):
        console.print(
            "[yellow]No SMTP host is configured[/yellow] (ATOLL_SMTP_HOST): no e-mail sent."
        )
        return

    async def main() -> int:
        engine = make_engine(settings)
        try:
            return await tasks.send_digests(make_sessions(engine, settings))
        finally:
            await engine.dispose()

    sent = asyncio.run(main())
    console.print(f"Sent {sent} digest{'' if sent == 1 else 's'}.")


@app.command()
def reindex() -> None:
    """Build the search index again from posts, comments, wiki pages, people and spaces, with
    a progress bar (after a restore from backup or a bulk load; the app keeps it up to date
    by itself)."""
    from atoll.search.index import reindex as do_reindex

    settings = Settings()
    if settings.is_sqlite:
        _migrate(settings)
    with Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, Any] = {}

        def step(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what.capitalize(), total=total)
            bar.update(tasks[what], completed=done, total=total)

        count = _run(lambda session: do_reindex(session, progress=step), settings)
    console.print(f"Indexed {count:,} documents for search.")


@app.command("scim-token")
def scim_token(
    name: Annotated[str, typer.Option(help="What the new token is for, e.g. 'Entra ID'.")] = "",
    list_tokens: Annotated[
        bool, typer.Option("--list", help="List the tokens (never their secrets).")
    ] = False,
    revoke: Annotated[int | None, typer.Option(help="Revoke the token with this id.")] = None,
    revoke_all: Annotated[bool, typer.Option("--revoke-all", help="Revoke every token.")] = False,
) -> None:
    """Make a bearer token for a SCIM provisioning client (printed once, alone on standard
    output), or list or revoke tokens. Rotate: make a new one, give it to the client, revoke
    the old one."""
    from atoll.identity import scim_tokens

    settings = Settings()
    if settings.is_sqlite:
        _migrate(settings)
    notes = Console(stderr=True)
    if list_tokens:
        for token in _run(scim_tokens.all_tokens, settings):
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "working"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            console.print(f"{token.id}\t{token.name or '-'}\t{state}\tlast used {used}")
        return
    if revoke is not None or revoke_all:
        count = _run(lambda s: scim_tokens.do_revoke_token(s, token_id=revoke), settings)
        console.print(f"Revoked {count} SCIM token{'' if count == 1 else 's'}.")
        return
    token, raw = _run(lambda s: scim_tokens.do_create_token(s, name=name), settings)
    notes.print(
        f"SCIM token {token.id} made. The SCIM base URL is {settings.base_url.rstrip('/')}"
        "/scim/v2; give the client this token (it is shown only now):"
    )
    typer.echo(raw)


# --- analytics ------------------------------------------------------------------------------

analytics_app = typer.Typer(help="Analytics: the interaction log and its figures.")
app.add_typer(analytics_app, name="analytics", no_args_is_help=True)


@analytics_app.command("rebuild")
def analytics_rebuild(
    lookback_days: Annotated[
        int | None,
        typer.Option(min=1, max=3650, help="Look-back window; default ATOLL_TIE_LOOKBACK_DAYS."),
    ] = None,
) -> None:
    """Recompute the interaction log from itself (silos at the current ATOLL_SILO_LEVEL, scopes,
    new ties, closed periods), with a progress bar: after a setting changed or a bulk load."""
    from atoll.analytics.ties import rebuild_log

    settings = Settings()
    days, level = lookback_days or settings.tie_lookback_days, settings.silo_level
    shown = (TextColumn("Rebuilding the log"), BarColumn(), TextColumn("{task.percentage:>3.0f} %"))
    with Progress(*shown, TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("rebuild", total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        rebuilt = _run(
            lambda s: rebuild_log(
                s, silo_level=level, lookback_days=days, progress=step, zone=settings.zone
            ),
            settings,
        )
    console.print(
        f"Rebuilt {rebuilt.rows:,} interaction(s) at silo level {level} with a {days}-day "
        f"look-back: {rebuilt.scopes:,} changed scope, {rebuilt.new_ties:,} changed new tie."
    )
