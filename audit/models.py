from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

LABEL_LENGTH = 200


class AccessRecord(models.Model):
    """One time personal data was shown to someone: who, when, from where, what and whose.

    Written by `audit.services.access_record`, read on the access log page; never changed or
    deleted by the application. The user is kept by name as well, so a record outlives the account
    (the key is set to NULL if an account is ever deleted). The object is a generic reference
    (content type + id, no foreign key), so deleting a customer keeps who looked at them, and
    `label` says in words what it was when it was shown.
    """

    class Action(models.TextChoices):
        DOCUMENT_DOWNLOAD = "document_download", _("Document downloaded")
        ID_NUMBER_VIEW = "id_number_view", _("Full ID card number shown")
        CONTACTS_VIEW = "contacts_view", _("Full contact details shown")
        CONTACTS_EXPORT = "contacts_export", _("Contact details exported")

    at = models.DateTimeField(_("when"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_index=False,  # the (user, -at) index below leads with it
        verbose_name=_("who"),
    )
    username = models.CharField(_("username"), max_length=150)
    action = models.CharField(_("what"), max_length=20, choices=Action.choices)
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the (content type, object) index below leads with it
        verbose_name=_("kind of record"),
    )
    object_id = models.PositiveBigIntegerField(_("record number"), null=True, blank=True)
    label = models.CharField(_("record"), max_length=LABEL_LENGTH, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # The access log: newest first, whole or by who / what, and one object's history.
            models.Index(fields=["-at", "-id"], name="access_at_idx"),
            models.Index(fields=["user", "-at", "-id"], name="access_user_idx"),
            models.Index(fields=["action", "-at", "-id"], name="access_action_idx"),
            models.Index(fields=["content_type", "object_id", "-at"], name="access_object_idx"),
            # The search: the label's start (a name), with LIKE 'x%' on PostgreSQL.
            models.Index(fields=["label"], name="access_label_idx", opclasses=["varchar_pattern_ops"]),
        ]
        verbose_name = _("access record")
        verbose_name_plural = _("access records")

    def __str__(self) -> str:
        return f"{self.username} {self.get_action_display()} {self.label}"

    @property
    def summary(self) -> str:
        """The detail in words: an export's rows and filters, a document's file name."""
        detail = self.detail or {}
        if self.action == self.Action.CONTACTS_EXPORT:
            text = gettext("%(rows)s rows, %(unmasked)s with full contact details (%(format)s)") % {
                "rows": detail.get("rows", "?"),
                "unmasked": detail.get("unmasked", "?"),
                "format": detail.get("format", "?"),
            }
            filters = detail.get("filters") or {}
            if filters:
                text += " · " + ", ".join(f"{name}={value}" for name, value in filters.items())
            return text
        if self.action == self.Action.DOCUMENT_DOWNLOAD:
            return detail.get("file", "")
        if detail.get("page") == "edit":
            return gettext("in the edit form")
        return ""
