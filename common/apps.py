from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Shared list/form helpers and template tags; no models. Every app may import it."""

    name = "common"
