from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Shared list/form helpers and template tags; no models. Every app may import it."""

    name = "common"

    def ready(self):
        from django.db.models import IntegerField

        from common.lookups import IntegerFieldIn

        IntegerField.register_lookup(IntegerFieldIn)
