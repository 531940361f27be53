"""Settings: the TOML file (explicit, ARTERM_CONFIG, XDG default), validation and ARTERM_* overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from arterm.config import ConfigError, Settings, language_from_env, load_settings, mask_url

FULL = """
[company]
name = "Dulcería La Ñ SA de CV"
rfc = "EKU9003173C9"
payment_instructions = "CLABE 012345678901234567"

[database]
url = "postgresql://arterm:s3cret@db.example.com:5432/arterm"

[smtp]
host = "smtp.example.com"
port = 465
security = "ssl"
username = "cobranza"
password = "hunter2"
timeout = 5

[ui]
language = "en"
theme = "nord"
keymap = { quit = "ctrl+q" }

[aging]
buckets = [15, 30, 45]

[cfdi]
pue_is_paid = true
max_file_bytes = 1000

[statements]
period_days = 31

[contracts]
bill_on_start = "always"

[operator]
username = "ana"
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def no_locale_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for var in ("ARTERM_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "ARTERM_OPERATOR"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


# ----------------------------------------------------------------------------------- locating
def test_no_file_gives_defaults(tmp_path: Path) -> None:
    s = load_settings()
    assert s == Settings()
    assert s.config_path == ""
    assert s.aging_buckets == (30, 60, 90, 120)
    # The default database lives in the data dir (ARTERM_DATA_DIR in tests).
    assert s.effective_database_url() == f"sqlite:///{tmp_path / 'data' / 'arterm.db'}"
    assert s.current_operator() == "tester"


def test_explicit_file(tmp_path: Path) -> None:
    path = write(tmp_path / "arterm.toml", FULL)
    s = load_settings(path)
    assert s.config_path == str(path)
    assert s.company.name == "Dulcería La Ñ SA de CV"
    assert s.company.rfc == ("EKU9003173C9",)  # a single string becomes a list
    assert s.database_url == "postgresql://arterm:s3cret@db.example.com:5432/arterm"
    assert (s.smtp.host, s.smtp.port, s.smtp.security, s.smtp.username, s.smtp.password) == (
        "smtp.example.com", 465, "ssl", "cobranza", "hunter2")
    assert s.smtp.timeout == 5.0 and isinstance(s.smtp.timeout, float)
    assert (s.ui.language, s.ui.theme, s.ui.keymap) == ("en", "nord", {"quit": "ctrl+q"})
    assert s.language == "en"
    assert s.aging_buckets == (15, 30, 45)
    assert (s.cfdi.pue_is_paid, s.cfdi.max_file_bytes) == (True, 1000)
    assert s.statements.period_days == 31
    assert s.contracts.bill_on_start == "always"
    assert s.operator == "ana" and s.current_operator() == "ana"
    assert "hunter2" not in repr(s.smtp)


def test_arterm_config_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "elsewhere" / "c.toml", "[aging]\nbuckets = [10]\n")
    monkeypatch.setenv("ARTERM_CONFIG", str(path))
    s = load_settings()
    assert s.config_path == str(path)
    assert s.aging_buckets == (10,)
    # An explicit path wins over ARTERM_CONFIG.
    other = write(tmp_path / "other.toml", "[aging]\nbuckets = [20]\n")
    assert load_settings(other).aging_buckets == (20,)


def test_arterm_config_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARTERM_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="ARTERM_CONFIG names .*nope.toml, which does not exist"):
        load_settings()


def test_explicit_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.toml does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_default_path_under_xdg_config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    xdg = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    assert load_settings().config_path == ""
    path = write(xdg / "arterm" / "config.toml", '[operator]\nusername = "luis"\n')
    s = load_settings()
    assert s.config_path == str(path)
    assert s.current_operator() == "luis"


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.toml", "[smtp\nport = 1\n")
    with pytest.raises(ConfigError, match="bad.toml"):
        load_settings(path)


# --------------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[mail]\nhost = 'x'\n", r"unknown section\(s\): mail"),
        ("colour = 'blue'\n", r"unknown section\(s\): colour"),
        ("[smtp]\nprot = 25\n", r"\[smtp\] unknown key\(s\): prot"),
        ("[company]\nname = 'x'\nrfcs = ['x']\n", r"\[company\] unknown key\(s\): rfcs"),
        ("[ui]\nlanguaje = 'es'\n", r"\[ui\] unknown key\(s\): languaje"),
        ("[cfdi]\nstrict = true\n", r"\[cfdi\] unknown key\(s\): strict"),
        ("smtp = 'smtp.example.com'\n", r"\[smtp\] must be a table"),
        ("[smtp]\nport = '25'\n", r"\[smtp\] port must be a number"),
        ("[smtp]\nport = true\n", r"\[smtp\] port must be a number"),
        ("[smtp]\nhost = 25\n", r"\[smtp\] host must be a string"),
        ("[smtp]\nsecurity = 'tls'\n", r"\[smtp\] security must be none, starttls or ssl"),
        ("[cfdi]\npue_is_paid = 'yes'\n", r"\[cfdi\] pue_is_paid must be true or false"),
        ("[ui]\nkeymap = 'ctrl+q'\n", r"\[ui\] keymap must be a table"),
        ("[ui]\nlanguage = 'fr'\n", r"\[ui\] language must be es or en"),
        ("[company]\nrfc = 5\n", r"\[company\] rfc must be a list"),
        ("[aging]\nbuckets = [60, 30]\n", r"\[aging\] buckets must be increasing positive"),
        ("[aging]\nbuckets = [30, 30]\n", r"\[aging\] buckets must be increasing positive"),
        ("[aging]\nbuckets = [0, 30]\n", r"\[aging\] buckets must be increasing positive"),
        ("[aging]\nbuckets = []\n", r"\[aging\] buckets must be increasing positive"),
        ("[aging]\nbuckets = [30, 99999999]\n", r"\[aging\] buckets must be at most 36,500 days \(100 years\); got 99,999,999"),
    ],
)
def test_invalid_settings_raise_config_error(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "c.toml", text)
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


