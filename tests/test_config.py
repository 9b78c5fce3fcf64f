import pytest

from accreditation import create_app
from accreditation.auth.models import Role
from accreditation.config import ACCOUNT_EMAIL_DEFAULTS, DEVELOPMENT_SECRET_KEY, ConfigurationError
from accreditation.sealing import DEVELOPMENT_DATA_KEY

from .conftest import PRODUCTION_DATA_KEY
from .factories import user_with_role

BASE = "https://accreditation.example.gov.uk"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in ("ENV", "SECRET_KEY", "DATA_KEYS", "DATABASE_URL", "BASE_URL", "ALLOWED_HOSTS",
                 "SERVER_NAME"):
        monkeypatch.delenv(f"ACCREDITATION_{name}", raising=False)
    monkeypatch.setenv("ACCREDITATION_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")


@pytest.mark.parametrize("secret", [None, "", DEVELOPMENT_SECRET_KEY])
def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch, secret):
    if secret is not None:
        monkeypatch.setenv("ACCREDITATION_SECRET_KEY", secret)
    with pytest.raises(ConfigurationError, match="ACCREDITATION_SECRET_KEY"):
        create_app()


def test_production_refuses_a_short_secret_key(monkeypatch):
    monkeypatch.setenv("ACCREDITATION_SECRET_KEY", "too-short")
    with pytest.raises(ConfigurationError, match="at least 32"):
        create_app()


def production_settings(monkeypatch, **settings: str) -> None:
    """What production needs, with ``settings`` (``BASE_URL=None`` leaves it out)."""
    for name, value in {"SECRET_KEY": "x" * 64, "DATA_KEYS": PRODUCTION_DATA_KEY,
                        "BASE_URL": BASE, **settings}.items():
        if value is None:
            monkeypatch.delenv(f"ACCREDITATION_{name}", raising=False)
        else:
            monkeypatch.setenv(f"ACCREDITATION_{name}", value)


def test_production_starts_with_a_secret_key_and_secure_cookies(monkeypatch):
    production_settings(monkeypatch)
    app = create_app()
    assert app.config["SECRET_KEY"] == "x" * 64
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


@pytest.mark.parametrize("environment", ["development", "testing"])
def test_development_and_testing_run_on_embedded_defaults(monkeypatch, environment):
    monkeypatch.delenv("ACCREDITATION_DATABASE_URL")
    monkeypatch.setenv("ACCREDITATION_ENV", environment)
    app = create_app()
    assert app.config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY
    assert app.config["DATA_KEYS"] == DEVELOPMENT_DATA_KEY
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/accreditation.sqlite")


def test_production_refuses_to_start_without_the_services_address(monkeypatch):
    production_settings(monkeypatch, BASE_URL=None)
    with pytest.raises(ConfigurationError, match="ACCREDITATION_BASE_URL is not set"):
        create_app()


@pytest.mark.parametrize(("base_url", "message"), [
    ("accreditation.example.gov.uk", "a scheme and a host only"),
    ("ftp://accreditation.example.gov.uk", "a scheme and a host only"),
    ("https://accreditation.example.gov.uk/accreditation", "a scheme and a host only"),
    ("https://accreditation.example.gov.uk/?from=here", "a scheme and a host only"),
    ("https://someone@accreditation.example.gov.uk", "a scheme and a host only"),
    ("https://accreditation.example.gov.uk:99999", "a scheme and a host only"),
    ("http://accreditation.example.gov.uk", "must start with https:// in production"),
])
def test_production_refuses_an_address_that_is_not_a_scheme_and_host(
        monkeypatch, base_url, message):
    production_settings(monkeypatch, BASE_URL=base_url)
    with pytest.raises(ConfigurationError, match=message):
        create_app()


@pytest.mark.parametrize("hosts", ["https://internal.example", "10.0.0.5:8000",
                                   "internal.example/healthz"])
def test_production_refuses_allowed_hosts_that_are_not_host_names(monkeypatch, hosts):
    production_settings(monkeypatch, ALLOWED_HOSTS=hosts)
    with pytest.raises(ConfigurationError, match="ACCREDITATION_ALLOWED_HOSTS"):
        create_app()


