"""Access decisions, read from the registry and the user's roles. Used by the middleware (every
request), the menu and the template filter, so all three always agree."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

from django.core.cache import cache
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import get_language

from rbac.registry import ANY, Entry, registry
from rbac.selectors import codenames_for

# How long a built menu is kept; its key changes with the roles, the page and the language.
MENU_SECONDS = 3600


def entry_passes(entry: Entry, request: HttpRequest, url_kwargs: dict) -> bool:
    """Method, required parameters and object hook of one entry, in that order."""
    if not entry.allows_method(request.method or "GET"):
        return False
    if not entry.params_match(request):
        return False
    return entry.hook is None or registry.hook(entry.hook)(request, **url_kwargs)


@dataclass
class MenuItem:
    codename: str
    label: str
    url: str
    icon: str
    active: bool


@dataclass
class MenuSection:
    key: str
    label: str
    icon: str
    items: list[MenuItem]

    @property
    def active(self) -> bool:
        return any(item.active for item in self.items)


class RequestAccess:
    """What the current user may do, computed lazily once per request."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.menu_parent: str | None = None

    def lead_from(self, *codenames: str) -> None:
        """Let the page's breadcrumb and active menu item be the first of `codenames` the user
        holds, instead of the entry's fixed parent: a customer opened from the pool leads back
        to the pool. Call it before the page renders."""
        self.menu_parent = next((codename for codename in codenames if self.holds(codename)), None)

    @cached_property
    def codenames(self) -> frozenset[str]:
        return codenames_for(self.request.user)

    @property
    def is_superuser(self) -> bool:
        user = self.request.user
        return bool(user.is_authenticated and user.is_active and user.is_superuser)

    def holds(self, codename: str) -> bool:
        return self.is_superuser or codename in self.codenames

    def permits(self, url_name: str, url_kwargs: dict) -> bool:
        """The full check of the current request against the entries for `url_name`."""
        if self.is_superuser:
            return True
        return any(
            entry_passes(entry, self.request, url_kwargs)
            for entry in registry.for_url(url_name)
            if entry.codename in self.codenames
        )

    def methods_held(self, url_name: str) -> frozenset[str]:
        """The methods the user's entries for `url_name` allow (none when it holds no entry)."""
        held = (entry for entry in registry.for_url(url_name) if self.holds(entry.codename))
        return frozenset(method for entry in held for method in entry.methods)

    def allows(self, url_name: str) -> bool:
        """Whether a link or button to `url_name` is worth showing: the user holds some entry for
        it. Object hooks need an object, so pages that depend on one pass the view's own boolean."""
        if self.is_superuser:
            return True
        return any(entry.codename in self.codenames for entry in registry.for_url(url_name))

    @cached_property
    def current_entry(self) -> Entry | None:
        match = getattr(self.request, "resolver_match", None)
        if match is None:
            return None
        entries = registry.for_url(match.view_name)
        for entry in entries:
            if self.holds(entry.codename) and entry.params_match(self.request):
                return entry
        return entries[0] if entries else None

    @cached_property
    def active_codes(self) -> frozenset[str]:
        current = self.current_entry
        return frozenset({current.codename, self.menu_parent or current.parent} if current else ())

    @cached_property
    def menu_key(self) -> str:
        """Everything the sidebar depends on, as a cache key: the same roles on the same page in
        the same language get the same menu, so it is built and rendered once per process."""
        match = getattr(self.request, "resolver_match", None)
        parts = (
            get_language(),
            match.view_name if match else "",
            str(self.is_superuser),
            *sorted(self.active_codes - {None}),
            "|",
            *sorted(self.codenames),
        )
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    @cached_property
    def menu(self) -> list[MenuSection]:
        return cache.get_or_set(f"menu:{self.menu_key}", self._build_menu, MENU_SECONDS)

    def _build_menu(self) -> list[MenuSection]:
        active_codes = self.active_codes
        sections = []
        for group in registry.groups():
            items = []
            entries = sorted(
                (e for e in registry.entries() if e.menu == group.key and self.holds(e.codename)),
                key=lambda e: e.order,
            )
            for entry in entries:
                try:
                    url = reverse(entry.url_name)
                except NoReverseMatch:
                    continue
                fixed = {k: v for k, v in entry.params.items() if v is not ANY}
                if fixed:
                    url = f"{url}?{urlencode(fixed)}"
                items.append(
                    MenuItem(
                        codename=entry.codename,
                        label=str(entry.menu_label or entry.label),
                        url=url,
                        icon=entry.icon,
                        active=entry.codename in active_codes,
                    )
                )
            if items:
                sections.append(MenuSection(group.key, str(group.label), group.icon, items))
        return sections

    @cached_property
    def breadcrumb(self) -> list[tuple[str, str | None]]:
        """(label, url) pairs leading to the current page, from the menu that contains it."""
        for section in self.menu:
            for item in section.items:
                if item.active:
                    crumbs: list[tuple[str, str | None]] = [(section.label, None)]
                    current = self.current_entry
                    if current and current.codename != item.codename:
                        crumbs.append((item.label, item.url))
                    return crumbs
        return []
