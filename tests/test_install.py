"""The production install: a wheel built from the checkout, installed into a virtual environment
of its own and run from outside the checkout, migrates its database and serves the pages and
the built assets. ``accreditation db upgrade`` that cannot migrate exits non-zero, saying why.
"""

from __future__ import annotations

import importlib.util
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import requests
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet

from accreditation import create_app

from .conftest import config_for
from .services import environment_without_app_settings, free_port, unavailable

ROOT = Path(__file__).resolve().parent.parent
BUILT_CSS = ROOT / "accreditation" / "static" / "dist" / "app.css"
# What building the wheel reads: pyproject.toml, setup.py and the files they name.
SOURCES = ("pyproject.toml", "setup.py", "README.md", "accreditation", "templates", "migrations")
SIGN_IN_HEADING = '<h1 class="govuk-heading-l">Sign in</h1>'


def run(command: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own commands)
        [str(part) for part in command], capture_output=True, text=True, timeout=180,
        stdin=subprocess.DEVNULL, **kwargs)


def build_wheel(tmp_path: Path) -> Path:
    """The wheel of a copy of the checkout (so that the build leaves nothing in it), built
    offline with this environment's setuptools."""
    if not BUILT_CSS.is_file():
        unavailable(f"the front-end assets are not built ({BUILT_CSS} is missing): "
                    "run make assets")
    if importlib.util.find_spec("setuptools.command.bdist_wheel") is None:
        unavailable("this environment's setuptools cannot build wheels: run make install")
    source = tmp_path / "checkout"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                 "--no-index", "--wheel-dir", tmp_path / "wheels", source])
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (wheel,) = (tmp_path / "wheels").glob("accreditation-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> Path:
    """A new virtual environment with the wheel installed, and this environment's packages
    for its dependencies (installed already; the install needs no package index). Returns the
    new environment's site-packages."""
    made = run([sys.executable, "-m", "venv", "--without-pip", venv])
    assert made.returncode == 0, made.stderr
    installed = run([sys.executable, "-m", "pip", "--python", venv / "bin" / "python",
                     "install", "--no-deps", "--no-index", wheel])
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    asked = run([venv / "bin" / "python", "-c",
                 "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    site_packages = Path(asked.stdout.strip())
    # After the wheel, so that pip saw only the new environment. Folders named in a .pth file
    # are searched after site-packages, and their own .pth files are not read: this
    # environment's editable install of the checkout stays out.
    (site_packages / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return site_packages


def production_environment(database: str) -> dict[str, str]:
    environment = environment_without_app_settings()
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        environment.pop(name, None)
    return {**environment, "ACCREDITATION_ENV": "production",
            "ACCREDITATION_SECRET_KEY": "install-test-secret-" + "k" * 32,
            "ACCREDITATION_DATA_KEYS": Fernet.generate_key().decode(),
            "ACCREDITATION_BASE_URL": "https://accreditation.example.gov.uk",
            # The test reaches gunicorn by its address, as a load balancer's health check would.
            "ACCREDITATION_ALLOWED_HOSTS": "127.0.0.1",
            "ACCREDITATION_DATABASE_URL": database}


def serve(venv: Path, environment: dict, cwd: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn with the repository's settings, as the README runs it."""
    port = free_port()
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
            [venv / "bin" / "python", "-m", "gunicorn", "--config", ROOT / "gunicorn.conf.py",
             "--workers", "1", "--bind", f"127.0.0.1:{port}", "accreditation:create_app()"],
            cwd=cwd, env=environment, stdout=output, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited: {log.read_text()[-3000:]}")
        try:
            requests.get(url + "/accessibility", timeout=5)
            return server, url
        except requests.ConnectionError:
            time.sleep(0.1)
    stop(server)
    raise AssertionError(f"gunicorn did not serve within 60 s: {log.read_text()[-3000:]}")


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=15)


def test_the_installed_wheel_migrates_and_serves_pages_and_assets(tmp_path):
    venv = tmp_path / "venv"
    site_packages = install(build_wheel(tmp_path), venv)
    package = site_packages / "accreditation"
    elsewhere = tmp_path / "elsewhere"  # the working folder: not the checkout
    elsewhere.mkdir()
    database = tmp_path / "production.sqlite"
    environment = production_environment(f"sqlite:///{database}")

    # The installed copy runs, not the checkout, and it carries its own folders.
    where = run([venv / "bin" / "python", "-c",
                 "import accreditation, accreditation.paths as p; "
                 "print(accreditation.__file__); print(p.checkout())"],
                cwd=elsewhere, env=environment)
    assert where.returncode == 0, where.stderr
    assert where.stdout.split() == [str(package / "__init__.py"), "None"]
    for name in ("templates/auth/sign_in.html", "migrations/env.py",
                 "migrations/alembic.ini", "static/dist/app.css",
                 "checklists/schema.json", "data/openreferral/openapi.json"):
        assert (package / name).is_file(), name
    assert list((package / "checklists" / "definitions").glob("*/*.yaml"))
    assert {path.name for path in (package / "migrations" / "versions").glob("*.py")} == \
        {path.name for path in (ROOT / "migrations" / "versions").glob("*.py")}

    upgraded = run([venv / "bin" / "accreditation", "db", "upgrade"], cwd=elsewhere,
                   env=environment)
    assert upgraded.returncode == 0, upgraded.stderr[-3000:]
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        tables = set(sa.inspect(connection).get_table_names())
        # Every local authority in England, from the list the package carries: a provider
        # can declare a property anywhere from the first day.
        areas = dict(connection.exec_driver_sql("SELECT ons_code, name FROM council").all())
    engine.dispose()
    assert version == ScriptDirectory(str(ROOT / "migrations")).get_current_head()
    assert {"user", "audit_event", "organisation", "property"} <= tables, tables
    assert len(areas) == 317 and areas["E09000028"] == "Southwark", len(areas)
    assert "Local authorities: 317 added" in upgraded.stdout
    # The app's own folder is the environment's, not the installed package's.
    assert (venv / "var" / "accreditation-instance").is_dir()
    assert not (site_packages / "instance").exists()

    server, url = serve(venv, environment, elsewhere, tmp_path / "gunicorn.log")
    try:
        page = requests.get(url + "/sign-in", timeout=10)
        assert page.status_code == 200, page.text[:2000]
        assert SIGN_IN_HEADING in page.text
        css = requests.get(url + "/static/dist/app.css", timeout=10)
        assert css.status_code == 200
        assert css.headers["Content-Type"].startswith("text/css")
        assert css.text == BUILT_CSS.read_text()
    finally:
        stop(server)

    unreachable = run([venv / "bin" / "accreditation", "db", "upgrade"], cwd=elsewhere, env={
        **environment, "ACCREDITATION_DATABASE_URL":
            f"postgresql+psycopg://accreditation:hidden@127.0.0.1:{free_port()}/accreditation"})
    assert unreachable.returncode == 1, unreachable.stderr
    assert "Cannot migrate the database at postgresql+psycopg://accreditation:***@" \
        in unreachable.stderr
    assert "hidden" not in unreachable.stderr + unreachable.stdout

    shutil.rmtree(package / "migrations")  # an install without its migrations
    incomplete = run([venv / "bin" / "accreditation", "db", "upgrade"], cwd=elsewhere,
                     env=environment)
    assert incomplete.returncode == 1, incomplete.stderr
    assert f"the migrations folder {package / 'migrations'} is missing" in incomplete.stderr


def test_db_upgrade_without_migrations_says_so_and_fails(tmp_path):
    app = create_app(config_for(f"sqlite:///{tmp_path / 'x.sqlite'}"))
    result = app.test_cli_runner().invoke(args=["db", "upgrade", "--directory", str(tmp_path)])
    assert result.exit_code == 1
    assert f"Cannot migrate the database: no migrations in {tmp_path}" in result.stderr


def test_db_upgrade_of_a_database_it_cannot_reach_says_so_and_fails(tmp_path):
    url = f"postgresql+psycopg://accreditation:hidden@127.0.0.1:{free_port()}/accreditation"
    app = create_app(config_for(url))
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 1
    assert "Cannot migrate the database at postgresql+psycopg://accreditation:***@127.0.0.1:" \
        in result.stderr
    assert "Connection refused" in result.stderr
    assert "hidden" not in result.output
