from django.core import checks
from django.urls import URLPattern, URLResolver, get_resolver

from common.access import access_marker
from rbac.registry import registry

# The Django admin is for superusers only, who pass every check; it needs no entries.
SUPERUSER_ONLY_NAMESPACES = {"admin", "peer_admin"}


def iter_url_patterns(resolver=None, namespace: str = ""):
    """Yield (view name, callback) for every named pattern in the URLconf."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}{pattern.namespace}:"
            yield from iter_url_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern.callback


def unguarded_url_names() -> list[str]:
    """URL names that are neither marked public/authenticated nor covered by an entry."""
    missing = []
    for name, callback in iter_url_patterns():
        if name.split(":", 1)[0] in SUPERUSER_ONLY_NAMESPACES:
            continue
        if access_marker(callback) is None and not registry.has_url(name):
            missing.append(name)
    return sorted(set(missing))


@checks.register(checks.Tags.urls)
def check_every_url_has_a_permission(app_configs=None, **kwargs):
    errors = [
        checks.Error(
            f"URL name {name!r} has no permission entry and is not marked public; "
            "only superusers can open it.",
            hint="Declare it in the app's permissions.py or mark the view with common.access.public.",
            id="rbac.E001",
        )
        for name in unguarded_url_names()
    ]
    known_urls = {name for name, _callback in iter_url_patterns()}
    for entry in registry.entries():
        if entry.url_name not in known_urls:
            errors.append(
                checks.Error(
                    f"Permission {entry.codename!r} names unknown URL {entry.url_name!r}.",
                    id="rbac.E002",
                )
            )
        if entry.hook and entry.hook not in registry.hook_names():
            errors.append(
                checks.Error(
                    f"Permission {entry.codename!r} names unknown object hook {entry.hook!r}.",
                    id="rbac.E003",
                )
            )
    return errors
