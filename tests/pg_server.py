"""A throwaway PostgreSQL server for the database-source tests (a real server, not a mock).

``pg_server`` (session-scoped) runs initdb into a temporary folder with password (scram-sha-256) login for
the user ``retro``, starts the server with pg_ctl on 127.0.0.1 and a free port, and stops it and removes the
folder at the end. PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` or ``nobody``
user. Where no server can start (binaries missing, no unprivileged user), the tests that use it skip with
the reason. Use it from a test module with ``from pg_server import pg_server  # noqa: F401``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

USER = "retro"
PASSWORD = "retro-test-pw-7f3a"
DATABASE = "shop"


class Unavailable(Exception):
    """PostgreSQL cannot be started here; the message says why."""


@dataclass
class PgServer:
    """A running server: where it listens and how to log in."""

    host: str
    port: int
    user: str = USER
    password: str = PASSWORD
    database: str = DATABASE
    _stop: list = field(default_factory=list, repr=False)

    def url(self, database: str | None = None) -> str:
        """An SQLAlchemy URL without the password, as a campaign YAML would give it."""
        return f"postgresql+psycopg2://{self.user}@{self.host}:{self.port}/{database or self.database}"

    def execute(self, sql: str, database: str | None = None) -> None:
        """Run SQL as the server's owner (autocommit), e.g. to create test tables."""
        import psycopg2

        conn = psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database or self.database,
        )
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()

    def stop(self) -> None:
        for step in reversed(self._stop):
            step()
        self._stop.clear()


def find_bindir() -> Path | None:
    """The folder with initdb and pg_ctl: $PG_BINDIR, ``pg_config --bindir``, the newest Debian install, PATH."""
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    if shutil.which("pg_config"):
        try:
            out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=10).stdout
            candidates.append(Path(out.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += [Path(p) for p in sorted(versions, key=lambda p: int(Path(p).parent.name or 0), reverse=True)]
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).parent)
    for d in candidates:
        if (d / "initdb").is_file() and (d / "pg_ctl").is_file():
            return d
    return None


def _runner() -> tuple[list[str], str | None]:
    """The command prefix that runs a program as an unprivileged user, and that user (None: ourselves)."""
    if os.geteuid() != 0:
        return [], None
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        if shutil.which("runuser"):
            return ["runuser", "-u", user, "--"], user
        if shutil.which("setpriv"):
            entry = pwd.getpwnam(user)
            return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups"], user
    raise Unavailable("running as root and no unprivileged user (postgres, nobody) with runuser or setpriv")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd: list[str], env: dict, what: str, log: Path | None = None) -> None:
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as e:
        raise Unavailable(f"{what} failed: {e}") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        if log is not None and log.is_file():
            detail += log.read_text(errors="replace").strip().splitlines()
        raise Unavailable(f"{what} failed: {' | '.join(detail[-3:])}")


def start_server() -> PgServer:
    """Initialise and start a server in a fresh temporary folder; raises Unavailable with the reason."""
    bindir = find_bindir()
    if bindir is None:
        raise Unavailable("initdb/pg_ctl not found (install Debian's postgresql package)")
    prefix, user = _runner()
    root = Path(tempfile.mkdtemp(prefix="retro-pg-"))
    server = PgServer("127.0.0.1", 0)
    server._stop.append(lambda: shutil.rmtree(root, ignore_errors=True))
    try:
        pwfile = root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if user is not None:
            entry = pwd.getpwnam(user)
            for p in (root, pwfile):
                os.chown(p, entry.pw_uid, entry.pw_gid)
        os.chmod(root, 0o700)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C")
        data = root / "data"
        initdb = [str(bindir / "initdb"), "-D", str(data), "-U", USER, "--auth=scram-sha-256"]
        _run([*prefix, *initdb, f"--pwfile={pwfile}", "-E", "UTF8", "--no-locale"], env, "initdb")
        pwfile.unlink()
        log = root / "server.log"
        for _attempt in range(3):
            port = _free_port()
            options = (
                f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off"
            )
            ctl = [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options]
            try:
                _run([*prefix, *ctl, "start"], env, "pg_ctl start", log)
                break
            except Unavailable:
                if _attempt == 2:
                    raise
        stop = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        server._stop.append(lambda: subprocess.run([*prefix, *stop], env=env, capture_output=True, timeout=60))
        server.port = port
        server.execute(f"CREATE DATABASE {DATABASE}", database="postgres")
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def pg_server():
    """A running PostgreSQL server for the session; skips the test with the reason where none can start."""
    try:
        server = start_server()
    except Unavailable as e:
        pytest.skip(f"PostgreSQL not available: {e}")
    try:
        yield server
    finally:
        server.stop()
