"""A throwaway PostgreSQL server for the test run, started from Debian's binaries.

PostgreSQL refuses to run as root, and CI runs as root, so there the server runs as the
``postgres`` user through ``runuser``. Durability settings are off: the data dies with the run.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def find_bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.insert(0, str(Path(on_path).resolve().parent))
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found: install Debian's 'postgresql' package "
        "(make test does this for you)"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    bindir: Path
    base: Path
    port: int
    as_user: list[str]
    settings: tuple[str, ...] = ()  # extra ``name=value`` server settings

    @property
    def datadir(self) -> Path:
        return self.base / "data"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run(
            str(self.bindir / "initdb"),
            "-D", str(self.datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8",
        )  # fmt: skip
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.base} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        ) + "".join(f" -c {setting}" for setting in self.settings)
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-o", options,
            "-l", str(self.base / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip

    def restart(self) -> None:
        """Restart the server (``pg_ctl restart -m fast``, the options it was started with):
        every connection is cut, as in a failover or an operator's restart."""
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast",
            "-l", str(self.base / "server.log"), "-w", "-t", "60", "restart",
        )  # fmt: skip

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres").replace("+psycopg", ""), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}"')
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def start_postgres(settings: tuple[str, ...] = ()) -> PostgresServer:
    """Start a fresh server on a free loopback port (with extra ``name=value`` ``settings``);
    the caller stops it."""
    bindir = find_bindir()
    base = Path(tempfile.mkdtemp(prefix="loyalpass-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            raise PostgresUnavailable("running as root needs runuser to start PostgreSQL")
        shutil.chown(base, "postgres", "postgres")
        as_user = [runuser, "-u", "postgres", "--"]
    os.chmod(base, 0o700)
    server = PostgresServer(
        bindir=bindir, base=base, port=_free_port(), as_user=as_user, settings=settings
    )
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        log = base / "server.log"
        detail = log.read_text() if log.exists() else exc.stderr.decode(errors="replace")
        shutil.rmtree(base, ignore_errors=True)
        raise PostgresUnavailable(f"PostgreSQL did not start: {detail[-2000:]}") from exc
    return server
