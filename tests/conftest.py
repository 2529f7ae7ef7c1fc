"""Shared fixtures: fresh databases of every kind, migrated to the newest schema."""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The tests run as a clinic PC in the hospital's zone (services/clock.py's default), so a test's
# dt.date.today() is the hospital's today whatever the zone of the machine running the suite;
# tests/services/jobs/test_hospital_clock.py runs the jobs in UTC against it.
os.environ["TZ"] = "Asia/Shanghai"
if hasattr(time, "tzset"):
    time.tzset()

from services import clock, migrate
from services.db import Database
from tests.dbs import DIALECTS, fresh_database


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


@pytest.fixture(scope="session")
def galera_cluster():
    """A 3-node MariaDB Galera cluster on loopback (tests/galera.py), started once per test session
    (~15-30 s) and stopped at its end, or by its watchdog if this process is killed. Skipped when the
    binaries are missing, failed then under REGDESK_REQUIRE_SERVERS=1."""
    from tests import galera
    from tests.dbs import _require_servers
    why = galera.missing()
    if why:
        if _require_servers():
            pytest.fail(f"Galera cluster cannot start: {why} (REGDESK_REQUIRE_SERVERS=1)")
        pytest.skip(f"Galera cluster cannot start: {why}")
    # under /tmp, not pytest's private tmp folder: the nodes run as the mysql account when we are root
    folder = Path(tempfile.mkdtemp(prefix="regdesk-galera-", dir="/tmp"))
    dog = None
    try:
        base = galera.free_base(int(os.environ.get("REGDESK_TEST_GALERA_PORT", galera.DEFAULT_BASE)))
        cluster = galera.Cluster(folder, base)
        dog = cluster.watchdog()
        cluster.start()
    except galera.GaleraUnavailable as exc:
        if dog is not None:
            dog.stdin.close()
            dog.wait(60)
        if _require_servers():
            pytest.fail(f"Galera cluster did not start: {exc} (REGDESK_REQUIRE_SERVERS=1)")
        pytest.skip(f"Galera cluster did not start: {exc}")
    yield cluster
    cluster.stop()
    dog.stdin.close()
    dog.wait(60)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def galera_urls(galera_cluster):
    """A fresh database on the Galera cluster (latin1 by the server's default), migrated to head through
    node 1: its URL on each of the three nodes."""
    from tests import galera
    with galera.fresh_database(galera_cluster) as urls:
        database = Database(urls[0])
        migrate.upgrade(database)
        database.dispose()
        yield urls
