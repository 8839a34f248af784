"""Project-level pages that draw on several apps (so they sit above all of them)."""

from django.shortcuts import render

from common.access import authenticated
from crm.selectors import OWNER_CODENAME, class_cards_for_teacher, customers_due_for


@authenticated
def home(request):
    """Everyone's landing page: shortcuts to what the user's roles open, and their own classes.
    Role dashboards with figures come with the reports issue."""
    context = {
        "my_classes": class_cards_for_teacher(request.user)[:12],
        "has_roles": request.user.roles.exists(),  # reverse relation declared by rbac.Role
        "teaches": request.rbac.allows("classroom:class-detail"),
    }
    if request.rbac.holds(OWNER_CODENAME):
        context.update(customers_due_for(request.user), shows_follow_ups=True)
    return render(request, "common/home.html", context)
