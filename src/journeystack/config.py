"""Typed settings for journeystack, read from JOURNEYSTACK_* environment variables and CLI flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from journeystack.domain.auth import ALL_SCOPES, InstalledPackage
from journeystack.domain.limits import Limits

DEFAULT_DATA_DIR = Path(".journeystack")
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_DATA_DIR / 'journeystack.db'}"


class PackageConfig(BaseModel):
    """One installed package as written in the packages file or JOURNEYSTACK_PACKAGES."""

    client_id: str = Field(min_length=1, max_length=200)  # the tokens table holds 200
    client_secret: str = Field(min_length=1)
    mids: list[int] = Field(min_length=1)
    scopes: list[str] = Field(default_factory=lambda: list(ALL_SCOPES))
    # The package's JWT signing secret: custom-activity calls of its business units' journeys are
    # signed with it (HS256). Unset: the server's default (Settings.jwt_signing_secret).
    jwt_signing_secret: str | None = Field(default=None, min_length=1)

    def to_domain(self) -> InstalledPackage:
        return InstalledPackage(
            client_id=self.client_id,
            client_secret=self.client_secret,
            mids=tuple(self.mids),
            scopes=frozenset(self.scopes),
            jwt_signing_secret=self.jwt_signing_secret,
        )


DEFAULT_PACKAGE = PackageConfig(client_id="journeystack", client_secret="journeystack", mids=[1000001])


class Settings(BaseSettings):
    """Everything journeystack can be configured with; build it with `load_settings`."""

    model_config = SettingsConfigDict(env_prefix="JOURNEYSTACK_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=4599, ge=0, le=65535)
    database_url: str = DEFAULT_DATABASE_URL
    # Connections each server process keeps open (and may open beyond that under load); with
    # `--workers N` or several servers, the database sees up to N * (pool_size + pool_max_overflow).
    pool_size: int = Field(default=8, ge=1)
    pool_max_overflow: int = Field(default=8, ge=0)
    # Server processes `journeystack serve` runs on one port (uvicorn workers).
    workers: int = Field(default=1, ge=1)
    # Installed packages: a JSON file (list of PackageConfig) and/or inline JSON; the default package
    # is used only when neither names any package.
    packages_file: Path | None = None
    packages: list[PackageConfig] = Field(default_factory=list)
    # Absolute base URL clients should use (e.g. behind a proxy); default: as the client reached us.
    public_url: str | None = None
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    max_json_depth: int = Field(default=64, ge=8)
    # SOAP: objects in one Create/Update/Delete (SFMC's synchronous batch size), and the length of
    # one filter value (a `like` pattern).
    soap_max_objects: int = Field(default=50, ge=1)
    soap_max_filter_value_length: int = Field(default=1000, ge=1)
    token_lifetime_seconds: int = Field(default=1200, ge=60)
    log_level: str = "info"
    access_log: bool = True
    # How long a publish or validate operation stays "in process" before it is run.
    operation_delay_seconds: float = Field(default=1.0, ge=0)
    worker_poll_seconds: float = Field(default=0.1, gt=0)
    # A claimed operation whose worker has not finished it within this time is taken over.
    operation_lease_seconds: float = Field(default=30.0, gt=0)
    # Claims of one operation before it is given up with status Error.
    operation_attempts: int = Field(default=3, ge=1)
    # Problems one report lists (400 validationErrors, publish/validate status, audit entry), and
    # the UTF-8 bytes of each message.
    max_reported_problems: int = Field(default=100, ge=1)
    max_problem_message_bytes: int = Field(default=1024, ge=64)
    # Bytes of journeys one list answer may carry (a larger page is refused with a 400).
    max_response_bytes: int = Field(default=32 * 1024 * 1024, ge=65536)
    strict_scopes: bool = False
    # The control plane under /_journeystack/ (docs/control-plane.md); false makes it answer 404.
    control_plane: bool = True
    # Its admin token. Unset: `serve` makes a random one and prints it (create_app alone makes its own).
    admin_token: str | None = None
    # The request journal: the last journal_size calls, each body captured up to journal_body_bytes.
    journal: bool = True
    journal_size: int = Field(default=200, ge=1, le=100_000)
    journal_body_bytes: int = Field(default=8192, ge=0)
    # A snapshot `serve` loads after migrating and before it answers (replacing the state it covers).
    seed_file: Path | None = None
    # Make a journey folder for every categoryId the seed's journeys name that none of its folders has.
    seed_create_missing_folders: bool = False
    # TLS: `serve` speaks HTTPS with this certificate and key (both or neither; `journeystack certs`).
    tls_cert: Path | None = None
    tls_key: Path | None = None

    # The journey engine (docs/runtime.md): the seed of random splits (the same seed and entries give
    # the same paths), strict data binding (an unresolved {{...}} fails the activity), how often the
    # engine thread looks for due work, and how many rows one history download may carry.
    random_seed: int = Field(default=0, ge=0, le=2**63 - 1)
    strict_binding: bool = False
    engine_poll_seconds: float = Field(default=0.05, gt=0, le=60)
    engine_batch_size: int = Field(default=500, ge=1, le=10_000)
    history_download_max_rows: int = Field(default=100_000, ge=1, le=10_000_000)

    # Custom activities (docs/runtime.md): the hosts the engine may call besides loopback (comma-
    # separated names, *.suffixes, IP addresses); the JWT signing secret of packages that set none
    # (unset: `serve` generates one and prints it); how many calls one process makes at once; how
    # long past a call's own longest duration (timeout and retries) its lease lasts before another
    # process may make it again; and an optional best-hour function for Einstein STO waits
    # ("module:function", taking a StoRequest and answering the release time in epoch ms).
    outbound_allow: str = ""
    jwt_signing_secret: str | None = Field(default=None, min_length=1)
    outbound_max_in_flight: int = Field(default=200, ge=1, le=10_000)
    call_lease_seconds: float = Field(default=30.0, gt=0, le=3600)
    sto_function: str | None = None

    @field_validator("packages", mode="before")
    @classmethod
    def _packages_from_json(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else []
        return value

    def needs_jwt_secret(self) -> bool:
        """Whether some package signs with the server's default secret and none is configured."""
        return self.jwt_signing_secret is None and any(
            p.jwt_signing_secret is None for p in self.installed_packages()
        )

    def limits(self) -> Limits:
        """The work limits services apply."""
        return Limits(
            reported_problems=self.max_reported_problems,
            problem_message_bytes=self.max_problem_message_bytes,
            operation_attempts=self.operation_attempts,
            response_bytes=self.max_response_bytes,
        )

    def installed_packages(self) -> list[InstalledPackage]:
        """The packages that may ask for tokens (the default one when none is configured)."""
        configured = list(self.packages)
        if self.packages_file is not None:
            raw = json.loads(self.packages_file.read_text(encoding="utf-8"))
            configured.extend(PackageConfig.model_validate(item) for item in raw)
        return [p.to_domain() for p in (configured or [DEFAULT_PACKAGE])]

    def database_url_for_display(self) -> str:
        """The store URL with any password masked, safe to print and log."""
        from sqlalchemy.engine import make_url

        return make_url(self.database_url).render_as_string(hide_password=True)


