"""A deployment as docs/deployment.md describes it, on the machine's PostgreSQL or MariaDB server:
an owner account that is no superuser, a database it owns and migrates, and one account per job
made by `regdesk db grant` as that owner. Accounts are server-wide, so every name is new and
everything is dropped afterwards."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from services import migrate
from services.db import Database
from services.staff import accounts
from tests.dbs import MY_ADMIN, PG_ADMIN, _unavailable

PASSWORD = "pw-for-tests-only-1"
ROLES = ("miniprogram", "desk", "jobs")


@dataclass
class Deployment:
    kind: str
    owner_url: str
    owner: Database
    names: dict[str, str]  # role -> account name
    _dbs: dict[str, Database] = field(default_factory=dict)
    extra: list[str] = field(default_factory=list)  # more account names a test made, dropped afterwards

    def new_name(self, tag: str) -> str:
        """A fresh account name that the teardown drops."""
        name = f"{self.names['desk'][:-4]}{tag}"[:32]
        self.extra.append(name)
        return name

    def url(self, role: str, password: str = PASSWORD) -> str:
        u = make_url(self.owner_url).set(username=self.names[role], password=password)
        return u.render_as_string(hide_password=False)

    def db(self, role: str) -> Database:
        """A Database connected as the account of this job."""
        if role not in self._dbs:
            self._dbs[role] = Database(self.url(role))
        return self._dbs[role]

    def close(self) -> None:
        for d in self._dbs.values():
            d.dispose()
        self.owner.dispose()


def _admin(url: str):
    return create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


@contextmanager
def deployment(kind: str) -> Iterator[Deployment]:
    suffix = uuid.uuid4().hex[:10]
    dbname, owner = f"regdesk_t_{suffix}", f"rdt_own_{suffix}"
    names = {role: f"rdt_{role[:4]}_{suffix}" for role in ROLES}
    if kind == "postgresql":
        admin = _admin(PG_ADMIN)
        try:
            with admin.connect() as c:
                c.execute(text(f'CREATE ROLE "{owner}" LOGIN CREATEROLE PASSWORD \'{PASSWORD}\''))
                c.execute(text(f'CREATE DATABASE "{dbname}" OWNER "{owner}"'))
        except OperationalError as exc:
            admin.dispose()
            _unavailable("PostgreSQL", exc)
        owner_url = make_url(PG_ADMIN).set(username=owner, password=PASSWORD, database=dbname)
        drop = [f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)',
                *(f'DROP ROLE IF EXISTS "{n}"' for n in names.values()), f'DROP ROLE IF EXISTS "{owner}"']
        drop_extra = 'DROP ROLE IF EXISTS "{}"'
    else:
        admin = _admin(MY_ADMIN)
        try:
            with admin.connect() as c:
                c.execute(text(f"CREATE DATABASE `{dbname}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
                c.execute(text(f"CREATE USER '{owner}'@'%' IDENTIFIED BY '{PASSWORD}'"))
                c.execute(text(f"GRANT ALL PRIVILEGES ON `{dbname}`.* TO '{owner}'@'%' WITH GRANT OPTION"))
                c.execute(text(f"GRANT CREATE USER ON *.* TO '{owner}'@'%'"))
        except OperationalError as exc:
            admin.dispose()
            _unavailable("MariaDB", exc)
        owner_url = make_url(MY_ADMIN).set(username=owner, password=PASSWORD, database=dbname)
        owner_url = owner_url.update_query_dict({"charset": "utf8mb4"})
        drop = [f"DROP DATABASE IF EXISTS `{dbname}`",
                *(f"DROP USER IF EXISTS '{n}'@'%'" for n in names.values()), f"DROP USER IF EXISTS '{owner}'@'%'"]
        drop_extra = "DROP USER IF EXISTS '{}'@'%'"
    url = owner_url.render_as_string(hide_password=False)
    dep = Deployment(kind, url, Database(url), names)
    try:
        migrate.upgrade(dep.owner)
        for role, name in names.items():
            accounts.grant(dep.owner, role, name, PASSWORD)
        yield dep
    finally:
        dep.close()
        with admin.connect() as c:
            for stmt in drop + [drop_extra.format(n) for n in dep.extra]:
                c.execute(text(stmt))
        admin.dispose()
