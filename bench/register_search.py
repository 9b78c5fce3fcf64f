"""Benchmark: register search at scale (20,000 providers, 100,000 properties).

On SQLite and PostgreSQL (``ACCREDITATION_BENCH_POSTGRES_URL``, or a throwaway server started
like the test suite's), bulk-loads accredited providers (one in twenty suspended), builds the
register index, then brings the statistics up to date as a live database's autovacuum would
(``VACUUM ANALYZE`` on PostgreSQL, ``ANALYZE`` on SQLite). It runs a fixed mix of searches
twice: through the JSON API endpoint (Flask test client, bearer token, JSON) and as the raw
SQL the search runs (the same statements, literal values, straight on the driver). Then,
under gunicorn with several concurrent clients, it compares the throughput of the search
endpoint with a trivial endpoint behind the same bearer-token check (``/api/bench/hello``),
and also reports a public trivial endpoint (``/bench/hello``, no authentication).
Targets: endpoint p95 at most 2x raw SQL p95 and under 50 ms on PostgreSQL; search throughput
at least 0.3x the token-checked trivial endpoint's. Prints what it measured; the LAST line is
one JSON object with every figure.

Searches keep their number of matches, and the pages they read, per process under the
register's generation (``search.SEARCHES``). The endpoint-against-raw-SQL timings switch that
off, so both count and read every time. The throughput test leaves it on and draws its
searches at random (seeded) from what social workers search for (``random_searches``), each
drawn search sent once by whichever client is free, so it repeats only as often as real
searches would; it reports the share of searches answered with a page read before
(``page_cache_hit_rate``; by another worker: ``shared_page_hit_rate``, through the pages the
workers share on disk, ``REGISTER_CACHE_PATH``, as in production) and, of the others, the
share whose count was reused (``count_cache_hit_rate``). Optionally the register changes
while it runs (``--changes-per-minute``: each change gives the register a new
generation, as a change to a provider or property would; a vacancy update moves only the
generation of searches for vacancies). Hello and search run in alternating rounds (machine
noise hits both alike) and the ratio reported is the median of the rounds' ratios.

The mix is what social workers look for before a referral (``query_mix``), ten searches:
a provider by its exact name; two words of a name; a town with the young person's age; a
postcode district with vacancies now; a borough with a category and an age; a borough with
vacancies now; a borough, category, age and who the home is for, second page; a word of a
name with a category, sorted by name; and two broad ones: every home in London for a
17-year-old care leaver sorted by expiry (~29,000 matches), and page 5 of every accredited
home (95,000 matches).

    python bench/register_search.py [--providers 20000] [--properties 100000] [--repeat 15]
        [--workers 4] [--clients 8] [--seconds 5] [--rounds 3] [--changes-per-minute 0]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.services, which starts PostgreSQL

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from accreditation import create_app  # noqa: E402
from accreditation.auth.permissions import allow, public  # noqa: E402
from accreditation.extensions import db  # noqa: E402
from accreditation.register.access import REGISTER_ROLES  # noqa: E402

TODAY = date(2026, 11, 22)
SECRET = "bench-secret-key-" + "x" * 32
BOROUGHS = ["Camden", "Hackney", "Islington", "Haringey", "Lambeth", "Southwark", "Lewisham",
            "Newham", "Tower Hamlets", "Westminster", "Brent", "Ealing", "Barnet", "Enfield",
            "Croydon", "Bromley", "Greenwich", "Waltham Forest", "Redbridge", "Harrow"]
TOWNS = ["London", "Stratford", "Walthamstow", "Croydon", "Wembley", "Ilford", "Enfield",
         "Barnet", "Harrow", "Bromley", "Woolwich", "Lewisham", "Brixton", "Peckham",
         "Tottenham", "Hornsey", "Ealing", "Acton", "Camden Town", "Dalston"]
DISTRICTS = ["N1", "N7", "N16", "N17", "NW1", "NW5", "NW10", "E8", "E15", "E17", "SE15",
             "SE13", "SW2", "SW9", "W5", "W3", "CR0", "IG1", "EN1", "HA1"]
WORDS = ["Harbour", "Lights", "Stepping", "Stones", "Northern", "Star", "Bridge", "Haven",
         "Oak", "Willow", "Beacon", "Compass", "Anchor", "Meadow", "Horizon", "Pathway",
         "Keystone", "Lantern", "Riverside", "Summit", "Phoenix", "Cedar", "Unity", "Open",
         "Door", "Bright", "Future", "Foundation", "Community", "Hope"]
SUFFIXES = ["Housing Ltd", "Supported Living", "Homes", "Care Ltd", "Lodgings", "Trust"]
CATEGORIES = ["single_occupancy", "ring_fenced_shared", "non_ring_fenced_shared",
              "supported_lodgings"]
WHO_FOR = ["Care leavers", "16 and 17 year olds", "Young people leaving care",
           "Care leavers aged 18 to 21", "Young parents"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def bench_app(database_url: str | None = None):
    """The app plus a trivial endpoint to compare against (also gunicorn's entry point)."""
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": SECRET,
                      "SQLALCHEMY_DATABASE_URI": database_url
                      or os.environ["ACCREDITATION_DATABASE_URL"]})

    @app.route("/bench/hello")
    @public
    def hello():
        return {"hello": "world"}

    # The same trivial answer behind the API's bearer-token check, which every API request
    # pays (the token and its user looked up): the fair baseline for an API search.
    @app.route("/api/bench/hello")
    @allow(*REGISTER_ROLES)
    def hello_api():
        return {"hello": "world"}

    if os.environ.get("REGISTER_BENCH_SEARCH_CACHE") == "off":  # to compare without it
        from accreditation.register.page_cache import SEARCHES

        SEARCHES.enabled = False

    @app.route("/bench/search-cache")
    @public
    def search_cache():  # this worker's figures
        from accreditation.register.page_cache import SEARCHES

        return {"pid": os.getpid(), "hits": SEARCHES.hits, "misses": SEARCHES.misses,
                "page_hits": SEARCHES.page_hits + SEARCHES.shared_page_hits,
                "shared_page_hits": SEARCHES.shared_page_hits}

    return app


