"""Several app hosts behind a real load balancer: Debian's HAProxy with the example
configuration (``deploy/haproxy.cfg``), two gunicorn hosts (each with its own register page
cache), one PostgreSQL and one SeaweedFS.

A session made on one host works on the other; a vacancy changed through one host is seen at
once in the register searched through the other; a host killed with ``kill -9`` under a bounded
mixed load loses no acknowledged write and the balancer stops sending to it; it comes back and
serves. At its end the test prints requests served per host, failed requests and acknowledged
writes lost."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests
import sqlalchemy as sa

from ..seaweedfs import start_seaweedfs
from ..services import unavailable
from .data import seed
from .stack import ROOT, Browser, Gunicorn, app_environment, free_port, new_database, s3_environment

CONFIG = ROOT / "deploy" / "haproxy.cfg"
METRICS_TOKEN = "metrics-token-for-the-several-hosts-test"  # noqa: S105
HAPROXY = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")
LOAD_SECONDS = 12  # the mixed load's bound in time...
ROUNDS = 400  # ...and in writes per provider
KILL_AFTER = 3  # seconds into the load
BACK_AFTER = 5
DRAIN_SECONDS = 3  # after the kill, every request must succeed after this long


class Balancer:
    def __init__(self, hosts: list[Gunicorn], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "LB_ADDRESS": f"127.0.0.1:{self.port}",
                       "SERVICE_HOST": "127.0.0.1",
                       **{f"APP{n}_ADDRESS": f"127.0.0.1:{host.port}"
                          for n, host in enumerate(hosts, 1)}}
        with log.open("ab") as output:
            self.process = subprocess.Popen(  # noqa: S603 (Debian's haproxy, our configuration)
                [HAPROXY, "-db", "-f", str(CONFIG)], env=environment,
                stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("haproxy did not serve")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def kill_9(host: Gunicorn) -> None:
    for pid in (*host.worker_pids(), host.process.pid):
        os.kill(pid, signal.SIGKILL)
    host.process.wait(timeout=10)
    host.process = None


def on_register(url: str, token: str, property_id: int) -> dict | None:
    headers = {"Authorization": f"Bearer {token}"}
    page = 1
    while page <= 50:
        body = requests.get(url + "/api/v1/register/properties", headers=headers,
                            params={"page": page, "size": 100}, timeout=10).json()
        for row in body["contents"]:
            if row["id"] == property_id:
                return row
        if page >= body["total_pages"]:
            return None
        page += 1
    return None


def set_vacancies(browser: Browser, property_id: int, value: int) -> requests.Response:
    page = f"/provider/properties/{property_id}"
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(page).text)
    assert token, "no form on the property's page"
    return browser.post(f"{page}/vacancies", data={"vacancies": str(value),
                                                   "csrf_token": token.group(1)})


def test_two_hosts_behind_haproxy(postgres, tmp_path):
    if HAPROXY is None:
        unavailable("haproxy is not installed (scripts/ensure-system-deps services)")
    database = new_database(postgres, f"hosts_{uuid.uuid4().hex[:8]}")
    people = seed(database, provider_staff=1, inspections=0, social_workers=1)
    seaweed = start_seaweedfs()
    started: list = []
    try:
        settings = {**s3_environment(seaweed, "hosts"), "ACCREDITATION_TRUSTED_PROXIES": "1",
                    "ACCREDITATION_METRICS_TOKEN": METRICS_TOKEN}
        from accreditation.evidence.s3_storage import S3Storage

        S3Storage(bucket="hosts", endpoint_url=seaweed.endpoint_url, region="us-east-1",
                  access_key_id=seaweed.access_key, secret_access_key=seaweed.secret_key,
                  ).create_bucket_if_missing()
        hosts = []
        for name in ("app1", "app2"):
            host = Gunicorn(app_environment(database, **settings), workers=2, threads=None,
                            log_path=tmp_path / f"{name}.log")
            hosts.append(host.start())
            started.append(host)
        balancer = Balancer(hosts, tmp_path / "haproxy.log")
        started.append(balancer)
        one, two = hosts

        # Prometheus reads each host; the balancer does not pass /metrics on.
        scrape = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        assert requests.get(one.url + "/metrics", headers=scrape, timeout=10).status_code == 200
        assert requests.get(balancer.url + "/metrics", headers=scrape,
                            timeout=10).status_code == 404

        # A session made on one host works on the other.
        provider = people["providers"][0]
        browser = Browser(one.url)
        browser.sign_in(provider["email"])
        browser.base_url = two.url
        assert browser.get("/provider/properties").status_code == 200

        # A vacancy changed through one host is seen at once through the other's register.
        worker = people["social_workers"][0]
        homes = {home["id"]: (account, home) for account in people["providers"]
                 for home in account["properties"]}
        listed = next(property_id for property_id in homes
                      if on_register(two.url, worker["token"], property_id))
        account, home = homes[listed]
        browser = Browser(one.url)
        browser.sign_in(account["email"])
        for value in (home["bed_spaces"], 0, 1):
            assert on_register(two.url, worker["token"], listed) is not None  # cached now
            assert set_vacancies(browser, listed, value).status_code == 302
            assert on_register(two.url, worker["token"], listed)["vacancies"] == value

        # A bounded mixed load through the balancer; one host killed and brought back.
        served: Counter = Counter()
        failures: list[tuple[float, str]] = []
        writes: dict[int, list[tuple[int, bool]]] = {}
        lock = threading.Lock()
        start = time.monotonic()
        killed_at: list[float] = []

        def note(response: requests.Response | None, what: str) -> bool:
            with lock:
                if response is not None and response.status_code < 400:
                    served[response.headers.get("X-Served-By", "?")] += 1
                    return True
                status = "no answer" if response is None else response.status_code
                failures.append((time.monotonic() - start, f"{what}: {status}"))
                return False

        def provider_load(browser: Browser, account: dict) -> None:
            home = account["properties"][0]
            writes[home["id"]] = []
            for round_ in range(ROUNDS):
                if time.monotonic() - start > LOAD_SECONDS:
                    return
                value = round_ % (home["bed_spaces"] + 1)
                try:
                    page = browser.get("/provider/properties")
                except requests.RequestException:
                    page = None
                note(page, "page")
                try:
                    response = set_vacancies(browser, home["id"], value)
                except (requests.RequestException, AssertionError):
                    response = None
                acknowledged = note(response, "vacancies") and response.status_code == 302
                writes[home["id"]].append((value, acknowledged))

        def searcher() -> None:
            while time.monotonic() - start < LOAD_SECONDS:
                try:
                    response = requests.get(
                        balancer.url + "/api/v1/register/properties",
                        headers={"Authorization": f"Bearer {worker['token']}"}, timeout=10)
                except requests.RequestException:
                    response = None
                note(response, "search")

        browsers = []
        for account in people["providers"][:3]:
            browsers.append(Browser(balancer.url))
            browsers[-1].sign_in(account["email"])
        threads = [threading.Thread(target=provider_load, args=(browser, account))
                   for browser, account in zip(browsers, people["providers"], strict=False)]
        threads.append(threading.Thread(target=searcher))
        start = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(KILL_AFTER)
        kill_9(one)
        killed_at.append(time.monotonic() - start)
        time.sleep(BACK_AFTER - KILL_AFTER)
        one.start()
        back_at = time.monotonic() - start
        for thread in threads:
            thread.join(timeout=LOAD_SECONDS + 60)
        # Back in rotation once its health checks pass again (two, half a second apart).
        served_after_return: Counter = Counter()
        deadline = time.monotonic() + 15
        while not served_after_return["app1"] and time.monotonic() < deadline:
            response = requests.get(balancer.url + "/accessibility", timeout=5)
            assert response.status_code == 200
            served_after_return[response.headers.get("X-Served-By")] += 1
            time.sleep(0.1)

        engine = sa.create_engine(database)
        with engine.connect() as connection:
            stored = dict(connection.execute(sa.text(
                "SELECT id, vacancies FROM property WHERE id = ANY(:ids)"),
                {"ids": list(writes)}).all())
        engine.dispose()
        lost = 0
        for property_id, attempts in writes.items():
            acknowledged = [n for n, (_, ok) in enumerate(attempts) if ok]
            if not acknowledged:
                continue
            last = acknowledged[-1]
            # The last acknowledged value, or one sent after it whose answer was lost.
            possible = {value for value, _ in attempts[last:]}
            lost += stored[property_id] not in possible

        print(f"\nrequests served per host: {dict(served)}; failed requests: {len(failures)}"
              f" (host killed at {killed_at[0]:.1f} s, back at {back_at:.1f} s); "
              f"acknowledged writes lost: {lost}")
        assert lost == 0
        assert served["app1"] > 0 and served["app2"] > 0
        late = [failure for failure in failures if failure[0] > killed_at[0] + DRAIN_SECONDS]
        assert late == [], late  # the balancer drained the killed host
        assert served_after_return["app1"] > 0, served_after_return  # it came back and serves
    finally:
        for thing in reversed(started):
            thing.stop()
        seaweed.stop()
