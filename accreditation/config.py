"""Settings, read once from ``ACCREDITATION_*`` environment variables.

The defaults are the embedded set-up (SQLite under ``instance/``, local disk) so that
``make demo`` needs nothing installed. Outside development and testing the app refuses
to start without a real secret key and data key, and without the service's address.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from .proxies import MAX_TRUSTED_PROXIES
from .sealing import DEVELOPMENT_DATA_KEY, keys_from_setting

ENVIRONMENTS = ("production", "development", "testing")
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"  # noqa: S105


# Provider registration: how long the e-mailed link works, and how many requests (to register,
# or to have the e-mail sent again) one client and one e-mail address may make in the window.
REGISTRATION_DEFAULTS = {
    "REGISTRATION_LINK_HOURS": 24,
    "REGISTRATION_WINDOW_SECONDS": 60 * 60,
    "REGISTRATION_MAX_PER_CLIENT": 10,
    "REGISTRATION_MAX_PER_ADDRESS": 3,
}


# Links e-mailed about a person's own account: how long a link to set a new password works
# (forgotten passwords; at most a day) and a link to confirm a new e-mail address, and how many
# requests for one (each sends an e-mail) one client and one e-mail address may make in the
# window, for each kind.
ACCOUNT_EMAIL_DEFAULTS = {
    "PASSWORD_RESET_LINK_MINUTES": 60,
    "EMAIL_CHANGE_LINK_HOURS": 24,
    "ACCOUNT_EMAIL_WINDOW_SECONDS": 60 * 60,
    "ACCOUNT_EMAIL_MAX_PER_CLIENT": 10,
    "ACCOUNT_EMAIL_MAX_PER_ADDRESS": 3,
}
MAX_PASSWORD_RESET_LINK_MINUTES = 24 * 60
TABLET_TIME_LIMIT_SECONDS = 15  # the default wait for the service's answer on a tablet


class ConfigurationError(RuntimeError):
    """The app cannot start with these settings; the message says which variable to set."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"ACCREDITATION_{name}")
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(
            f"ACCREDITATION_{name} must be a whole number, not {raw!r}."
        ) from None


