from django.db.models import QuerySet

from accounts.models import Notification, User


def notifications_for(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_notification_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def user_choices(users: QuerySet[User]) -> list[tuple[int, str]]:
    """(id, name) for each user, in the queryset's order: what a select of a hundred consultants
    needs, read as plain rows rather than a hundred model instances."""
    rows = users.select_related(None).values_list("pk", *User.NAME_FIELDS)
    return [(pk, User.label_of(*names)) for pk, *names in rows]
