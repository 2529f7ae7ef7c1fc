"""A throwaway 3-node MariaDB Galera cluster on 127.0.0.1, for tests, benchmarks and humans.

    python -m tests.galera start DIR [--base PORT]   # data, logs and pid files under DIR; prints the URLs
    python -m tests.galera stop DIR

Node i (0, 1, 2) listens on base+i (SQL), base+10+i (group communication, gcomm://), base+20+i
(incremental state transfer) and base+30+i (rsync state transfer). The default base, 24300, is below
Linux's ephemeral range (32768-60999), so an outgoing connection of another program cannot be holding
one of those ports; ``free_base()`` still checks that all twelve are free and moves up by 100 if not. Node 1 is bootstrapped with --wsrep-new-cluster, nodes 2 and 3 join it
by a full state transfer (rsync) into an empty data folder; start() returns once all three report
wsrep_cluster_size 3 and wsrep_ready ON (about 20-30 s on two cores).

Nodes are never left running forever: start() first stops whatever a previous run left in DIR (its pid
files), and ``Cluster.watchdog()`` (what the pytest fixture uses) starts a small process that stops the
nodes as soon as the pipe from its parent closes, which happens however the parent ends, a kill -9
included. The CLI's ``start`` leaves the nodes running until ``stop``, as a human expects.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

NODES = 3
DEFAULT_BASE = 24300
PORT_OFFSETS = tuple(k * 10 + i for k in range(4) for i in range(3))  # SQL, gcomm, IST, SST per node
PROVIDER_CANDIDATES = ("/usr/lib/galera/libgalera_smm.so", "/usr/lib/galera-4/libgalera_smm.so",
                       "/usr/lib64/galera-4/libgalera_smm.so", "/usr/lib/libgalera_smm.so")
START_TIMEOUT = 120.0  # generous: a bounded wait, normally ~30 s


class GaleraUnavailable(RuntimeError):
    """The binaries are missing, or the cluster did not come up (the message says why)."""


def _binary(name: str) -> str | None:
    for folder in ("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"):
        path = Path(folder) / name
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return shutil.which(name)


def missing() -> str | None:
    """What is missing to run a cluster on this machine, or None."""
    for name in ("mariadbd", "mariadb-install-db", "rsync", "wsrep_sst_rsync"):
        if _binary(name) is None:
            return f"{name} not found"
    if provider() is None:
        return "libgalera_smm.so (Debian package galera-4) not found"
    return None


def free_base(preferred: int = DEFAULT_BASE, tries: int = 20) -> int:
    """The first base from ``preferred`` (in steps of 100) whose twelve ports are all free on 127.0.0.1."""
    import socket
    for base in range(preferred, preferred + 100 * tries, 100):
        try:
            for offset in PORT_OFFSETS:
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise GaleraUnavailable(f"no free ports for a cluster from {preferred} to {preferred + 100 * tries}")


def provider() -> str | None:
    return next((p for p in PROVIDER_CANDIDATES if Path(p).is_file()), None)


@dataclass
class Cluster:
    folder: Path
    base: int = DEFAULT_BASE
    _procs: dict = field(default_factory=dict)  # node -> Popen, kept so that stop() can reap them

    def port(self, i: int) -> int:
        return self.base + i

    def url(self, i: int, database: str = "", driver: str = "mysql+pymysql") -> str:
        return f"{driver}://root@127.0.0.1:{self.port(i)}/{database}"

    def urls(self, database: str = "") -> list[str]:
        return [self.url(i, database) for i in range(NODES)]

    def _node(self, i: int) -> Path:
        return self.folder / f"node{i + 1}"

    def _pidfile(self, i: int) -> Path:
        return self.folder / f"node{i + 1}.pid"

    def _config(self, i: int) -> Path:
        gcomm = ",".join(f"127.0.0.1:{self.base + 10 + j}" for j in range(NODES))
        text = f"""[mariadbd]
