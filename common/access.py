"""Markers for the views that do not need a permission entry.

Everything not marked here must match an entry of the permission dictionary (fail closed).
"""

from collections.abc import Callable

PUBLIC = "public"
AUTHENTICATED = "authenticated"


def public(view: Callable) -> Callable:
    """Anyone, signed in or not (login, registration, password reset, health check...)."""
    view.rbac_access = PUBLIC
    return view


def authenticated(view: Callable) -> Callable:
    """Any signed-in user, whatever their roles: their own home, profile, password, notifications."""
    view.rbac_access = AUTHENTICATED
    return view


def access_marker(view: Callable) -> str | None:
    return getattr(view, "rbac_access", None)
