"""The page cache's code key: processes share kept pages only with processes running the same
code, and a kept page is shaped by more than the register's own modules (the models it reads,
the councils, the statuses), so a change to any module of the package gives a new key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import accreditation
from accreditation.register import page_cache

PACKAGE = Path(accreditation.__file__).resolve().parent


@pytest.fixture
def copy_of_the_package(tmp_path):
    copy = tmp_path / "accreditation"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns(
        "__pycache__", "static", "data", "*.yaml", "*.json"))
    return copy


@pytest.mark.parametrize("module", ["providers/models.py", "councils.py", "workflow.py",
                                    "register/search.py"])
def test_a_change_to_any_module_a_page_depends_on_gives_a_new_key(copy_of_the_package, module):
    before = page_cache.code_fingerprint(copy_of_the_package)
    assert page_cache.code_fingerprint(copy_of_the_package) == before  # the same code, the same key
    changed = copy_of_the_package / module
    changed.write_text(changed.read_text() + "\n# changed\n")
    assert page_cache.code_fingerprint(copy_of_the_package) != before


def test_a_module_moved_gives_a_new_key(copy_of_the_package):
    before = page_cache.code_fingerprint(copy_of_the_package)
    (copy_of_the_package / "clock.py").rename(copy_of_the_package / "clocks.py")
    assert page_cache.code_fingerprint(copy_of_the_package) != before


def test_the_shared_key_starts_with_the_running_code_s_fingerprint():
    assert page_cache._shared_key(("a key",)) == (
        f"{page_cache.code_fingerprint(PACKAGE)}:('a key',)")
