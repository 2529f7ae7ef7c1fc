"""`regdesk config set-password`: keep the database password in the OS credential store.

The password of the URL in effect (``--db``, ``REGDESK_DATABASE_URL`` or the config file's
``[database] url``, which then carries no password) is checked against the server and stored
with the ``keyring`` package (Windows Credential Manager on the clinic PCs); the config file
says ``password = "keyring"`` under ``[database]`` to use it (services/config.py).
"""
from __future__ import annotations

import argparse

from sqlalchemy import text
from sqlalchemy.engine import make_url

from services import config as config_mod
from services.cli import UsageError
from services.config import Config
from services.db import make_engine
from services.errors import ConfigError


def register(sub, common) -> None:
    p = sub.add_parser("config", parents=[common], help="this computer's regdesk configuration")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True, parser_class=type(p))
    sp = csub.add_parser("set-password", parents=[common],
                         help="store the database password in the operating system's credential store")
    sp.add_argument("--password-stdin", action="store_true", help="read the password as one line from stdin")
    sp.set_defaults(func=cmd_set_password)


def cmd_set_password(args: argparse.Namespace, cfg: Config) -> int:
    from services.cli.cmd_staff import read_password
    url = cfg.database_url
    u = make_url(config_mod.keyring_key(url))
    if u.get_backend_name() == "sqlite":
        raise UsageError("an SQLite file has no password")
    if make_url(url).password is not None:
        raise UsageError("the database URL already holds a password: remove it from the URL first")
    keyring = config_mod._keyring()
    password = read_password(args.password_stdin)
    if not password:
        raise UsageError("an empty password is not stored")
    engine = make_engine(u.set(password=password).render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:  # never store a password the server refuses
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    key = config_mod.keyring_key(url)
    try:
        keyring.set_password(config_mod.KEYRING_SERVICE, key, password)
    except Exception as exc:
        raise ConfigError(f"cannot write to the credential store: {exc}") from exc
    print(f"password for {key} stored in {type(keyring.get_keyring()).__name__}")
    data = config_mod._read_file(config_mod.config_path())
    if data.get("database", {}).get("password") != "keyring":
        print(f'to use it, put password = "keyring" under [database] in {config_mod.config_path()}')
    return 0
