"""Benchmark: how the signed-in pages behave on a phone-sized tablet with a slow processor.

Serves the app on loopback over a SQLite database with an application at the property
inspection stage (one property, the full checklist) and an accredited provider, signs each
role in with Debian's Chromium at Lighthouse's phone size (412 x 823), with the processor
slowed four times and Lighthouse's slow 4G (150 ms round trip, 1.6 Mbit/s), and loads each
role's main pages (every page three times: the median counts). For each page it reads, in
the browser itself, the layout shift (CLS) and the long tasks on the main thread, and from
them the total blocking time (the part of each long task over 50 ms), as Lighthouse does, without
needing Lighthouse (``bench/lighthouse.py`` runs Lighthouse itself).

Targets: CLS under 0.05 on every page, total blocking time under 200 ms (Lighthouse's "good"
on mobile) on every page. The last line is one JSON object with the figures and the targets;
exits 1 if a target is missed.

    python bench/page_speed.py
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for the test helpers that build the data

from flask_migrate import upgrade  # noqa: E402

from accreditation import create_app  # noqa: E402
from accreditation.extensions import db  # noqa: E402
from tests.cases.journey import Journey  # noqa: E402
from tests.conftest import config_for  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, sign_in  # noqa: E402
from tests.e2e.inspection_helpers import inspection_ready  # noqa: E402
from tests.e2e.speed import measure, phone_context  # noqa: E402
from tests.factories import TEST_PASSWORD, UserFactory  # noqa: E402

TARGET_CLS = 0.05
TARGET_BLOCKING_MS = 200
RUNS = 3


def pages_by_person() -> list[tuple[str, list[str]]]:
    journey, link = inspection_ready()
    accredited = Journey(properties=1, staff_files=5, young_people_files=1)
    accredited.all_the_way()
    social_worker = UserFactory(social_worker=True)
    commissioner = UserFactory(commissioner=True)
    db.session.commit()
    return [
        (journey.provider.email, ["/provider/", "/provider/application", "/provider/properties"]),
        (commissioner.email, ["/commissioner/", "/cases/", f"/cases/{accredited.case.id}"]),
        (social_worker.email, ["/register/", f"/register/providers/{accredited.organisation.id}"]),
        (journey.inspector.email, ["/inspections/", f"/inspections/{link.id}"]),
    ]


def main() -> int:
    from playwright.sync_api import sync_playwright

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(config_for(f"sqlite:///{tmp}/speed.sqlite"))
        with app.app_context():
            upgrade()
            people = pages_by_person()
            db.session.remove()
        with LiveServer(app) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for email, paths in people:
                context = phone_context(browser, server.url, network=True)
                page = context.new_page()
                page.set_default_timeout(60_000)
                with app.app_context():
                    sign_in(page, email, TEST_PASSWORD)
                for path in paths:
                    runs = [measure(page, path) for _ in range(RUNS)]
                    result = {"path": path,
                              "cls": statistics.median(run["cls"] for run in runs),
                              "blocking_ms": statistics.median(run["blocking_ms"] for run in runs),
                              "long_tasks_ms": max((run["long_tasks_ms"] for run in runs),
                                                   key=sum)}
                    results.append(result)
                    print(f"{path:<28} CLS {result['cls']:.3f}  "
                          f"blocking {result['blocking_ms']:>4} ms  "
                          f"long tasks (worst run) {result['long_tasks_ms']}")
                context.close()
            browser.close()
    worst_cls = max(result["cls"] for result in results)
    worst_blocking = max(result["blocking_ms"] for result in results)
    ok = worst_cls < TARGET_CLS and worst_blocking < TARGET_BLOCKING_MS
    print(json.dumps({"benchmark": "page_speed", "pages": len(results),
                      "worst_cls": worst_cls, "target_cls_below": TARGET_CLS,
                      "worst_blocking_ms": worst_blocking,
                      "target_blocking_ms_below": TARGET_BLOCKING_MS,
                      "cpu_slowdown": 4, "viewport": "412x823", "ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
