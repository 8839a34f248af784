from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PermissionEntry(models.Model):
    """The database copy of one registry entry, so roles can hold it by foreign key.

    Rows are written only by the post-migrate sync; the registry in code stays the source of truth.
    """

    codename = models.CharField(_("codename"), max_length=100, unique=True)
    app_label = models.CharField(_("app"), max_length=50)
    url_name = models.CharField(_("URL name"), max_length=150)
    label = models.CharField(_("label"), max_length=200)

    class Meta:
        ordering = ["app_label", "codename"]
        verbose_name = _("permission")
        verbose_name_plural = _("permissions")

    def __str__(self) -> str:
        return self.codename


class Role(models.Model):
    class DataScope(models.TextChoices):
        OWN = "own", _("Own records")
        DEPARTMENT = "department", _("Own department")
        ALL = "all", _("Everything")

    name = models.CharField(_("name"), max_length=50, unique=True)
    slug = models.SlugField(
        _("key"),
        max_length=50,
        unique=True,
        help_text=_("Stable identifier used by the seed data and the default permissions."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    data_scope = models.CharField(
        _("data scope"), max_length=20, choices=DataScope.choices, default=DataScope.OWN
    )
    permissions = models.ManyToManyField(
        PermissionEntry, related_name="roles", blank=True, verbose_name=_("permissions")
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="roles", blank=True, verbose_name=_("users")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return self.name
