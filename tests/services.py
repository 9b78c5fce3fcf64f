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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"

# What configures the app when set in the shell of whoever runs the tests: its settings, and
# the variables of what it drives (Flask's command line, boto3, libpq). The tests set every
# setting they rely on; these are cleared first (``tests/conftest.py``), so that the suite
# gives the same result on a laptop and on a server where the app is configured. The suite's
# own variables (``ACCREDITATION_TEST_*``, above) are kept.
APP_VARIABLES = ("ACCREDITATION_", "FLASK_", "AWS_", "PG")
SUITE_VARIABLES = "ACCREDITATION_TEST_"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def is_app_variable(name: str) -> bool:
    return name.startswith(APP_VARIABLES) and not name.startswith(SUITE_VARIABLES)


def environment_without_app_settings(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``environ`` (this process's environment by default) without the app's
    settings, for the processes a test starts, which add the settings they rely on. Where a
    proxy is set, the services the tests start on loopback are reached directly."""
    environ = dict(os.environ if environ is None else environ)
    cleaned = {name: value for name, value in environ.items() if not is_app_variable(name)}
    if any(name.lower() in PROXY_VARIABLES for name in cleaned):
        for name in ("no_proxy", "NO_PROXY"):
            given = [host for host in cleaned.get(name, "").split(",") if host.strip()]
            cleaned[name] = ",".join([*given, *(host for host in LOOPBACK if host not in given)])
    return cleaned


def clear_app_settings() -> None:
    """Make this process's environment ``environment_without_app_settings()``."""
    cleaned = environment_without_app_settings()
    for name in [name for name in os.environ if name not in cleaned]:
        del os.environ[name]
    os.environ.update(cleaned)


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
