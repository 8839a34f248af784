"""The stranger's marketing objects (see strangers.py): built after the rest of the stranger, returned
by name into `stranger.extra`. Every text field carries the marker."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.security.strangers import Stranger


def extend(world, stranger: Stranger) -> dict:
    return {}