@pytest.mark.parametrize(
    "text",
    [
        "[aging]\nbukets = [15, 30]\n",  # typo silently ignored: the default buckets are used
        "[database]\nuri = 'postgresql://x@y/z'\n",
        "[operator]\nname = 'ana'\n",
        "[aging]\nbuckets = ['x']\n",  # ValueError
        "[aging]\nbuckets = 30\n",  # TypeError
        "[aging]\nbuckets = [30.5, 60]\n",  # silently truncated to 30
        "database = 'sqlite:///x.db'\n",  # AttributeError
        "aging = [15, 30]\n",  # AttributeError
        "[database]\nurl = 5\n",  # silently becomes '5'
    ],
)
def test_hand_validated_sections_raise_config_error(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "c.toml", text)
    with pytest.raises(ConfigError):
        load_settings(path)


# ------------------------------------------------------------------------------ env overrides
def test_database_url_env_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_settings(write(tmp_path / "c.toml", "[database]\nurl = 'sqlite:///from-file.db'\n"))
    assert s.effective_database_url() == "sqlite:///from-file.db"
    monkeypatch.setenv("ARTERM_DATABASE_URL", "postgresql://u:pw@h/db")
    assert s.effective_database_url() == "postgresql://u:pw@h/db"
    assert s.masked()["database_url"] == "postgresql://u:****@h/db"


def test_smtp_password_env_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "c.toml", "[smtp]\npassword = 'from-file'\n")
    assert load_settings(path).smtp.password == "from-file"
    monkeypatch.setenv("ARTERM_SMTP_PASSWORD", "from-env")
    s = load_settings(path)
    assert s.smtp.password == "from-env"
    assert s.masked()["smtp"]["password"] == "********"
    monkeypatch.delenv("ARTERM_SMTP_PASSWORD")
    monkeypatch.setenv("ARTERM_SMTP_PASSWORD", "only-env")
    assert load_settings().smtp.password == "only-env"


def test_operator_from_env_and_login(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARTERM_OPERATOR", raising=False)
    assert load_settings().current_operator() == "tester"  # $USER
    monkeypatch.setenv("ARTERM_OPERATOR", "maria")
    assert load_settings().current_operator() == "maria"


def test_masked_hides_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_settings(write(tmp_path / "c.toml", FULL))
    data = s.masked()
    assert data["smtp"]["password"] == "********"
    assert data["database_url"] == "postgresql://arterm:****@db.example.com:5432/arterm"
    assert data["operator"] == "ana"
    assert data["ui"]["language"] == "en"
    assert data["aging_buckets"] == (15, 30, 45)
    text = repr(data)
    assert "hunter2" not in text and "s3cret" not in text
    # The settings themselves keep the real values.
    assert s.smtp.password == "hunter2"
    # No password: nothing to mask, and the empty string is kept (not "********").
    assert Settings().masked()["smtp"]["password"] == ""


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://arterm:arterm@127.0.0.1:5432/arterm", "postgresql://arterm:****@127.0.0.1:5432/arterm"),
        ("postgresql://u:p@ss:w@rd@host/db", "postgresql://u:****@host/db"),  # '@' inside the password
        ("postgresql://user@host/db", "postgresql://user@host/db"),  # no password
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("not a url", "not a url"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_mask_url_query_password() -> None:
    assert "secret" not in mask_url("postgresql://arterm@db.example.com/ar?password=secret&sslmode=require")


# ---------------------------------------------------------------------------------- language
@pytest.mark.parametrize(
    ("env", "lang"),
    [
        ({"LANG": "es_MX.UTF-8"}, "es"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "es"),  # nothing set: Spanish, the app's default
        ({"LANG": "en_US.UTF-8", "LC_ALL": "es_ES.UTF-8"}, "es"),  # LC_ALL wins over LANG
        ({"LANG": "es_MX.UTF-8", "LC_MESSAGES": "en_GB"}, "en"),
        ({"LANG": "en_US.UTF-8", "ARTERM_LANG": "es"}, "es"),  # ARTERM_LANG wins over everything
    ],
)
def test_language_from_env(no_locale_env: pytest.MonkeyPatch, env: dict[str, str], lang: str) -> None:
    for k, v in env.items():
        no_locale_env.setenv(k, v)
    assert language_from_env() == lang
    assert load_settings().language == lang


def test_configured_language_wins_over_env(no_locale_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    no_locale_env.setenv("LANG", "en_US.UTF-8")
    assert load_settings(write(tmp_path / "c.toml", "[ui]\nlanguage = 'es'\n")).language == "es"