def from_environment(instance_path: str) -> dict:
    """The Flask config mapping built from the environment."""
    environment = _env("ENV", "production")
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(
            f"ACCREDITATION_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}."
        )
    default_database = "sqlite:///" + str(Path(instance_path) / "accreditation.sqlite")
    return {
        "ENV_NAME": environment,
        "SECRET_KEY": _env("SECRET_KEY"),
        # Seal authenticator app secrets in the database (``sealing.py``): the first seals,
        # all open.
        "DATA_KEYS": _env("DATA_KEYS"),
        "SQLALCHEMY_DATABASE_URI": _env("DATABASE_URL", default_database),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # The address people use for the service: every link that leaves it (e-mails, CSV
        # files, the API's links) is built on it, and in production requests for any other
        # host are refused. ACCREDITATION_SERVER_NAME (with _URL_SCHEME) is its older form.
        "BASE_URL": _env("BASE_URL") or _base_url_from_server_name(),
        # Other host names production answers to (the address a load balancer's health check
        # uses, say); comma-separated.
        "ALLOWED_HOSTS": _env("ALLOWED_HOSTS"),
        "PREFERRED_URL_SCHEME": _env("URL_SCHEME", "https"),
        "SERVICE_NAME": _env("SERVICE_NAME", "Accommodation accreditation"),
        "CONSORTIUM_NAME": _env("CONSORTIUM_NAME", "London Accommodation Commissioning Consortium"),
        # Sign-in throttling (``auth/throttle.py``), failures in the window: one address on one
        # account is stopped; one address on every account is stopped; one account from every
        # address is slowed down.
        "LOGIN_WINDOW_SECONDS": _env_int("LOGIN_WINDOW_SECONDS", 15 * 60),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT": _env_int(
            "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT", 5),
        "LOGIN_MAX_FAILURES_PER_CLIENT": _env_int("LOGIN_MAX_FAILURES_PER_CLIENT", 20),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": _env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 10),
        "INVITATION_DAYS": _env_int("INVITATION_DAYS", 7),
        **{name: _env_int(name, default) for name, default in REGISTRATION_DEFAULTS.items()},
        **{name: _env_int(name, default) for name, default in ACCOUNT_EMAIL_DEFAULTS.items()},
        # Reverse proxies in front of the app whose X-Forwarded-For and -Proto are believed
        # (``proxies.py``); 0: none, the app faces browsers itself.
        "TRUSTED_PROXIES": _env_int("TRUSTED_PROXIES", 0),
        # Sessions end after this long without a request, and this long after signing in;
        # sensitive changes need the password (and code) again after REAUTHENTICATE_MINUTES.
        "SESSION_IDLE_MINUTES": _env_int("SESSION_IDLE_MINUTES", 30),
        "SESSION_MAX_HOURS": _env_int("SESSION_MAX_HOURS", 12),
        "REAUTHENTICATE_MINUTES": _env_int("REAUTHENTICATE_MINUTES", 15),
        # Accreditation lasts this long; a refused provider may reapply after the cooling-off.
        "ACCREDITATION_MONTHS": _env_int("ACCREDITATION_MONTHS", 12),
        "REAPPLY_AFTER_DAYS": _env_int("REAPPLY_AFTER_DAYS", 90),
        # A notice of a proposed refusal, suspension or revocation: how long the provider has
        # to make representations; and after an adverse decision, to ask for a review.
        "REPRESENTATIONS_DAYS": _env_int("REPRESENTATIONS_DAYS", 28),
        "REVIEW_DAYS": _env_int("REVIEW_DAYS", 28),
        # Re-inspection falls due this many days before accreditation expires.
        "REINSPECTION_NOTICE_DAYS": _env_int("REINSPECTION_NOTICE_DAYS", 60),
        # A threshold step that raises the standard takes effect at least this many days after
        # it is published (a relaxation may take effect at once).
        "STANDARD_NOTICE_DAYS": _env_int("STANDARD_NOTICE_DAYS", 28),
        # argon2id cost (OWASP's recommended minimum is m=19 MiB, t=2, p=1).
        "ARGON2_TIME_COST": _env_int("ARGON2_TIME_COST", 3),
        "ARGON2_MEMORY_COST": _env_int("ARGON2_MEMORY_COST", 65536),
        "ARGON2_PARALLELISM": _env_int("ARGON2_PARALLELISM", 1),
        # Outgoing e-mail (the notifications outbox). No host: messages are printed.
        "SMTP_HOST": _env("SMTP_HOST"),
        "SMTP_PORT": _env_int("SMTP_PORT", 25),
        "SMTP_USERNAME": _env("SMTP_USERNAME"),
        "SMTP_PASSWORD": _env("SMTP_PASSWORD"),
        "SMTP_STARTTLS": _env("SMTP_STARTTLS", "false").lower() in ("1", "true", "yes"),
        "MAIL_FROM": _env("MAIL_FROM", "accreditation@localhost"),
        # Where the accessibility statement asks people to report a problem or ask for another
        # format (``check`` falls back to MAIL_FROM).
        "ACCESSIBILITY_CONTACT_EMAIL": _env("ACCESSIBILITY_CONTACT_EMAIL"),
        # Evidence files: local disk (default) or any S3-compatible store.
        "STORAGE": _env("STORAGE", "local"),
        "STORAGE_LOCAL_PATH": _env("STORAGE_LOCAL_PATH", str(Path(instance_path) / "evidence")),
        "S3_BUCKET": _env("S3_BUCKET"),
        "S3_ENDPOINT_URL": _env("S3_ENDPOINT_URL"),
        "S3_REGION": _env("S3_REGION"),
        "S3_ACCESS_KEY_ID": _env("S3_ACCESS_KEY_ID"),
        "S3_SECRET_ACCESS_KEY": _env("S3_SECRET_ACCESS_KEY"),
        "S3_PRESIGN_ENDPOINT_URL": _env("S3_PRESIGN_ENDPOINT_URL"),
        "SCANNER_URL": _env("SCANNER_URL"),
        "SCANNER_TIMEOUT_SECONDS": _env_int("SCANNER_TIMEOUT_SECONDS", 60),
        # Headless Chromium, which prints letters and reports as PDF (``pdf.py``); none: the
        # ``chromium`` found on the PATH.
        "CHROMIUM": _env("CHROMIUM"),
        "PDF_TIMEOUT_SECONDS": _env_int("PDF_TIMEOUT_SECONDS", 60),
        # How long an inspector's tablet waits for the service to answer before it keeps what
        # it was sending for later and says so (photos get four times as long).
        "TABLET_TIME_LIMIT_SECONDS": _env_int("TABLET_TIME_LIMIT_SECONDS",
                                              TABLET_TIME_LIMIT_SECONDS),
        "EVIDENCE_MAX_BYTES": _env_int("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024),
        "EVIDENCE_QUOTA_BYTES": _env_int("EVIDENCE_QUOTA_BYTES", 2 * 1024 * 1024 * 1024),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": 0,
        "WTF_CSRF_TIME_LIMIT": 3600,
        "MAX_CONTENT_LENGTH": _env_int("MAX_CONTENT_LENGTH", 25 * 1024 * 1024),
        # The application log: ``json`` (one object a line, with the request's id) or ``text``.
        "LOG_FORMAT": _env("LOG_FORMAT", "json").lower(),
        # The bearer token Prometheus sends for /metrics (``metrics.py``); none: no metrics.
        "METRICS_TOKEN": _env("METRICS_TOKEN"),
        # Register search pages shared by the app's processes on this machine (``check``
        # fills in the default).
        "REGISTER_CACHE_PATH": _env("REGISTER_CACHE_PATH"),
    }


