"""Project-level pages that draw on several apps (so they sit above all of them)."""

from django.shortcuts import render

from common.access import authenticated
from crm.selectors import class_cards_for_teacher


@authenticated
def home(request):
    """Everyone's landing page: shortcuts to what the user's roles open, and their own classes.
    Role dashboards with figures come with the reports issue."""
    context = {
        "my_classes": class_cards_for_teacher(request.user)[:12],
        "has_roles": request.user.roles.exists(),  # reverse relation declared by rbac.Role
    }
    return render(request, "common/home.html", context)
