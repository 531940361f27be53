"""Settings: one TOML file (``--config``, ``ARTERM_CONFIG`` or the user config dir) plus ARTERM_* env.

Kept free of heavy imports: the CLI loads it for every command.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

APP_NAME = "arterm"
DEFAULT_BUCKETS = (30, 60, 90, 120)
MAX_BUCKET_DAYS = 36_500
"""The longest aging bucket limit: 100 years of days past due."""


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class CompanySettings:
    name: str = "Mi Empresa SA de CV"
    rfc: tuple[str, ...] = ("EKU9003173C9",)
    address: str = ""
    payment_instructions: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 587
    security: str = "starttls"  # none | starttls | ssl
    username: str = ""
    password: str = field(default="", repr=False)
    sender: str = "cobranza@example.com"
    archive_bcc: str = ""
    timeout: float = 20.0


@dataclass(frozen=True)
class UiSettings:
    language: str = ""  # es | en; empty: from LANG
    theme: str = "textual-dark"
    keymap: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CfdiSettings:
    pue_is_paid: bool = False
    max_file_bytes: int = 2 * 1024 * 1024


@dataclass(frozen=True)
class StatementSettings:
    templates_dir: str = ""
    period_days: int = 30


@dataclass(frozen=True)
class ContractSettings:
    bill_on_start: str = "ask"  # ask | always | never


@dataclass(frozen=True)
class Settings:
    company: CompanySettings = field(default_factory=CompanySettings)
    database_url: str = ""
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    aging_buckets: tuple[int, ...] = DEFAULT_BUCKETS
    cfdi: CfdiSettings = field(default_factory=CfdiSettings)
    statements: StatementSettings = field(default_factory=StatementSettings)
    contracts: ContractSettings = field(default_factory=ContractSettings)
    operator: str = ""
    config_path: str = ""

    @property
    def language(self) -> str:
        return self.ui.language or language_from_env()

    def masked(self) -> dict[str, Any]:
        """The effective settings as plain data with secrets masked (for ``arterm config show``)."""
        from dataclasses import asdict

        data = asdict(self)
        if data["smtp"]["password"]:
            data["smtp"]["password"] = "********"
        data["database_url"] = mask_url(self.effective_database_url())
        data["operator"] = self.current_operator()
        data["ui"]["language"] = self.language
        return data

    def effective_database_url(self) -> str:
        return os.environ.get("ARTERM_DATABASE_URL") or self.database_url or default_sqlite_url()

    def current_operator(self) -> str:
        """``ARTERM_OPERATOR``, else ``[operator] username``, else the login name (``--as`` wins over all)."""
        return os.environ.get("ARTERM_OPERATOR") or self.operator or _login_name()


def _login_name() -> str:
    name = os.environ.get("USER") or os.environ.get("LOGNAME")
    if not name:
        try:
            name = getpass.getuser()
        except Exception:  # pragma: no cover - no passwd entry
            name = "operator"
    return name


def language_from_env() -> str:
    for var in ("ARTERM_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "es" if value.lower().startswith("es") else "en"
    return "es"


def mask_url(url: str) -> str:
    """Hide the password in a database URL (``user:pass@`` and ``?password=``)."""
    from urllib.parse import parse_qsl, urlencode

    if "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    if "?" in rest:
        rest, query = rest.split("?", 1)
        pairs = [(k, "****" if k.lower() in ("password", "pass", "pwd") else v) for k, v in parse_qsl(query, keep_blank_values=True)]
        query = "?" + urlencode(pairs, safe="*")
    else:
        query = ""
    if "@" in rest:
        creds, host = rest.rsplit("@", 1)
        if ":" in creds:
            rest = f"{creds.split(':', 1)[0]}:****@{host}"
    return f"{scheme}://{rest}{query}"


def data_dir() -> Path:
    override = os.environ.get("ARTERM_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME))


def config_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME))


def default_sqlite_url() -> str:
    return f"sqlite:///{data_dir() / 'arterm.db'}"


def _section(cls: type, raw: Any, name: str) -> Any:
    if raw is None:
        return cls()
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}] must be a table")
    known = {f.name: f for f in fields(cls)}
    unknown = set(raw) - set(known)
    if unknown:
        raise ConfigError(f"[{name}] unknown key(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        default = getattr(cls(), key)
        if isinstance(default, tuple):
            if isinstance(value, str):
                value = (value,)
            if not isinstance(value, list | tuple):
                raise ConfigError(f"[{name}] {key} must be a list")
            value = tuple(value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"[{name}] {key} must be true or false")
        elif isinstance(default, int | float) and not isinstance(default, bool):
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ConfigError(f"[{name}] {key} must be a number")
            value = type(default)(value)
        elif isinstance(default, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"[{name}] {key} must be a table")
            value = {str(k): str(v) for k, v in value.items()}
        elif isinstance(default, str) and not isinstance(value, str):
            raise ConfigError(f"[{name}] {key} must be a string")
        values[key] = value
    return cls(**values)


def _table(raw: dict[str, Any], name: str, keys: set[str]) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    unknown = set(value) - keys
    if unknown:
        raise ConfigError(f"[{name}] unknown key(s): {', '.join(sorted(unknown))}")
    return value


def find_config_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    if explicit:
        path = Path(explicit)
        if not path.exists():
            raise ConfigError(f"config file {path} does not exist")
        return path
    env = os.environ.get("ARTERM_CONFIG")
    if env:
        path = Path(env)
        if not path.exists():
            raise ConfigError(f"ARTERM_CONFIG names {path}, which does not exist")
        return path
    path = config_dir() / "config.toml"
    return path if path.exists() else None


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read the TOML file (if any) and apply environment overrides."""
    found = find_config_path(path)
    raw: dict[str, Any] = {}
    if found is not None:
        try:
            raw = tomllib.loads(found.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{found}: {exc}") from None
    known = {"company", "database", "smtp", "ui", "aging", "cfdi", "statements", "contracts", "operator"}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"unknown section(s): {', '.join(sorted(unknown))}")
    smtp = _section(SmtpSettings, raw.get("smtp"), "smtp")
    if smtp.security not in ("none", "starttls", "ssl"):
        raise ConfigError("[smtp] security must be none, starttls or ssl")
    if os.environ.get("ARTERM_SMTP_PASSWORD"):
        smtp = replace(smtp, password=os.environ["ARTERM_SMTP_PASSWORD"])
    ui = _section(UiSettings, raw.get("ui"), "ui")
    if ui.language and ui.language not in ("es", "en"):
        raise ConfigError("[ui] language must be es or en")
    aging = _table(raw, "aging", {"buckets"})
    buckets = aging.get("buckets", list(DEFAULT_BUCKETS))
    if (not isinstance(buckets, list) or not buckets
            or any(not isinstance(b, int) or isinstance(b, bool) or b <= 0 for b in buckets)
            or buckets != sorted(set(buckets))):
        raise ConfigError("[aging] buckets must be increasing positive whole day counts, e.g. [30, 60, 90, 120]")
    if buckets[-1] > MAX_BUCKET_DAYS:  # beyond, a bucket's first due date falls before year 1
        raise ConfigError(f"[aging] buckets must be at most {MAX_BUCKET_DAYS:,} days (100 years); got {buckets[-1]:,}")
    buckets = tuple(buckets)
    database = _table(raw, "database", {"url"})
    operator = _table(raw, "operator", {"username"})
    for section, table, key in (("database", database, "url"), ("operator", operator, "username")):
        if not isinstance(table.get(key, ""), str):
            raise ConfigError(f"[{section}] {key} must be a string")
    return Settings(
        company=_section(CompanySettings, raw.get("company"), "company"),
        database_url=str(database.get("url", "")),
        smtp=smtp,
        ui=ui,
        aging_buckets=buckets,
        cfdi=_section(CfdiSettings, raw.get("cfdi"), "cfdi"),
        statements=_section(StatementSettings, raw.get("statements"), "statements"),
        contracts=_section(ContractSettings, raw.get("contracts"), "contracts"),
        operator=operator.get("username", ""),
        config_path=str(found or ""),
    )