def test_production_answers_to_its_own_host_and_the_allowed_ones(monkeypatch):
    production_settings(monkeypatch, BASE_URL=BASE + "/",
                        ALLOWED_HOSTS=" internal.example, 10.0.0.5 ")
    config = create_app().config
    assert config["BASE_URL"] == BASE
    assert config["TRUSTED_HOSTS"] == ["accreditation.example.gov.uk", "internal.example",
                                       "10.0.0.5"]


def test_the_older_server_name_setting_still_gives_the_address(monkeypatch):
    production_settings(monkeypatch, BASE_URL=None, SERVER_NAME="accreditation.example.gov.uk")
    assert create_app().config["BASE_URL"] == BASE


@pytest.mark.parametrize("environment", ["development", "testing"])
def test_outside_production_links_point_at_the_demo_and_any_host_is_served(
        monkeypatch, environment):
    monkeypatch.setenv("ACCREDITATION_ENV", environment)
    config = create_app().config
    assert config["BASE_URL"] == "http://127.0.0.1:5000"  # where `make demo` serves
    assert config["TRUSTED_HOSTS"] is None


@pytest.mark.parametrize(("keys", "message"), [
    (None, "ACCREDITATION_DATA_KEYS is not set"),
    (" , ", "ACCREDITATION_DATA_KEYS: no key given"),
    (DEVELOPMENT_DATA_KEY, "built-in development key"),
    (f"{PRODUCTION_DATA_KEY},not-a-key", "key 2 is not a Fernet key"),
])
def test_production_refuses_to_start_without_a_data_key_of_its_own(monkeypatch, keys, message):
    production_settings(monkeypatch, DATA_KEYS=keys)
    with pytest.raises(ConfigurationError, match=message) as refused:
        create_app()
    assert "not-a-key" not in str(refused.value)  # a key is never repeated in a message


def test_unknown_environment_is_named(monkeypatch):
    monkeypatch.setenv("ACCREDITATION_ENV", "staging")
    with pytest.raises(ConfigurationError, match="ACCREDITATION_ENV must be one of"):
        create_app()


def test_settings_come_from_prefixed_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("ACCREDITATION_ENV", "development")
    monkeypatch.setenv("ACCREDITATION_DATABASE_URL", f"sqlite:///{tmp_path / 'other.sqlite'}")
    monkeypatch.setenv("ACCREDITATION_LOGIN_MAX_FAILURES_PER_ACCOUNT", "7")
    monkeypatch.setenv("ACCREDITATION_LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT", "3")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("other.sqlite")
    assert app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] == 7
    assert app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT"] == 3


@pytest.mark.parametrize("name", ["LOGIN_WINDOW_SECONDS", "LOGIN_MAX_FAILURES_PER_CLIENT",
                                  "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_CLIENT",
                                  "LOGIN_MAX_FAILURES_PER_ACCOUNT"])
def test_a_sign_in_limit_of_nought_is_refused(monkeypatch, name):
    monkeypatch.setenv("ACCREDITATION_ENV", "development")
    monkeypatch.setenv(f"ACCREDITATION_{name}", "0")
    with pytest.raises(ConfigurationError, match=f"ACCREDITATION_{name} must be"):
        create_app()


def test_a_malformed_number_is_named(monkeypatch):
    monkeypatch.setenv("ACCREDITATION_ENV", "development")
    monkeypatch.setenv("ACCREDITATION_INVITATION_DAYS", "seven")
    with pytest.raises(ConfigurationError, match="ACCREDITATION_INVITATION_DAYS"):
        create_app()


def test_the_cli_explains_a_missing_secret_key(monkeypatch):
    from click.testing import CliRunner

    from accreditation.command import cli

    # Flask's command sets FLASK_RUN_FROM_CLI in this process: undone after the test.
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")
    result = CliRunner().invoke(cli, ["routes"])
    assert result.exit_code != 0
    assert "ACCREDITATION_SECRET_KEY is not set" in result.output


@pytest.mark.parametrize(("environment", "given", "expected"), [
    ("production", None, "instance/register-cache"),
    ("development", None, "instance/register-cache"),
    ("testing", None, None),
    ("testing", "/srv/pages", "/srv/pages"),
    ("production", "/srv/pages", "/srv/pages"),
])
def test_register_pages_are_shared_in_the_instance_folder_unless_named(
        monkeypatch, environment, given, expected):
    monkeypatch.setenv("ACCREDITATION_ENV", environment)
    production_settings(monkeypatch)
    if given:
        monkeypatch.setenv("ACCREDITATION_REGISTER_CACHE_PATH", given)
    else:
        monkeypatch.delenv("ACCREDITATION_REGISTER_CACHE_PATH", raising=False)
    path = create_app().config["REGISTER_CACHE_PATH"]
    if expected is None or expected.startswith("/"):
        assert path == expected
    else:
        assert path.endswith(expected)


