"""Benchmark: evidence uploads to S3-compatible storage (a throwaway SeaweedFS on loopback).

Puts 100 files of 5 MB through ``S3Storage`` from temp files on disk (as uploads arrive after
``inspect_upload``), reads them back as streams, and deletes them. Prints throughput and the
peak resident memory, which should stay far below the bytes moved: files are streamed, never
held whole. Prints a JSON object as its last line.

    python bench/evidence_storage.py [--files 100] [--megabytes 5]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.seaweedfs, which starts the server

from accreditation.evidence.s3_storage import S3Storage  # noqa: E402
from accreditation.evidence.storage import new_key  # noqa: E402
from tests.seaweedfs import start_seaweedfs  # noqa: E402

MiB = 1024 * 1024


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run(files: int, megabytes: int) -> dict:
    size = megabytes * MiB
    server = start_seaweedfs()
    try:
        with tempfile.TemporaryFile() as source, S3Storage(
                bucket="bench-evidence", endpoint_url=server.endpoint_url, region="us-east-1",
                access_key_id=server.access_key, secret_access_key=server.secret_key) as storage:
            storage.create_bucket_if_missing()
            for _ in range(megabytes):
                source.write(os.urandom(MiB))
            source.seek(0)
            expected = hashlib.file_digest(source, "sha256").hexdigest()
            rss_before = peak_rss_mib()

            keys = [new_key() for _ in range(files)]
            started = time.perf_counter()
            for key in keys:
                source.seek(0)
                stored = storage.put(key, source, content_type="application/pdf", size=size)
                assert stored == expected, "put named other bytes than the file's"
            put_seconds = time.perf_counter() - started

            started = time.perf_counter()
            for index, key in enumerate(keys):
                digest = hashlib.sha256()
                with closing(storage.open(key)) as stream:
                    while chunk := stream.read(MiB):
                        digest.update(chunk)
                if index == 0:
                    assert digest.hexdigest() == expected, "read back different bytes"
            get_seconds = time.perf_counter() - started

            for key in keys:
                storage.delete(key)
    finally:
        server.stop()
    moved = files * size / MiB
    return {
        "benchmark": "evidence_storage",
        "files": files,
        "file_mib": megabytes,
        "put_mib_per_s": round(moved / put_seconds, 1),
        "put_files_per_s": round(files / put_seconds, 1),
        "get_mib_per_s": round(moved / get_seconds, 1),
        "peak_rss_mib_before": round(rss_before, 1),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--megabytes", type=int, default=5)
    args = parser.parse_args()
    try:
        result = run(args.files, args.megabytes)
    except pytest.skip.Exception as skipped:  # SeaweedFS could not be started
        print(f"skipped: {skipped}")
        print(json.dumps({"benchmark": "evidence_storage", "skipped": str(skipped)}))
        sys.exit(2)
    print(f"{result['files']} puts of {result['file_mib']} MiB: "
          f"{result['put_mib_per_s']} MiB/s ({result['put_files_per_s']} files/s); "
          f"reads {result['get_mib_per_s']} MiB/s")
    print(f"peak RSS {result['peak_rss_mib']} MiB "
          f"(before the transfers: {result['peak_rss_mib_before']} MiB)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
