"""Which storage backend the settings ask for: local disk or an S3-compatible store."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..config import ConfigurationError
from .local_storage import LocalStorage
from .s3_storage import S3Storage
from .storage import Storage


def storage_from_config(config: Mapping, *, instance_path: str | None = None) -> Storage:
    """The backend the settings ask for.

    Keys: ``STORAGE`` (``local`` default, or ``s3``); local: ``STORAGE_LOCAL_PATH`` (default
    ``<instance_path>/evidence``); s3: ``S3_BUCKET`` (required), ``S3_ENDPOINT_URL``,
    ``S3_REGION``, ``S3_ACCESS_KEY_ID`` + ``S3_SECRET_ACCESS_KEY`` (both or neither; neither
    means boto3's default chain: ``AWS_*`` variables, profile, instance role),
    ``S3_PRESIGN_ENDPOINT_URL`` (the address browsers use, if not ``S3_ENDPOINT_URL``).
    """
    kind = (config.get("STORAGE") or "local").lower()
    if kind == "local":
        path = config.get("STORAGE_LOCAL_PATH")
        if not path:
            if instance_path is None:
                raise ConfigurationError("ACCREDITATION_STORAGE_LOCAL_PATH is not set.")
            path = str(Path(instance_path) / "evidence")
        return LocalStorage(path)
    if kind == "s3":
        bucket = config.get("S3_BUCKET")
        if not bucket:
            raise ConfigurationError(
                "ACCREDITATION_S3_BUCKET is not set: name the bucket that holds evidence files.")
        access_key = config.get("S3_ACCESS_KEY_ID") or None
        secret_key = config.get("S3_SECRET_ACCESS_KEY") or None
        if bool(access_key) != bool(secret_key):
            raise ConfigurationError(
                "Set both ACCREDITATION_S3_ACCESS_KEY_ID and ACCREDITATION_S3_SECRET_ACCESS_KEY, "
                "or neither (to use the standard AWS credential chain).")
        return S3Storage(
            bucket=bucket,
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region=config.get("S3_REGION") or None,
            access_key_id=access_key,
            secret_access_key=secret_key,
            presign_endpoint_url=config.get("S3_PRESIGN_ENDPOINT_URL") or None,
        )
    raise ConfigurationError(f"ACCREDITATION_STORAGE must be local or s3, not {kind!r}.")
