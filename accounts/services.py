from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_encode
from django.utils.translation import gettext

from accounts.models import Notification, User
from accounts.signals import user_registered
from common.mail import send_templated_mail


@transaction.atomic
def user_register(*, form) -> User:
    """Create an inactive account from the sign-up form; an administrator approves it."""
    user = form.save(commit=False)
    user.is_active = False
    user.awaiting_approval = True
    user.save()
    transaction.on_commit(lambda: user_registered.send(sender=User, user=user))
    return user


@transaction.atomic
def user_approve(*, user: User, by: User) -> User:
    User.objects.filter(pk=user.pk).update(is_active=True, awaiting_approval=False)
    user.is_active, user.awaiting_approval = True, False
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext("Your account was approved. Welcome to EduCRM!")
    notification_send(recipient=user, text=text, link=reverse("home"))
    return user


@transaction.atomic
def user_set_active(*, user: User, active: bool) -> User:
    User.objects.filter(pk=user.pk).update(is_active=active, awaiting_approval=False)
    user.is_active, user.awaiting_approval = active, False
    return user


def password_set_link(*, user: User, base_url: str) -> str:
    """A one-time link to choose a password; it also works for accounts without a usable one."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password-reset-confirm", kwargs={"uidb64": uid, "token": token})
    return base_url.rstrip("/") + path


def user_send_password_email(*, user: User, base_url: str, welcome: bool = False) -> None:
    """Email a one-time link to choose a password (for new accounts and forgotten passwords).

    Unlike Django's PasswordResetForm this also reaches accounts that never had a usable
    password, which is how accounts created by an administrator get their first one.
    """
    context = {"user": user, "link": password_set_link(user=user, base_url=base_url), "welcome": welcome}
    send_templated_mail(
        subject_template="accounts/email/set_password_subject.txt",
        body_template="accounts/email/set_password.txt",
        context=context,
        to=[user.email],
    )


def site_gettext(message: str, **values) -> str:
    """`message` translated into the school's language (settings.LANGUAGE_CODE), for texts stored
    for others to read later, such as notifications. Callers mark `message` with gettext_noop so
    makemessages finds it."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message) % values


def notification_send(*, recipient: User, text: str, link: str = "") -> Notification:
    """Store a notification. Callers translate `text` in the site language (settings.LANGUAGE_CODE),
    not the language of whoever triggered it, since users have no language of their own yet."""
    return Notification.objects.create(recipient=recipient, text=text[:500], link=link)


def notification_open(*, notification: Notification) -> str:
    """Mark one notification read and return where to go next (its link, if it is local)."""
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    if notification.link and url_has_allowed_host_and_scheme(notification.link, allowed_hosts=None):
        return notification.link
    return reverse("accounts:notification-list")


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
