from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import Notification, User
from accounts.services import user_send_password_email
from accounts.signals import user_registered
from rbac.defaults import DEFAULT_ROLES
from rbac.models import PermissionEntry, Role
from rbac.registry import registry


@transaction.atomic
def permissions_sync() -> dict[str, int]:
    """Make the database mirror the registry; idempotent.

    New entries are granted to the default roles they name; existing grants are left alone, so what
    an admin removed from a role stays removed. Missing default roles are created with their entries.
    """
    existing = {entry.codename: entry for entry in PermissionEntry.objects.all()}
    created_codes: list[str] = []
    for entry in registry.entries():
        # Stored in the site language whoever runs the sync, so labels do not flip between runs.
        with translation.override(settings.LANGUAGE_CODE):
            label = str(entry.label)
        values = {"app_label": entry.app_label, "url_name": entry.url_name, "label": label}
        row = existing.pop(entry.codename, None)
        if row is None:
            PermissionEntry.objects.create(codename=entry.codename, **values)
            created_codes.append(entry.codename)
        elif any(getattr(row, key) != value for key, value in values.items()):
            PermissionEntry.objects.filter(pk=row.pk).update(**values)
    removed = PermissionEntry.objects.filter(codename__in=list(existing)).delete()[0] if existing else 0

    roles_by_slug = {role.slug: role for role in Role.objects.all()}
    created_roles = []
    # Role names are stored in the installation's default language.
    with translation.override(settings.LANGUAGE_CODE):
        for slug, name, description, scope in DEFAULT_ROLES:
            if slug not in roles_by_slug:
                role = Role.objects.create(
                    slug=slug, name=str(name), description=str(description), data_scope=scope
                )
                roles_by_slug[slug] = role
                created_roles.append(slug)

    by_code = {row.codename: row for row in PermissionEntry.objects.all()}
    for entry in registry.entries():
        for slug in entry.default_roles:
            role = roles_by_slug.get(slug)
            if role and (entry.codename in created_codes or slug in created_roles):
                role.permissions.add(by_code[entry.codename])
    return {"created": len(created_codes), "removed": removed, "roles_created": len(created_roles)}


def permissions_sync_after_migrate(**kwargs) -> None:
    """post_migrate receiver: runs after every migrate (and test database flush)."""
    permissions_sync()


@transaction.atomic
def role_delete(*, role: Role) -> None:
    role.delete()


@transaction.atomic
def user_save(*, form, base_url: str) -> User:
    """Create or edit a staff account with its roles. A new account gets an email with a link to
    choose its password (sent once the transaction commits)."""
    is_new = form.instance.pk is None
    user = form.save()
    if is_new and user.email:
        transaction.on_commit(lambda: user_send_password_email(user=user, base_url=base_url, welcome=True))
    return user


@receiver(user_registered)
def notify_approvers_of_registration(sender, user, **kwargs) -> None:
    """Tell everyone who may approve accounts that someone registered."""
    approvers = User.objects.filter(
        is_active=True, roles__permissions__codename="rbac.user_approve"
    ).distinct()
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext("%(name)s (%(username)s) registered and waits for approval.") % {
            "name": user.display_name or user.username,
            "username": user.username,
        }
    link = reverse("rbac:user-list") + "?awaiting_approval=true"
    Notification.objects.bulk_create(
        Notification(recipient=approver, text=text, link=link) for approver in approvers
    )
