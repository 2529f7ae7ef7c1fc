"""Chinese on a MySQL/MariaDB database whose default character set is latin1 (upstream MariaDB before
11.6, MySQL 5.7): `regdesk db upgrade` makes every table utf8mb4, or refuses in one line saying what to do."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.cli import main
from services.db import Database
from tests import factories as f
from tests.dbs import MY_ADMIN, fresh_database

PASSWORD = "pw-for-tests-only-1"


@pytest.fixture
def latin1_db(tmp_path):
    """A database created CHARACTER SET latin1 on the machine's MariaDB: (admin engine, name, URL)."""
    with fresh_database("mariadb", tmp_path, charset="latin1") as url:
        admin = create_engine(MY_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        try:
            yield admin, make_url(url).database, url.split("?")[0]
        finally:
            admin.dispose()


def _charsets(admin, name: str) -> set[str]:
    with admin.connect() as c:
        return set(c.execute(text(
            "SELECT DISTINCT cs.character_set_name FROM information_schema.tables t"
            " JOIN information_schema.collation_character_set_applicability cs ON cs.collation_name = t.table_collation"
            " WHERE t.table_schema = :n AND t.table_type = 'BASE TABLE'"), {"n": name}).scalars())


def test_upgrade_makes_a_latin1_database_hold_chinese(latin1_db, capsys):
    admin, name, url = latin1_db
    assert main(["db", "upgrade", "--db", url]) == 0
    assert _charsets(admin, name) == {"utf8mb4"}
    assert main(["demo", "seed", "--days", "2", "--db", url]) == 0, capsys.readouterr().err
    assert "市第一人民医院" in capsys.readouterr().out
    db = Database(url)
    try:
        pid = f.patient(db, name="欧阳娜娜")
        with db.read() as c:
            assert c.execute(text("SELECT name FROM patients WHERE id = :p"), {"p": pid}).scalar_one() == "欧阳娜娜"
            assert c.execute(text("SELECT name FROM hospitals")).scalar_one() == "市第一人民医院"
    finally:
        db.dispose()


def test_upgrade_refuses_in_one_line_where_it_cannot_change_the_default(latin1_db, capsys):
    """An owner without the ALTER privilege cannot switch the default: one line, what to run, and no table."""
    admin, name, _url = latin1_db
    user = "rdt_l1_" + uuid.uuid4().hex[:8]
    with admin.connect() as c:
        c.execute(text(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{PASSWORD}'"))
        c.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, REFERENCES, TRIGGER,"
                       f" CREATE VIEW ON `{name}`.* TO '{user}'@'%'"))
    try:
        url = make_url(MY_ADMIN).set(username=user, password=PASSWORD, database=name).render_as_string(False)
        assert main(["db", "upgrade", "--db", url]) != 0
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "latin1" in err and "CHARACTER SET utf8mb4" in err, err
        assert "Traceback" not in err
        assert _charsets(admin, name) == set()  # nothing half made
    finally:
        with admin.connect() as c:
            c.execute(text(f"DROP USER IF EXISTS '{user}'@'%'"))
