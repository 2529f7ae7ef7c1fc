"""Configuration: a TOML file in the user's config folder, overridden by the environment.

Precedence (highest first): explicit arguments (``--db``), ``REGDESK_*`` environment
variables, the config file, built-in defaults.

The database password need not be written anywhere: with ``password = "keyring"`` in the
file's ``[database]`` table, the password of a URL that carries none comes from the operating
system's credential store (the ``keyring`` package: Windows Credential Manager, macOS Keychain,
the Secret Service on Linux), stored there by ``regdesk config set-password``.
"""
from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from services import limits
from services.errors import ConfigError

log = logging.getLogger(__name__)

APP_NAME = "regdesk"
KEYRING_SERVICE = "regdesk"  # the credential store's service name; the entry's user is the URL
DEFAULT_WECHAT_API_BASE = "https://api.weixin.qq.com"


def shown_url(url: str) -> str:
    """A database URL to show: its password replaced by ``***`` (as SQLAlchemy shows it), without
    importing SQLAlchemy (the log-in dialog shows it before the database is open)."""
    from urllib.parse import urlsplit, urlunsplit
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def data_dir() -> Path:
    """The user's data folder (databases live here). Overridable with REGDESK_DATA_DIR."""
    override = os.environ.get("REGDESK_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_path() -> Path:
    override = os.environ.get("REGDESK_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def default_database_url() -> str:
    return "sqlite:///" + str(data_dir() / "regdesk.db")


def demo_database_url() -> str:
    return "sqlite:///" + str(data_dir() / "demo.db")


@dataclass(frozen=True)
class WeChatSettings:
    appid: str = ""
    secret: str = ""
    template_id: str = ""
    api_base: str = DEFAULT_WECHAT_API_BASE
    page: str = "pages/booking/detail"
    miniprogram_state: str = "formal"
    lang: str = "zh_CN"
    # template field name -> booking value key (see services.notify.delivery for the keys)
    field_map: dict[str, str] = field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return bool(self.appid and self.secret and self.template_id)


@dataclass(frozen=True)
class Config:
    database_url: str
    wechat: WeChatSettings
    source: str = "default"


def _read_file(path: Path) -> dict:
    try:
        if not path.exists():
            return {}
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {str(path)[:200]}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:  # the latter: a file that is not UTF-8
        raise ConfigError(f"cannot read config file {str(path)[:200]}: {str(exc)[:200]}") from exc


def keyring_key(url: str) -> str:
    """The credential store's name for the password of ``url``: the URL without a password."""
    from sqlalchemy.engine import URL, make_url
    from sqlalchemy.exc import ArgumentError
    try:
        u = make_url(url)
        # (URL.set(password=None) would keep the password: None means "unchanged" there)
        return URL.create(u.drivername, u.username, None, u.host, u.port, u.database, u.query).render_as_string()
    except (ArgumentError, ValueError) as exc:  # ValueError: a port such as ':abc'
        raise ConfigError(f"not a database URL: {limits.shown(url, 80)!r}") from exc


def _keyring():
    try:
        import keyring
        from keyring.backends import fail
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise ConfigError("the keyring package is not installed") from exc
    if isinstance(keyring.get_keyring(), fail.Keyring):
        raise ConfigError("this computer has no credential store that keyring can use")
    return keyring


def _with_stored_password(url: str) -> str:
    from sqlalchemy.engine import make_url
    key = keyring_key(url)
    if make_url(url).password is not None:
        return url
    store = _keyring()
    try:
        password = store.get_password(KEYRING_SERVICE, key)
    except Exception as exc:
        raise ConfigError(f"cannot read the credential store: {exc}") from exc
    if password is None:
        raise ConfigError(f"no password for {key} in the credential store: run `regdesk config set-password`")
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def load(db_url: str | None = None, *, stored_password: bool = True) -> Config:
    """Build the configuration from arguments, environment and file. ``stored_password=False``
    leaves a password kept in the credential store out (for `regdesk config set-password`)."""
    data = _read_file(config_path())
    source = "default"
    url = default_database_url()
    for table in ("database", "wechat"):
        if not isinstance(data.get(table, {}), dict):
            raise ConfigError(f"[{table}] in {config_path()} must be a table")
    if data.get("database", {}).get("url"):
        url, source = data["database"]["url"], "config file"
        if not isinstance(url, str):
            raise ConfigError(f"[database] url in {config_path()} must be text")
    if os.environ.get("REGDESK_DATABASE_URL"):
        url, source = os.environ["REGDESK_DATABASE_URL"], "REGDESK_DATABASE_URL"
    if db_url is not None:  # an explicit empty --db is refused by services.db, not replaced
        url, source = db_url, "--db"
    if source == "default":
        _make_data_dir()
    from_store = data.get("database", {}).get("password")
    if from_store not in (None, "keyring"):
        raise ConfigError(f'{config_path()}: [database] password may only be "keyring" '
                          "(the credential store); never write the password itself in the file")
    if from_store == "keyring" and stored_password and not url.startswith("sqlite"):
        url = _with_stored_password(url)

    wc = dict(data.get("wechat", {}))
    env_map = {
        "appid": "REGDESK_WECHAT_APPID",
        "secret": "REGDESK_WECHAT_SECRET",
        "template_id": "REGDESK_WECHAT_TEMPLATE_ID",
        "api_base": "REGDESK_WECHAT_API_BASE",
        "page": "REGDESK_WECHAT_PAGE",
        "miniprogram_state": "REGDESK_WECHAT_STATE",
    }
    for key, env in env_map.items():
        if os.environ.get(env):
            wc[key] = os.environ[env]
    known = {f for f in WeChatSettings.__dataclass_fields__}
    unknown = set(wc) - known
    if unknown:
        raise ConfigError(f"unknown [wechat] settings in {config_path()}: {', '.join(sorted(unknown))}")
    if "field_map" in wc and not isinstance(wc["field_map"], dict):
        raise ConfigError(f"[wechat] field_map in {config_path()} must be a table (thing1 = \"patient_name\" ...)")
    wechat = WeChatSettings(**{k: (dict(v) if k == "field_map" else str(v)) for k, v in wc.items()})
    return Config(database_url=url, wechat=wechat, source=source)


def _make_data_dir() -> None:
    """The embedded default lives in the user's data folder, which a fresh machine does not have
    yet: create it (only for the default: a folder named in --db must exist already)."""
    folder = data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the data folder {str(folder)[:200]}: {exc.strerror}") from None
