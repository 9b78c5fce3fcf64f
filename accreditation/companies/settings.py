"""Choosing the company register from the app's settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..config import ConfigurationError
from .http_client import DEFAULT_BASE_URL, CompaniesHouseClient
from .offline import DEFAULT_OFFLINE_PATH, OfflineCompanyRegistry
from .registry import CompanyRegistry

MODES = ("offline", "api")
DEFAULTS: dict[str, Any] = {
    "COMPANIES_HOUSE_MODE": "offline",
    "COMPANIES_HOUSE_API_KEY": None,
    "COMPANIES_HOUSE_BASE_URL": DEFAULT_BASE_URL,
    "COMPANIES_HOUSE_OFFLINE_PATH": str(DEFAULT_OFFLINE_PATH),
    "COMPANIES_HOUSE_TIMEOUT_SECONDS": 10.0,
}


def settings_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``COMPANIES_HOUSE_*`` settings from ``ACCREDITATION_COMPANIES_HOUSE_*`` variables.

    Empty variables count as unset. ``create_app`` merges them into the app's settings.
    """
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for key in DEFAULTS:
        value = environ.get(f"ACCREDITATION_{key}")
        if value not in (None, ""):
            settings[key] = value
    return settings


def uses_offline_register(config: Mapping[str, Any]) -> bool:
    """Whether the settings ask for the offline copy of the register rather than live data."""
    return str(config.get("COMPANIES_HOUSE_MODE") or "offline").strip().lower() != "api"


def registry_from_config(config: Mapping[str, Any]) -> CompanyRegistry:
    """The registry the settings ask for; ConfigurationError naming the variable to fix.

    ``COMPANIES_HOUSE_MODE`` is ``offline`` (the default: shipped demo files, no network) or
    ``api`` (the live API; needs ``COMPANIES_HOUSE_API_KEY``).
    """
    mode = str(config.get("COMPANIES_HOUSE_MODE") or "offline").strip().lower()
    if mode not in MODES:
        raise ConfigurationError(
            "ACCREDITATION_COMPANIES_HOUSE_MODE must be one of "
            f"{', '.join(MODES)}, not {config.get('COMPANIES_HOUSE_MODE')!r}."
        )
    if mode == "offline":
        path = Path(config.get("COMPANIES_HOUSE_OFFLINE_PATH") or DEFAULT_OFFLINE_PATH)
        if not path.is_dir():
            raise ConfigurationError(
                f"ACCREDITATION_COMPANIES_HOUSE_OFFLINE_PATH must be a directory of company "
                f"files; {str(path)!r} is not one."
            )
        return OfflineCompanyRegistry(path)
    key = str(config.get("COMPANIES_HOUSE_API_KEY") or "").strip()
    if not key:
        raise ConfigurationError(
            "ACCREDITATION_COMPANIES_HOUSE_API_KEY is not set, but "
            "ACCREDITATION_COMPANIES_HOUSE_MODE is 'api'. Create a REST API key for a live "
            "application on the Companies House developer hub "
            "(https://developer.company-information.service.gov.uk) and set it, or set the "
            "mode to 'offline'."
        )
    raw_timeout = config.get("COMPANIES_HOUSE_TIMEOUT_SECONDS")
    if raw_timeout is None:
        raw_timeout = DEFAULTS["COMPANIES_HOUSE_TIMEOUT_SECONDS"]
    try:
        timeout = float(raw_timeout)
    except (TypeError, ValueError):
        timeout = 0.0
    if not 0 < timeout <= 120:
        raise ConfigurationError(
            "ACCREDITATION_COMPANIES_HOUSE_TIMEOUT_SECONDS must be a number of seconds between "
            f"0 and 120, not {raw_timeout!r}."
        )
    return CompaniesHouseClient(
        key,
        base_url=str(config.get("COMPANIES_HOUSE_BASE_URL") or DEFAULT_BASE_URL),
        timeout=timeout,
    )
