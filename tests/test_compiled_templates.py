"""Templates compiled once per process are shared by every app it builds, and an edited
template is never served from the old compilation."""

from __future__ import annotations

import re

from jinja2 import DictLoader, Environment

from accreditation import _COMPILED_TEMPLATES, create_app

from .conftest import config_for


def like_the_apps(templates: dict) -> Environment:
    return Environment(loader=DictLoader(templates), bytecode_cache=_COMPILED_TEMPLATES,
                       autoescape=True, trim_blocks=True, lstrip_blocks=True)


def test_an_edited_template_is_compiled_again():
    templates = {"notice.html": "Closed on {{ day }}."}
    notice = like_the_apps(templates).get_template("notice.html")
    assert notice.render(day="Monday") == "Closed on Monday."

    templates["notice.html"] = "Open on {{ day }}."
    notice = like_the_apps(templates).get_template("notice.html")
    assert notice.render(day="Monday") == "Open on Monday."


def test_a_second_app_renders_the_same_page_from_the_shared_compilation(tmp_path):
    pages = []
    for _ in range(2):
        app = create_app(config_for(f"sqlite:///{tmp_path / 'app.sqlite'}"))
        assert app.jinja_env.bytecode_cache is _COMPILED_TEMPLATES
        page = app.test_client().get("/accessibility").text
        pages.append(re.sub(r'nonce="[^"]+"', "", page))  # a new nonce each time
    assert pages[0] == pages[1] and "Accessibility statement" in pages[0]
