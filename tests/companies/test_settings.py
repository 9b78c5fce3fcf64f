"""Choosing the registry from settings, and the errors that name what to fix."""

from __future__ import annotations

import pytest

from accreditation.companies import (
    DEFAULT_BASE_URL,
    DEFAULT_OFFLINE_PATH,
    CompaniesHouseClient,
    OfflineCompanyRegistry,
    registry_from_config,
    settings_from_environment,
)
from accreditation.config import ConfigurationError

from .helpers import API_KEY


def test_offline_is_the_default_and_reads_the_shipped_files() -> None:
    registry = registry_from_config({})
    assert isinstance(registry, OfflineCompanyRegistry)
    assert registry.directory == DEFAULT_OFFLINE_PATH
    assert registry.company_profile("09876543")["company_number"] == "09876543"


def test_offline_path_can_point_elsewhere(tmp_path) -> None:
    registry = registry_from_config(
        {"COMPANIES_HOUSE_MODE": " Offline ", "COMPANIES_HOUSE_OFFLINE_PATH": str(tmp_path)}
    )
    assert isinstance(registry, OfflineCompanyRegistry) and registry.directory == tmp_path


def test_api_mode_builds_the_http_client() -> None:
    registry = registry_from_config({"COMPANIES_HOUSE_MODE": "api",
                                     "COMPANIES_HOUSE_API_KEY": API_KEY})
    assert isinstance(registry, CompaniesHouseClient)
    assert DEFAULT_BASE_URL in registry.source
    assert API_KEY not in repr(registry)


@pytest.mark.parametrize(
    ("config", "variable", "words"),
    [
        ({"COMPANIES_HOUSE_MODE": "api"}, "ACCREDITATION_COMPANIES_HOUSE_API_KEY",
         "is not set"),
        ({"COMPANIES_HOUSE_MODE": "api", "COMPANIES_HOUSE_API_KEY": "  "},
         "ACCREDITATION_COMPANIES_HOUSE_API_KEY", "developer hub"),
        ({"COMPANIES_HOUSE_MODE": "live"}, "ACCREDITATION_COMPANIES_HOUSE_MODE", "'live'"),
        ({"COMPANIES_HOUSE_OFFLINE_PATH": "/nowhere/companies"},
         "ACCREDITATION_COMPANIES_HOUSE_OFFLINE_PATH", "/nowhere/companies"),
        ({"COMPANIES_HOUSE_MODE": "api", "COMPANIES_HOUSE_API_KEY": API_KEY,
          "COMPANIES_HOUSE_BASE_URL": "http://api.company-information.service.gov.uk"},
         "ACCREDITATION_COMPANIES_HOUSE_BASE_URL", "https://"),
        ({"COMPANIES_HOUSE_MODE": "api", "COMPANIES_HOUSE_API_KEY": API_KEY,
          "COMPANIES_HOUSE_TIMEOUT_SECONDS": "soon"},
         "ACCREDITATION_COMPANIES_HOUSE_TIMEOUT_SECONDS", "'soon'"),
        ({"COMPANIES_HOUSE_MODE": "api", "COMPANIES_HOUSE_API_KEY": API_KEY,
          "COMPANIES_HOUSE_TIMEOUT_SECONDS": 0}, "ACCREDITATION_COMPANIES_HOUSE_TIMEOUT_SECONDS",
         "between 0 and 120"),
    ],
)
def test_configuration_errors_name_the_variable(config, variable: str, words: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        registry_from_config(config)
    assert variable in str(caught.value)
    assert words in str(caught.value)
    assert API_KEY not in str(caught.value)


def test_settings_come_from_accreditation_variables() -> None:
    settings = settings_from_environment({
        "ACCREDITATION_COMPANIES_HOUSE_MODE": "api",
        "ACCREDITATION_COMPANIES_HOUSE_API_KEY": API_KEY,
        "ACCREDITATION_COMPANIES_HOUSE_BASE_URL": "",  # empty counts as unset
        "COMPANIES_HOUSE_OFFLINE_PATH": "/ignored/without/the/prefix",
    })
    assert settings == {
        "COMPANIES_HOUSE_MODE": "api",
        "COMPANIES_HOUSE_API_KEY": API_KEY,
        "COMPANIES_HOUSE_BASE_URL": DEFAULT_BASE_URL,
        "COMPANIES_HOUSE_OFFLINE_PATH": str(DEFAULT_OFFLINE_PATH),
        "COMPANIES_HOUSE_TIMEOUT_SECONDS": 10.0,
    }
    assert isinstance(registry_from_config(settings), CompaniesHouseClient)