def _base_url_from_server_name() -> str | None:
    server_name = _env("SERVER_NAME")
    return f"{_env('URL_SCHEME', 'https')}://{server_name}" if server_name else None


def check(config: dict, instance_path: str | None = None) -> None:
    """Refuse settings that are unsafe outside development and testing; fill in the rest
    (with the app's ``instance_path``, the folders kept there)."""
    environment = config["ENV_NAME"]
    config["ACCESSIBILITY_CONTACT_EMAIL"] = (config.get("ACCESSIBILITY_CONTACT_EMAIL")
                                             or config.get("MAIL_FROM"))
    if instance_path and not config.get("REGISTER_CACHE_PATH") and environment != "testing":
        config["REGISTER_CACHE_PATH"] = str(Path(instance_path) / "register-cache")
    # Outside development the service is served over HTTPS only, and the session cookie is
    # bound to this host and path (a "__Host-" cookie cannot be set by a sibling domain).
    production = environment == "production"
    config["SESSION_COOKIE_SECURE"] = production
    config["SESSION_COOKIE_NAME"] = "__Host-session" if production else "session"
    _check_session_limits(config)
    if not 1 <= config.get("TABLET_TIME_LIMIT_SECONDS", TABLET_TIME_LIMIT_SECONDS) <= 120:
        raise ConfigurationError(
            "ACCREDITATION_TABLET_TIME_LIMIT_SECONDS must be between 1 and 120.")
    _check_registration_limits(config)
    _check_account_email_limits(config)
    _check_trusted_proxies(config)
    if config.get("LOG_FORMAT", "json") not in ("json", "text"):
        raise ConfigurationError("ACCREDITATION_LOG_FORMAT must be json or text.")
    if environment in ("development", "testing"):
        config["SECRET_KEY"] = config.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
        config["DATA_KEYS"] = config.get("DATA_KEYS") or DEVELOPMENT_DATA_KEY
        _check_data_keys(config)
        _check_base_url(config)
        return
    key = config.get("SECRET_KEY")
    if not key or key == DEVELOPMENT_SECRET_KEY:
        raise ConfigurationError(
            "ACCREDITATION_SECRET_KEY is not set. Set it to a long random value, for example "
            "the output of: python -c 'import secrets; print(secrets.token_hex(32))'. "
            "(For local use only, ACCREDITATION_ENV=development runs with a built-in key.)"
        )
    if len(key) < 32:
        raise ConfigurationError(
            "ACCREDITATION_SECRET_KEY is too short: use at least 32 random characters."
        )
    _check_data_keys(config)
    _check_base_url(config)


