"""Fixtures for the register: providers taken through the real operations to a decision."""

from ..cases.conftest import checklists, journey, today  # noqa: F401 (fixtures for these tests)
