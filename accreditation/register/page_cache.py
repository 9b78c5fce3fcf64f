"""The register's page cache: numbers of matches and pages of search results, kept while the
register is unchanged.

``SEARCHES`` keeps them per process under the register's generation, and pages also on disk
for the machine's other processes (``REGISTER_CACHE_PATH``), under a key that starts with a
hash of the package's code (``code_fingerprint``), so a deploy never reads a page
an older version kept. It runs no SQL of its own: ``search`` reads the pages and numbers, and
the register's generation, and hands them over.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from pathlib import Path

import diskcache
from flask import current_app

from ..extensions import db
from .index import CHANGED, normalise
from .query import MAX_SIZE, RegisterQuery

log = logging.getLogger(__name__)


class SearchCache:
    """Numbers of matches and pages of results of searches, kept per process under the
    register's generation; pages also on disk for the machine's other processes
    (``REGISTER_CACHE_PATH``, a ``diskcache`` directory), as a page asked for in one is often
    asked for again in another.

    ``RegisterGeneration`` changes in the same transaction as any change to the register, so
    what was read at one generation is exact for as long as the generation is the same, in
    every process; a search reads the generation in the same statement as its page, and a
    kept page or number is used only while the generation is unchanged. A number of matches
    is kept under the generation its search depends on: a search for vacancies under the one
    that moves with every change, any other under the one that a change of vacancies leaves
    alone. A page shows vacancies, so it is kept under the one that moves with every change.
    A transaction that has changed the register but not committed yet (its generation moves
    on commit) neither reads nor keeps anything.
    """

    def __init__(self, counts: int = 4096, pages: int = 512):
        self.sizes = {"counts": counts, "pages": pages}
        self.enabled = True
        self.hits = self.misses = self.page_hits = self.shared_page_hits = 0
        self._shared_caches: dict[tuple[int, str], diskcache.Cache] = {}
        self._totals: OrderedDict[tuple, int] = OrderedDict()
        self._pages: OrderedDict[tuple, tuple[int, int, list]] = OrderedDict()
        # The newest generation this process has read, for searches for vacancies (True)
        # and for the others (False).
        self._generation: dict[bool, int] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(query: RegisterQuery, today: date, kind: str = "properties") -> tuple:
        """What a search's number of matching ``kind`` (properties or providers) depends on
        (not its order, page or size). ``key[1]`` tells which generation it is kept under."""
        return (kind, query.vacancies_only, today,
                tuple(sorted(status.value for status in query.statuses)),
                tuple(sorted(set(query.terms))), tuple(sorted(set(query.districts))),
                query.local_authority_id, query.category, query.age,
                tuple(sorted(set(normalise(query.who_for).split()))))

    def _usable(self) -> bool:
        return self.enabled and not db.session.info.get(CHANGED)

    def latest(self, key: tuple) -> tuple[int | None, int | None]:
        """The newest generation read here and the number kept for ``key`` at it, if any."""
        if not self._usable():
            return None, None
        with self._lock:
            generation = self._generation.get(key[1])
            total = self._totals.get((generation, key))
            if total is not None:
                self._totals.move_to_end((generation, key))
        return generation, total

    def keep(self, generation: int | None, key: tuple, total: int) -> None:
        """Keep a number just counted (at ``generation``, read in the same statement)."""
        if generation is None or not self._usable():
            return
        with self._lock:
            self.misses += 1
            self._generation[key[1]] = generation
            self._keep(self._totals, (generation, key), total, self.sizes["counts"])

    def page(self, key: tuple, current_generation: Callable[[], int | None]
             ) -> tuple[int, list] | None:
        """The number of matches and the rows of the page ``key`` if they were read at the
        register's current generation (``current_generation`` reads it, only when a page is
        kept), by this process or, failing that, by any process of this machine
        (``REGISTER_CACHE_PATH``)."""
        if not self._usable():
            return None
        with self._lock:
            kept = self._pages.get(key)
            if kept is not None:
                self._pages.move_to_end(key)
        generation = None
        if kept is not None:
            generation = current_generation()
            if kept[0] == generation:
                self.page_hits += 1
                return kept[1], kept[2]
        shared = self._shared()
        found = _shared_call(shared.get, _shared_key(key)) if shared is not None else None
        if found is None:
            return None
        if generation is None:
            generation = current_generation()
        if found[0] != generation:
            return None
        self.shared_page_hits += 1
        with self._lock:
            self._keep(self._pages, key, found, self.sizes["pages"])
        return found[1], found[2]

    def keep_page(self, generation: int | None, key: tuple, total: int, rows: list) -> None:
        """Keep a page just read (its rows are immutable) at the ``generation`` they carry,
        here and for the machine's other processes: a page as the pages and the API show them
        (``MAX_SIZE`` rows at most; an export's thousands are not kept)."""
        if generation is None or len(rows) > MAX_SIZE or not self._usable():
            return
        with self._lock:
            self._keep(self._pages, key, (generation, total, rows), self.sizes["pages"])
        shared = self._shared()
        if shared is not None:
            _shared_call(shared.set, _shared_key(key), (generation, total, rows),
                         expire=SHARED_SECONDS)

    def _shared(self) -> diskcache.Cache | None:
        """This process's handle on the machine's shared pages (opened after any fork), or
        ``None`` without a folder or when it cannot be opened (searches work without it)."""
        path = current_app.config.get("REGISTER_CACHE_PATH")
        if not path:
            return None
        handle = (os.getpid(), path)
        with self._lock:
            if handle not in self._shared_caches:
                self._shared_caches[handle] = _shared_call(
                    diskcache.Cache, path, size_limit=SHARED_BYTES)
            return self._shared_caches[handle]

    @staticmethod
    def _keep(kept: OrderedDict, key: tuple, value, size: int) -> None:
        kept[key] = value
        kept.move_to_end(key)
        while len(kept) > size:
            kept.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._totals.clear()
            self._pages.clear()
            self._generation.clear()
            self.hits = self.misses = self.page_hits = self.shared_page_hits = 0
            for shared in self._shared_caches.values():
                if shared is not None:
                    shared.close()
            self._shared_caches.clear()


# The pages shared by a machine's processes, each under the generation it was read at (a newer
# one replaces it): at most this much disk, none older than this.
SHARED_BYTES = 256 * 1024 * 1024
SHARED_SECONDS = 24 * 3600


# Processes share pages only with processes running the same code: rows read by another
# version may have other columns, and its keys may name other searches. A kept page is shaped
# by the register's modules and by what they import from the rest of the package (the models,
# the councils, the statuses), so the key is the hash of every module of the package: any
# deploy that changes the code starts with no shared pages.
def code_fingerprint(package: Path) -> str:
    """The hash of every Python module under ``package``, by path and content."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


_CODE = code_fingerprint(Path(__file__).resolve().parent.parent)


def _shared_key(key: tuple) -> str:
    """A shared page's name: the same text in every process for the same page."""
    return f"{_CODE}:{key!r}"


def _shared_call(action, *args, **kwargs):
    """The shared pages are a help, never a need: trouble with them (a full or unwritable
    disk, a busy or damaged file) is logged and the search goes on without them."""
    try:
        return action(*args, **kwargs)
    except (OSError, sqlite3.Error, diskcache.Timeout, pickle.UnpicklingError, EOFError,
            AttributeError, ImportError) as error:
        log.warning("register search: shared pages unavailable: %s", error)
        return None


SEARCHES = SearchCache()
