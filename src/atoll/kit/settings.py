"""Settings: one pydantic-settings class, every field an ``ATOLL_*`` environment variable. Plain
values that every layer is handed as arguments (never read as module globals), so they sit in
the kit, below everything: the shell builds the app with them, the plumbing and the domains
are given them."""

from __future__ import annotations

import ipaddress
import secrets
from functools import cache, cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_VAR_DIR = Path("var")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def trusted_networks(value: str) -> tuple[Network, ...]:
    """``ATOLL_TRUSTED_PROXIES`` read: "10.0.0.0/8, 192.0.2.7, ::1" -> networks (an address is
    a network of one). Raises ValueError naming the entry that is neither."""
    networks = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"{entry!r} is not an IP address or network (like 10.0.0.0/8 or 192.0.2.7)"
            ) from None
    return tuple(networks)


def unit_space_levels(value: str) -> frozenset[int] | None:
    """``ATOLL_UNIT_SPACE_LEVELS`` read: "2,3" -> {2, 3}; "" -> None (the levels that have a
    unit space already); "none" -> no level. Raises ValueError naming a bad entry."""
    text = value.strip().lower()
    if not text:
        return None
    if text == "none":
        return frozenset()
    levels = set()
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        if not entry.isdigit() or int(entry) > 50:
            raise ValueError(f"{entry!r} is not a level of the tree (0 is the top, 1 below it…)")
        levels.add(int(entry))
    return frozenset(levels)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ATOLL_", extra="ignore")

    var_dir: Path = Field(
        DEFAULT_VAR_DIR, description="Where local state lives (SQLite file, secret key)."
    )
    database_url: str = Field(
        "", description="SQLAlchemy async URL; empty means SQLite at var/atoll.db."
    )
    redis_url: str = Field("", description="Redis URL for the broker; empty means in-process.")
    secret_key: str = Field(
        "", description="Signs CSRF tokens; generated once into var/secret_key when empty."
    )
    base_url: str = Field(
        "http://127.0.0.1:8000", description="Public address, used in links and e-mail."
    )
    silo_level: int = Field(
        2, ge=0, le=10, description="Depth of the tree that counts as a silo (2 = department)."
    )
    unit_space_levels: str = Field(
        "",
        description="Levels of the tree (comma-separated, e.g. 2,3) whose new units get a unit "
        "space; empty: the levels that have one already; none: no level.",
    )
    tie_lookback_days: int = Field(
        90, ge=1, le=3650, description="A tie is new when the two had not interacted for this long."
    )
    stage_across_threshold: float = Field(
        0.15, ge=0, le=1, description="Share of interactions across silos for 'cultural change'."
    )
    stage_external_threshold: float = Field(
        0.05, ge=0, le=1, description="Share with externals for 'business-model transformation'."
    )
    timezone: str = Field(
        "UTC",
        description="The organisation's time zone (an IANA name such as Europe/Berlin): the "
        "days, weeks and months of analytics.",
    )
    ei_min_interactions: int = Field(
        2,
        ge=1,
        le=1000,
        description="Interactions in the range that make a tie in the network (the E-I "
        "indexes, the bridges).",
    )
    analytics_show_names: bool = Field(
        True, description="Name the people who bridge silos (to admins and analysts only)."
    )
    session_days: int = Field(30, ge=1, description="How long an idle sign-in session lives.")
    token_days: int = Field(30, ge=1, description="How long an idle API token lives.")
    tokens_per_person: int = Field(
        25, ge=1, le=1000, description="Live API tokens (and browser sessions) per person at most."
    )
    pat_max_days: int = Field(
        365,
        ge=1,
        le=365,
        description="The longest a personal access token may live, in days (also the "
        "lifetime of one made without expires_in_days).",
    )
    require_totp: bool = Field(
        False,
        description="Everyone with a password must turn on the TOTP second factor; until "
        "they do, they can use nothing but its setup.",
    )
    login_max_failures: int = Field(
        5, ge=1, description="Failed sign-ins for one account from one address per window."
    )
    login_max_failures_address: int = Field(
        20, ge=1, description="Failed sign-ins from one address per window."
    )
    login_max_failures_account: int = Field(
        20, ge=1, description="Failed sign-ins for one account from all addresses per window."
    )
    login_max_successes_address: int = Field(
        100, ge=1, description="Successful sign-ins from one address per window."
    )
    login_window_seconds: int = Field(900, ge=1, le=86400)
    rate_posts_per_minute: int = Field(
        10, ge=0, description="Posts one person may make per minute (429 beyond); 0: no limit."
    )
    rate_comments_per_minute: int = Field(
        30, ge=0, description="Comments one person may make per minute; 0: no limit."
    )
    rate_reactions_per_minute: int = Field(
        60, ge=0, description="Reactions one person may add or take back per minute; 0: no limit."
    )
    rate_reports_per_minute: int = Field(
        10, ge=0, description="Reports one person may file per minute; 0: no limit."
    )
    trusted_proxies: str = Field(
        "",
        description="Addresses and networks (comma-separated) whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; empty: none.",
    )
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_from: str = "atoll@localhost"
    housekeeping_seconds: int = Field(
        60, ge=0, description="How often each server closes due situation rooms (0: never)."
    )
    event_retention_hours: int = Field(
        72, ge=1, description="How long the event log keeps events for clients that reconnect."
    )
    restore_days: int = Field(
        30,
        ge=1,
        le=3650,
        description="How long a deleted post or comment can be restored; housekeeping then "
        "removes it for good.",
    )
    undo_seconds: int = Field(
        10,
        ge=1,
        le=600,
        description='How long after posting its author may take a post back ("Posted · '
        'Undo"); its text goes back to the composer as a draft.',
    )
    sse_heartbeat_seconds: float = Field(
        15.0, gt=0, le=300, description="How often an idle event stream sends a heartbeat."
    )
    argon2_time_cost: int = Field(3, ge=1)
    argon2_memory_kib: int = Field(65536, ge=8)
    argon2_threads: int = Field(
        0, ge=0, le=256, description="Threads that hash passwords; 0: half the CPUs, at least 1."
    )
    max_upload_mb: int = Field(
        25, ge=1, le=10240, description="The largest attachment accepted, in MB."
    )
    max_request_kb: int = Field(
        1024,
        ge=1,
        le=1024 * 1024,
        description="The largest JSON or form body accepted, in KB (uploads have their own).",
    )
    invitation_days: int = Field(
        7, ge=1, le=90, description="How long an invitation link stays valid, in days."
    )
    attachments_dir: Path | None = Field(
        None, description="Where attachments are stored; empty means <var_dir>/attachments."
    )
    oidc_issuer: str = Field(
        "",
        description="The OpenID Connect issuer (its /.well-known/openid-configuration is read); "
        "empty: no OIDC sign-in.",
    )
    oidc_client_id: str = Field("", description="Atoll's client id at the OIDC provider.")
    oidc_client_secret: str = Field(
        "", description="Atoll's client secret at the OIDC provider; empty: a public client."
    )
    oidc_scopes: str = Field(
        "openid email profile", description="The scopes asked for (space-separated)."
    )
    oidc_provider_name: str = Field(
        "single sign-on", description='The sign-in page says "Sign in with <this>".'
    )
    oidc_trust_email: bool = Field(
        False,
        description="Take an ID token's e-mail as verified when the provider sends no "
        "email_verified claim (Entra ID); an explicit false is refused all the same.",
    )
    oidc_leeway_seconds: int = Field(
        60, ge=0, le=600, description="Clock skew allowed when checking an ID token's times."
    )
    saml_idp_metadata: str = Field(
        "",
        description="The SAML IdP's metadata: a file path or an http(s) URL; empty: no SAML.",
    )
    saml_sp_entity_id: str = Field(
        "", description="Atoll's SAML entity id; empty: <base URL>/auth/saml/metadata."
    )
    saml_provider_name: str = Field(
        "SAML single sign-on", description='The sign-in page says "Sign in with <this>".'
    )
    saml_leeway_seconds: int = Field(
        60, ge=0, le=600, description="Clock skew allowed when checking an assertion's times."
    )
    sso_allowed_domains: str = Field(
        "",
        description="E-mail domains (comma-separated) that may sign in through SSO; empty: any.",
    )
    sso_only: bool = Field(
        False, description="Members sign in only through SSO (externals keep passwords)."
    )
    sso_title_claim: str = Field("title", description="The claim (or attribute) with a title.")
    sso_unit_claim: str = Field(
        "",
        description='The claim with the unit path ("engineering/platform"), created when '
        "missing; empty: new people sit in the root unit.",
    )
    sso_groups_claim: str = Field(
        "groups", description="The claim (a list) of groups that join spaces."
    )
    sso_group_spaces: str = Field(
        "",
        description='Groups to spaces: "group=space-slug, other=slug2"; a group named like a '
        "space's slug joins that space anyway.",
    )

    @field_validator("database_url")
    @classmethod
    def _no_sync_drivers(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name like Europe/Berlin"
            ) from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The organisation's time zone (``ATOLL_TIMEZONE``)."""
        return ZoneInfo(self.timezone)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        trusted_networks(value)  # a typo must stop the server, not trust nobody (or everybody)
        return value

    @field_validator("unit_space_levels")
    @classmethod
    def _unit_space_levels(cls, value: str) -> str:
        unit_space_levels(value)  # a typo must stop the server, not open spaces at random
        return value

    @property
    def unit_space_level_set(self) -> frozenset[int] | None:
        """``unit_space_levels`` read: the levels named, or None for "those that have one"."""
        return unit_space_levels(self.unit_space_levels)

    @cached_property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.var_dir / 'atoll.db'}"

    @property
    def attachments_path(self) -> Path:
        return self.attachments_dir or self.var_dir / "attachments"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def max_request_bytes(self) -> int:
        return self.max_request_kb * 1024

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @cached_property
    def signing_key(self) -> bytes:
        if self.secret_key:
            return self.secret_key.encode()
        path = self.var_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def saml_enabled(self) -> bool:
        return bool(self.saml_idp_metadata)

    @property
    def saml_entity_id(self) -> str:
        return self.saml_sp_entity_id or self.base_url.rstrip("/") + "/auth/saml/metadata"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")
