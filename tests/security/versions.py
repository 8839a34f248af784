"""How a row of the role x URL table asks for the stranger's data (tests/security/test_access.py):
the Version record and its builders, shared by test_access.py and the newer apps' access_<app>.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.conftest import World
from tests.security.strangers import PHONE_STEM, QQ_STEM, Stranger

Build = Callable[[World, Stranger], dict]


def nothing(world, stranger) -> dict:
    return {}


@dataclass(frozen=True)
class Version:
    """How one row asks for the stranger's data. `reach`: the roles that legitimately reach it
    (they get `reach_ok`, or the row's status). `names_object`: the URL names one of the
    stranger's objects, so a role holding the right without reaching the object gets 404;
    otherwise (lists, searches, batches, the world's own objects) a role holding the right gets
    `open_ok` (or the row's status) and a page without the stranger's data."""

    kwargs: Build = nothing
    query: Build = nothing
    data: Build | None = None  # None: the row's own form data
    method: str | None = None  # None: the row's method
    reach: frozenset[str] = frozenset()
    names_object: bool = False
    reach_ok: int | None = None
    open_ok: int | None = None
    # Roles holding the right whose object hook refuses this object (403 before any lookup).
    hooked_out: frozenset[str] = frozenset()


def of(attribute: str, *, key: str = "pk", **options) -> Version:
    """A version naming the stranger's `attribute` object in the URL."""
    return Version(
        kwargs=lambda world, stranger: {key: getattr(stranger, attribute).pk}, names_object=True, **options
    )


def search(text: str, **options) -> Version:
    return Version(query=lambda world, stranger: {"q": text}, **options)


def ids(attribute: str, **extra) -> Build:
    """A batch POST naming the stranger's `attribute` customer."""
    return lambda world, stranger: {"ids": [getattr(stranger, attribute).pk], **extra}


def stranger_month(**extra) -> Build:
    return lambda world, stranger: {"month": stranger.month, **extra}


def class_b(world, stranger) -> dict:
    return {"pk": world.class_b.pk}


SUPERUSER = frozenset({"superuser"})  # the customer scope "all" (admins hold no customer pages)
ADMINS = frozenset({"admin", "superuser"})
REVIEWERS = frozenset({"finance", "admin", "superuser"})  # review every enrollment by design
PHONE = f"{PHONE_STEM}0"
QQ = f"{QQ_STEM}0"
