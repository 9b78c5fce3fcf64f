"""``accreditation evidence verify``: every record's object is stored with the SHA-256 the
record keeps; a missing or changed object is named and the command exits 1."""

from __future__ import annotations

from contextlib import closing

import pytest

from .. import factories
from . import samples
from .test_sweep import upload


@pytest.mark.parametrize("evidence_backend", ["local", "s3"])
def test_verify_finds_missing_and_changed_objects(app, app_storage, evidence_backend):
    provider = factories.UserFactory(provider=True)
    kept, changed, lost = (upload(provider, samples.pdf(f"% file {n}".encode()),
                                  filename=f"policy-{n}.pdf") for n in range(3))
    photo = upload(provider, samples.jpeg(), filename="kitchen.jpg")
    runner = app.test_cli_runner()

    result = runner.invoke(args=["evidence", "verify"])
    assert result.exit_code == 0, result.output
    assert "Checked 4 evidence record(s): 0 missing, 0 different." in result.output

    with closing(app_storage.open(changed.storage_key)) as stream:
        original = stream.read()
    app_storage.delete(changed.storage_key)
    app_storage.put(changed.storage_key, original + b"%", content_type="application/pdf",
                    size=len(original) + 1)
    app_storage.delete(lost.storage_key)
    app_storage.delete(photo.preview_key)
    result = runner.invoke(args=["evidence", "verify"])
    assert result.exit_code == 1
    assert f"Missing: {lost.storage_key}" in result.output
    assert f"Missing: {photo.preview_key}" in result.output
    assert f"Different from its record: {changed.storage_key}" in result.output
    assert kept.storage_key not in result.output
    assert "Checked 4 evidence record(s): 2 missing, 1 different." in result.output
