"""Shared fixtures: fresh databases of every kind, migrated to the newest schema."""
from __future__ import annotations

import os
import time

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The tests run as a clinic PC in the hospital's zone (services/clock.py's default), so a test's
# dt.date.today() is the hospital's today whatever the zone of the machine running the suite;
# tests/integration/test_hospital_clock.py runs the jobs in UTC against it.
os.environ["TZ"] = "Asia/Shanghai"
if hasattr(time, "tzset"):
    time.tzset()

from services.db import Database  # noqa: E402
from services import clock, migrate  # noqa: E402
from tests.dbs import DIALECTS, fresh_database  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    """No test touches the user's real data or config folders."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("REGDESK_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("REGDESK_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("REGDESK_LOG_DIR", str(home / "log"))
    for var in ("REGDESK_DATABASE_URL", "REGDESK_WECHAT_APPID", "REGDESK_WECHAT_SECRET",
                "REGDESK_WECHAT_TEMPLATE_ID", "REGDESK_WECHAT_API_BASE"):
        monkeypatch.delenv(var, raising=False)
    yield
    clock.use_zone(clock.DEFAULT_ZONE)  # a test that loaded or set another zone leaves none behind


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
