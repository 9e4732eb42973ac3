"""A PostgreSQL server of the suite's own, playing a company's data warehouse.

Unlike the machine's PostgreSQL (trust authentication, where Fourfold itself runs), this
one logs nobody in without a password (scram-sha-256), as a warehouse a SQL source reads
from should. It listens on 127.0.0.1 on a free port, in a folder of the test run's own, and
is stopped when the run ends.
"""

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

SUPERUSER_PASSWORD = "warehouse-superuser-password"
READER_PASSWORD = "reader-password-of-the-source"


@dataclass(frozen=True)
class Warehouse:
    host: str
    port: int
    dbname: str
    user: str  # a read-only role with a password, as a source should use
    password: str

    def admin(self, dbname: str | None = None) -> psycopg.Connection:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            dbname=dbname or self.dbname,
            user="postgres",
            password=SUPERUSER_PASSWORD,
            autocommit=True,
        )


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    """initdb and the server refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextlib.contextmanager
def warehouse_server():
    bindir = _bindir()
    folder = Path(tempfile.mkdtemp(prefix="fourfold-warehouse-"))
    data, sockets, pwfile = folder / "data", folder / "sockets", folder / "pw"
    sockets.mkdir()
    pwfile.write_text(SUPERUSER_PASSWORD)
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        for path in (folder, sockets, pwfile):
            os.chown(path, postgres.pw_uid, postgres.pw_gid)
    port = _free_port()
    subprocess.run(
        _as_postgres(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    # The server's output goes to its log file: a pipe it kept open would hold run() forever.
    log = folder / "server.log"
    subprocess.run(
        _as_postgres(
            [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]
        ),
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    warehouse = Warehouse("127.0.0.1", port, "warehouse", "reader", READER_PASSWORD)
    try:
        with warehouse.admin("postgres") as conn:
            conn.execute("CREATE DATABASE warehouse")
            conn.execute(f"CREATE ROLE reader LOGIN PASSWORD '{READER_PASSWORD}'")
        with warehouse.admin() as conn:
            conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
            conn.execute(
                "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO reader"
            )
        yield warehouse
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
