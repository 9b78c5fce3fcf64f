"""Real services for the test suite, started on loopback when none is given.

``ACCREDITATION_TEST_POSTGRES_URL`` points the suite at an existing PostgreSQL server (a
database URL whose database may be created and dropped). Without it, a throwaway server is
started from the PostgreSQL binaries on this machine. Under ``CI=true`` a service that cannot
be had fails the run; elsewhere its tests are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str):
    """Fail under CI (a missing service is a broken build there), skip elsewhere."""
    if IN_CI:
        pytest.fail(f"required service unavailable under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)  # only outside CI: under CI=true the line above fails instead


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@dataclass
class PostgresServer:
    url: str  # maintenance URL (database "postgres")
    directory: Path | None = None
    bin_dir: Path | None = None

    def stop(self) -> None:
        if self.directory is None:
            return
        _run_as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.directory / "data"),
                       "-m", "immediate", "stop"], check=False)
        shutil.rmtree(self.directory, ignore_errors=True)


def _run_as_owner(command: list[str], check: bool = True) -> subprocess.CompletedProcess:
    # initdb refuses to run as root: run the server as the postgres system user then.
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, check=check, capture_output=True, text=True, timeout=60)


def start_postgres() -> PostgresServer:
    given = os.environ.get("ACCREDITATION_TEST_POSTGRES_URL")
    if given:
        return PostgresServer(url=given)
    bin_dir = _postgres_bin()
    if bin_dir is None:
        unavailable("PostgreSQL is not installed (no initdb found); "
                    "install it or set ACCREDITATION_TEST_POSTGRES_URL")
    directory = Path(tempfile.mkdtemp(prefix="accreditation-pg-"))
    data = directory / "data"
    port = free_port()
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    try:
        _run_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                       "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        _run_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(directory / "log"),
                       "-w", "-o", f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 "
                                   "-c fsync=off -c synchronous_commit=off "
                                   "-c full_page_writes=off", "start"])
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        output = getattr(error, "stderr", "") or ""
        shutil.rmtree(directory, ignore_errors=True)
        unavailable(f"could not start a throwaway PostgreSQL: {error} {output.strip()[-500:]}")
    return PostgresServer(
        url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
        directory=directory, bin_dir=bin_dir,
    )
