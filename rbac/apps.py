from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class RbacConfig(AppConfig):
    name = "rbac"
    verbose_name = _("Roles and permissions")

    def ready(self) -> None:
        from rbac import checks  # noqa: F401  (registers the system check)
        from rbac.services import permissions_sync_after_migrate

        # Every app's permissions.py fills the registry; rbac's own groups are declared first.
        autodiscover_modules("permissions")
        post_migrate.connect(permissions_sync_after_migrate, sender=self)
