"""The permission dictionary.

Each app declares its entries in `<app>/permissions.py` with `register(...)`. An entry grants one
URL name for some HTTP methods, optionally only with given request parameters and only when an
object hook agrees. Roles hold entries by codename. The middleware, the menu and the template
checks all read this one registry, so what a user may open and what the user is shown cannot
drift apart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.utils.functional import Promise

# A parameter required with this value only has to be present, whatever its value.
ANY = object()

ObjectHook = Callable[..., bool]


@dataclass(frozen=True)
class MenuGroup:
    key: str
    label: str | Promise
    icon: str
    order: int


@dataclass(frozen=True)
class Entry:
    """One line of the permission dictionary.

    `params` maps request parameter names to the value they must have (or `ANY`); they are read from
    the query string for safe methods and from the form body otherwise. `hook` names an object hook
    registered with `object_hook`; it receives the request and the view's URL kwargs. `menu` puts the
    entry in the sidebar under that group; `parent` names the codename whose menu item stays active
    (and leads the breadcrumb) while this entry's page is open.
    """

    codename: str
    label: str | Promise
    url_name: str
    methods: frozenset[str] = frozenset({"GET"})
    params: Mapping[str, object] = field(default_factory=dict)
    hook: str | None = None
    menu: str | None = None
    menu_label: str | Promise | None = None
    icon: str = "circle"
    order: int = 100
    parent: str | None = None
    default_roles: tuple[str, ...] = ()

    @property
    def app_label(self) -> str:
        return self.codename.split(".", 1)[0]

    @property
    def is_menu_item(self) -> bool:
        return self.menu is not None

    def allows_method(self, method: str) -> bool:
        method = "GET" if method == "HEAD" else method
        return method in self.methods

    def params_match(self, request: HttpRequest) -> bool:
        if not self.params:
            return True
        source = request.GET if request.method in ("GET", "HEAD") else request.POST
        for name, expected in self.params.items():
            if name not in source:
                return False
            if expected is not ANY and source.get(name) != str(expected):
                return False
        return True


class Registry:
    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self._by_url: dict[str, list[Entry]] = defaultdict(list)
        self._hooks: dict[str, ObjectHook] = {}
        self._groups: dict[str, MenuGroup] = {}

    # -- declaring ---------------------------------------------------------------------------
    def add_group(self, key: str, label: str | Promise, icon: str, order: int) -> None:
        self._groups[key] = MenuGroup(key, label, icon, order)

    def add(self, entry: Entry) -> Entry:
        if entry.codename in self._entries:
            raise ValueError(f"Permission {entry.codename!r} is declared twice.")
        if "." not in entry.codename:
            raise ValueError(f"Permission {entry.codename!r} must look like 'app.action'.")
        self._entries[entry.codename] = entry
        self._by_url[entry.url_name].append(entry)
        return entry

    def add_hook(self, name: str, func: ObjectHook) -> None:
        if name in self._hooks:
            raise ValueError(f"Object hook {name!r} is declared twice.")
        self._hooks[name] = func

    # -- reading -----------------------------------------------------------------------------
    def entries(self) -> Iterable[Entry]:
        return self._entries.values()

    def get(self, codename: str) -> Entry | None:
        return self._entries.get(codename)

    def for_url(self, url_name: str) -> list[Entry]:
        return self._by_url.get(url_name, [])

    def has_url(self, url_name: str) -> bool:
        return url_name in self._by_url

    def hook(self, name: str) -> ObjectHook:
        return self._hooks[name]

    def hook_names(self) -> set[str]:
        return set(self._hooks)

    def groups(self) -> list[MenuGroup]:
        return sorted(self._groups.values(), key=lambda group: group.order)


registry = Registry()


def register(
    codename: str,
    label: str | Promise,
    url_name: str,
    *,
    methods: Iterable[str] = ("GET",),
    params: Mapping[str, object] | None = None,
    hook: str | None = None,
    menu: str | None = None,
    menu_label: str | Promise | None = None,
    icon: str = "circle",
    order: int = 100,
    parent: str | None = None,
    default_roles: Iterable[str] = (),
) -> Entry:
    """Declare one permission entry (called from each app's permissions.py)."""
    return registry.add(
        Entry(
            codename=codename,
            label=label,
            url_name=url_name,
            methods=frozenset(method.upper() for method in methods),
            params=dict(params or {}),
            hook=hook,
            menu=menu,
            menu_label=menu_label,
            icon=icon,
            order=order,
            parent=parent,
            default_roles=tuple(default_roles),
        )
    )


def menu_group(key: str, label: str | Promise, *, icon: str, order: int) -> None:
    registry.add_group(key, label, icon, order)


def object_hook(name: str) -> Callable[[ObjectHook], ObjectHook]:
    """Register `func(request, **url_kwargs) -> bool` as a named object hook."""

    def decorator(func: ObjectHook) -> ObjectHook:
        registry.add_hook(name, func)
        return func

    return decorator