def _check_data_keys(config: dict) -> None:
    keys = config.get("DATA_KEYS")
    if not keys:
        raise ConfigurationError(
            "ACCREDITATION_DATA_KEYS is not set. It seals authenticator app secrets in the "
            "database; set it to a key made by: python -c 'from cryptography.fernet import "
            "Fernet; print(Fernet.generate_key().decode())'. Keep it apart from the database "
            "and its backups. (ACCREDITATION_ENV=development runs with a built-in key.)")
    try:
        keys_from_setting(keys)
    except ValueError as error:
        raise ConfigurationError(f"ACCREDITATION_DATA_KEYS: {error}.") from None
    if config["ENV_NAME"] == "production" and DEVELOPMENT_DATA_KEY in keys:
        raise ConfigurationError(
            "ACCREDITATION_DATA_KEYS holds the built-in development key: make a key of your "
            "own (see docs/running.md, \"Settings\").")


def _check_registration_limits(config: dict) -> None:
    for name, default in REGISTRATION_DEFAULTS.items():
        if config.setdefault(name, default) < 1:
            raise ConfigurationError(f"ACCREDITATION_{name} must be at least 1.")


def _check_account_email_limits(config: dict) -> None:
    for name, default in ACCOUNT_EMAIL_DEFAULTS.items():
        if config.setdefault(name, default) < 1:
            raise ConfigurationError(f"ACCREDITATION_{name} must be at least 1.")
    if config["PASSWORD_RESET_LINK_MINUTES"] > MAX_PASSWORD_RESET_LINK_MINUTES:
        raise ConfigurationError(
            "ACCREDITATION_PASSWORD_RESET_LINK_MINUTES must be at most "
            f"{MAX_PASSWORD_RESET_LINK_MINUTES} (a day): the link sets a new password.")


def _check_trusted_proxies(config: dict) -> None:
    proxies = config.setdefault("TRUSTED_PROXIES", 0)
    if isinstance(proxies, bool) or not isinstance(proxies, int) or not (
            0 <= proxies <= MAX_TRUSTED_PROXIES):
        raise ConfigurationError(
            f"ACCREDITATION_TRUSTED_PROXIES must be a whole number from 0 to "
            f"{MAX_TRUSTED_PROXIES}, not {proxies!r}: the number of reverse proxies in a row in "
            "front of the app (1 for one TLS-terminating proxy; 0 when the app faces browsers "
            "itself).")


# Outside production (the demo, the tests) links point where ``make demo`` serves.
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"
BASE_URL_EXAMPLE = "https://accreditation.example.gov.uk"


def _check_base_url(config: dict) -> None:
    """``BASE_URL`` is a scheme and a host (and port) only, https in production; production
    answers only to its host and the ``ALLOWED_HOSTS`` (Flask's ``TRUSTED_HOSTS``)."""
    production = config["ENV_NAME"] == "production"
    base_url = config.get("BASE_URL") or (None if production else DEVELOPMENT_BASE_URL)
    if not base_url:
        raise ConfigurationError(
            "ACCREDITATION_BASE_URL is not set. Set it to the address people use for the "
            f"service, for example {BASE_URL_EXAMPLE}: links in e-mails, CSV files and the "
            "API are built on it, and requests for any other host are refused.")
    try:
        parts = urlsplit(str(base_url).strip())
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname
            or parts.username is not None or parts.path not in ("", "/")
            or parts.query or parts.fragment):
        raise ConfigurationError(
            f"ACCREDITATION_BASE_URL must be a scheme and a host only, like {BASE_URL_EXAMPLE}, "
            f"not {base_url!r}: the service is served at the root of its own host.")
    if production and parts.scheme != "https":
        raise ConfigurationError(
            f"ACCREDITATION_BASE_URL must start with https:// in production, not {base_url!r}: "
            "the service is served over HTTPS only.")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = host + (f":{port}" if port else "")
    config["BASE_URL"] = f"{parts.scheme}://{netloc}"
    hosts = _allowed_hosts(config.get("ALLOWED_HOSTS"))
    config["ALLOWED_HOSTS"] = hosts
    if production:
        config["TRUSTED_HOSTS"] = [parts.hostname, *hosts]


