from django.contrib import admin
from django.urls import include, path
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from common import views as common_views
from common.access import public
from config import views as project_views

urlpatterns = [
    path("", project_views.home, name="home"),
    path("health/", common_views.health, name="health"),
    # POST only: Django's view answers a GET with a redirect to any `next` it is given.
    path("i18n/setlang/", public(require_POST(set_language)), name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("rbac/", include("rbac.urls")),
    path("audit/", include("audit.urls")),
    path("", include("crm.urls")),  # setup/... and sales/...
    path("", include("enrollment.urls")),  # sales/enrollments/..., finance/..., enroll/<token>/
    path("", include("classroom.urls")),  # teaching/..., my/classes/..., questions/...
    path("", include("reports.urls")),  # reports/...
    path("", include("tickets.urls")),  # service/..., my/tickets/...
    path("", include("marketing.urls")),  # marketing/..., lead/<key>/, api/leads/
    path("", include("risk.urls")),  # warnings/...
    path("django-admin/", admin.site.urls),
]
