"""services.migrate.HEAD, which the console compares with the database's revision at every start without
importing Alembic, is the newest revision in services/migrations/versions."""
from __future__ import annotations

import subprocess
import sys

from services import migrate


def test_head_is_the_newest_migration():
    assert migrate.HEAD == migrate.head_revision(), (
        f"services/migrate.py HEAD is {migrate.HEAD!r} but the newest migration is {migrate.head_revision()!r}")


def test_checking_a_schema_imports_no_alembic(tmp_path):
    """What the console does before the log-in (open the database, check its schema) loads no Alembic."""
    from services.db import Database
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    code = ("import sys; from services import migrate; from services.db import Database; "
            f"migrate.check(Database({url!r})); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
