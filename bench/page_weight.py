"""Benchmark: the weight of the inspection page on a tablet's first visit.

Serves the app on loopback over a SQLite database with an application at the property
inspection stage (one property, the full checklist: demo-like data), signs an inspector in
with Debian's Chromium, empties the browser cache, and opens the property's inspection page.
Counts the bytes transferred for it, as on the wire (after compression: the sum of CDP
``Network.loadingFinished.encodedDataLength``), and the size of our own JavaScript (every file
under ``accreditation/static/js/``, as the server sends it to a browser that accepts gzip).

Targets: at most 150 kB transferred, at most 30 kB of our own JavaScript. The last line is one
JSON object with the figures and the targets; exits 1 if a target is missed.

    python bench/page_weight.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for the test helpers that build the data

from flask_migrate import upgrade  # noqa: E402

from accreditation import create_app  # noqa: E402
from accreditation.extensions import db  # noqa: E402
from tests.conftest import config_for  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, sign_in  # noqa: E402
from tests.e2e.inspection_helpers import TABLET, inspection_ready  # noqa: E402
from tests.factories import TEST_PASSWORD  # noqa: E402

TARGET_TRANSFERRED_BYTES = 150_000
TARGET_OWN_JS_BYTES = 30_000
JS_DIR = ROOT / "accreditation" / "static" / "js"


def as_served(url: str) -> int:
    """Bytes of the response body as sent to a browser that accepts gzip."""
    request = urllib.request.Request(  # noqa: S310 (the loopback server started here)
        url, headers={"Accept-Encoding": "gzip, br"})
    with urllib.request.urlopen(request) as response:  # noqa: S310
        return len(response.read())


def main() -> int:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(config_for(f"sqlite:///{tmp}/weight.sqlite"))
        with app.app_context():
            upgrade()
            journey, link = inspection_ready()
            email, link_id = journey.inspector.email, link.id
            db.session.remove()
        with LiveServer(app) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(base_url=server.url, has_touch=True,
                                          viewport={"width": TABLET[0], "height": TABLET[1]})
            page = context.new_page()
            with app.app_context():  # the inspector's app code is read from the database
                sign_in(page, email, TEST_PASSWORD)
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.clearBrowserCache")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            sizes: dict[str, int] = {}
            urls: dict[str, str] = {}
            cdp.on("Network.requestWillBeSent",
                   lambda event: urls.__setitem__(event["requestId"], event["request"]["url"]))
            cdp.on("Network.loadingFinished", lambda event: sizes.__setitem__(
                event["requestId"], int(event["encodedDataLength"])))
            page.goto(f"/inspections/{link_id}", wait_until="networkidle")
            transferred = sum(sizes.values())
            for request_id, size in sorted(sizes.items(), key=lambda pair: -pair[1]):
                print(f"{size:>9,} B  {urls.get(request_id, request_id).replace(server.url, '')}")
            own_js = {path.relative_to(JS_DIR).as_posix(): as_served(
                f"{server.url}/static/js/{path.relative_to(JS_DIR).as_posix()}")
                for path in sorted(JS_DIR.rglob("*")) if path.is_file()}
            browser.close()
    own_js_bytes = sum(own_js.values())
    raw_js_bytes = sum(path.stat().st_size for path in JS_DIR.rglob("*") if path.is_file())
    print(f"first load of the inspection page: {transferred:,} bytes transferred "
          f"in {len(sizes)} responses (target {TARGET_TRANSFERRED_BYTES:,})")
    print(f"our own JavaScript: {own_js_bytes:,} bytes as served ({raw_js_bytes:,} on disk) "
          f"in {len(own_js)} files (target {TARGET_OWN_JS_BYTES:,})")
    ok = transferred <= TARGET_TRANSFERRED_BYTES and own_js_bytes <= TARGET_OWN_JS_BYTES
    print(json.dumps({
        "transferred_bytes": transferred, "responses": len(sizes),
        "own_js_bytes": own_js_bytes, "own_js_bytes_on_disk": raw_js_bytes,
        "target_transferred_bytes": TARGET_TRANSFERRED_BYTES,
        "target_own_js_bytes": TARGET_OWN_JS_BYTES, "ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
