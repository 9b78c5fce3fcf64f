"""Reading the PDFs the service makes, as a reader (and a screen reader) does."""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass

import pypdf

from .services import unavailable


def need_chromium() -> None:
    if not shutil.which("chromium") and not shutil.which("chromium-browser"):
        unavailable("Chromium is not installed: apt-get install chromium")


@dataclass
class ReadPdf:
    title: str
    language: str | None
    tagged: bool
    text: str


def read_pdf(data: bytes) -> ReadPdf:
    assert data.startswith(b"%PDF-"), data[:20]
    reader = pypdf.PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    mark = root.get("/MarkInfo")
    tagged = ("/StructTreeRoot" in root and mark is not None
              and bool(mark.get_object().get("/Marked")))
    language = root.get("/Lang")
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return ReadPdf(title=str((reader.metadata or {}).get("/Title", "")),
                   language=str(language) if language is not None else None,
                   tagged=tagged, text=" ".join(text.split()))
