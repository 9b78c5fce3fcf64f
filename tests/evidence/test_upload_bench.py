"""A short run of the upload benchmark (bench/evidence_upload.py) inside the test suite, on
the session's SeaweedFS: it still uploads through the app, stores and records every file
(the benchmark checks both sides and reads one back) and reports what it measures. Its
targets are the full run's (``make bench``), on a machine not busy with the suite."""

from __future__ import annotations

from bench.evidence_upload import run


def test_a_short_run_uploads_records_and_reports(seaweedfs, monkeypatch):
    monkeypatch.setenv("ACCREDITATION_S3_ENDPOINT_URL", seaweedfs.endpoint_url)
    monkeypatch.setenv("ACCREDITATION_S3_ACCESS_KEY_ID", seaweedfs.access_key)
    monkeypatch.setenv("ACCREDITATION_S3_SECRET_ACCESS_KEY", seaweedfs.secret_key)
    monkeypatch.delenv("ACCREDITATION_S3_BUCKET", raising=False)  # a bucket of its own
    result = run(files=3, megabytes=2)
    assert result["files"] == 3 and result["file_mib"] == 2
    assert result["seconds"] > 0 and result["plain_boto3_seconds"] > 0 and result["ratio"] > 0
    # Memory does not depend on the machine's speed: no upload holds a whole file.
    assert 0 < result["python_peak_mib_per_upload"] < result["target_python_peak_mib"]
    assert result["server_cpu_ms_app"] is None  # not its own server: not measured
