"""Project-level pages that draw on several apps (so they sit above all of them)."""

from django.shortcuts import render

from common.access import authenticated
from crm.selectors import class_cards_for_teacher
from reports.dashboards import home_panels


@authenticated
def home(request):
    """Everyone's landing page: the panels of the user's roles (a consultant's day, a manager's
    team, finance's queues, a teacher's classes, a student's next steps, an admin's overview),
    then shortcuts to what the roles open."""
    context = {
        "my_classes": class_cards_for_teacher(request.user)[:12],
        "has_roles": request.user.roles.exists(),  # reverse relation declared by rbac.Role
        "teaches": request.rbac.allows("classroom:class-detail"),
        "panels": home_panels(request),
    }
    return render(request, "common/home.html", context)