def _allowed_hosts(setting) -> list[str]:
    names = setting.split(",") if isinstance(setting, str) else list(setting or ())
    hosts = [str(name).strip().lower() for name in names if str(name).strip()]
    for host in hosts:
        if not re.fullmatch(r"[a-z0-9.-]+|\[[0-9a-f:.]+\]", host):
            raise ConfigurationError(
                "ACCREDITATION_ALLOWED_HOSTS must be host names or addresses separated by "
                f"commas (like internal.example,10.0.0.5), without a scheme or port, not {host!r}.")
    return hosts


# OWASP ASVS 2.2.1: no more than 100 failed sign-ins per account per hour.
MAX_FAILURES_PER_ACCOUNT_PER_HOUR = 100


def login_spacing_seconds(config: dict) -> int:
    """Once an account has had LOGIN_MAX_FAILURES_PER_ACCOUNT failures, how far apart the
    attempts on it are let through (``auth/throttle.py``): the window shared out."""
    return -(-config["LOGIN_WINDOW_SECONDS"] // config["LOGIN_MAX_FAILURES_PER_ACCOUNT"])


def failures_per_account_per_hour(config: dict) -> int:
    """The most failed sign-ins one account can take in an hour from addresses where it has
    not signed in, under the throttle settings.

    With M = LOGIN_MAX_FAILURES_PER_ACCOUNT and S = ``login_spacing_seconds``, an attempt goes
    ahead when fewer than M failures came in the last M x S seconds, or the last failure was S
    seconds ago or more. In any M x S seconds, then, the failures up to the last one let
    through by the first rule are at most M, and those after it are S apart (fewer than M):
    at most 2M - 1."""
    failures = config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    span = failures * login_spacing_seconds(config)
    return (2 * failures - 1) * -(-3600 // span)  # ceiling division


LOGIN_LIMITS = ("LOGIN_WINDOW_SECONDS", "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT",
                "LOGIN_MAX_FAILURES_PER_CLIENT", "LOGIN_MAX_FAILURES_PER_ACCOUNT")


def _check_session_limits(config: dict) -> None:
    for name in LOGIN_LIMITS:
        value = config.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigurationError(f"ACCREDITATION_{name} must be a whole number, at least 1.")
    if failures_per_account_per_hour(config) > MAX_FAILURES_PER_ACCOUNT_PER_HOUR:
        raise ConfigurationError(
            "ACCREDITATION_LOGIN_MAX_FAILURES_PER_ACCOUNT and ACCREDITATION_LOGIN_WINDOW_SECONDS "
            f"allow more than {MAX_FAILURES_PER_ACCOUNT_PER_HOUR} failed sign-ins per account per "
            "hour: lower the number of failures or lengthen the window.")
    for name in ("SESSION_IDLE_MINUTES", "SESSION_MAX_HOURS", "REAUTHENTICATE_MINUTES"):
        if config[name] < 1:
            raise ConfigurationError(f"ACCREDITATION_{name} must be at least 1.")
    if config["SESSION_IDLE_MINUTES"] > 30 or config["SESSION_MAX_HOURS"] > 12:
        raise ConfigurationError(
            "Sessions may last at most 30 minutes idle (ACCREDITATION_SESSION_IDLE_MINUTES) "
            "and 12 hours in all (ACCREDITATION_SESSION_MAX_HOURS).")
