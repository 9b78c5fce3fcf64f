"""Benchmark: Lighthouse's mobile performance score for each role's main signed-in pages.

Serves the app on loopback over a SQLite database with the data of ``bench/page_speed.py`` (an
application at the property inspection stage, the full checklist, an accredited provider),
signs each role in with Debian's Chromium, then runs Lighthouse (pinned in
``bench/lighthouse/package.json``; ``npm ci --prefix bench/lighthouse`` installs it once) on
each page with its default mobile settings: a phone's screen, the processor slowed four times
and simulated slow 4G. Every page is run three times: the median counts.

Targets: a performance score of 95 or more and CLS under 0.05 on every page. The last line is
one JSON object with the figures and the targets; exits 1 if a target is missed.

    python bench/lighthouse.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for the test helpers that build the data

from flask_migrate import upgrade  # noqa: E402

from accreditation import create_app  # noqa: E402
from accreditation.extensions import db  # noqa: E402
from bench.page_speed import pages_by_person  # noqa: E402
from tests.conftest import config_for  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, sign_in  # noqa: E402
from tests.factories import TEST_PASSWORD  # noqa: E402

TARGET_SCORE = 95
TARGET_CLS = 0.05
RUNS = 3
TOOL = ROOT / "bench" / "lighthouse"
CLI = TOOL / "node_modules" / "lighthouse" / "cli" / "index.js"


def install_lighthouse() -> None:
    if not CLI.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund",  # noqa: S603, S607
                        "--loglevel=error", "--prefix", str(TOOL)], check=True)


def lighthouse(url: str, cookie: str) -> dict:
    """One Lighthouse run of ``url``: its performance score, CLS and total blocking time."""
    flags = " ".join(argument for argument in CHROMIUM_ARGS if argument != "--headless")
    completed = subprocess.run(  # noqa: S603
        ["node", str(CLI), url, "--quiet", "--output=json", "--output-path=stdout",  # noqa: S607
         "--only-categories=performance", f"--chrome-path={CHROMIUM}",
         f"--chrome-flags=--headless=new {flags}",
         "--extra-headers", json.dumps({"Cookie": cookie})],
        capture_output=True, text=True, check=True, timeout=180,
        env={**os.environ, "CHROME_PATH": CHROMIUM})
    report = json.loads(completed.stdout)
    if report.get("runtimeError"):
        raise RuntimeError(f"{url}: {report['runtimeError']}")
    audits = report["audits"]
    return {"score": round(report["categories"]["performance"]["score"] * 100),
            "cls": audits["cumulative-layout-shift"]["numericValue"],
            "blocking_ms": round(audits["total-blocking-time"]["numericValue"]),
            "final_url": report["finalDisplayedUrl"]}


def main() -> int:
    from playwright.sync_api import sync_playwright

    install_lighthouse()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(config_for(f"sqlite:///{tmp}/lighthouse.sqlite"))
        with app.app_context():
            upgrade()
            people = pages_by_person()
            db.session.remove()
        with LiveServer(app) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for email, paths in people:
                context = browser.new_context(base_url=server.url)
                page = context.new_page()
                with app.app_context():
                    sign_in(page, email, TEST_PASSWORD)
                cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
                context.close()
                for path in paths:
                    runs = [lighthouse(server.url + path, cookie) for _ in range(RUNS)]
                    if any(not run["final_url"].endswith(path) for run in runs):
                        raise RuntimeError(f"{path} was not reached: {runs[0]['final_url']}")
                    result = {"path": path,
                              "score": statistics.median(run["score"] for run in runs),
                              "cls": statistics.median(run["cls"] for run in runs),
                              "blocking_ms": statistics.median(run["blocking_ms"] for run in runs)}
                    results.append(result)
                    print(f"{path:<28} score {result['score']:>5}  CLS {result['cls']:.3f}  "
                          f"blocking {result['blocking_ms']:>4} ms")
            browser.close()
    lowest_score = min(result["score"] for result in results)
    worst_cls = max(result["cls"] for result in results)
    ok = lowest_score >= TARGET_SCORE and worst_cls < TARGET_CLS
    print(json.dumps({"benchmark": "lighthouse", "pages": len(results), "runs_per_page": RUNS,
                      "lowest_score": lowest_score, "target_score_at_least": TARGET_SCORE,
                      "worst_cls": worst_cls, "target_cls_below": TARGET_CLS,
                      "scores": {result["path"]: result["score"] for result in results},
                      "ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
