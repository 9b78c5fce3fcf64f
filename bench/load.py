"""Load test: a mixed workload under gunicorn on PostgreSQL and SeaweedFS.

Starts a throwaway PostgreSQL (or uses ``ACCREDITATION_BENCH_POSTGRES_URL``, a server where a
database named ``load_bench_*`` may be created) and SeaweedFS (or the server named by
``ACCREDITATION_TEST_S3_ENDPOINT_URL``), loads the demo consortium plus more provider staff,
inspectors with property inspections under way and social workers with bearer tokens, serves
the app with gunicorn (4 workers x 4 threads) and runs locust as its own process with the users
in ``bench/load_users/locustfile.py``: providers (sign in once, their pages, vacancies, a small
evidence upload now and then), inspectors' tablets (answer batches with fresh client ids, and
replays) and social workers (register pages and the register JSON API).
Targets: no failed request, overall p95 under 300 ms. Prints what it measured; the LAST line
is one JSON object with the figures.

    python bench/load.py [--users 100] [--spawn-rate 20] [--seconds 60]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.* (services, data through the real operations)

from tests.faults.data import seed  # noqa: E402
from tests.faults.stack import (  # noqa: E402
    BIN,
    PASSWORD,
    Gunicorn,
    app_environment,
    s3_environment,
)

P95_TARGET_MS = 300
LOCUSTFILE = ROOT / "bench" / "load_users" / "locustfile.py"


def _figures(row: dict) -> dict:
    return {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
            "p50_ms": float(row["50%"]), "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"])}


def warm_up(url: str, data: dict, clients: int) -> None:
    """Every worker thread serves each kind of page once before the clock starts (templates
    compiled, connections in the pool), as a server that has been up a while has."""
    import requests

    worker = data["social_workers"][0]
    inspector = data["inspectors"][0]
    paths = [("/sign-in", {}), ("/accessibility", {}),
             ("/api/v1/register/properties", {"Authorization": f"Bearer {worker['token']}"}),
             ("/api/v1/inspector/inspections",
              {"Authorization": f"Bearer {inspector['token']}"})]

    def fetch(_: int) -> None:
        with requests.Session() as session:
            for path, headers in paths:
                session.get(url + path, headers=headers, timeout=60)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(fetch, range(clients * 2)))


def run_load(database: str, seaweed, *, users: int, spawn_rate: float, seconds: int,
             workers: int = 4, threads: int = 4, directory: Path) -> dict:
    """Seed ``database``, serve it, run locust against it; returns the figures."""
    bucket = f"load-{uuid.uuid4().hex[:12]}"
    from accreditation.evidence.s3_storage import S3Storage

    with S3Storage(bucket=bucket, endpoint_url=seaweed.endpoint_url, region="us-east-1",
                   access_key_id=seaweed.access_key,
                   secret_access_key=seaweed.secret_key) as storage:
        storage.create_bucket_if_missing()
    data = seed(database)
    data["password"] = PASSWORD
    data_file = directory / "load-data.json"
    data_file.write_text(json.dumps(data))
    print(f"loaded {len(data['providers'])} provider staff, {len(data['inspectors'])} "
          f"inspectors, {len(data['social_workers'])} social workers")
    server = Gunicorn(app_environment(database, **s3_environment(seaweed, bucket)),
                      workers=workers, threads=threads, log_path=directory / "gunicorn.log")
    server.start()
    warm_up(server.url, data, workers * threads)
    prefix = directory / "locust"
    try:
        locust = subprocess.run(  # noqa: S603 (our own locust, fixed arguments)
            [str(BIN / "locust"), "--headless", "-f", str(LOCUSTFILE), "--host", server.url,
             "--users", str(users), "--spawn-rate", str(spawn_rate), "--run-time",
             f"{seconds}s", "--stop-timeout", "10", "--csv", str(prefix), "--only-summary",
             "--loglevel", "WARNING"],
            cwd=ROOT, env={**os.environ, "ACCREDITATION_LOAD_DATA": str(data_file)},
            capture_output=True, text=True, timeout=seconds + 180)
    finally:
        server.stop()
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(f"{prefix}_failures.csv", newline="") as handle:
        failures = [f"{row['Method']} {row['Name']}: {row['Error']} (x{row['Occurrences']})"
                    for row in csv.DictReader(handle)]
    overall = next(row for row in rows if row["Name"] == "Aggregated")
    result = {
        "benchmark": "load", "users": users, "spawn_rate": spawn_rate, "seconds": seconds,
        "workers": workers, "threads": threads, **_figures(overall),
        "requests_per_second": round(float(overall["Requests/s"]), 1),
        "per_request_type": {row["Name"]: _figures(row) for row in rows
                             if row["Name"] != "Aggregated"},
        "failure_kinds": failures[:20],
        "targets": {"failures": 0, "p95_ms": P95_TARGET_MS},
        "locust_exit_code": locust.returncode,
    }
    result["within_targets"] = (result["failures"] == 0 and result["requests"] > 0
                                and result["p95_ms"] < P95_TARGET_MS)
    if locust.returncode not in (0, 1):  # 1: some requests failed, which the figures say
        result["locust_output"] = (locust.stdout + locust.stderr)[-3000:]
    return result


def report(result: dict) -> None:
    print(f"{result['users']} users for {result['seconds']} s against gunicorn "
          f"({result['workers']} workers x {result['threads']} threads):")
    print(f"  {'request':<36} {'count':>7} {'failed':>7} {'p50':>6} {'p95':>6} {'p99':>6}")
    for name, figures in sorted(result["per_request_type"].items()):
        print(f"  {name:<36} {figures['requests']:>7} {figures['failures']:>7} "
              f"{figures['p50_ms']:>6.0f} {figures['p95_ms']:>6.0f} {figures['p99_ms']:>6.0f}")
    print(f"  {'all':<36} {result['requests']:>7} {result['failures']:>7} "
          f"{result['p50_ms']:>6.0f} {result['p95_ms']:>6.0f} {result['p99_ms']:>6.0f}  (ms)")
    for failure in result["failure_kinds"]:
        print(f"  failed: {failure}")
    print(f"targets: no failures, p95 under {P95_TARGET_MS} ms: "
          f"{'met' if result['within_targets'] else 'NOT met'}")
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    options = parser.parse_args()

    import sqlalchemy as sa

    from tests.seaweedfs import start_seaweedfs
    from tests.services import start_postgres

    postgres = seaweed = None
    with tempfile.TemporaryDirectory() as directory:
        try:
            server_url = os.environ.get("ACCREDITATION_BENCH_POSTGRES_URL")
            if not server_url:
                postgres = start_postgres()
                server_url = postgres.url
            name = f"load_bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            admin.dispose()
            seaweed = start_seaweedfs()
            result = run_load(server_url.rsplit("/", 1)[0] + "/" + name, seaweed,
                              users=options.users, spawn_rate=options.spawn_rate,
                              seconds=options.seconds, workers=options.workers,
                              threads=options.threads, directory=Path(directory))
        finally:
            if seaweed is not None:
                seaweed.stop()
            if postgres is not None:
                postgres.stop()
    report(result)


if __name__ == "__main__":
    main()
