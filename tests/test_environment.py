"""The suite gives the same result whatever the app's settings in the shell that runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from .services import environment_without_app_settings, is_app_variable

ROOT = Path(__file__).resolve().parent.parent

# What a server where the app is configured has in its shell: every one of these changed the
# result of some test before the suite cleared them.
CONFIGURED_SERVER = {
    "ACCREDITATION_ENV": "production",
    "ACCREDITATION_SECRET_KEY": "a-real-secret-key-of-the-server-" + "s" * 32,
    "ACCREDITATION_DATA_KEYS": Fernet.generate_key().decode(),
    "ACCREDITATION_BASE_URL": "https://accreditation.example.gov.uk",
    "ACCREDITATION_ALLOWED_HOSTS": "internal.example",
    "ACCREDITATION_DATABASE_URL": "postgresql+psycopg://accreditation:pw@db.invalid/accreditation",
    "ACCREDITATION_STORAGE": "s3",
    "ACCREDITATION_S3_BUCKET": "evidence",
    "ACCREDITATION_SMTP_HOST": "smtp.invalid",
    "ACCREDITATION_REGISTER_CACHE_PATH": "/nonexistent/register-cache",
    "FLASK_DEBUG": "1",
    "PGSSLMODE": "require",
    "AWS_ENDPOINT_URL": "http://s3.invalid",
}


def test_no_setting_of_the_app_reaches_the_tests():
    assert [name for name in os.environ if is_app_variable(name)] == []


def test_the_suites_own_variables_and_the_rest_are_kept():
    given = {**CONFIGURED_SERVER, "ACCREDITATION_TEST_POSTGRES_URL": "postgresql://x/y",
             "PATH": "/usr/bin", "CI": "true", "https_proxy": "http://proxy.invalid:3128",
             "no_proxy": "internal.example"}
    assert environment_without_app_settings(given) == {
        "ACCREDITATION_TEST_POSTGRES_URL": "postgresql://x/y", "PATH": "/usr/bin", "CI": "true",
        "https_proxy": "http://proxy.invalid:3128",
        # The services the tests start on loopback are not reached through the proxy.
        "no_proxy": "internal.example,127.0.0.1,localhost,::1",
        "NO_PROXY": "127.0.0.1,localhost,::1",
    }


def test_tests_pass_under_the_shell_of_a_configured_server():
    """Tests that failed when the shell gave the app a data key, a database and a mail
    server of its own, run by pytest from such a shell."""
    selected = ["tests/test_sealing.py::test_the_database_holds_only_the_sealed_secret[sqlite]",
                "tests/test_pages.py::test_commissioners_see_the_details_of_the_health_check"
                "[sqlite]",
                "tests/test_notifications.py::test_without_an_smtp_host_messages_are_printed"
                "[sqlite]"]
    run = subprocess.run(  # noqa: S603 (this interpreter's pytest, fixed arguments)
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", *selected], cwd=ROOT,
        env={**os.environ, **CONFIGURED_SERVER}, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "3 passed" in run.stdout, run.stdout[-3000:]
