"""Database servers of a test's own, to stop and start at will (never the machine's shared servers):
PostgreSQL through initdb/pg_ctl and MariaDB through mariadb-install-db/mariadbd, each in a temporary
folder on its own port (the job helper's range, 39600-39699). Run as root, PostgreSQL runs as the
``postgres`` user (initdb refuses root) and mariadbd as root (``--user=root``).

A test that finds no server binaries skips, unless REGDESK_REQUIRE_SERVERS=1.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

PG_BIN = next((p for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None) \
    if Path("/usr/lib/postgresql").is_dir() else None


def _missing(what: str) -> None:
    if os.environ.get("REGDESK_REQUIRE_SERVERS") == "1":
        pytest.fail(f"{what} is needed (REGDESK_REQUIRE_SERVERS=1)")
    pytest.skip(f"{what} is not installed")


def free_port(lo: int, hi: int) -> int:
    for port in range(lo, hi):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {lo}-{hi}")


def wait_for(condition, what: str, timeout: float = 60.0, step: float = 0.1):
    """Poll ``condition()`` until it is truthy (returned) or fail after ``timeout`` seconds, saying ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(step)


class OwnPostgres:
    def __init__(self, folder: Path, port: int):
        if PG_BIN is None or not (PG_BIN / "initdb").exists():
            _missing("PostgreSQL (initdb, pg_ctl)")
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:  # pytest's tmp_path is root's alone: the postgres user could not reach it
            folder = Path(tempfile.mkdtemp(prefix="regdesk-own-pg-"))
            shutil.chown(folder, "postgres", "postgres")
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.port = folder, port
        self.data = folder / "pgdata"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{folder}'\n"
                       "fsync = off\nfull_page_writes = off\nsynchronous_commit = off\nshared_buffers = 16MB\n")

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, str(PG_BIN / tool), *args], capture_output=True, text=True,
                              check=check, timeout=120, cwd=self.folder)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self, wait: bool = True) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "start", "-w" if wait else "-W")

    def stop(self, mode: str = "fast", wait: bool = True) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "stop", "-w" if wait else "-W", check=wait)

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def close(self) -> None:
        if self.data.exists() and self.running():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop", "-w", check=False)
        if self.as_user:
            shutil.rmtree(self.folder, ignore_errors=True)


class OwnMariaDB:
    def __init__(self, folder: Path, port: int):
        self.install = shutil.which("mariadb-install-db")
        self.server = shutil.which("mariadbd") or ("/usr/sbin/mariadbd" if Path("/usr/sbin/mariadbd").exists() else None)
        if not self.install or not self.server:
            _missing("MariaDB (mariadb-install-db, mariadbd)")
        self.folder, self.port = folder, port
        self.data, self.socket = folder / "data", folder / "mysqld.sock"
        folder.mkdir(parents=True, exist_ok=True)
        self.user = "root" if os.geteuid() == 0 else None
        args = [self.install, f"--datadir={self.data}", "--auth-root-authentication-method=normal",
                "--skip-test-db", "--no-defaults"]
        if self.user:
            args.append("--user=root")
        subprocess.run(args, capture_output=True, text=True, check=True, timeout=180)
        self.proc: subprocess.Popen | None = None

    def url(self, database: str = "") -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        args = [self.server, "--no-defaults", f"--datadir={self.data}", f"--port={self.port}",
                "--bind-address=127.0.0.1", f"--socket={self.socket}", f"--pid-file={self.folder / 'm.pid'}",
                "--skip-log-bin", "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M",
                "--innodb-flush-log-at-trx-commit=0", "--skip-name-resolve", "--max-connections=60",
                "--log-bin-trust-function-creators=1", f"--log-error={self.folder / 'error.log'}"]
        if self.user:
            args.append("--user=root")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        """A normal shutdown (SIGTERM), waited for."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=120)
        self.proc = None

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=60)