# --- data --------------------------------------------------------------------------------------

def load(connection, providers: int, properties: int, seed: int = 7) -> dict:
    """Bulk-load councils, accredited providers and their properties; returns what it made."""
    from accreditation.auth.models import User
    from accreditation.cases.models import Case, CaseProperty, Decision
    from accreditation.councils import Council
    from accreditation.providers.models import Organisation, Property

    rng = random.Random(seed)
    now = datetime.now(UTC)
    connection.execute(sa.insert(Council.__table__), [
        {"id": n + 1, "name": name, "ons_code": f"E09{n:06d}", "in_consortium": True}
        for n, name in enumerate(BOROUGHS)])
    connection.execute(sa.insert(User.__table__), [{
        "id": 1, "email": "bench.commissioner@example.org", "full_name": "Bench Commissioner",
        "role": "commissioner", "password_hash": "x", "created_at": now, "is_active": True}])
    names = []
    for n in range(providers):
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(SUFFIXES)} {n}"
        names.append(name)
    per = max(1, properties // providers)
    batch = 5000
    organisations, cases, decisions, homes, links = [], [], [], [], []
    property_id = 0
    for n in range(providers):
        org_id = n + 1
        organisations.append({"id": org_id, "name": names[n], "created_at": now})
        status = "suspended" if n % 20 == 0 else "accredited"
        cases.append({"id": org_id, "organisation_id": org_id, "status": status,
                      "version": 2, "created_at": now, "status_changed_at": now,
                      "decided_at": now, "accredited_on": TODAY - timedelta(days=n % 300),
                      "expires_on": TODAY + timedelta(days=65 + n % 300),
                      "suspension_reason": "Bench" if status == "suspended" else None})
        decisions.append({"id": org_id, "case_id": org_id, "outcome": "accredited",
                          "reasons": "Meets the standard.", "decided_by_id": 1,
                          "decided_at": now, "expires_on": TODAY + timedelta(days=65 + n % 300)})
        for _ in range(per):
            property_id += 1
            age_min = rng.choice([16, 16, 16, 18])
            district = rng.choice(DISTRICTS)
            beds = rng.randint(1, 6)
            homes.append({
                "id": property_id, "organisation_id": org_id,
                "name": f"{rng.choice(WORDS)} House {property_id}",
                "address_line_1": f"{property_id} Bench Street", "town": rng.choice(TOWNS),
                "postcode": f"{district} {rng.randint(1, 9)}AB",
                "local_authority_id": rng.randint(1, len(BOROUGHS)),
                "category": rng.choice(CATEGORIES), "bed_spaces": beds, "age_min": age_min,
                "age_max": rng.choice([18, 21, 25]), "who_for": rng.choice(WHO_FOR),
                "vacancies": rng.randint(0, beds) if rng.random() < 0.3 else 0,
                "created_at": now})
            links.append({"id": property_id, "case_id": org_id, "property_id": property_id,
                          "outcome": "passed", "accredited": True})
    for table, rows in ((Organisation.__table__, organisations), (Case.__table__, cases),
                        (Decision.__table__, decisions), (Property.__table__, homes),
                        (CaseProperty.__table__, links)):
        for start in range(0, len(rows), batch):
            connection.execute(sa.insert(table), rows[start:start + batch])
    if connection.dialect.name == "postgresql":
        for table in ("council", "user", "organisation", "accreditation_case", "decision",
                      "property", "case_property"):
            sql = (f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
                   f"(SELECT max(id) FROM \"{table}\"))")  # fixed table names
            connection.exec_driver_sql(sql)
    return {"names": names, "providers": providers, "properties": property_id}


def query_mix(names: list[str]) -> list[dict]:
    """What social workers search for (see the module docstring), in a fixed order."""
    rng = random.Random(11)
    exact = rng.choice(names)
    return [
        {"q": exact},                                                   # a provider by name
        {"q": "harbour lights"},                                        # two words of a name
        {"q": "Walthamstow", "age": "17"},                              # a town, an age
        {"q": "N16", "vacancies": "yes"},                               # district, vacancies
        {"local_authority": "1", "category": "single_occupancy", "age": "17"},
        {"local_authority": "3", "vacancies": "yes"},                   # a borough, free now
        {"local_authority": "5", "category": "ring_fenced_shared", "age": "16",
         "who_for": "care leavers", "page": "2"},                       # ... and its 2nd page
        {"q": "haven", "category": "supported_lodgings", "sort": "name"},
        {"age": "17", "who_for": "care leavers", "sort": "expiry"},     # broad: London-wide
        {"status": "accredited", "page": "5"},                          # broad: deep page
    ]


def random_searches(names: list[str], count: int, seed: int = 23) -> list[dict]:
    """``count`` searches drawn at random from what social workers look for before a referral:
    mostly a borough with the young person's age and perhaps a category, vacancies now or who
    the home is for; some London-wide with such filters; a provider's name or a word of one; a
    town; a postcode district. Mostly the first page, sometimes the second or third."""
    rng = random.Random(seed)
    ages = list(range(16, 26))
    age_weights = [3, 3, 2, 1, 1, 1, 1, 1, 1, 1]  # 16 to 18 most often

    def maybe(args: dict, name: str, share: float, value) -> None:
        if rng.random() < share:
            args[name] = value() if callable(value) else value

    def age() -> str:
        return str(rng.choices(ages, age_weights)[0])

    def category() -> str:
        return rng.choice(CATEGORIES)

    def who_for() -> str:
        return rng.choice(["care leavers", "young parents", "16 and 17"])

    searches = []
    for _ in range(count):
        kind = rng.random()
        args: dict = {}
        if kind < 0.40:  # a borough
            args["local_authority"] = str(rng.randint(1, len(BOROUGHS)))
            maybe(args, "category", 0.5, category)
            maybe(args, "age", 0.7, age)
            maybe(args, "vacancies", 0.3, "yes")
            maybe(args, "who_for", 0.15, who_for)
        elif kind < 0.55:  # London-wide
            args["age"] = age()
            maybe(args, "category", 0.4, category)
            maybe(args, "vacancies", 0.3, "yes")
            maybe(args, "who_for", 0.2, who_for)
            sort = rng.random()
            if sort < 0.3:
                args["sort"] = "expiry"
            elif sort < 0.5:
                args["sort"] = "name"
        elif kind < 0.75:  # a provider: its name, or a word or two of it
            if rng.random() < 0.4:
                args["q"] = rng.choice(names)
            else:
                args["q"] = " ".join(rng.sample(WORDS, rng.choice([1, 1, 2])))
                maybe(args, "category", 0.25, category)
                maybe(args, "age", 0.3, age)
        elif kind < 0.85:  # a town
            args["q"] = rng.choice(TOWNS)
            maybe(args, "age", 0.5, age)
        else:  # a postcode district
            args["q"] = rng.choice(DISTRICTS)
            maybe(args, "vacancies", 0.4, "yes")
            maybe(args, "age", 0.4, age)
        page = rng.random()
        if page < 0.05:
            args["page"] = "3"
        elif page < 0.20:
            args["page"] = "2"
        searches.append(args)
    return searches


# --- measuring ----------------------------------------------------------------------------------

def measure_backend(name: str, url: str, providers: int, properties: int,
                    repeat: int) -> dict:
    from accreditation.auth.models import User
    from accreditation.auth.tokens import create_token
    from accreditation.register.index import rebuild
    from accreditation.register.query import parse_query
    from accreditation.register.search import property_statements

    app = bench_app(url)
    app.config["TESTING"] = False
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        with db.engine.begin() as connection:
            made = load(connection, providers, properties)
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        with db.engine.begin() as connection:
            rebuild(connection, today=TODAY)
        index_seconds = time.perf_counter() - started
        # What autovacuum does on a live database: statistics, and (PostgreSQL) the
        # visibility map, without which a count cannot be answered from an index alone.
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        else:
            with db.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
        db.engine.dispose()  # SQLite reads the statistics when a connection opens
        user = db.session.get(User, 1)
        _, token = create_token(user, "bench")
        db.session.commit()
    print(f"[{name}] loaded {made['providers']} providers, {made['properties']} properties in "
          f"{load_seconds:.1f}s; register index built in {index_seconds:.1f}s")

    mix = query_mix(made["names"])
    client = app.test_client()
    from accreditation.register.page_cache import SEARCHES

    SEARCHES.enabled = False  # like for like with the raw SQL: every search counts
    headers = {"Authorization": f"Bearer {token}"}
    from accreditation import clock

    endpoint: list[float] = []
    raw: list[float] = []
    by_search: dict[int, dict[str, list[float]]] = {n: {"endpoint": [], "raw": []}
                                                    for n in range(len(mix))}
    with clock.pretend(TODAY):
        for args in mix:  # warm up caches, check every query answers
            response = client.get("/api/v1/register/properties", query_string=args,
                                  headers=headers)
            assert response.status_code == 200, (args, response.text)
        for _ in range(repeat):
            for number, args in enumerate(mix):
                started = time.perf_counter()
                response = client.get("/api/v1/register/properties", query_string=args,
                                      headers=headers)
                endpoint.append(time.perf_counter() - started)
                by_search[number]["endpoint"].append(endpoint[-1])
                assert response.status_code == 200
        with app.app_context():
            statements = []
            from werkzeug.datastructures import MultiDict
            for args in mix:
                query = parse_query(MultiDict(args), change_feed=True)
                sql = property_statements(query, TODAY, addresses=True)
                run = [sql.rows] if sql.total_in_rows else [sql.count, sql.rows]
                statements.append([str(statement.params(sql.params).compile(
                    db.engine, compile_kwargs={"literal_binds": True})) for statement in run])
            raw_connection = db.engine.raw_connection()
            try:
                cursor = raw_connection.cursor()
                for _ in range(repeat):
                    for number, search in enumerate(statements):
                        started = time.perf_counter()
                        for sql in search:
                            cursor.execute(sql)
                            cursor.fetchall()
                        raw.append(time.perf_counter() - started)
                        by_search[number]["raw"].append(raw[-1])
                raw_connection.rollback()
            finally:
                raw_connection.close()
            db.session.remove()
            db.engine.dispose()
    SEARCHES.enabled = True
    result = {
        "providers": made["providers"], "properties": made["properties"],
        "load_seconds": round(load_seconds, 2), "index_seconds": round(index_seconds, 2),
        "endpoint_p50_ms": round(statistics.median(endpoint) * 1000, 2),
        "endpoint_p95_ms": round(percentile(endpoint, 0.95) * 1000, 2),
        "raw_sql_p50_ms": round(statistics.median(raw) * 1000, 2),
        "raw_sql_p95_ms": round(percentile(raw, 0.95) * 1000, 2),
    }
    result["searches"] = [
        {"query": mix[number], **{f"{kind}_p50_ms": round(statistics.median(times) * 1000, 2)
                                  for kind, times in by_search[number].items()}}
        for number in range(len(mix))]
    result["p95_ratio"] = round(result["endpoint_p95_ms"] / max(result["raw_sql_p95_ms"], 1e-6),
                                2)
    print(f"[{name}] endpoint p50 {result['endpoint_p50_ms']} ms, p95 "
          f"{result['endpoint_p95_ms']} ms; raw SQL p50 {result['raw_sql_p50_ms']} ms, p95 "
          f"{result['raw_sql_p95_ms']} ms; ratio {result['p95_ratio']}")
    for search in result["searches"]:
        print(f"[{name}]   endpoint {search['endpoint_p50_ms']:7.2f} ms, raw SQL "
              f"{search['raw_p50_ms']:7.2f} ms (p50): {urlencode(search['query'])}")
    result["_token"] = token
    result["_names"] = made["names"]
    return result


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _hammer(port: int, paths, headers: dict, clients: int, seconds: float) -> float:
    """Requests per second from ``clients`` keep-alive clients. ``paths`` is one path, or an
    iterator shared by the clients: each of its paths is sent once, by whichever is free."""
    counts = [0] * clients
    stop = time.perf_counter() + seconds
    next_path = (lambda: paths) if isinstance(paths, str) else (lambda: next(paths))

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop:
            connection.request("GET", next_path(), headers=headers)
            response = connection.getresponse()
            response.read()
            assert response.status == 200, response.status
            counts[number] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def _search_cache(port: int, workers: int) -> dict[int, dict]:
    """Every worker's search-cache figures (a request reaches whichever worker is free)."""
    seen: dict[int, dict] = {}
    for _ in range(200):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/bench/search-cache", headers={"Connection": "close"})
        figures = json.loads(connection.getresponse().read())
        connection.close()
        seen[figures["pid"]] = figures
        if len(seen) >= workers:
            break
    return seen


def _change_register(url: str, per_minute: float, stop: threading.Event) -> list[int]:
    """Give the register a new generation ``per_minute`` times a minute (what a change to a
    provider or property does to the counts searches keep) until ``stop``."""
    from accreditation.register.index import new_generation

    engine = sa.create_engine(url)
    changes = [0]

    def run() -> None:
        while not stop.wait(60.0 / per_minute):
            with engine.begin() as connection:
                new_generation(connection)
            changes[0] += 1
        engine.dispose()

    if per_minute > 0:
        threading.Thread(target=run, daemon=True).start()
    return changes


def measure_throughput(url: str, token: str, names: list[str], workers: int, clients: int,
                       seconds: float, rounds: int, changes_per_minute: float,
                       search_cache: bool = True) -> dict:
    port = _free_port()
    shared_pages = tempfile.TemporaryDirectory()  # the workers' shared pages, as in production
    env = {**os.environ, "ACCREDITATION_DATABASE_URL": url, "ACCREDITATION_ENV": "testing",
           "ACCREDITATION_SECRET_KEY": SECRET,
           "ACCREDITATION_REGISTER_CACHE_PATH": shared_pages.name,
           "REGISTER_BENCH_SEARCH_CACHE": "on" if search_cache else "off"}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    process = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
        [gunicorn, "--config", str(ROOT / "gunicorn.conf.py"),  # production's own settings
         "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "bench.register_search:bench_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stop = threading.Event()
    try:
        deadline = time.time() + 30
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/bench/hello")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                if time.time() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not start: "
                                       + process.stderr.read().decode()[-2000:]) from None
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {token}"}
        # Far more searches than the run can send: none is sent twice by going round.
        searches = random_searches(names, 200_000)
        paths = itertools.cycle([f"/api/v1/register/properties?{urlencode(args)}"
                                 for args in searches])
        _hammer(port, "/bench/hello", {}, clients, 1.0)  # warm up every worker
        _hammer(port, paths, headers, clients, 1.0)
        hello = _hammer(port, "/bench/hello", {}, clients, seconds)
        load_before = os.getloadavg()[0]
        before = _search_cache(port, workers)
        changes = _change_register(url, changes_per_minute, stop)
        hello_api, search = [], []
        for _ in range(rounds):  # alternating, so noise on the machine hits both alike
            hello_api.append(_hammer(port, "/api/bench/hello", headers, clients, seconds))
            search.append(_hammer(port, paths, headers, clients, seconds))
        stop.set()
        load_after = os.getloadavg()[0]
        after = _search_cache(port, workers)
    finally:
        stop.set()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        shared_pages.cleanup()
    hits = sum(after[pid]["hits"] - before.get(pid, {"hits": 0})["hits"] for pid in after)
    misses = sum(after[pid]["misses"] - before.get(pid, {"misses": 0})["misses"]
                 for pid in after)
    page_hits = sum(after[pid]["page_hits"] - before.get(pid, {"page_hits": 0})["page_hits"]
                    for pid in after)
    shared_hits = sum(after[pid]["shared_page_hits"]
                      - before.get(pid, {"shared_page_hits": 0})["shared_page_hits"]
                      for pid in after)
    ratios = [found / trivial for found, trivial in zip(search, hello_api, strict=True)]
    return {"workers": workers, "clients": clients, "seconds": seconds, "rounds": rounds,
            "hello_rps": round(hello, 1),
            "hello_api_rps": round(statistics.median(hello_api), 1),
            "search_rps": round(statistics.median(search), 1),
            "hello_api_rps_rounds": [round(value, 1) for value in hello_api],
            "search_rps_rounds": [round(value, 1) for value in search],
            "throughput_ratio_rounds": [round(ratio, 3) for ratio in ratios],
            "baseline": "/api/bench/hello: a trivial answer behind the same bearer-token check",
            # The target compares like with like: both behind the same bearer-token check.
            "throughput_ratio": round(statistics.median(ratios), 3),
            "throughput_ratio_vs_public_hello": round(statistics.median(search) / hello, 3),
            "page_cache_hit_rate": round(page_hits / max(page_hits + hits + misses, 1), 3),
            "shared_page_hit_rate": round(shared_hits / max(page_hits + hits + misses, 1), 3),
            "count_cache_hit_rate": round(hits / max(hits + misses, 1), 3),
            "search_cache_workers_seen": f"{len(after)} of {workers}",
            "search_cache": search_cache,
            "register_changes": changes[0], "changes_per_minute": changes_per_minute,
            # The machine's load (1-minute average) as the rounds began and ended.
            "load_average": [round(load_before, 2), round(load_after, 2)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=20_000)
    parser.add_argument("--properties", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--changes-per-minute", type=float, default=0.0)
    parser.add_argument("--no-search-cache", action="store_true",
                        help="searches count and read every time (to compare)")
    options = parser.parse_args()

    results: dict = {"benchmark": "register_search"}
    with tempfile.TemporaryDirectory() as directory:
        sqlite_url = f"sqlite:///{directory}/bench.sqlite"
        results["sqlite"] = measure_backend("sqlite", sqlite_url, options.providers,
                                            options.properties, options.repeat)
        throughput_url, throughput_token = sqlite_url, results["sqlite"]["_token"]
        names = results["sqlite"]["_names"]
        server = None
        postgres_url = os.environ.get("ACCREDITATION_BENCH_POSTGRES_URL")
        try:
            if not postgres_url:
                from tests.services import start_postgres

                try:
                    server = start_postgres()
                except BaseException as error:  # pytest.skip outside CI
                    print(f"[postgresql] not measured: {error}")
                if server is not None:
                    admin = sa.create_engine(server.url, isolation_level="AUTOCOMMIT")
                    with admin.connect() as connection:
                        connection.exec_driver_sql('CREATE DATABASE "register_bench"')
                    admin.dispose()
                    postgres_url = server.url.rsplit("/", 1)[0] + "/register_bench"
            if postgres_url:
                results["postgresql"] = measure_backend(
                    "postgresql", postgres_url, options.providers, options.properties,
                    options.repeat)
                throughput_url = postgres_url
                throughput_token = results["postgresql"]["_token"]
            backend = "postgresql" if postgres_url else "sqlite"
            throughput = measure_throughput(throughput_url, throughput_token, names,
                                            options.workers, options.clients, options.seconds,
                                            options.rounds, options.changes_per_minute,
                                            not options.no_search_cache)
            throughput["database"] = backend
            print(f"[gunicorn/{backend}] {options.workers} workers, {options.clients} clients: "
                  f"hello with a bearer token {throughput['hello_api_rps']} req/s, search "
                  f"(same bearer token) {throughput['search_rps']} req/s: ratio "
                  f"{throughput['throughput_ratio']}; public hello (no token) "
                  f"{throughput['hello_rps']} req/s, ratio "
                  f"{throughput['throughput_ratio_vs_public_hello']}; ratio per round "
                  f"{throughput['throughput_ratio_rounds']}; pages read before for "
                  f"{throughput['page_cache_hit_rate']:.0%} of searches, counts reused for "
                  f"{throughput['count_cache_hit_rate']:.0%} of the others "
                  f"({throughput['register_changes']} register changes meanwhile)")
            results["throughput"] = throughput
            results["throughput_ratio"] = throughput["throughput_ratio"]
        finally:
            if server is not None:
                server.stop()
    for backend in ("sqlite", "postgresql"):
        if backend in results:
            results[backend].pop("_token", None)
            results[backend].pop("_names", None)
    targets = {"p95_ratio_max": 2.0, "postgresql_endpoint_p95_ms_max": 50.0,
               "throughput_ratio_min": 0.3}
    met = {"p95_ratio": all(results[b]["p95_ratio"] <= 2.0 for b in ("sqlite", "postgresql")
                            if b in results),
           "throughput_ratio": results.get("throughput_ratio", 0) >= 0.3}
    if "postgresql" in results:
        met["postgresql_endpoint_p95_ms"] = results["postgresql"]["endpoint_p95_ms"] <= 50.0
    results["targets"] = {**targets, "met": met}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