def settings_environment(settings: Settings) -> dict[str, str]:
    """JOURNEYSTACK_* variables that rebuild `settings` in another process (`serve --workers`).

    A setting that is None is left out: it is None only when no variable or flag set it."""
    environment: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        variable = f"JOURNEYSTACK_{name.upper()}"
        if value is None:
            continue
        if isinstance(value, bool):
            environment[variable] = "true" if value else "false"
        elif isinstance(value, list | dict):
            environment[variable] = json.dumps(value)
        else:
            environment[variable] = str(value)
    return environment


# Settings whose value is never repeated in an error message: it may hold a secret.
_UNSHOWN = ("admin_token", "secret", "password", "database_url", "packages")


def describe_configuration_error(error: Exception) -> str:
    """A settings error as its user reads it: one line per problem, named by the environment
    variable that sets it (a CLI flag sets the same setting), never by the Python field."""
    if not isinstance(error, ValidationError):
        return f" {error}"
    lines = []
    for problem in error.errors():
        field, *inner = problem["loc"]
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in inner).lstrip(".")
        name = f"JOURNEYSTACK_{str(field).upper()}" + (f" ({where})" if where else "")
        shown = not inner and not any(word in str(field) for word in _UNSHOWN)
        got = (
            f" (got {problem['input']!r})"
            if shown and isinstance(problem.get("input"), str | int | float)
            else ""
        )
        lines.append(f"\n  {name}: {problem['msg']}{got}")
    return "".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment, then apply explicit overrides (CLI flags, tests)."""
    clean = {name: value for name, value in overrides.items() if value is not None}
    return Settings(**clean)