@pytest.mark.parametrize("value", ["-1", "6", "1000", "one"])
def test_trusted_proxies_must_be_a_small_whole_number(monkeypatch, value):
    monkeypatch.setenv("ACCREDITATION_ENV", "development")
    monkeypatch.setenv("ACCREDITATION_TRUSTED_PROXIES", value)
    with pytest.raises(ConfigurationError, match="ACCREDITATION_TRUSTED_PROXIES"):
        create_app()


def test_no_proxy_is_trusted_unless_set(monkeypatch):
    monkeypatch.setenv("ACCREDITATION_ENV", "development")
    assert create_app().config["TRUSTED_PROXIES"] == 0
    monkeypatch.setenv("ACCREDITATION_TRUSTED_PROXIES", "2")
    assert create_app().config["TRUSTED_PROXIES"] == 2


@pytest.mark.parametrize("name", ["REGISTRATION_LINK_HOURS", "REGISTRATION_WINDOW_SECONDS",
                                  "REGISTRATION_MAX_PER_CLIENT", "REGISTRATION_MAX_PER_ADDRESS"])
def test_registration_limits_must_be_at_least_1(monkeypatch, name):
    monkeypatch.setenv("ACCREDITATION_ENV", "development")
    monkeypatch.setenv(f"ACCREDITATION_{name}", "0")
    with pytest.raises(ConfigurationError, match=f"ACCREDITATION_{name} must be at least 1"):
        create_app()


def test_registration_is_throttled_by_default(monkeypatch):
    monkeypatch.setenv("ACCREDITATION_ENV", "production")
    production_settings(monkeypatch)
    config = create_app().config
    assert (config["REGISTRATION_MAX_PER_CLIENT"], config["REGISTRATION_MAX_PER_ADDRESS"],
            config["REGISTRATION_WINDOW_SECONDS"], config["REGISTRATION_LINK_HOURS"]) == (
        10, 3, 3600, 24)


@pytest.mark.parametrize("name", list(ACCOUNT_EMAIL_DEFAULTS))
def test_account_email_settings_must_be_at_least_1(monkeypatch, name):
    monkeypatch.setenv("ACCREDITATION_ENV", "development")
    monkeypatch.setenv(f"ACCREDITATION_{name}", "0")
    with pytest.raises(ConfigurationError, match=f"ACCREDITATION_{name} must be at least 1"):
        create_app()


def test_a_forgotten_password_link_works_for_an_hour_by_default_and_a_day_at_most(monkeypatch):
    monkeypatch.setenv("ACCREDITATION_ENV", "production")
    production_settings(monkeypatch)
    config = create_app().config
    assert (config["PASSWORD_RESET_LINK_MINUTES"], config["EMAIL_CHANGE_LINK_HOURS"],
            config["ACCOUNT_EMAIL_MAX_PER_CLIENT"], config["ACCOUNT_EMAIL_MAX_PER_ADDRESS"],
            config["ACCOUNT_EMAIL_WINDOW_SECONDS"]) == (60, 24, 10, 3, 3600)
    monkeypatch.setenv("ACCREDITATION_PASSWORD_RESET_LINK_MINUTES", "1441")
    with pytest.raises(ConfigurationError, match="at most 1440"):
        create_app()


@pytest.mark.parametrize("value", ["0", "121"])
def test_the_tablets_time_limit_is_kept_within_reason(monkeypatch, value):
    monkeypatch.setenv("ACCREDITATION_ENV", "development")
    monkeypatch.setenv("ACCREDITATION_TABLET_TIME_LIMIT_SECONDS", value)
    with pytest.raises(ConfigurationError, match="TABLET_TIME_LIMIT_SECONDS must be between"):
        create_app()


def test_the_tablets_time_limit_reaches_the_tablet(app, client, monkeypatch):
    """The inspector's pages carry the setting: the tablet waits that long for an answer."""
    monkeypatch.setitem(app.config, "TABLET_TIME_LIMIT_SECONDS", 42)
    client.sign_in(user_with_role(Role.INSPECTOR))
    assert 'data-time-limit="42"' in client.get("/inspections/").get_data(as_text=True)