user = {_run_as()}
datadir = {self._node(i)}
socket = {self.folder / f'node{i + 1}.sock'}
pid-file = {self._pidfile(i)}
log-error = {self.folder / f'node{i + 1}.err'}
port = {self.port(i)}
bind-address = 127.0.0.1
skip-name-resolve
character-set-server = latin1
collation-server = latin1_swedish_ci
default_storage_engine = InnoDB
binlog_format = ROW
innodb_autoinc_lock_mode = 2
innodb_buffer_pool_size = 96M
innodb_log_file_size = 16M
innodb_flush_log_at_trx_commit = 0
performance_schema = OFF
max_connections = 400
wsrep_on = ON
wsrep_provider = {provider()}
wsrep_cluster_name = regdesk_test
wsrep_cluster_address = gcomm://{gcomm}
wsrep_node_name = node{i + 1}
wsrep_node_address = 127.0.0.1:{self.base + 10 + i}
wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:{self.base + 10 + i};ist.recv_addr=127.0.0.1:{self.base + 20 + i};gcache.size=64M;evs.suspect_timeout=PT5S;evs.inactive_timeout=PT10S"
wsrep_sst_method = rsync
wsrep_sst_receive_address = 127.0.0.1:{self.base + 30 + i}
wsrep_slave_threads = 2
"""
        path = self.folder / f"node{i + 1}.cnf"
        path.write_text(text)
        return path

    # ------------------------------------------------------------ start / stop

    def start(self) -> None:
        """Start the three nodes (from scratch) and wait until the cluster is whole and ready."""
        why = missing()
        if why:
            raise GaleraUnavailable(why)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.stop()  # whatever a previous run left here
        for i in range(NODES):
            shutil.rmtree(self._node(i), ignore_errors=True)
            self._node(i).mkdir()
        cnf = [self._config(i) for i in range(NODES)]
        _hand_over(self.folder)
        init = subprocess.run([_binary("mariadb-install-db"), f"--defaults-file={cnf[0]}",
                               "--auth-root-authentication-method=normal", "--skip-test-db",
                               "--wsrep-on=OFF"], capture_output=True, text=True)
        if init.returncode != 0:
            raise GaleraUnavailable(f"mariadb-install-db failed: {init.stderr.strip()[-300:]}")
        try:
            self._launch(0, cnf[0], "--wsrep-new-cluster")
            self._wait(lambda: self._ready(0), f"node 1 did not come up on port {self.port(0)}")
            for i in (1, 2):  # one donor, one state transfer at a time
                self._launch(i, cnf[i])
                self._wait(lambda i=i: self._ready(i), f"node {i + 1} did not join (port {self.port(i)})")
            self._wait(lambda: all(self._status(i, "wsrep_cluster_size") == str(NODES) for i in range(NODES)),
                       "the cluster never reached 3 nodes")
        except BaseException:
            self.stop()
            raise

    def _launch(self, i: int, cnf: Path, *extra: str) -> None:
        log = open(self.folder / f"node{i + 1}.out", "ab")
        proc = subprocess.Popen([_binary("mariadbd"), f"--defaults-file={cnf}", *extra],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        log.close()
        self._procs[i] = proc
        (self.folder / f"node{i + 1}.launched").write_text(str(proc.pid))

    def _status(self, i: int, name: str) -> str | None:
        import pymysql
        try:
            conn = pymysql.connect(host="127.0.0.1", port=self.port(i), user="root", connect_timeout=2)
        except pymysql.Error:
            return None
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW GLOBAL STATUS LIKE %s", (name,))
                row = cur.fetchone()
                return None if row is None else str(row[1])
        except pymysql.Error:
            return None
        finally:
            conn.close()

    def _ready(self, i: int) -> bool:
        return self._status(i, "wsrep_ready") == "ON" and self._status(i, "wsrep_local_state_comment") == "Synced"

    def _wait(self, condition, message: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if condition():
                return
            if any(self._died(i) for i in range(NODES)):
                break
            time.sleep(0.2)
        tail = ""
        for i in range(NODES):
            err = self.folder / f"node{i + 1}.err"
            if err.exists():
                lines = [ln for ln in err.read_text(errors="replace").splitlines() if "ERROR" in ln]
                tail += "".join(f"\n  node{i + 1}: {ln}" for ln in lines[-3:])
        raise GaleraUnavailable(message + (tail or f" (logs in {self.folder})"))

    def _pids(self, i: int) -> list[int]:
        pids = []
        for path in (self._pidfile(i), self.folder / f"node{i + 1}.launched"):
            try:
                pids.append(int(path.read_text().strip()))
            except (OSError, ValueError):
                pass
        return sorted(set(pids))

    def _died(self, i: int) -> bool:
        """A node launched by this run that has exited already."""
        launched = self.folder / f"node{i + 1}.launched"
        if not launched.exists():
            return False
        pid = int(launched.read_text().strip())
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            return done == pid
        except ChildProcessError:
            return not _alive(pid)

    def stop(self) -> None:
        """Stop every node this folder knows of (SIGTERM, then SIGKILL after a bounded wait)."""
        pids = [p for i in range(NODES) for p in self._pids(i) if _is_mariadbd(p)]
        for pid in pids:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in pids:
            _signal(pid, signal.SIGKILL)
        for proc in self._procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self._procs.clear()
        for i in range(NODES):
            for path in (self._pidfile(i), self.folder / f"node{i + 1}.launched"):
                path.unlink(missing_ok=True)

    def watchdog(self) -> subprocess.Popen:
        """A process that stops the cluster when the pipe from this process closes (keep the returned
        object referenced; closing its stdin, or this process ending in any way, stops the cluster)."""
        return subprocess.Popen([sys.executable, "-m", "tests.galera", "watch", str(self.folder),
                                 "--base", str(self.base)], stdin=subprocess.PIPE,
                                cwd=str(Path(__file__).resolve().parent.parent), start_new_session=True)


def _run_as() -> str:
    """The account the nodes run as: as root, ``mysql`` (rsync's state-transfer daemon started by root
    would drop to ``nobody`` and could not write the joiner's data folder); else the current user."""
    if os.geteuid() != 0:
        import pwd
        return pwd.getpwuid(os.geteuid()).pw_name
    return "mysql"


def _hand_over(folder: Path) -> None:
    """Give the cluster's folder to the account the nodes run as (a no-op unless we are root); its
    parent folders must let that account through (a folder under /tmp does)."""
    if os.geteuid() != 0:
        return
    import pwd
    pw = pwd.getpwnam(_run_as())
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, pw.pw_uid, pw.pw_gid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done != pid
    except ChildProcessError:
        return True


def _is_mariadbd(pid: int) -> bool:
    """Only ever signal a mariadbd (a stale pid file may name a process that has reused the pid)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() in ("mariadbd", "mysqld")
    except OSError:
        return False


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.galera", description="a throwaway 3-node Galera cluster")
    ap.add_argument("action", choices=("start", "stop", "watch"))
    ap.add_argument("folder")
    ap.add_argument("--base", type=int, default=DEFAULT_BASE, help="first port (default %(default)s)")
    args = ap.parse_args(argv)
    cluster = Cluster(Path(args.folder).resolve(), args.base)
    if args.action == "watch":  # internal: wait for the parent's pipe to close, then stop the nodes
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        sys.stdin.buffer.read()
        cluster.stop()
        return 0
    if args.action == "stop":
        cluster.stop()
        return 0
    started = time.monotonic()
    try:
        cluster.base = free_base(args.base)
        cluster.start()
    except GaleraUnavailable as exc:
        print(f"galera: {exc}", file=sys.stderr)
        return 1
    print(f"galera: 3 nodes ready in {time.monotonic() - started:.0f} s; stop with: python -m tests.galera stop "
          f"{cluster.folder}")
    for url in cluster.urls():
        print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())


# ---------------------------------------------------------------- for the tests (tests/conftest.py)

def fresh_database(cluster: Cluster) -> contextlib.AbstractContextManager[list[str]]:
    """A new database on the cluster, created with the server's default character set (latin1 here,
    as on upstream MariaDB before 11.6), dropped afterwards: yields its URL on each node."""
    import uuid

    import pymysql

    @contextlib.contextmanager
    def cm():
        name = "regdesk_g_" + uuid.uuid4().hex[:12]
        conn = pymysql.connect(host="127.0.0.1", port=cluster.port(0), user="root", autocommit=True)
        try:
            with conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE `{name}`")
            yield [u + "?charset=utf8mb4" for u in cluster.urls(name)]
        finally:
            try:
                with conn.cursor() as cur:
                    cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            finally:
                conn.close()
    return cm()
