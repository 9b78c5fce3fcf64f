"""How the templates write markup: never by joining strings.

With autoescaping on, ``'<br><strong>' ~ (reference | e)`` escapes the literal too (joining
a string to escaped markup escapes the string), so the page shows "<br>" as text. Markup
around values is written in ``{% set x %}...{% endset %}`` blocks, where it stays markup and
the values are escaped.
"""

from __future__ import annotations

import re

from accreditation.paths import folder

# A quoted string holding a tag, joined with ``~`` on either side.
TEMPLATES = folder("templates")
JOINED_MARKUP = re.compile(
    r"""(?P<q>['"])[^'"\n]*</?[a-zA-Z][^'"\n]*(?P=q)\s*~|~\s*(?P<r>['"])[^'"\n]*</?[a-zA-Z]""")


def test_no_template_joins_markup_to_a_value_with_tilde():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if JOINED_MARKUP.search(line):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}")
    assert found == [], "\n".join(found)


def test_the_check_finds_what_it_is_for():
    assert JOINED_MARKUP.search("""{{ govukPanel({'html': 'Ref<br><strong>' ~ (x | e)}) }}""")
    assert JOINED_MARKUP.search("""{'html': address ~ '<br>' ~ (home.name | e)}""")
    assert not JOINED_MARKUP.search("""{'text': 'File ' ~ entry.reference}""")
    assert not JOINED_MARKUP.search("""{'html': '<span class="x">Actions</span>'}""")
