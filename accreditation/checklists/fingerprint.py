"""Content fingerprints: how we notice that a published version was edited in place."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from .model import ChecklistVersion
from .problems import Problem

Published = Mapping[tuple[str, int], str]


def canonical_json(value: Any) -> str:
    """One fixed JSON text per value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(version: ChecklistVersion) -> str:
    """sha256 (hex) of the canonical JSON of the version's normal form (``to_dict``).

    The normal form spells out every default, so layout, comments and key order do not change
    the fingerprint, while any change of meaning does, including a change to a default in code.
    """
    return hashlib.sha256(canonical_json(version.to_dict()).encode("utf-8")).hexdigest()


def edited_after_publication(
    version: ChecklistVersion,
    path: str,
    published: Published,
    *,
    line: int | None = None,
) -> Problem | None:
    """A problem if ``(kind, version)`` was published with a different fingerprint, else None."""
    key = (version.kind, version.version)
    if key not in published or published[key] == fingerprint(version):
        return None
    later = max([v for (k, v) in published if k == version.kind] + [version.version]) + 1
    return Problem(
        path,
        line,
        "published_version_edited",
        f"version {version.version} of {version.kind} was published and has been edited: "
        f"publish the change as version {later}, and put version {version.version} back as "
        "it was published",
    )
