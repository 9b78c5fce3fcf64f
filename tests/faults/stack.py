"""Real processes for the fault tests and the load test (``bench/load.py``).

A PostgreSQL server of our own (so that a test may stop and start it without disturbing the
rest of the suite), SeaweedFS, the app under gunicorn, and a browser-like HTTP session. Under
``CI=true`` a service that cannot be had fails the run (``tests/services.unavailable``).
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import sqlalchemy as sa

from ..services import (
    PostgresServer,
    _run_as_owner,
    environment_without_app_settings,
    free_port,
    start_postgres,
)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GUNICORN_CONFIG = ROOT / "gunicorn.conf.py"  # production's own settings
SECRET = "fault-and-load-secret-" + "k" * 32
PASSWORD = "correct horse battery staple"  # tests.factories.TEST_PASSWORD  # noqa: S105
# Cheap password hashing: sign-ins are part of the load, the hash cost is a setting.
CHEAP_HASHING = {"ACCREDITATION_ARGON2_TIME_COST": "1", "ACCREDITATION_ARGON2_MEMORY_COST": "1024"}


# --- PostgreSQL --------------------------------------------------------------------------------

def start_own_postgres() -> PostgresServer:
    """A throwaway server started here, even when the suite was given one: these tests stop
    and start it. It is restarted at once with ``synchronous_commit`` on (the suite's server
    has it off for speed), so that a commit it acknowledged survives a crash of the server."""
    given = os.environ.pop("ACCREDITATION_TEST_POSTGRES_URL", None)
    try:
        server = start_postgres()
    finally:
        if given is not None:
            os.environ["ACCREDITATION_TEST_POSTGRES_URL"] = given
    stop_postgres_now(server)
    start_postgres_again(server)
    return server


def _pg_ctl(server: PostgresServer, *args: str) -> None:
    _run_as_owner([str(server.bin_dir / "pg_ctl"), "-D", str(server.directory / "data"),
                   *args])


def stop_postgres_now(server: PostgresServer) -> None:
    """Stop as a crash would (``-m immediate``): connections are cut, nothing is flushed."""
    _pg_ctl(server, "-m", "immediate", "-w", "stop")


def start_postgres_again(server: PostgresServer) -> None:
    port = sa.make_url(server.url).port
    _pg_ctl(server, "-l", str(server.directory / "log"), "-w", "-o",
            f"-p {port} -k {server.directory} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200", "start")


def new_database(server: PostgresServer, name: str, template: str | None = None) -> str:
    engine = sa.create_engine(server.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        suffix = f' TEMPLATE "{template}"' if template else ""
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"{suffix}')
    engine.dispose()
    return database_url(server, name)


def database_url(server: PostgresServer, name: str) -> str:
    return server.url.rsplit("/", 1)[0] + "/" + name


# --- gunicorn ----------------------------------------------------------------------------------

def _temporary_folder(prefix: str) -> str:
    """A new folder in the system's temp folder, removed when the test process ends."""
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def app_environment(database: str, **extra: str) -> dict[str, str]:
    """The app's settings as a deployment would give them (development: cookies over HTTP)."""
    return {**environment_without_app_settings(),
            "ACCREDITATION_ENV": "development", "ACCREDITATION_SECRET_KEY": SECRET,
            "ACCREDITATION_DATABASE_URL": database, **CHEAP_HASHING,
            # The workers' shared register pages: in the system's temp folder, not the checkout.
            "ACCREDITATION_REGISTER_CACHE_PATH": _temporary_folder("accreditation-pages-"),
            **extra}


def s3_environment(server, bucket: str) -> dict[str, str]:
    return {"ACCREDITATION_STORAGE": "s3", "ACCREDITATION_S3_BUCKET": bucket,
            "ACCREDITATION_S3_ENDPOINT_URL": server.endpoint_url,
            "ACCREDITATION_S3_REGION": "us-east-1",
            "ACCREDITATION_S3_ACCESS_KEY_ID": server.access_key,
            "ACCREDITATION_S3_SECRET_ACCESS_KEY": server.secret_key}


class Gunicorn:
    """``gunicorn 'accreditation:create_app()'`` on a free loopback port."""

    def __init__(self, environment: dict[str, str], *, workers: int = 2, threads: int | None = 1,
                 log_path: Path | None = None, timeout: int = 30, access_log: bool = False):
        """``threads`` 1 runs sync workers, more gthread ones; None leaves the worker class and
        threads to ``gunicorn.conf.py``."""
        self.environment = environment
        self.access_log = access_log  # written with the server's own log
        self.workers = workers
        self.threads = threads
        self.timeout = timeout
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, ready_within: float = 60) -> Gunicorn:
        log = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        command = [str(BIN / "gunicorn"), "--config", str(GUNICORN_CONFIG),
                   "--workers", str(self.workers),
                   *self._worker_options(), "--bind", f"127.0.0.1:{self.port}",
                   "--timeout", str(self.timeout), "--graceful-timeout", "5",
                   "--log-level", "warning",
                   *(["--access-logfile", "-"] if self.access_log else []),
                   "accreditation:create_app()"]
        try:
            self.process = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
                command, cwd=ROOT, env=self.environment, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL)
        finally:
            if self.log_path:
                log.close()
        self.wait_until_serving(ready_within)
        return self

    def _worker_options(self) -> list[str]:
        if self.threads is None:
            return []
        return ["--worker-class", "gthread" if self.threads > 1 else "sync",
                "--threads", str(self.threads)]

    def wait_until_serving(self, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_tail()}")
            try:
                answered = requests.get(self.url + "/accessibility", timeout=5).status_code
                if answered == 200 and len(self.worker_pids()) == self.workers:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not serve within {within} s: {self.log_tail()}")

    def worker_pids(self) -> set[int]:
        """The master's children: its workers."""
        children = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid and fields[0] != "Z":
                children.add(int(stat.parent.name))
        return children

    def log_tail(self, characters: int = 3000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-characters:]

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.process = None


# --- a browser ---------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(page: str) -> str:
    match = _CSRF.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def health_details(server: Gunicorn) -> tuple[int, dict]:
    """``accreditation health`` with the server's settings, as an operator runs it on the
    host: its exit status and the details."""
    run = subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-c", "from accreditation.command import main; main()", "health"],
        cwd=ROOT, env=server.environment, capture_output=True, text=True, timeout=120)
    assert run.stdout.startswith("{"), run.stdout[-2000:] + run.stderr[-2000:]
    return run.returncode, json.loads(run.stdout)


class Browser(requests.Session):
    """Cookies, CSRF tokens from the form's page, no redirects followed."""

    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        if url.startswith("/"):
            url = self.base_url + url
        return super().request(method, url, *args, **kwargs)

    def submit(self, url: str, data: dict, *, form_page: str | None = None, **kwargs):
        token = csrf_token(self.get(form_page or url).text)
        return self.post(url, data={**data, "csrf_token": token}, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        response = self.submit("/sign-in", {"email": email, "password": password})
        assert response.status_code == 302, (response.status_code, response.text[:500])
