"""How many files an inspector samples from a provider's roster."""

from __future__ import annotations

from math import isqrt

from .model import SampleRule


def sample_size(roster_size: int, rule: SampleRule | None = None) -> int:
    """Number of files to draw from a roster of ``roster_size`` files.

    The rule (from the file_sampling definition; ``SampleRule()`` by default) is: at least
    ``rule.minimum``, or the square root of the roster rounded up, whichever is larger; and every
    file when the roster is no bigger than that. The result is never more than the roster.
    """
    if rule is None:
        rule = SampleRule()
    if type(roster_size) is not int or roster_size < 0:
        raise ValueError(f"roster size must be a whole number of files, 0 or more: {roster_size!r}")
    wanted = rule.minimum
    if rule.square_root_of_roster:
        root = isqrt(roster_size)
        if root * root < roster_size:
            root += 1  # rounded up, in exact integer arithmetic
        wanted = max(wanted, root)
    return min(wanted, roster_size)
