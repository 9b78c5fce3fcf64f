"""The suite builds an app for every test; werkzeug compiles two URL-building functions for
each of an app's rules, which is most of the cost of building one. The functions depend only
on the rule's text and parts (they call the rule's own converters through ``self``), so the
suite compiles each once and every app's rule uses it."""

from __future__ import annotations

from typing import ClassVar

from flask import Flask
from werkzeug.routing import Rule


class RuleWithSharedBuilders(Rule):
    _builders: ClassVar[dict] = {}

    def _compile_builder(self, append_unknown: bool = True):
        if self.defaults:  # a default is turned to text by its converter when compiled
            return super()._compile_builder(append_unknown)
        key = (self.rule, self.host, self.subdomain, tuple(self._trace), append_unknown)
        builder = self._builders.get(key)
        if builder is None:
            builder = self._builders[key] = super()._compile_builder(append_unknown)
        return builder


def share_url_builders() -> None:
    """Every app built from now on in this process shares compiled URL builders."""
    Flask.url_rule_class = RuleWithSharedBuilders
