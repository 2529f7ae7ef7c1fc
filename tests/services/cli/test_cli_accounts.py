"""`regdesk db grant`, `db upgrade` granting again, and `regdesk config set-password` with a real
keyring backend (keyrings.alt's plain-text file, in a temporary folder)."""
from __future__ import annotations

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services import config as config_mod
from services.staff import accounts
from tests import factories as f
from tests.deployments import PASSWORD, deployment


@pytest.fixture(params=["postgresql", "mariadb"])
def dep(request):
    with deployment(request.param) as d:
        yield d


def test_db_grant_on_sqlite_says_there_are_no_accounts(sqlite_db, capsys):
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    rc, out, err = f.run_cli(capsys, "db", "grant", "desk", "desk_pc", "--password-stdin", "--db", url,
                        stdin="long-enough-password\n")
    assert (rc, out) == (2, "")
    assert err == f"regdesk: {accounts.NO_ACCOUNTS}\n"


def test_db_grant_creates_updates_and_db_upgrade_grants_again(dep, capsys):
    name = dep.new_name("xtra")
    rc, out, err = f.run_cli(capsys, "db", "grant", "jobs", name, "--password-stdin", "--db", dep.owner_url,
                        stdin="another-long-password\n")
    assert (rc, err) == (0, "")
    assert out.startswith(f"database account {name} created: jobs (")
    # no password given, no terminal: an account this database knows keeps its password
    rc, out, err = f.run_cli(capsys, "db", "grant", "desk", name, "--db", dep.owner_url)
    assert (rc, err) == (0, "") and out.startswith(f"database account {name} updated: desk (")
    if dep.kind == "mariadb":  # (the test server trusts local PostgreSQL connections: no password check)
        engine = create_engine(make_url(dep.owner_url).set(username=name, password="another-long-password"))
        with engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM staff")).scalar() == 0
        engine.dispose()
    rc, out, err = f.run_cli(capsys, "db", "upgrade", "--db", dep.owner_url)
    assert rc == 0, err
    assert out.splitlines()[0].startswith("schema already at")
    granted = out.splitlines()[1]
    assert granted.startswith("privileges granted again: ") and f"{name} (desk)" in granted
    assert f"{dep.names['miniprogram']} (miniprogram)" in granted


def test_a_new_account_without_a_password_is_refused(dep, capsys):
    rc, out, err = f.run_cli(capsys, "db", "grant", "desk", "rdt_never_made_x1", "--db", dep.owner_url)
    assert rc == 2 and "give it a password" in err and err.count("\n") == 1


@pytest.fixture
def file_keyring(tmp_path):
    """keyring's own API over a plain-text file in tmp_path (no OS credential store in CI)."""
    previous = keyring.get_keyring()
    store = PlaintextKeyring()
    store.file_path = str(tmp_path / "keyring_pass.cfg")
    keyring.set_keyring(store)
    yield store
    keyring.set_keyring(previous)


@pytest.mark.parametrize("kind", ["mariadb"])
def test_the_database_password_lives_in_the_credential_store(kind, file_keyring, capsys):
    """A desk PC's config file holds no password: `config set-password` checks it against the server
    and stores it; every command then finds it there."""
    with deployment(kind) as dep:
        bare = config_mod.keyring_key(dep.url("desk"))
        assert PASSWORD not in bare
        config_mod.config_path().write_text(f'[database]\nurl = "{bare}"\npassword = "keyring"\n', encoding="utf-8")
        rc, out, err = f.run_cli(capsys, "staff", "list")
        assert rc == 2 and err == (f"regdesk: no password for {bare} in the credential store: "
                                   "run `regdesk config set-password`\n")
        rc, out, err = f.run_cli(capsys, "config", "set-password", "--password-stdin", stdin="not-the-password\n")
        assert rc == 3 and "Access denied" in err
        assert file_keyring.get_password("regdesk", bare) is None
        rc, out, err = f.run_cli(capsys, "config", "set-password", "--password-stdin", stdin=PASSWORD + "\n")
        assert (rc, err) == (0, "") and out == f"password for {bare} stored in PlaintextKeyring\n"
        assert file_keyring.get_password("regdesk", bare) == PASSWORD
        assert PASSWORD not in config_mod.config_path().read_text(encoding="utf-8")
        rc, out, err = f.run_cli(capsys, "staff", "list")
        assert (rc, err) == (0, "")


def test_the_config_file_never_holds_the_password_itself(tmp_path, capsys):
    config_mod.config_path().write_text('[database]\nurl = "postgresql://desk@db/regdesk"\npassword = "s3cret"\n',
                                        encoding="utf-8")
    rc, out, err = f.run_cli(capsys, "staff", "list")
    assert rc == 2 and 'password may only be "keyring"' in err
