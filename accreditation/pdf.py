"""Letters and reports as PDF: the page's own template, printed by headless Chromium.

The HTML is the template a person sees, rendered with ``pdf=True`` (``templates/base.html``
then inlines the stylesheet and leaves out scripts and icons) and printed with the print
stylesheet. Nothing is fetched while printing: the page carries a Content Security Policy that
allows only its inline styles, and Chromium is sent through a proxy that does not exist, so
not even a link someone wrote into a letter's reasons can reach the network.

Chromium tags the PDF (a structure tree from the HTML's headings, lists and tables) and takes
its title from ``<title>`` and its language from ``<html lang>``, so the PDF is as
accessible as the page.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from flask import Response, current_app, render_template
from markupsafe import Markup

from .downloads import attachment
from .errors import Unavailable

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/pdf"
# Only the page's own inline styles and pictures written into it; no script, no fetch.
POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
          "script-src 'none'; connect-src 'none'; frame-src 'none'; form-action 'none'")
_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)


class PdfUnavailable(Unavailable):
    title = "Letters cannot be made as PDF at the moment"

    def __init__(self, reason: str):
        super().__init__("Try again later. Until then, the page itself shows the same "
                         "letter or report, and your browser can print it.")
        self.reason = reason


def chromium() -> str | None:
    """The Chromium to print with: ``ACCREDITATION_CHROMIUM``, or ``chromium`` on the PATH."""
    configured = current_app.config.get("CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def sealed(html: str) -> str:
    """``html`` with the policy that stops it fetching anything, first in its head."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
    found = _HEAD.search(html)
    if found is None:
        raise ValueError("a page to print needs a <head>")
    return html[:found.end()] + meta + html[found.end():]


def html_to_pdf(html: str) -> bytes:
    """Print a whole HTML document to PDF; ``PdfUnavailable`` when it cannot be done."""
    executable = chromium()
    if executable is None:
        raise PdfUnavailable("Chromium not found: install it or set ACCREDITATION_CHROMIUM")
    timeout = current_app.config.get("PDF_TIMEOUT_SECONDS", 60)
    with tempfile.TemporaryDirectory(prefix="accreditation-pdf-") as folder:
        work = Path(folder)
        page, output = work / "page.html", work / "page.pdf"
        page.write_text(sealed(html), encoding="utf-8")
        command = [
            executable, "--headless", "--disable-gpu", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--disable-sync",
            "--disable-background-networking", "--disable-component-update",
            "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
            f"--user-data-dir={work / 'profile'}",
            # Every request, to loopback too, would go through a proxy that is not there.
            "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
            "--no-pdf-header-footer", f"--print-to-pdf={output}", page.as_uri(),
        ]
        if os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium will not start as root otherwise
        _run(command, timeout)
        if not output.exists() or output.stat().st_size == 0:
            raise PdfUnavailable("Chromium wrote no PDF")
        return output.read_bytes()


def _run(command: list[str], timeout: int) -> None:
    try:
        process = subprocess.Popen(  # noqa: S603 - a fixed argument list, no shell
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True)
    except OSError as error:
        raise PdfUnavailable(f"Chromium could not start: {error}") from error
    try:
        _, errors = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _end_group(process.pid)
        process.communicate()
        raise PdfUnavailable(f"Chromium took more than {timeout} s") from None
    finally:
        _end_group(process.pid)  # a helper left behind, whatever happened
    if process.returncode != 0:
        last = errors.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise PdfUnavailable(f"Chromium failed ({process.returncode}): {last[0][:200]}")


def _end_group(pid: int) -> None:
    """End Chromium and the helpers it started (they share its process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _stylesheet() -> Markup:
    css = (Path(current_app.static_folder) / "dist" / "app.css").read_text(encoding="utf-8")
    # Our own built stylesheet; it cannot end the <style> element early.
    return Markup(css.replace("</", "<\\/"))  # noqa: S704


def render_pdf(template: str, **context) -> bytes:
    """The page ``template`` renders with ``context``, as PDF; logs why when it cannot."""
    html = render_template(template, pdf=True, pdf_stylesheet=_stylesheet(), **context)
    try:
        return html_to_pdf(html)
    except PdfUnavailable as error:
        log.warning("PDF not made from %s: %s", template, error.reason)
        raise


def pdf_response(data: bytes, filename: str) -> Response:
    """A PDF to download as ``filename``."""
    return attachment(data, filename, MEDIA_TYPE)
