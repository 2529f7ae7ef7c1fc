"""Shared fixtures: fresh databases of every kind, migrated to the newest schema."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from services.db import Database
from services import migrate
from tests.dbs import DIALECTS, fresh_database


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    """No test touches the user's real data or config folders."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("REGDESK_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("REGDESK_CONFIG", str(home / "config.toml"))
    for var in ("REGDESK_DATABASE_URL", "REGDESK_WECHAT_APPID", "REGDESK_WECHAT_SECRET",
                "REGDESK_WECHAT_TEMPLATE_ID", "REGDESK_WECHAT_API_BASE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(params=DIALECTS)
def db_url(request, tmp_path):
    """The URL of a fresh, empty database; one test per dialect."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def db(db_url):
    """A fresh database of each dialect, migrated to head."""
    database = Database(db_url)
    migrate.upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path):
    """A migrated SQLite database only (for tests where the dialect does not matter)."""
    with fresh_database("sqlite", tmp_path) as url:
        database = Database(url)
        migrate.upgrade(database)
        yield database
        database.dispose()
