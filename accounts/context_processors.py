from django.utils.functional import SimpleLazyObject

from accounts.selectors import unread_notification_count


def notifications(request):
    """The bell's unread count; lazy, so pages without the navbar do not run the query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_notification_count(user))}
