"""The user's filename, kept only to show and to name downloads: never a storage path."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_FILENAME_LENGTH = 120
FALLBACK_NAME = "evidence"
# Characters Windows and macOS refuse in names, plus quotes and ';' that would need escaping.
_UNSAFE = re.compile(r'[<>:"/\\|?*;\x00]')
_SPACES = re.compile(r"\s+")
_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()\[\]+,=@&'-]")
_SAME_TYPE = {"jpg": {"jpg", "jpeg"}, "jpeg": {"jpg", "jpeg"}, "heic": {"heic", "heif"}}
_DOCUMENT_EXTENSIONS = {
    "pdf", "jpg", "jpeg", "png", "heic", "heif", "gif", "webp", "tif", "tiff", "bmp",
    "doc", "docx", "docm", "xls", "xlsx", "xlsm", "odt", "ods", "rtf", "txt", "csv",
    "htm", "html", "svg", "xml", "exe", "sh", "js", "zip",
}


def sanitise_filename(name: str | None, *, extension: str | None = None) -> str:
    """A display name that is safe in a ``Content-Disposition`` header and on a desktop.

    Drops any folder part (``C:\\Users\\x\\a.pdf`` -> ``a.pdf``), control and formatting
    characters (including right-to-left overrides that disguise ``.exe`` as ``.pdf``),
    characters file systems refuse, leading dots, and limits the length to
    ``MAX_FILENAME_LENGTH`` characters, keeping the extension. With ``extension`` (e.g.
    ``"jpg"``, the type found by content) the name is made to end with it, so the saved file
    opens with the right program: a document-type extension is replaced
    (``photo.heic`` -> ``photo.jpg``), anything else is kept and the extension added.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(" " if unicodedata.category(char) == "Zs" else char for char in name
                   if not unicodedata.category(char).startswith("C"))
    name = _SPACES.sub(" ", _UNSAFE.sub("_", name)).strip(" .")
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix) > 16 or " " in suffix:
        stem, suffix = name, ""
    if extension:
        wanted = extension.lstrip(".").lower()
        if suffix.lower() not in _SAME_TYPE.get(wanted, {wanted}):
            if suffix.lower() not in _DOCUMENT_EXTENSIONS:
                stem = name
            suffix = wanted
    room = MAX_FILENAME_LENGTH - (len(suffix) + 1 if suffix else 0)
    stem = stem[:room].rstrip(" .") or FALLBACK_NAME
    return f"{stem}.{suffix}" if suffix else stem


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the exact name as RFC 6266 ``filename*``."""
    name = sanitise_filename(filename)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = _ASCII_UNSAFE.sub("_", ascii_name).strip(" .") or FALLBACK_NAME
    header = f'attachment; filename="{ascii_name}"'
    if ascii_name != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header
